"""The featurization UDF: image bytes -> (1280 float features, error), on executors.

Design, and why:
- A pandas *iterator* UDF (type hints, Spark >= 3.0): the model is set up once per Python worker and then fed every
  Arrow batch of every task that worker runs. Python workers are reused between tasks (spark.python.worker.reuse,
  on by default), so a module-level cache keyed by the converted model's hash sets the model up once per worker,
  from the broadcast (engines.ConvertedModel: Keras weights, OpenVINO IR or ONNX bytes), never from storage.
- The engine runs on `spark.task.cpus` threads (runners.py): Spark already runs one task per core, so letting it
  spread each task over every core would oversubscribe the machine. Only `--engine keras` imports TensorFlow here.
- Bad images never fail the task: they come back with null features and a short reason (preprocess.py).
- An accumulator counts featurized images so the driver can prove the UDF ran once per image (row_counts.py).
  Read after the one pass over the persisted frame: a second action does not re-run the UDF (Spark 3.5.6 and
  4.1.1 alike, bench/spark_rechecks.py: counter 391 = rows after persist + two actions); a retried task would add
  again, which the check then reports as a mismatch rather than hiding it.
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

from .model import preprocess_input
from .preprocess import decode_batch
from .runners import Forward, make_forward

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
    model_key: str  # the converted model's sha256 (engines.ConvertedModel.key): identifies it in a worker's cache


# Per Python worker process: (model_key, image_size) -> a forward function. Survives between tasks.
_MODEL_CACHE: dict[tuple[str, int], Forward] = {}


def task_cpus() -> int:
    from pyspark import TaskContext

    ctx = TaskContext.get()
    return max(1, int(ctx.cpus())) if ctx is not None else max(1, os.cpu_count() or 1)


def cached_forward(params: FeaturizeParams, broadcast_model, cpus: int) -> Forward:
    """The worker's model: set up once from the broadcast, then reused for every batch of every task.

    `broadcast_model.value` is read only on a cache miss: unpickling megabytes per task would be wasted work.
    """
    key = (params.model_key, params.image_size)
    fn = _MODEL_CACHE.get(key)
    if fn is None:
        fn = make_forward(broadcast_model.value, cpus)
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


def featurize_column(content: Column, params: FeaturizeParams, broadcast_model, counter) -> Column:
    """The UDF applied to a binary `content` column: a struct<features array<float>, error string>."""

    @F.pandas_udf(FEATURES_STRUCT)
    def featurize(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        forward = cached_forward(params, broadcast_model, task_cpus())
        for contents in batches:
            out = featurize_contents(forward, contents, params)
            counter.add(len(contents))
            yield out

    return featurize(content)
