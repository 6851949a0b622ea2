"""Worker side of the engines: a broadcast ConvertedModel -> a function batch (n, s, s, 3 float32) -> (n, 1280).

This module imports no TensorFlow at import time, and the openvino / onnxruntime runners never import it at
all (tests/test_engines.py checks sys.modules in a fresh process): that is where the worker memory and cold
start savings come from. Only the keras runner imports TensorFlow, through model.build_model.

Threads: Spark already runs one task per core, so each runner uses `cpus` (= spark.task.cpus) threads and no
inter-op parallelism; OpenVINO's CPU pinning is off because several Python workers share the machine's cores.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Forward = Callable[[np.ndarray], np.ndarray]

_TF_THREADS_SET = False


def _configure_tf_threads(cpus: int) -> None:
    """Pin TF's thread pools before its runtime starts (it can be set only once per process)."""
    global _TF_THREADS_SET
    if _TF_THREADS_SET:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(cpus)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TF already initialised in this process (e.g. local tests calling the UDF body): keep it
        pass
    _TF_THREADS_SET = True


def keras_forward(converted, cpus: int) -> Forward:
    _configure_tf_threads(cpus)
    import tensorflow as tf

    from .model import build_model

    model = build_model(converted.image_size)
    model.set_weights(converted.payload)
    s = converted.image_size
    fn = tf.function(
        lambda x: model(x, training=False),
        input_signature=[tf.TensorSpec([None, s, s, 3], tf.float32)],
        reduce_retracing=True,
    )
    return lambda batch: np.asarray(fn(batch), dtype=np.float32)


def openvino_config(precision: str, cpus: int) -> dict:
    """Compile settings: explicit precision (the CPU default may be bf16), LATENCY, one stream of `cpus` threads."""
    return {
        "INFERENCE_PRECISION_HINT": precision,
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_NUM_THREADS": str(cpus),
        "ENABLE_CPU_PINNING": "NO",
    }


def openvino_forward(converted, cpus: int) -> Forward:
    import openvino as ov

    core = ov.Core()
    weights = ov.Tensor(np.frombuffer(converted.payload["bin"], dtype=np.uint8))
    model = core.read_model(model=converted.payload["xml"].decode("utf-8"), weights=weights)
    compiled = core.compile_model(model, "CPU", openvino_config(converted.precision, cpus))
    request = compiled.create_infer_request()
    output = compiled.output(0)

    def forward(batch: np.ndarray) -> np.ndarray:
        result = request.infer({0: np.ascontiguousarray(batch, dtype=np.float32)})
        return np.array(result[output], dtype=np.float32)  # a copy: the request reuses its output buffer

    return forward


def onnxruntime_forward(converted, cpus: int) -> Forward:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = cpus
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(converted.payload, sess_options=options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def forward(batch: np.ndarray) -> np.ndarray:
        return np.asarray(session.run(None, {name: np.ascontiguousarray(batch, dtype=np.float32)})[0], dtype=np.float32)

    return forward


RUNNERS = {"keras": keras_forward, "openvino": openvino_forward, "onnxruntime": onnxruntime_forward}


def make_forward(converted, cpus: int) -> Forward:
    return RUNNERS[converted.engine](converted, cpus)
