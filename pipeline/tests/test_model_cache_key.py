"""The converted-model cache's key and entries (model_cache.py, converted_model.py): what runs the model is in the
key, what converts it is recorded in the entry. Pure: no Spark, no TensorFlow (fake entries, random:SEED weights)."""

from __future__ import annotations

import numpy as np
import pytest

from fruits_pipeline import converted_model, model_cache
from fruits_pipeline.converted_model import PreparedModel, not_converted_error, prepare_model
from fruits_pipeline.engines import ConvertedModel
from fruits_pipeline.errors import JobError, ModelNotConvertedError
from fruits_pipeline.model import LoadedWeights
from fruits_pipeline.model_cache import (CachedModel, ModelCache, cache_key, can_convert, runtime_versions,
                                         stale_converters)
from fruits_pipeline.prepare_model import PrepareParams, parse_args
from fruits_pipeline.stage_timer import StageTimer

HOST = {"tensorflow": "2.21.0", "keras": "3.15.1", "tf2onnx": "1.17.0", "onnx": "1.23.2"}
SLIM = {name: None for name in HOST}  # the Docker image: no converter installed


def key(**over):
    args = {"identity": "random:7", "image_size": 224, "engine": "onnxruntime", "precision": "f32",
            "code_sha256": "c" * 64, "runtimes": {"numpy": "2.4.6", "onnxruntime": "1.32.0"}, **over}
    return cache_key(**args)


def test_the_key_covers_what_runs_the_model():
    base = key()
    assert key() == base  # stable
    for over in ({"identity": "random:8"}, {"image_size": 160}, {"engine": "openvino"}, {"precision": "int8"},
                 {"code_sha256": "d" * 64}, {"runtimes": {"numpy": "2.4.6", "onnxruntime": "1.31.0"}},
                 {"runtimes": {"numpy": "1.26.4", "onnxruntime": "1.32.0"}}):
        assert key(**over) != base, over


def test_the_key_names_only_the_engines_runtime_so_the_host_and_the_slim_image_agree():
    # Installed here: the host venv of the release has every converter, and its key is the image's.
    for engine, runtime in (("onnxruntime", "onnxruntime"), ("openvino", "openvino")):
        names = set(runtime_versions(engine))
        assert names == {"numpy", runtime}
        assert not names & {"tensorflow", "keras", "tf2onnx", "onnx"}
    # The keras engine RUNS TensorFlow: its versions are the runtime's, so an image without it never matches.
    assert set(runtime_versions("keras")) == {"numpy", "tensorflow", "keras"}


def test_tensorflow_is_found_under_its_cpu_distribution_name(monkeypatch):
    seen = []
    monkeypatch.setattr(model_cache, "installed_version", lambda *names: seen.append(names) or "2.21.0")
    assert model_cache.converter_versions()["tensorflow"] == "2.21.0"
    assert ("tensorflow", "tensorflow-cpu") in seen


def test_an_entry_is_stale_only_against_a_converter_installed_at_another_version():
    assert stale_converters(HOST, HOST) == []
    assert stale_converters(HOST, SLIM) == []  # the image cannot disagree: served
    assert stale_converters(HOST, {**HOST, "tf2onnx": "1.18.0"}) == ["tf2onnx 1.17.0 -> 1.18.0"]
    assert stale_converters({}, HOST) != []  # an entry that recorded nothing is stale where converters are installed
    assert can_convert(HOST) and not can_convert(SLIM) and not can_convert({**HOST, "tensorflow": None})


def fake_entry(converters):
    arrays = [np.zeros((2, 2), np.float32)]
    weights = LoadedWeights("random:7", "random", arrays, None, "a" * 64, False)
    return CachedModel(weights, ConvertedModel("onnxruntime", "f32", 224, b"onnx bytes", "k"), converters)


def test_the_cache_serves_an_entry_to_the_slim_image_and_refuses_a_stale_one(tmp_path):
    said = []
    cache = ModelCache(str(tmp_path), said.append)
    cache.store("k1", fake_entry(HOST))
    assert cache.load("k1", SLIM).model.payload == b"onnx bytes"
    assert cache.load("k1", HOST).converters == HOST
    assert cache.load("k1", {**HOST, "keras": "3.16.0"}) is None
    assert said and "keras 3.15.1 -> 3.16.0" in said[-1]
    assert cache.load("missing", HOST) is None


def params(tmp_path, **over):
    return PrepareParams(**{"weights": "random:7", "image_size": 224, "engine": "onnxruntime", "precision": "f32",
                            "model_cache": str(tmp_path), **over})


def test_a_miss_without_converters_is_a_typed_error_naming_the_host_command(tmp_path, monkeypatch):
    monkeypatch.setattr(converted_model, "converter_versions", lambda: dict(SLIM))
    with pytest.raises(ModelNotConvertedError) as e:
        prepare_model(None, params(tmp_path), StageTimer(), lambda _: None)
    assert isinstance(e.value, JobError)  # the job's one error handler reports it
    msg = str(e.value)
    assert f"--model-cache {tmp_path}" in msg and "python -m fruits_pipeline.prepare_model --weights random:7" in msg
    assert "no TensorFlow" in msg
    # Without a cache, and for the keras engine, the fix differs.
    assert "pass --model-cache DIR" in str(not_converted_error(params(tmp_path, model_cache=None), None))
    assert "--engine onnxruntime or openvino" in str(not_converted_error(params(tmp_path, engine="keras"), "k"))


def test_a_hit_without_converters_is_served_without_tensorflow(tmp_path, monkeypatch):
    p = params(tmp_path)
    # The entry the host stored under the job's key (the key does not depend on the converters).
    _, k, _ = converted_model.open_model_cache(p, None, lambda _: None, HOST)
    ModelCache(str(tmp_path), lambda _: None).store(k, fake_entry(HOST))
    monkeypatch.setattr(converted_model, "converter_versions", lambda: dict(SLIM))
    monkeypatch.setattr(converted_model, "load_weights", lambda *a: pytest.fail("loaded the weights on a hit"))
    monkeypatch.setattr(converted_model, "convert", lambda *a: pytest.fail("converted on a hit"))
    got = prepare_model(None, p, StageTimer(), lambda _: None)
    assert isinstance(got, PreparedModel) and got.cache_state == "hit" and got.key == k
    assert got.model.payload == b"onnx bytes"


def test_prepare_model_takes_the_jobs_options_and_refuses_a_uri():
    p = parse_args(["--weights", "random:3", "--model-cache", "/c", "--engine", "openvino", "--precision", "bf16"])
    assert p == PrepareParams("random:3", 224, "openvino", "bf16", "/c")
    assert parse_args(["--weights", "/w/m.weights.h5", "--model-cache", "/c"]).engine == "onnxruntime"
    for bad in (["--weights", "s3a://b/w.h5", "--model-cache", "/c"], ["--weights", "random:3"],
                ["--weights", "random:3", "--model-cache", "/c", "--engine", "keras", "--precision", "int8"]):
        with pytest.raises(SystemExit) as e:
            parse_args(bad)
        assert e.value.code == 2
