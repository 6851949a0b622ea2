"""Inference engines: the driver turns the loaded Keras model into what executors run (`--engine`, `--precision`).

Why: the model's runtime is the lever on featurization speed (issue 14). The driver builds MobileNetV2 once
from the loaded weights and converts it ONCE; the broadcast then carries the converted model, so executors of
`openvino` and `onnxruntime` never import TensorFlow (less memory per Python worker, faster cold start; the
worker side is runners.py, which imports only the engine's own runtime).

- `keras`: the broadcast carries the weight arrays; each worker rebuilds the Keras model (the reference).
- `openvino`: Keras -> tf.function (concrete) -> `openvino.convert_model` -> IR (xml + bin bytes, saved
  WITHOUT fp16 compression). Workers compile it with INFERENCE_PRECISION_HINT = the precision (f32: exact
  float32 kernels; the CPU default would be bf16 on AVX-512 machines, cosine 0.984) and the LATENCY hint.
- `onnxruntime`: Keras -> tf.function -> ONNX (tf2onnx, opset 17) bytes. int8: dynamic weight quantization.

Precision: f32 is the default and the only parity-safe one (cosine >= 0.9999 against Keras on every image of
the shared sample, tests/test_engines.py). bf16 (openvino) and int8 (onnxruntime) are opt-in, and the manifest
flags them `parity_safe: false` with a warning.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np  # noqa: F401  (payload arrays)

from .errors import JobError
from .model import arrays_sha256
from .package_versions import installed_version

ENGINES = ("keras", "openvino", "onnxruntime")
PRECISIONS = ("f32", "bf16", "int8")
# What each engine can run. Keras stays the float32 reference.
SUPPORTED_PRECISIONS = {"keras": ("f32",), "openvino": ("f32", "bf16"), "onnxruntime": ("f32", "int8")}
# The fastest engine whose f32 features match Keras at cosine >= 0.9999 on every shared-sample image, chosen by
# measurement (pipeline/bench/featurize_bench.py `fastest_parity_safe_engine`; figures in pipeline/README.md:
# onnxruntime 2.01x bare Keras, openvino 1.88x, in the job's own scan shape). tests/test_engines.py proves its
# parity on every image.
DEFAULT_ENGINE = "onnxruntime"
DEFAULT_PRECISION = "f32"
PARITY_SAFE_PRECISIONS = ("f32",)
ONNX_OPSET = 17


def not_parity_safe_warning(engine: str, precision: str) -> str:
    return (f"--engine {engine} --precision {precision}: reduced precision, features are NOT parity-safe against "
            "Keras (cosine may fall below 0.9999); use --precision f32 for runs that must match")


def check_supported(engine: str, precision: str) -> None:
    if engine not in ENGINES:
        raise JobError(f"--engine {engine}: unknown; choose one of {', '.join(ENGINES)}")
    if precision not in SUPPORTED_PRECISIONS[engine]:
        raise JobError(f"--engine {engine} supports --precision {' | '.join(SUPPORTED_PRECISIONS[engine])}, not {precision}")


@dataclass(frozen=True)
class ConvertedModel:
    """What the broadcast carries: picklable, and nothing in it needs TensorFlow to unpickle."""

    engine: str
    precision: str
    image_size: int
    # keras: the weight arrays (model.weights order); openvino: {"xml": bytes, "bin": bytes}; onnxruntime: bytes
    payload: object = field(repr=False)
    # sha256 of engine, precision, image size and the weight values: the workers' cache key, equal for equal
    # inputs in every run (the converters' output bytes are not reproducible: they embed generated node names)
    key: str = ""

    @property
    def parity_safe(self) -> bool:
        return self.precision in PARITY_SAFE_PRECISIONS

    def broadcast_bytes(self) -> int:
        from pyspark.serializers import pickle_protocol

        return len(pickle.dumps(self, protocol=pickle_protocol))


def model_key(engine: str, precision: str, image_size: int, weights_sha256: str) -> str:
    return hashlib.sha256(f"{engine}:{precision}:{image_size}:{weights_sha256}".encode()).hexdigest()


def _keras_model(arrays: list[np.ndarray], image_size: int):
    from .model import build_model

    model = build_model(image_size)
    model.set_weights(arrays)
    return model


def to_openvino(arrays: list[np.ndarray], image_size: int) -> dict:
    """Keras model -> OpenVINO IR as bytes ({"xml", "bin"}), float32 weights kept as they are."""
    import openvino as ov
    import tensorflow as tf

    model = _keras_model(arrays, image_size)
    s = image_size
    # From the traced function directly: measured 5.8 s here against 23 s through a `model.export()` SavedModel,
    # same graph, same features (max |diff| vs Keras 4e-5).
    fn = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec([None, s, s, 3], tf.float32)])
    ov_model = ov.convert_model(fn.get_concrete_function())
    with tempfile.TemporaryDirectory(prefix="fruits-ov-") as tmp:
        xml = os.path.join(tmp, "model.xml")
        ov.save_model(ov_model, xml, compress_to_fp16=False)  # the default would halve the weights to fp16
        with open(xml, "rb") as f:
            xml_bytes = f.read()
        with open(os.path.join(tmp, "model.bin"), "rb") as f:
            bin_bytes = f.read()
    return {"xml": xml_bytes, "bin": bin_bytes}


def to_onnx(arrays: list[np.ndarray], image_size: int, precision: str) -> bytes:
    """Keras model -> ONNX bytes (tf2onnx from a tf.function); int8: dynamic weight quantization."""
    import tensorflow as tf
    import tf2onnx

    model = _keras_model(arrays, image_size)
    s = image_size
    fn = tf.function(lambda x: model(x, training=False))
    spec = [tf.TensorSpec([None, s, s, 3], tf.float32, name="images")]
    proto, _ = tf2onnx.convert.from_function(fn, input_signature=spec, opset=ONNX_OPSET)
    data = proto.SerializeToString()
    if precision == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        with tempfile.TemporaryDirectory(prefix="fruits-onnx-") as tmp:
            src, dst = os.path.join(tmp, "f32.onnx"), os.path.join(tmp, "int8.onnx")
            with open(src, "wb") as f:
                f.write(data)
            quantize_dynamic(src, dst, weight_type=QuantType.QUInt8)
            with open(dst, "rb") as f:
                data = f.read()
    return data


def convert(arrays: list[np.ndarray], image_size: int, engine: str, precision: str) -> tuple[ConvertedModel, float]:
    """On the driver, once: the model the broadcast carries, and the seconds the conversion took."""
    check_supported(engine, precision)
    t = time.perf_counter()
    if engine == "keras":
        payload: object = arrays
    elif engine == "openvino":
        payload = to_openvino(arrays, image_size)
    else:
        payload = to_onnx(arrays, image_size, precision)
    key = model_key(engine, precision, image_size, arrays_sha256(arrays))
    converted = ConvertedModel(engine, precision, image_size, payload, key)
    return converted, time.perf_counter() - t


def engine_versions() -> dict:
    """Versions of the engine runtimes installed on the driver (the manifest's `versions`)."""
    return {name: installed_version(name) for name in ("openvino", "onnxruntime", "tf2onnx")}


def main(argv: list[str] | None = None) -> int:
    """`python -m fruits_pipeline.engines --list`: the engine names as one JSON array on one line, so the
    workbench's own list (config/schema.ts) can be tested against this one. Imports no engine runtime."""
    import argparse
    import json

    p = argparse.ArgumentParser(prog="python -m fruits_pipeline.engines")
    p.add_argument("--list", action="store_true", required=True, help="print the engine names as a JSON array")
    p.parse_args(argv)
    print(json.dumps(list(ENGINES)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
