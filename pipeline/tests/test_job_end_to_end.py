"""The whole job in local Spark on a folder mixing good, odd and bad images: counts, outputs, manifest, rerun."""

from __future__ import annotations

import json

import numpy as np
import pytest

import images_factory as make
from fruits_pipeline.main import SUMMARY_MARKER, main
from outputs_reader import RunOutputs
from release import RELEASE

GOOD = {
    "Red/a.jpg": lambda: make.good_jpeg(1),
    "Red/B.JPG": lambda: make.good_jpeg(2),  # upper-case extension
    "Red/c.jpeg": lambda: make.good_jpeg(3),
    "Red/with space.jpg": lambda: make.good_jpeg(4),
    "Red/plus+sign.jpg": lambda: make.good_jpeg(7),  # '+' is literal in the file index's URIs, not a space
    "Green/d.png": lambda: make.encode(make.fruit_like(5), "PNG"),
    "Green/e.Png": lambda: make.rgba_png(200),
    "Green/gray16.png": lambda: make.gray16_png(40000),
    "Green/cmyk.jpg": make.cmyk_jpeg,
    "Green/rotated.jpg": make.exif_rotated_jpeg,
    "Green/nested/deep.jpg": lambda: make.good_jpeg(6),
}
BAD = {
    "Bad/zero.jpg": (lambda: b"", "empty file (0 bytes)"),
    "Bad/text.jpg": (make.text_named_jpg, "not a recognised image format"),
    "Bad/truncated.jpg": (make.truncated_jpeg, "truncated or corrupt image data"),
    "Bad/bomb.png": (make.huge_png, "decompression-bomb guard"),
}
IGNORED = {"notes.txt": b"not an image", "Red/readme.md": b"# no", "Red/._a.jpg": b"macOS resource fork"}


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed-images")
    for rel, build in GOOD.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(build())
    for rel, (build, _) in BAD.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(build())
    for rel, data in IGNORED.items():
        (root / rel).write_bytes(data)
    return root


def run_job(spark, capsys, args) -> tuple[int, dict | None, str]:
    code = main(args, spark=spark)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    summary = json.loads(lines[lines.index(SUMMARY_MARKER) + 1]) if SUMMARY_MARKER in lines else None
    return code, summary, captured.out + captured.err


@pytest.fixture(scope="module")
def first_run(spark, image_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("job-out") / "run"
    args = ["--input", str(image_folder), "--output", str(out), "--weights", "random:7", "--pca-k", "3",
            "--partitions", "3", "--arrow-batch-size", "4", "--run-id", "first", "--artifact-sha256", "0" * 64]
    return out, args


@pytest.fixture(scope="module")
def first_result(spark, first_run):
    out, args = first_run
    import io
    from contextlib import redirect_stderr, redirect_stdout

    buf_out, buf_err = io.StringIO(), io.StringIO()
    with redirect_stdout(buf_out), redirect_stderr(buf_err):
        code = main(args, spark=spark)
    return code, buf_out.getvalue(), buf_err.getvalue()


def test_job_succeeds_and_counts_add_up(first_run, first_result):
    code, stdout, stderr = first_result
    assert code == 0, stderr
    m = RunOutputs(first_run[0]).manifest()
    assert m["counts"] == {"inputs": len(GOOD) + len(BAD), "features": len(GOOD), "errors": len(BAD),
                           "featurized": len(GOOD) + len(BAD)}


def test_summary_line_is_the_manifest_and_warns_about_random_weights(first_run, first_result):
    _, stdout, _ = first_result
    lines = stdout.splitlines()
    summary = json.loads(lines[lines.index(SUMMARY_MARKER) + 1])
    assert summary == RunOutputs(first_run[0]).manifest()
    assert any("NOT meaningful" in line for line in lines[: lines.index(SUMMARY_MARKER)])
    assert summary["weights"]["meaningful"] is False and "NOT meaningful" in summary["warnings"][0]


def test_features_and_errors_are_keyed_relative_to_the_input(first_run, first_result):
    run = RunOutputs(first_run[0])
    features = run.table("features")
    assert sorted(features.key) == sorted(GOOD)
    assert dict(zip(features.key, features.label))["Green/nested/deep.jpg"] == "nested"
    assert all(len(v) == 1280 for v in features.features)
    errors = run.table("errors")
    assert sorted(errors.key) == sorted(BAD)
    for key, reason in zip(errors.key, errors.reason):
        assert BAD[key][1] in reason, (key, reason)
    assert set(errors.label) == {"Bad"}


def test_pca_outputs_follow_the_contract(first_run, first_result):
    run = RunOutputs(first_run[0])
    m = run.manifest()
    assert m["pca"]["k"] == 3 and m["pca"]["k_mode"] == "fixed" and m["pca"]["variance_threshold"] is None
    pca = run.table("pca")
    assert sorted(pca.key) == sorted(GOOD) and all(len(v) == 3 for v in pca.pca)
    rows = run.csv_rows()
    assert rows[0] == ["key", "label", "pc_1", "pc_2", "pc_3"]
    assert [r[0] for r in rows[1:]] == sorted(GOOD)  # sorted by key
    assert [p.name for p in (first_run[0] / "pca_csv").iterdir() if not p.name.startswith(".")] == ["pca.csv"]
    comps = run.table("pca_components")
    assert list(comps.pc) == [1, 2, 3] and all(len(v) == 1280 for v in comps.vector)
    ev = run.explained_variance()
    assert ev["k"] == 3 and len(ev["ratios"]) == 1280 and ev["kept"] == pytest.approx(sum(ev["ratios"][:3]))
    assert ev["cumulative"][-1] == pytest.approx(1.0, abs=1e-6)


def test_saved_pca_model_reproduces_the_projection(spark, first_run, first_result):
    from pyspark.ml.feature import PCAModel, StandardScalerModel
    from pyspark.ml.functions import array_to_vector, vector_to_array

    out = first_run[0]
    model, scaler = PCAModel.load(str(out / "pca_model")), StandardScalerModel.load(str(out / "pca_scaler"))
    assert model.pc.numCols == 3
    features = spark.read.parquet(str(out / "features")).select("key", array_to_vector("features").alias("raw"))
    again = model.transform(scaler.transform(features)).select("key", vector_to_array(model.getOutputCol()).alias("p"))
    mine = {r.key: r.p for r in again.collect()}
    for key, vec in zip(RunOutputs(out).table("pca").key, RunOutputs(out).table("pca").pca):
        assert mine[key] == pytest.approx(list(vec), abs=1e-9)


def test_manifest_records_settings_versions_and_outputs(first_run, first_result):
    m = RunOutputs(first_run[0]).manifest()
    assert m["schema_version"] == 1 and m["status"] == "succeeded" and m["run_id"] == "first"
    assert m["feature_dim"] == 1280
    assert m["settings"] == {"weights": "random:7", "image_size": 224, "interpolation": "bilinear",
                             "arrow_batch_size": 4, "partitions": 3, "images_per_task": 6300, "pca_k": 3, "pca_variance": None,
                             "pca_standardize": False, "engine": "onnxruntime", "precision": "f32"}
    assert m["engine"]["name"] == "onnxruntime" and m["engine"]["precision"] == "f32" and m["engine"]["parity_safe"] is True
    assert m["engine"]["broadcast_bytes"] > 8_000_000 and len(m["engine"]["model_sha256"]) == 64
    assert m["versions"]["openvino"] and m["versions"]["onnxruntime"]
    assert m["spark"]["partitions"] == 3 and m["spark"]["master"].startswith("local")
    assert m["spark"]["task_sizing"] == "explicit" and m["spark"]["featurize_tasks"] == 3
    assert m["spark"]["images_per_task"] == 6300 and m["spark"]["moments_tree_depth"] >= 1
    # The release under test's Spark and numpy (tests/release.py: versions.json and its runtime lock).
    assert (m["versions"]["spark"], m["versions"]["numpy"]) == (RELEASE.spark, RELEASE.pinned("numpy")), RELEASE
    assert m["artifact"]["sha256"] == "0" * 64 and len(m["artifact"]["code_sha256"]) == 64
    assert m["weights"]["source"] == "random"
    assert "broadcast_bytes" not in m["weights"]  # what is broadcast is the converted model: engine.broadcast_bytes
    assert set(m["timings_s"]) >= {"read", "weights", "convert", "featurize", "moments", "pca", "write", "total"}
    assert m["outputs"]["pca_csv"].endswith("/pca_csv/pca.csv")


def test_rerun_into_the_same_output_replaces_it(spark, first_run, first_result, capsys):
    out, args = first_run
    keep = out / "not-ours.txt"
    keep.write_text("a user's file next to the outputs")
    (out / "pca_csv" / "stale.csv").write_text("stale")
    first_weights = RunOutputs(out).manifest()["weights"]
    rerun = list(args)
    rerun[rerun.index("--pca-k"): rerun.index("--pca-k") + 2] = ["--pca-variance", "0.9"]
    rerun[rerun.index("--run-id") + 1] = "second"
    code, summary, log = run_job(spark, capsys, rerun)
    assert code == 0, log
    m = RunOutputs(out).manifest()
    assert m["run_id"] == "second" and m["pca"]["k_mode"] == "variance" and m["pca"]["variance_kept"] >= 0.9
    assert m["counts"]["featurized"] == m["counts"]["inputs"]
    assert m["weights"]["sha256"] == first_weights["sha256"]  # random:SEED is deterministic
    assert len(RunOutputs(out).csv_rows()[0]) == 2 + m["pca"]["k"]
    assert not (out / "pca_csv" / "stale.csv").exists()
    assert keep.read_text().startswith("a user's file")


def test_missing_input_fails_with_one_clear_line(spark, tmp_path, capsys):
    code, summary, log = run_job(spark, capsys, ["--input", str(tmp_path / "nope"), "--output", str(tmp_path / "o"),
                                                 "--weights", "random:0"])
    assert code == 1 and summary is None
    assert "fruits-job: error: --input file://" in log and "no such folder" in log


def test_folder_without_images_fails_clearly(spark, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("x")
    code, _, log = run_job(spark, capsys, ["--input", str(tmp_path / "in"), "--output", str(tmp_path / "o"),
                                           "--weights", "random:0"])
    assert code == 1 and "no .jpg/.jpeg/.png files found" in log


def test_missing_weights_file_fails_clearly(spark, image_folder, tmp_path, capsys):
    code, _, log = run_job(spark, capsys, ["--input", str(image_folder), "--output", str(tmp_path / "o"),
                                           "--weights", str(tmp_path / "missing.weights.h5")])
    assert code == 1 and "--weights: file not found" in log


@pytest.mark.parametrize("asked", [1, 2, 3, 14, 50])
def test_the_scan_itself_yields_the_asked_tasks_with_equal_image_counts(spark, image_folder, asked):
    """No shuffle before featurization: the file scan is sized to --partitions, by image count, not bytes."""
    from fruits_pipeline.images import ReadParams, read_images, session_confs

    before = spark.conf.get("spark.sql.files.openCostInBytes")
    read = read_images(spark, ReadParams(str(image_folder), asked))
    with session_confs(spark, read.scan_confs):
        sizes = read.images.rdd.glom().map(len).collect()
        plan = read.images._jdf.queryExecution().executedPlan().toString()
    assert "Exchange" not in plan  # the images reach the UDF from the scan task that read them
    per = -(-len(GOOD | BAD) // asked)
    non_empty = len(GOOD) + len(BAD) - 1  # Bad/zero.jpg: Spark's scan drops empty files (SPARK-26161)
    assert sum(sizes) == non_empty and len(sizes) == min(asked, -(-non_empty // per))
    assert max(sizes) <= per
    assert spark.conf.get("spark.sql.files.openCostInBytes") == before  # the caller's session is left as it was


def test_pca_moments_are_those_of_the_feature_rows(spark, first_run, first_result):
    """The scaler saved by the run holds the mean and std of exactly the feature rows (numpy on features/)."""
    code, stdout, _ = first_result
    assert code == 0 and "partitions merged" in stdout
    x = RunOutputs(first_run[0]).matrix("features", "features")
    saved = spark.read.parquet(str(first_run[0] / "pca_scaler" / "data")).head()
    assert len(x) == len(GOOD)
    np.testing.assert_allclose(saved["mean"].toArray(), x.mean(axis=0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(saved["std"].toArray(), x.std(axis=0, ddof=1), rtol=1e-6, atol=1e-9)


def test_without_partitions_the_tasks_are_sized_by_work(spark, image_folder, tmp_path, capsys):
    args = ["--input", str(image_folder), "--output", str(tmp_path / "o"), "--weights", "random:7", "--pca-k", "2",
            "--images-per-task", "4"]
    code, summary, log = run_job(spark, capsys, args)
    assert code == 0, log
    inputs = len(GOOD) + len(BAD)
    assert summary["spark"]["task_sizing"] == "by-work" and summary["settings"]["images_per_task"] == 4
    assert summary["spark"]["partitions"] == max(spark.sparkContext.defaultParallelism, -(-inputs // 4))
    assert summary["counts"]["inputs"] == inputs == summary["counts"]["features"] + summary["counts"]["errors"]


def test_tree_merged_moments_of_many_partitions_equal_numpy(spark):
    from fruits_pipeline.pca import moments

    rng = np.random.default_rng(5)
    x = (rng.normal(size=(600, 6)) * np.arange(1, 7) + 100.0).astype(np.float32)
    frame = spark.createDataFrame([(row.tolist(),) for row in x], "features array<float>").repartition(37)
    m = moments(frame, "features")
    x64 = x.astype(np.float64)
    assert m.n == 600
    np.testing.assert_allclose(m.mean, x64.mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(m.covariance(), np.cov(x64, rowvar=False), rtol=1e-9, atol=1e-9)


def test_single_csv_is_assembled_from_ordered_parts_with_one_header(spark, tmp_path):
    from fruits_pipeline.images import session_confs
    from fruits_pipeline.outputs import OutputLayout, write_single_csv
    from fruits_pipeline.storage import Storage

    keys = [f"L{i % 5}/img-{i:04d}.jpg" for i in range(500)]
    frame = spark.createDataFrame([(k, k.split("/")[0], float(i)) for i, k in enumerate(keys)],
                                  "key string, label string, pc_1 double").repartition(9)
    layout = OutputLayout(tmp_path.as_uri() + "/")
    # No adaptive coalescing: the range partitioning keeps its 6 partitions, so 6 parts are assembled.
    with session_confs(spark, {"spark.sql.adaptive.enabled": "false", "spark.sql.shuffle.partitions": "6"}):
        write_single_csv(Storage(spark), frame, layout)
    lines = (tmp_path / "pca_csv" / "pca.csv").read_text().splitlines()
    assert lines[0] == "key,label,pc_1"
    assert [l.split(",")[0] for l in lines[1:]] == sorted(keys)
    assert {l.split(",")[0]: float(l.split(",")[2]) for l in lines[1:]} == {k: float(i) for i, k in enumerate(keys)}
    assert [p.name for p in (tmp_path / "pca_csv").iterdir() if not p.name.startswith(".")] == ["pca.csv"]


def test_listing_uris_are_spelled_like_the_scan_paths(spark):
    from pyspark.sql import functions as F

    from fruits_pipeline.images import hadoop_path_spelling

    uris = ["file:///tmp/in/Red/with%20space.jpg", "file:/tmp/in/a+b.jpg", "s3a://bucket/in/K%C3%A4se/1%25.jpg"]
    frame = spark.createDataFrame([(u,) for u in uris], "uri string")
    got = [r.p for r in frame.select(hadoop_path_spelling(F.col("uri")).alias("p")).collect()]
    assert got == ["file:/tmp/in/Red/with space.jpg", "file:/tmp/in/a+b.jpg", "s3a://bucket/in/Käse/1%.jpg"]


def test_model_cache_converts_once_then_serves_the_same_model(spark, image_folder, tmp_path, capsys):
    cache = tmp_path / "converted"
    runs = []
    for name in ("miss", "hit"):
        args = ["--input", str(image_folder), "--output", str(tmp_path / name), "--weights", "random:7",
                "--pca-k", "3", "--model-cache", str(cache), "--run-id", name]
        code, summary, log = run_job(spark, capsys, args)
        assert code == 0, log
        runs.append((summary, log))
    (first, first_log), (second, second_log) = runs
    assert first["engine"]["model_cache"] == "miss" and "converted-model cache miss" in first_log
    assert second["engine"]["model_cache"] == "hit" and "converted-model cache hit" in second_log
    assert len(list(cache.glob("*.pickle"))) == 1
    assert second["engine"]["model_sha256"] == first["engine"]["model_sha256"]
    assert second["weights"] == first["weights"]
    a, b = RunOutputs(tmp_path / "miss"), RunOutputs(tmp_path / "hit")
    np.testing.assert_array_equal(a.matrix("features", "features"), b.matrix("features", "features"))


def test_an_unreadable_model_cache_entry_is_reported_and_replaced(spark, image_folder, tmp_path, capsys):
    cache = tmp_path / "converted"
    args = ["--input", str(image_folder), "--output", str(tmp_path / "o"), "--weights", "random:7", "--pca-k", "3",
            "--model-cache", str(cache)]
    assert run_job(spark, capsys, args)[0] == 0
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"torn write")
    code, summary, log = run_job(spark, capsys, args)
    assert code == 0 and summary["engine"]["model_cache"] == "miss"
    assert "converted-model cache: ignoring unreadable" in log
    assert entry.read_bytes() != b"torn write"
