"""The model the executors run: weights loaded and converted once on the driver, or served by --model-cache.

Converting needs TensorFlow and Keras (and tf2onnx for onnxruntime); running the converted model needs only the
engine's runtime. A Python without the converters (the Docker image of a release, docs/docker.md) therefore runs
only from a cache entry converted elsewhere (`python -m fruits_pipeline.prepare_model`, which the workbench runs on
the host before a Docker run); on a miss there it stops with ModelNotConvertedError naming that command, never
silently.
"""

from __future__ import annotations

import dataclasses
import shlex
import tempfile
from dataclasses import dataclass
from typing import Protocol

from .engines import ConvertedModel, convert
from .errors import ModelNotConvertedError
from .manifest import code_sha256
from .model import LoadedWeights, load_weights, local_weights_file
from .model_cache import (CachedModel, ModelCache, can_convert, cache_key, converter_versions, runtime_versions,
                          weights_identity)
from .stage_timer import StageTimer


class ModelParams(Protocol):
    """What the model depends on: the job's JobParams has these, and so does prepare_model.py's."""

    weights: str
    image_size: int
    engine: str
    precision: str
    model_cache: str | None


@dataclass(frozen=True)
class PreparedModel:
    weights: LoadedWeights
    model: ConvertedModel
    cache_state: str  # off | miss | hit (the manifest's engine.model_cache)
    key: str | None = None  # the cache entry's key (None without --model-cache or without a weights identity)


def open_model_cache(params: ModelParams, local_weights: str | None, say, installed: dict[str, str | None]):
    """(cache, key, entry) for --model-cache: (None, None, None) without it; key None when the weights have no
    cheap identity (imagenet not in Keras' cache); entry None on a miss (or a stale entry)."""
    if not params.model_cache:
        return None, None, None
    cache = ModelCache(params.model_cache, say)
    identity = weights_identity(params.weights, params.image_size, local_weights)
    if identity is None:
        return cache, None, None
    key = cache_key(identity, params.image_size, params.engine, params.precision, code_sha256(),
                    runtime_versions(params.engine))
    return cache, key, cache.load(key, installed)


def host_conversion_command(params: ModelParams) -> str:
    """The command that fills the cache where the converters are installed (the release's full venv), for messages.
    It must import the same job code as the run (the artifact's fruits_pipeline.zip on PYTHONPATH). Pure."""
    return shlex.join(["python", "-m", "fruits_pipeline.prepare_model", "--weights", params.weights,
                       "--image-size", str(params.image_size), "--engine", params.engine,
                       "--precision", params.precision, "--model-cache", params.model_cache or "DIR"])


def not_converted_error(params: ModelParams, key: str | None) -> ModelNotConvertedError:
    """Why a Python without TensorFlow cannot go on, and the fix. Pure."""
    why = "this Python has no TensorFlow/Keras to convert it (the Docker image leaves the converters out, docs/docker.md)"
    if params.engine == "keras":
        return ModelNotConvertedError(
            f"--engine keras runs TensorFlow on the driver and every executor, and {why}: use --engine onnxruntime "
            "or openvino, or a Python with the release's full lock (the native backend)")
    if not params.model_cache:
        return ModelNotConvertedError(
            f"the model must be converted and {why}: convert it where the release's full lock is installed, with the "
            f"same job code on PYTHONPATH: `{host_conversion_command(params)}`, then pass --model-cache DIR")
    if key is None:
        return ModelNotConvertedError(
            f"--weights {params.weights}: no cache key (Keras' imagenet file is not in Keras' cache here), and {why}: "
            "give a weights file or random:SEED")
    return ModelNotConvertedError(
        f"--model-cache {params.model_cache}: no converted model for --weights {params.weights}, engine "
        f"{params.engine} {params.precision} and this job code, and {why}: convert it into that folder where the "
        f"release's full lock is installed, with the same job code on PYTHONPATH: `{host_conversion_command(params)}` "
        "(the workbench does this on the host before every Docker run), then rerun")


def prepare_model(spark, params: ModelParams, timer: StageTimer, say) -> PreparedModel:
    """Stages `weights` and `convert`: a cache hit skips loading and converting (and TensorFlow).

    `spark` fetches a remote weights file; None where the weights are local or random (prepare_model.py)."""
    installed = converter_versions()
    with timer.stage("weights"), tempfile.TemporaryDirectory(prefix="fruits-weights-") as tmp:
        local_weights = local_weights_file(spark, params.weights, tmp)  # a remote file is copied once, here
        cache, key, hit = open_model_cache(params, local_weights, say, installed)
        if hit is None and not can_convert(installed):
            raise not_converted_error(params, key)
        # The entry may come from another path to the same bytes: this run's spec is what the manifest names.
        weights = (dataclasses.replace(hit.weights, spec=params.weights) if hit
                   else load_weights(spark, params.weights, params.image_size, local_weights))
    with timer.stage("convert"):  # once, on the driver: executors get the converted model only
        if hit:
            model = hit.model
        else:
            model, _ = convert(weights.arrays, params.image_size, params.engine, params.precision)
            if key:
                cache.store(key, CachedModel(weights, model, installed))
    if cache:
        say(f"converted-model cache {'hit' if hit else 'miss'} ({params.model_cache})")
    return PreparedModel(weights, model, "off" if cache is None else ("hit" if hit else "miss"), key)
