"""The model the executors run: weights loaded and converted once on the driver, or served by --model-cache."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

from pyspark.sql import SparkSession

from .cli import JobParams
from .engines import ConvertedModel, convert
from .manifest import code_sha256
from .model import LoadedWeights, load_weights, local_weights_file
from .model_cache import CachedModel, ModelCache, cache_key, library_versions, weights_identity
from .stage_timer import StageTimer


@dataclass(frozen=True)
class PreparedModel:
    weights: LoadedWeights
    model: ConvertedModel
    cache_state: str  # off | miss | hit (the manifest's engine.model_cache)


def open_model_cache(params: JobParams, local_weights: str | None, say):
    """(cache, key, entry) for --model-cache: (None, None, None) without it; key None when the weights have no
    cheap identity (imagenet not in Keras' cache); entry None on a miss."""
    if not params.model_cache:
        return None, None, None
    cache = ModelCache(params.model_cache, say)
    identity = weights_identity(params.weights, params.image_size, local_weights)
    if identity is None:
        return cache, None, None
    key = cache_key(identity, params.image_size, params.engine, params.precision, code_sha256(), library_versions())
    return cache, key, cache.load(key)


def prepare_model(spark: SparkSession, params: JobParams, timer: StageTimer, say) -> PreparedModel:
    """Stages `weights` and `convert`: a cache hit skips loading and converting (and TensorFlow)."""
    with timer.stage("weights"), tempfile.TemporaryDirectory(prefix="fruits-weights-") as tmp:
        local_weights = local_weights_file(spark, params.weights, tmp)  # a remote file is copied once, here
        cache, key, hit = open_model_cache(params, local_weights, say)
        weights = hit.weights if hit else load_weights(spark, params.weights, params.image_size, local_weights)
    with timer.stage("convert"):  # once, on the driver: executors get the converted model only
        if hit:
            model = hit.model
        else:
            model, _ = convert(weights.arrays, params.image_size, params.engine, params.precision)
            if key:
                cache.store(key, CachedModel(weights, model))
    if cache:
        say(f"converted-model cache {'hit' if hit else 'miss'} ({params.model_cache})")
    return PreparedModel(weights, model, "off" if cache is None else ("hit" if hit else "miss"))
