"""The driver's cache of converted models (`--model-cache DIR`): convert once per weights, engine and code.

Why: on a workstation the job runs again and again with the same weights. Without a cache every run imports
TensorFlow, builds MobileNetV2, loads the weights file and converts the model (OpenVINO IR or ONNX): about 6 s
of a 50 s run on the 3,120-image bench, the same work each time. With it, a hit unpickles the loaded weights and
the converted model (numpy arrays and bytes: no TensorFlow import at all) in well under a second.

The key names everything the entry depends on: the weights' identity (the file's sha256, or `random:SEED`), the
image size, the engine and precision, the job's code (manifest.code_sha256) and the versions of the libraries
that build and convert the model. A changed input is a different key, never a stale hit. `imagenet` is keyed by
Keras' cached file when it is there; when it is not, nothing is cached (the job then fails or downloads as usual).

Only the workbench's local targets pass `--model-cache` (the driver runs on the user's machine). On EMR the
driver is a fresh node every time: no cache, same code path as a miss. A cache that cannot be read or written is
reported and skipped: it never fails a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from .engines import ConvertedModel
from .model import KERAS_IMAGENET_SIZES, LoadedWeights, fetch_to_local, file_sha256

KEEP_ENTRIES = 4  # newest kept; each entry is ~20 MB (the weights and the converted model)
_RANDOM = re.compile(r"^random:(\d+)$")
_VERSIONED = ("tensorflow", "keras", "numpy", "openvino", "onnxruntime", "tf2onnx", "onnx")


@dataclass(frozen=True)
class CachedModel:
    weights: LoadedWeights
    model: ConvertedModel


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def keras_cache_path(image_size: int) -> str:
    """Where Keras' get_file keeps the ImageNet no-top file ($KERAS_HOME or ~/.keras, models/), without importing Keras."""
    rows = image_size if image_size in KERAS_IMAGENET_SIZES else 224
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(home, "models", f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5")


def weights_identity(spark, spec: str, image_size: int) -> str | None:
    """What identifies `--weights` without TensorFlow: 'random:SEED' or 'sha256:<file hash>'; None if unknown."""
    if _RANDOM.match(spec):
        return spec
    if spec == "imagenet":
        path = keras_cache_path(image_size)
        return f"sha256:{file_sha256(path)}" if os.path.isfile(path) else None
    with tempfile.TemporaryDirectory(prefix="fruits-weights-id-") as tmp:
        return f"sha256:{file_sha256(fetch_to_local(spark, spec, tmp))}"


def cache_key(identity: str, image_size: int, engine: str, precision: str, code_sha256: str,
              versions: dict[str, str | None]) -> str:
    """sha256 of everything a converted model depends on. Pure."""
    doc = {"weights": identity, "image_size": image_size, "engine": engine, "precision": precision,
           "code": code_sha256, "versions": versions}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def library_versions() -> dict[str, str | None]:
    return {name: _installed(name) for name in _VERSIONED}


class ModelCache:
    def __init__(self, directory: str, say) -> None:
        self.dir = directory
        self.say = say

    def _path(self, key: str) -> str:
        return os.path.join(self.dir, f"{key}.pickle")

    def load(self, key: str) -> CachedModel | None:
        path = self._path(key)
        if not os.path.isfile(path):
            return None
        try:
            with open(path, "rb") as f:
                entry = pickle.load(f)
            if not isinstance(entry, CachedModel):
                raise TypeError(type(entry).__name__)
            os.utime(path)  # most recently used: eviction keeps it
            return entry
        except Exception as e:  # a torn or foreign file: convert again and overwrite it
            self.say(f"converted-model cache: ignoring unreadable {path} ({type(e).__name__})")
            return None

    def store(self, key: str, entry: CachedModel) -> None:
        try:
            os.makedirs(self.dir, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key}.", dir=self.dir)
            try:
                with os.fdopen(fd, "wb") as f:
                    pickle.dump(entry, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self._path(key))  # atomic: a concurrent reader sees the old entry or the new one
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            self._evict()
        except OSError as e:
            self.say(f"converted-model cache: not stored in {self.dir} ({e.strerror or e}); the next run converts again")

    def _evict(self) -> None:
        entries = sorted((e for e in os.scandir(self.dir) if e.name.endswith(".pickle")),
                         key=lambda e: e.stat().st_mtime, reverse=True)
        for stale in entries[KEEP_ENTRIES:]:
            try:
                os.unlink(stale.path)
            except OSError:
                pass
