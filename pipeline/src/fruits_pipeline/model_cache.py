"""The driver's cache of converted models (`--model-cache DIR`): convert once per weights, engine and code.

Why: on a workstation the job runs again and again with the same weights. Without a cache every run imports
TensorFlow, builds MobileNetV2, loads the weights file and converts the model (OpenVINO IR or ONNX): about 6 s
of a 50 s run on the 3,120-image bench, the same work each time. With it, a hit unpickles the loaded weights and
the converted model (numpy arrays and bytes: no TensorFlow import at all) in well under a second.

The key names everything that RUNS the converted model: the weights' identity (the file's sha256, or
`random:SEED`), the image size, the engine and precision, the job's code (manifest.code_sha256), numpy and the
engine's runtime (onnxruntime, openvino; TensorFlow and Keras for the keras engine). A changed input is a different
key, never a stale hit. `imagenet` is keyed by Keras' cached file when it is there; when it is not, nothing is
cached (the job then fails or downloads as usual).

What only BUILDS the model (TensorFlow, Keras, tf2onnx, onnx: the converters) is not in the key but recorded in
the entry. Why: the Docker image of a release leaves the converters out (1.1 GB of its 2.9 GB; docs/docker.md) while
the host venv of the same release has them, and both must find the same entry: the workbench converts on the host
(`python -m fruits_pipeline.prepare_model`) and the containerised driver only reads. So on load, an entry whose
recorded converter version differs from one INSTALLED here is stale (converted again, overwritten); a converter that
is not installed here (the slim image) cannot disagree, and the entry is served.

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
from dataclasses import dataclass, field

from .engines import ConvertedModel
from .model import RANDOM_SPEC, LoadedWeights, file_sha256, keras_imagenet_name, keras_models_dir
from .package_versions import installed_version

KEEP_ENTRIES = 4  # newest kept; each entry is ~20 MB (the weights and the converted model)
KEY_SCHEMA = 2  # 2: runtime versions in the key, converter versions in the entry (1 had both in the key)
# Distribution names of a library (TensorFlow is installed as tensorflow-cpu by the locks).
DISTRIBUTIONS = {"tensorflow": ("tensorflow", "tensorflow-cpu")}
# What runs each engine's converted model on the executors (beside numpy, which every entry's arrays need).
ENGINE_RUNTIMES = {"keras": ("tensorflow", "keras"), "openvino": ("openvino",), "onnxruntime": ("onnxruntime",)}
# What only builds and converts the model on the driver (engines.convert): recorded in the entry, not in the key.
CONVERTERS = ("tensorflow", "keras", "tf2onnx", "onnx")


@dataclass(frozen=True)
class CachedModel:
    weights: LoadedWeights
    model: ConvertedModel
    converters: dict[str, str | None] = field(default_factory=dict)  # converter_versions() where it was converted


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
              runtimes: dict[str, str | None]) -> str:
    """sha256 of everything running the converted model depends on (`runtimes`: runtime_versions(engine)). Pure."""
    doc = {"schema": KEY_SCHEMA, "weights": identity, "image_size": image_size, "engine": engine,
           "precision": precision, "code": code_sha256, "runtimes": runtimes}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _installed(name: str) -> str | None:
    return installed_version(*DISTRIBUTIONS.get(name, (name,)))


def runtime_versions(engine: str) -> dict[str, str | None]:
    """numpy and the engine's runtime, as installed (package metadata: no import). The key's `runtimes`."""
    return {name: _installed(name) for name in ("numpy", *ENGINE_RUNTIMES[engine])}


def converter_versions() -> dict[str, str | None]:
    """The converters as installed here (None: not installed, e.g. in the Docker image)."""
    return {name: _installed(name) for name in CONVERTERS}


def can_convert(installed: dict[str, str | None]) -> bool:
    """Whether this Python can build and convert the model: TensorFlow and Keras at least. Pure."""
    return installed.get("tensorflow") is not None and installed.get("keras") is not None


def stale_converters(recorded: dict[str, str | None], installed: dict[str, str | None]) -> list[str]:
    """'name recorded -> installed' for each converter installed here at another version than the entry was
    converted with; empty when the entry may be served. A converter not installed here never disagrees. Pure."""
    return [f"{name} {recorded.get(name)} -> {v}" for name, v in sorted(installed.items())
            if v is not None and recorded.get(name) != v]


class ModelCache:
    def __init__(self, directory: str, say) -> None:
        self.dir = directory
        self.say = say

    def _path(self, key: str) -> str:
        return os.path.join(self.dir, f"{key}.pickle")

    def load(self, key: str, installed: dict[str, str | None]) -> CachedModel | None:
        """The entry of `key`, unless missing, unreadable, or stale against the `installed` converters."""
        path = self._path(key)
        if not os.path.isfile(path):
            return None
        try:
            with open(path, "rb") as f:
                entry = pickle.load(f)
            if not isinstance(entry, CachedModel):
                raise TypeError(type(entry).__name__)
        except Exception as e:  # a torn or foreign file: convert again and overwrite it
            self.say(f"converted-model cache: ignoring unreadable {path} ({type(e).__name__})")
            return None
        stale = stale_converters(getattr(entry, "converters", {}), installed)
        if stale:  # converted by other converter versions than this machine's: convert again, overwrite it
            self.say(f"converted-model cache: ignoring {path}, converted with other converters ({', '.join(stale)})")
            return None
        try:
            os.utime(path)  # most recently used: eviction keeps it
        except OSError:
            pass  # a read-only cache still serves
        return entry

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
