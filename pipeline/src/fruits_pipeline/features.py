"""The featurization UDF: image bytes -> (1280 float features, error), on executors.

Design, and why:
- A pandas *iterator* UDF (type hints, Spark >= 3.0): the model is set up once per Python worker and then fed every
  Arrow batch of every task that worker runs. Python workers are reused between tasks (spark.python.worker.reuse,
  on by default), so a module-level cache keyed by the weights' hash builds the model once per worker, from the
  broadcast arrays, never from storage.
- TensorFlow uses `spark.task.cpus` intra-op threads and 1 inter-op thread: Spark already runs one task per core,
  so letting TF spread each task over every core would oversubscribe the machine.
- Bad images never fail the task: they come back with null features and a short reason (preprocess.py).
- An accumulator counts featurized images so the driver can prove the UDF ran once per image (main.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .model import build_model, preprocess_input
from .preprocess import decode_batch

FEATURES_STRUCT = T.StructType(
    [
        T.StructField("features", T.ArrayType(T.FloatType(), containsNull=False), True),
        T.StructField("error", T.StringType(), True),
    ]
)


@dataclass(frozen=True)
class FeaturizeParams:
    image_size: int
    interpolation: str
    weights_key: str  # the weights' arrays sha256: identifies the cached model in a worker


# Per Python worker process: (weights_key, image_size) -> a compiled forward function. Survives between tasks.
_MODEL_CACHE: dict[tuple[str, int], object] = {}
_THREADS_SET = False


def _configure_threads(cpus: int) -> None:
    """Pin TF's thread pools before its runtime starts (it can be set only once per process)."""
    global _THREADS_SET
    if _THREADS_SET:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(cpus)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TF already initialised in this process (e.g. local tests calling the UDF body): keep it
        pass
    _THREADS_SET = True


def task_cpus() -> int:
    from pyspark import TaskContext

    ctx = TaskContext.get()
    return max(1, int(ctx.cpus())) if ctx is not None else max(1, os.cpu_count() or 1)


def cached_forward(params: FeaturizeParams, broadcast_weights, cpus: int):
    """The worker's model: built once from the broadcast arrays, then a traced function reused for every batch.

    `broadcast_weights.value` is read only on a cache miss: unpickling 9 MB per task would be wasted work.
    """
    key = (params.weights_key, params.image_size)
    fn = _MODEL_CACHE.get(key)
    if fn is None:
        _configure_threads(cpus)
        import tensorflow as tf

        model = build_model(params.image_size)
        model.set_weights(broadcast_weights.value)
        s = params.image_size
        fn = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec([None, s, s, 3], tf.float32)],
            reduce_retracing=True,
        )
        _MODEL_CACHE[key] = fn
    return fn


def featurize_contents(forward, contents: pd.Series, params: FeaturizeParams) -> pd.DataFrame:
    """One Arrow batch: decode what decodes, run the model once on the good images, keep errors per row."""
    batch, good, errors = decode_batch(list(contents), params.image_size, params.interpolation)
    features: list[np.ndarray | None] = [None] * len(contents)
    if len(good):
        out = np.asarray(forward(preprocess_input(batch)), dtype=np.float32)
        for row, vec in zip(good, out):
            features[row] = vec
    return pd.DataFrame({"features": features, "error": errors})


def featurize_column(content: Column, params: FeaturizeParams, broadcast_weights, counter) -> Column:
    """The UDF applied to a binary `content` column: a struct<features array<float>, error string>."""

    @F.pandas_udf(FEATURES_STRUCT)
    def featurize(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        forward = cached_forward(params, broadcast_weights, task_cpus())
        for contents in batches:
            out = featurize_contents(forward, contents, params)
            counter.add(len(contents))
            yield out

    return featurize(content)
