"""The job: parse arguments, then read -> featurize -> moments -> PCA -> write, and print the summary.

`main(argv, spark=None)` is what entrypoint.py runs under spark-submit. Tests pass their own SparkSession, which
is then left running; a session the job created itself is always stopped. Each step lives in a module of its
own; this file only orders them and owns the run's lifetime (what is persisted is unpersisted).
"""

from __future__ import annotations

import json
import sys
import traceback
from datetime import datetime, timezone

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from .cli import JobParams, parse_args
from .concurrent_writes import run_concurrently
from .converted_model import prepare_model
from .engines import not_parity_safe_warning
from .errors import JobError
from .featurize_images import featurize_all
from .features import FeaturizeParams
from .images import ReadParams, read_images, session_confs
from .manifest import NOT_MEANINGFUL, build_manifest, explained_variance_json, library_versions
from .moments import tree_depth
from .outputs import OutputLayout, clear, write_json, write_parquet, write_single_csv
from .persisted import PERSISTED
from .pca import PcaParams, components_frame, csv_frame, fit_pca, moments, project
from .row_counts import count_rows
from .stage_timer import StageTimer
from .storage import Storage

SUMMARY_MARKER = "FRUITS_JOB_SUMMARY"


def say(msg: str) -> None:
    print(f"fruits-job: {msg}", flush=True)


def scan_tasks(spark: SparkSession, read) -> int:
    """The tasks the scan really yields (fewer than asked when there are fewer images): planned on the JVM."""
    with session_confs(spark, read.scan_confs):
        return int(read.images._jdf.rdd().getNumPartitions())


def run(spark: SparkSession, params: JobParams) -> dict:
    started = datetime.now(timezone.utc)
    timer = StageTimer()
    sc = spark.sparkContext
    storage = Storage(spark)
    layout = OutputLayout(params.output_uri)

    with timer.stage("read"):
        read = read_images(spark, ReadParams(params.input_uri, params.partitions, params.images_per_task,
                                              params.input_format))
        tasks = scan_tasks(spark, read) if read.count else 0  # 0: the job stops just below
    inputs = read.count
    if inputs == 0:
        what = "no images in its Parquet files" if read.input_format == "packed" else "no .jpg/.jpeg/.png files found (searched recursively)"
        raise JobError(f"--input {params.input_uri}: {what}")
    packed = " (packed)" if read.input_format == "packed" else ""
    say(f"{inputs} images{packed} under {params.input_uri}, {tasks} featurization tasks "
        f"({read.sizing.mode}: {read.partitions} asked, {read.sizing.images_per_task} images per task, "
        f"{read.sizing.cores} cores)")

    if clear(storage, layout):
        say(f"replacing the previous outputs in {params.output_uri} (manifest removed first)")

    prepared = prepare_model(spark, params, timer, say)
    weights, model = prepared.weights, prepared.model
    broadcast_model = sc.broadcast(model)
    say(f"weights {params.weights} ({weights.source}, sha256 {weights.sha256[:12]}); engine {model.engine} "
        f"{model.precision}, broadcast {model.broadcast_bytes()} bytes")
    if not weights.meaningful:
        say(f"WARNING: {NOT_MEANINGFUL}")
    if not model.parity_safe:
        say(f"WARNING: {not_parity_safe_warning(model.engine, model.precision)}")

    # Images per model call. Spark 4 also ends a batch at spark.sql.execution.arrow.maxBytesPerBatch (64 MiB by
    # default on 4.1.1, absent on 3.5): only images averaging over 1 MiB make batches smaller than this; measured on
    # both releases, the sample's ~5 KB images come in batches of exactly 64 (bench/spark_rechecks.py).
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(params.arrow_batch_size))
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")  # pandas -> Spark (pca_components) via Arrow
    counter = sc.accumulator(0)
    fparams = FeaturizeParams(params.image_size, params.interpolation, model.key)
    featurized = None
    try:
        with timer.stage("featurize"):
            featurized = featurize_all(spark, read, fparams, broadcast_model, counter)
            counts = count_rows(inputs, featurized, counter)
        problems = counts.problems()
        if problems:
            raise JobError("counts do not add up: " + "; ".join(problems))
        say(f"featurized {counts.featurized}: {counts.features} feature rows, {counts.errors} errors")

        features = featurized.where(F.col("reason").isNull()).select("key", "label", "features")
        # Written in parallel: a task writes a file only when its partition holds error rows. (coalesce(1) would
        # have one task scan every cached partition to find them.)
        errors = featurized.where(F.col("reason").isNotNull()).select("key", "label", "reason")
        featurize_outputs = [
            lambda: write_parquet(features, layout.features),
            lambda: write_parquet(errors, layout.errors),
        ]
        if counts.features < 2:
            with timer.stage("write"):
                run_concurrently(featurize_outputs)  # the error rows say why: keep them
            raise JobError(
                f"only {counts.features} of {inputs} images could be decoded: PCA needs at least 2; "
                f"see the reasons in {layout.errors}"
            )

        with timer.stage("moments"):  # one pass over the persisted features, merged in a tree on the executors
            partials = int(featurized._jdf.rdd().getNumPartitions())
            feature_moments = moments(features, "features")
        with timer.stage("pca"):
            pca = fit_pca(features, PcaParams(params.pca_k, params.pca_variance, params.pca_standardize),
                          feature_moments)
            projected = project(features, pca).persist(PERSISTED)  # pca/ and the CSV share it
        say(f"PCA k={pca.k} ({pca.k_mode}), variance kept {pca.variance_kept:.4f}; moments of {partials} "
            f"partitions merged {tree_depth(partials)} level(s) deep")

        with timer.stage("write"):  # every output at once, each written by parallel tasks
            try:
                run_concurrently(featurize_outputs + [
                    lambda: write_parquet(projected, layout.pca),
                    lambda: write_single_csv(storage, csv_frame(projected, pca.k), layout),
                    lambda: pca.model.write().overwrite().save(layout.pca_model),
                    lambda: pca.scaler.write().overwrite().save(layout.pca_scaler),
                    lambda: write_parquet(components_frame(spark, pca).coalesce(1), layout.pca_components),
                    lambda: write_json(storage, layout.explained_variance, explained_variance_json(pca)),
                ])
            finally:
                projected.unpersist()
    finally:
        if featurized is not None:
            featurized.unpersist()
        broadcast_model.unpersist()

    timings = timer.finish()
    manifest = build_manifest(
        params=params,
        started_at=started,
        finished_at=datetime.now(timezone.utc),
        counts=counts,
        feature_dim=pca.components.shape[0],
        pca=pca,
        weights=weights,
        model=model,
        versions=library_versions(spark.version),
        spark_info={"master": sc.master, "input_format": read.input_format, "app_id": sc.applicationId, "default_parallelism": sc.defaultParallelism,
                    "partitions": read.partitions, "task_sizing": read.sizing.mode,
                    "images_per_task": read.sizing.images_per_task, "featurize_tasks": tasks,
                    "moments_tree_depth": tree_depth(partials)},
        timings=timings,
        outputs=layout.manifest_outputs(),
        model_cache=prepared.cache_state,
    )
    write_json(storage, layout.manifest, manifest)  # last: its presence means the run completed
    return manifest


def summary_lines(manifest: dict) -> list[str]:
    """The end-of-run block callers parse: FRUITS_JOB_SUMMARY, then the manifest on one line."""
    lines = []
    if not manifest["weights"]["meaningful"]:
        banner = "!" * 100
        lines += [banner, f"!!! {NOT_MEANINGFUL}", banner]
    return lines + [SUMMARY_MARKER, json.dumps(manifest, separators=(",", ":"))]


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def main(argv: list[str] | None = None, spark: SparkSession | None = None) -> int:
    params = parse_args(sys.argv[1:] if argv is None else argv)  # exits 2 with `fruits-job: error: ...`
    own_session = spark is None
    try:
        if own_session:
            spark = SparkSession.builder.appName(f"fruits-job {params.run_id}").getOrCreate()
        manifest = run(spark, params)
        print("\n".join(summary_lines(manifest)), flush=True)
        return 0
    except JobError as e:
        print(f"fruits-job: error: {e}", file=sys.stderr, flush=True)
        return 1
    except Exception as e:  # unexpected: full traceback for the log, then the one-line reason callers show
        traceback.print_exc()
        print(f"fruits-job: error: unexpected failure: {type(e).__name__}: {_first_line(e)}", file=sys.stderr, flush=True)
        return 1
    finally:
        if own_session and spark is not None:
            spark.stop()
