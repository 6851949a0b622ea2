"""MobileNetV2 feature extractor and its weights, loaded once on the driver.

The driver builds the model, loads the weights from one source (`--weights`), and hands executors only the list
of numpy arrays (a Spark broadcast, see features.py). Executors rebuild the architecture with `weights=None` and
set those arrays: nothing is downloaded or read from storage on an executor.

Weights sources:
- `imagenet`: Keras' own file, from Keras' cache (~/.keras/models or $KERAS_HOME/models); downloaded once by Keras
  when online. Offline and not cached: a JobError says how to provide weights instead.
- a path or URI (file://, s3a://, s3://, any Hadoop filesystem) of a Keras weights file (.weights.h5, or a legacy
  .h5 such as Keras' own file); copied to a local temp file on the driver.
- `random:SEED`: deterministic numpy initialization (He-normal kernels, identity batch norm), independent of
  Keras' RNG so the same seed gives the same weights in every process. Features are then NOT meaningful.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import numpy as np

from .errors import JobError

KERAS_WEIGHTS_ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
KERAS_IMAGENET_SIZES = (96, 128, 160, 192, 224)
PARAM_COUNT = 2_257_984  # MobileNetV2(alpha=1.0, include_top=False), batch-norm statistics included
RANDOM_SPEC = re.compile(r"^random:(\d+)$")  # --weights random:SEED


def build_model(image_size: int):
    """The feature extractor: MobileNetV2, no top, global average pooling -> 1280 floats. No weights loaded."""
    import keras

    return keras.applications.MobileNetV2(
        input_shape=(image_size, image_size, 3), include_top=False, pooling="avg", weights=None
    )


def preprocess_input(batch: np.ndarray) -> np.ndarray:
    """MobileNetV2's input scaling, [0, 255] -> [-1, 1] (keras.applications.mobilenet_v2.preprocess_input).

    uint8 or float input; one float32 copy, then in place (the same values as `batch / 127.5 - 1` in float32)."""
    out = np.array(batch, dtype=np.float32, copy=True)
    np.divide(out, np.float32(127.5), out=out)
    np.subtract(out, np.float32(1.0), out=out)
    return out


@dataclass(frozen=True)
class LoadedWeights:
    spec: str
    source: str  # imagenet | file | random
    arrays: list[np.ndarray]  # in model.weights order
    file_sha256: str | None  # sha256 of the weights file (None for random)
    arrays_sha256: str  # sha256 of the arrays themselves: equal weights <=> equal hash, whatever the source
    meaningful: bool

    @property
    def sha256(self) -> str:
        """The manifest's weights.sha256: the file's, or for random weights the arrays'."""
        return self.file_sha256 or self.arrays_sha256


def arrays_sha256(arrays: list[np.ndarray]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        c = np.ascontiguousarray(a, dtype="<f4")
        h.update(repr(c.shape).encode())
        h.update(c.tobytes())
    return h.hexdigest()


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def random_weights(model, seed: int) -> list[np.ndarray]:
    """Deterministic weights for every variable of `model` (in model.weights order) from one numpy seed."""
    rng = np.random.default_rng(seed)
    out = []
    for v in model.weights:
        name, shape = v.name, tuple(v.shape)
        if name.endswith(("gamma", "moving_variance")):
            out.append(np.ones(shape, np.float32))
        elif name.endswith(("beta", "moving_mean", "bias")):
            out.append(np.zeros(shape, np.float32))
        else:  # conv kernel, HWIO or depthwise (H, W, C, 1): He-normal on the fan-in
            fan_in = shape[0] * shape[1] * (1 if "depthwise" in name else int(np.prod(shape[2:-1])))
            out.append(rng.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), size=shape).astype(np.float32))
    return out


def keras_imagenet_name(image_size: int) -> str:
    """File name of Keras' own ImageNet no-top file for this input size (Keras publishes a few sizes; else 224)."""
    rows = image_size if image_size in KERAS_IMAGENET_SIZES else 224
    return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{rows}_no_top.h5"


def keras_models_dir() -> str:
    """Where Keras' get_file keeps downloaded models: $KERAS_HOME/models, else ~/.keras/models (no Keras import)."""
    return os.path.join(os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras")), "models")


def keras_imagenet_file(image_size: int) -> str:
    """Path of Keras' own ImageNet no-top file (the one MobileNetV2(weights='imagenet') uses), from its cache."""
    from keras.utils import get_file

    name = keras_imagenet_name(image_size)
    try:
        return get_file(name, KERAS_WEIGHTS_ORIGIN + name, cache_subdir="models")
    except Exception as e:
        raise JobError(
            f"--weights imagenet: Keras' weights file {name} is not in Keras' cache ({keras_models_dir()}) and could "
            f"not be downloaded ({type(e).__name__}). Offline, give a Keras weights file instead: --weights "
            "/path/or/s3a://uri/to/mobilenet_v2.weights.h5 (convert the shared .npy weights with "
            "`python -m fruits_pipeline.weights_npy --src DIR --out FILE.weights.h5`), or --weights random:0 "
            "(features not meaningful)"
        ) from None


def fetch_to_local(spark, uri: str, tmpdir: str) -> str:
    """A weights file given as a local path or any Hadoop URI -> a local file path (copied into tmpdir if remote)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        path = unquote(parsed.path) if parsed.scheme == "file" else os.path.expanduser(uri)
        if not os.path.isfile(path):
            raise JobError(f"--weights: file not found: {uri} (give a Keras weights file, imagenet, or random:SEED)")
        return path
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    src = jvm.org.apache.hadoop.fs.Path(uri)
    try:
        fs = src.getFileSystem(conf)
        if not fs.isFile(src):
            raise JobError(f"--weights: no file at {uri} (give a Keras weights file, imagenet, or random:SEED)")
        local = os.path.join(tmpdir, os.path.basename(parsed.path) or "weights.weights.h5")
        fs.copyToLocalFile(False, src, jvm.org.apache.hadoop.fs.Path("file://" + local), True)
    except JobError:
        raise
    except Exception as e:
        raise JobError(f"--weights: cannot read {uri}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    return local


def load_weights_file(model, path: str, spec: str) -> list[np.ndarray]:
    """Load a local Keras weights file into `model` (MobileNetV2 no-top) and return its arrays, checked.

    JobError when the suffix is not a Keras one, the file does not fit the architecture, or the parameter count
    is not PARAM_COUNT. `spec` names the weights in the messages.
    """
    if not path.endswith((".h5", ".hdf5", ".keras")):
        raise JobError(f"--weights: {spec} is not a Keras weights file (expected .weights.h5, .h5 or .keras)")
    try:
        model.load_weights(path)
    except Exception as e:
        raise JobError(
            f"--weights: {spec} does not fit MobileNetV2(include_top=False): "
            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
        ) from None
    arrays = [np.asarray(a, dtype=np.float32) for a in model.get_weights()]
    n = sum(a.size for a in arrays)
    if n != PARAM_COUNT:
        raise JobError(f"--weights: {spec} gave {n} parameters, expected {PARAM_COUNT} for MobileNetV2 no-top")
    return arrays


def local_weights_file(spark, spec: str, tmpdir: str) -> str | None:
    """A weights FILE spec as a local path (copied into tmpdir once if remote); None for imagenet and random:SEED."""
    if spec == "imagenet" or RANDOM_SPEC.match(spec):
        return None
    return fetch_to_local(spark, spec, tmpdir)


def load_weights(spark, spec: str, image_size: int, local: str | None = None) -> LoadedWeights:
    """Resolve `--weights` on the driver into the arrays to broadcast. `local`: the file spec already fetched
    (local_weights_file), so a remote file is copied once per run however many readers it has."""
    model = build_model(image_size)
    m = RANDOM_SPEC.match(spec)
    if m:
        arrays = random_weights(model, int(m.group(1)))
        return LoadedWeights(spec, "random", arrays, None, arrays_sha256(arrays), False)
    with tempfile.TemporaryDirectory(prefix="fruits-weights-") as tmp:
        if spec == "imagenet":
            path, source = keras_imagenet_file(image_size), "imagenet"
        else:
            path, source = local or fetch_to_local(spark, spec, tmp), "file"  # keeps the name: Keras reads the suffix
        arrays = load_weights_file(model, path, spec)
        digest = file_sha256(path)
    return LoadedWeights(spec, source, arrays, digest, arrays_sha256(arrays), True)
