"""Inference engines (engines.py, runners.py) on the shared sample, against Keras.

Each engine's converted model runs in a FRESH process that does what one executor's Python worker does
(bench/worker_probe.py: unpickle the broadcast, features.cached_forward, featurize_contents on Arrow-sized
batches). From those runs:
- the default engine's features match Keras at cosine >= 0.9999 on EVERY image of the shared sample (and so
  does every f32 engine: f32 is the parity-safe precision);
- openvino and onnxruntime workers never import TensorFlow (nor Keras); the keras worker does (the check can fail);
- one featurizing worker's peak RSS per engine is written to bench-results/worker-memory.json (for the EMR
  sizing table) and printed; asserted only for sanity.
The opt-in precisions (bf16, int8) are flagged not parity-safe in the model, the manifest and the warnings.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from conftest import PIPELINE, REPO, SRC
from fruits_pipeline.engines import (DEFAULT_ENGINE, DEFAULT_PRECISION, ENGINES, SUPPORTED_PRECISIONS,
                                     ConvertedModel, convert)
from fruits_pipeline.manifest import engine_block

COSINE_MIN = 0.9999
PROBE = PIPELINE / "bench" / "worker_probe.py"
WORKER_MEMORY_JSON = REPO / "bench-results" / "worker-memory.json"
RSS_CEILING = 8 << 30  # sanity only: one worker on 390 images stays far below 8 GiB


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="module")
def weights(imagenet_weights_file):
    from fruits_pipeline.model import load_weights

    return load_weights(None, str(imagenet_weights_file), 224)  # a local file: no Spark needed


@pytest.fixture(scope="module")
def keras_reference(weights, sample_dir):
    """Keras `model(x, training=False)` on the job's own decode of every sample image (sorted by path)."""
    from fruits_pipeline.model import build_model, preprocess_input
    from fruits_pipeline.preprocess import decode_batch

    sys.path.insert(0, str(PIPELINE / "bench"))
    from worker_probe import image_paths

    model = build_model(224)
    model.set_weights(weights.arrays)
    out = []
    paths = image_paths(sample_dir)
    for i in range(0, len(paths), 64):
        batch, good, errors = decode_batch([p.read_bytes() for p in paths[i:i + 64]], 224, "bilinear")
        assert len(good) == len(errors) and all(e is None for e in errors)
        out.append(np.asarray(model(preprocess_input(batch), training=False)))
    return np.concatenate(out)


@pytest.fixture(scope="module")
def worker_runs(weights, sample_dir, tmp_path_factory):
    """engine -> (stats, features) of one worker process per engine, f32, on the whole sample."""
    tmp = tmp_path_factory.mktemp("engines")
    env = {**os.environ, "PYTHONPATH": str(SRC), "TF_CPP_MIN_LOG_LEVEL": "2"}
    runs = {}
    for engine in ENGINES:
        model, seconds = convert(weights.arrays, 224, engine, "f32")
        pkl = tmp / f"{engine}.pkl"
        pkl.write_bytes(pickle.dumps(model))
        r = subprocess.run([sys.executable, str(PROBE), str(pkl), str(sample_dir), str(tmp / engine), "--cpus", "1"],
                           capture_output=True, text=True, env=env, timeout=900)
        assert r.returncode == 0, r.stderr[-3000:]
        stats = json.loads(r.stdout.strip().splitlines()[-1])
        stats["convert_s"] = round(seconds, 3)
        stats["broadcast_bytes"] = model.broadcast_bytes()
        runs[engine] = (stats, np.load(tmp / f"{engine}.npy"))
    return runs


def test_default_engine_matches_keras_on_every_sample_image(worker_runs, keras_reference, report_figure):
    assert DEFAULT_PRECISION == "f32"
    stats, features = worker_runs[DEFAULT_ENGINE]
    assert features.shape == keras_reference.shape == (390, 1280)
    c = cosines(features, keras_reference)
    report_figure(f"\ndefault engine {DEFAULT_ENGINE} f32 vs Keras on {len(c)} images: min cosine {c.min():.7f}, "
                  f"max |diff| {np.abs(features - keras_reference).max():.1e}")
    assert c.min() >= COSINE_MIN


def test_every_f32_engine_is_parity_safe(worker_runs, keras_reference, report_figure):
    for engine, (stats, features) in worker_runs.items():
        c = cosines(features, keras_reference)
        report_figure(f"{engine:12s} f32: min cosine {c.min():.7f} over {len(c)} images, one worker "
                      f"{stats['images_per_s']} images/s")
        assert c.min() >= COSINE_MIN, engine


def test_openvino_and_onnxruntime_workers_import_no_tensorflow(worker_runs):
    imported = {e: (s["tensorflow_imported"], s["keras_imported"]) for e, (s, _) in worker_runs.items()}
    assert imported == {"keras": (True, True), "openvino": (False, False), "onnxruntime": (False, False)}


def test_worker_peak_memory_is_measured_and_written(worker_runs, report_figure):
    engines = {}
    for engine, (s, _) in worker_runs.items():
        assert 0 < s["baseline_rss_bytes"] < s["peak_rss_bytes"] < RSS_CEILING, (engine, s)
        engines[engine] = {k: s[k] for k in ("precision", "peak_rss_bytes", "baseline_rss_bytes", "model_setup_s",
                                             "cold_start_s", "images_per_s", "tensorflow_imported", "convert_s",
                                             "broadcast_bytes")}
        engines[engine]["peak_rss_mib"] = round(s["peak_rss_bytes"] / 2**20, 1)
        report_figure(f"one featurizing worker, {engine:12s}: peak RSS {engines[engine]['peak_rss_mib']} MiB, "
                      f"cold start {s['cold_start_s']} s (model set-up {s['model_setup_s']} s)")
    some = next(iter(worker_runs.values()))[0]
    report = {
        "what": "peak RSS (VmHWM) of one Python process doing what one featurizing executor worker does: unpickle "
                "the broadcast model, set it up, featurize every image of the shared sample in Arrow batches",
        "images": some["images"], "batch_size": some["batch_size"], "cpus": some["cpus"],
        "default_engine": DEFAULT_ENGINE, "engines": engines,
        "max_peak_rss_bytes": max(e["peak_rss_bytes"] for e in engines.values()),
    }
    WORKER_MEMORY_JSON.parent.mkdir(parents=True, exist_ok=True)
    WORKER_MEMORY_JSON.write_text(json.dumps(report, indent=2) + "\n")
    report_figure(f"wrote {WORKER_MEMORY_JSON}")


def test_opt_in_precisions_are_flagged_not_parity_safe(weights):
    opt_in = [(e, p) for e, ps in SUPPORTED_PRECISIONS.items() for p in ps if p != "f32"]
    assert opt_in == [("openvino", "bf16"), ("onnxruntime", "int8")]
    for engine, precision in opt_in:
        model = ConvertedModel(engine, precision, 224, b"", "k")
        assert not model.parity_safe
        block = engine_block(model)
        assert block["parity_safe"] is False and "NOT parity-safe" in block["warning"]
    for engine in ENGINES:
        assert ConvertedModel(engine, "f32", 224, b"", "k").parity_safe
    # The opt-in precision reaches the worker: the same IR, compiled with the bf16 hint instead of f32.
    from fruits_pipeline.runners import openvino_config

    bf16, _ = convert(weights.arrays, 224, "openvino", "bf16")
    assert not bf16.parity_safe and bf16.key != convert(weights.arrays, 224, "keras", "f32")[0].key
    assert openvino_config(bf16.precision, 1)["INFERENCE_PRECISION_HINT"] == "bf16"
    assert openvino_config("f32", 1)["INFERENCE_PRECISION_HINT"] == "f32"


def test_a_precision_the_engine_cannot_run_is_refused(capsys):
    from fruits_pipeline.cli import parse_args

    for engine, precision in (("keras", "bf16"), ("keras", "int8"), ("openvino", "int8"), ("onnxruntime", "bf16")):
        with pytest.raises(SystemExit) as e:
            parse_args(["--input", "/tmp/in", "--output", "/tmp/out", "--weights", "random:0",
                        "--engine", engine, "--precision", precision])
        assert e.value.code == 2
        assert f"--engine {engine} supports --precision" in capsys.readouterr().err
