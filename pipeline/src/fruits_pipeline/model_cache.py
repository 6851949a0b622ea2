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
import tempfile
from dataclasses import dataclass

from .engines import ConvertedModel
from .model import RANDOM_SPEC, LoadedWeights, file_sha256, keras_imagenet_name, keras_models_dir
from .package_versions import installed_version

KEEP_ENTRIES = 4  # newest kept; each entry is ~20 MB (the weights and the converted model)
_VERSIONED = ("tensorflow", "keras", "numpy", "openvino", "onnxruntime", "tf2onnx", "onnx")


@dataclass(frozen=True)
class CachedModel:
    weights: LoadedWeights
    model: ConvertedModel


def weights_identity(spec: str, image_size: int, local: str | None) -> str | None:
    """What identifies `--weights` without TensorFlow: 'random:SEED' or 'sha256:<file hash>'; None if unknown.

    `local`: the weights file already fetched by the caller (model.local_weights_file), for file specs."""
    if RANDOM_SPEC.match(spec):
        return spec
    if spec == "imagenet":
        path = os.path.join(keras_models_dir(), keras_imagenet_name(image_size))
        return f"sha256:{file_sha256(path)}" if os.path.isfile(path) else None
    return f"sha256:{file_sha256(local)}" if local else None


def cache_key(identity: str, image_size: int, engine: str, precision: str, code_sha256: str,
              versions: dict[str, str | None]) -> str:
    """sha256 of everything a converted model depends on. Pure."""
    doc = {"weights": identity, "image_size": image_size, "engine": engine, "precision": precision,
           "code": code_sha256, "versions": versions}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def library_versions() -> dict[str, str | None]:
    return {name: installed_version(name) for name in _VERSIONED}


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
