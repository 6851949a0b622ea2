"""The job: parse arguments, then read -> featurize -> PCA -> write, and print the summary.

`main(argv, spark=None)` is what entrypoint.py runs under spark-submit. Tests pass their own SparkSession, which
is then left running; a session the job created itself is always stopped.
"""

from __future__ import annotations

import json
import tempfile
import sys
import time
import traceback
from datetime import datetime, timezone

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .cli import JobParams, parse_args
from .engines import convert, not_parity_safe_warning
from .errors import JobError
from .features import FeaturizeParams, featurize_column
from .images import ImageInput, ReadParams, missing_paths, missing_rows, read_images, session_confs
from .manifest import NOT_MEANINGFUL, Counts, build_manifest, code_sha256, explained_variance_json, library_versions
from .model import load_weights, local_weights_file
from .model_cache import CachedModel, ModelCache, cache_key, library_versions as model_library_versions, weights_identity
from .outputs import OutputLayout, clear, write_json, write_parquet, write_single_csv
from .moments import EMPTY as EMPTY_MOMENTS, MomentsParam
from .pca import PcaParams, components_frame, csv_frame, fit_pca, project
from .storage import Storage

SUMMARY_MARKER = "FRUITS_JOB_SUMMARY"
# Above this many featurization tasks the PCA's moments are computed in a pass of their own (a tree reduce on
# the executors) instead of an accumulator: each task sends the driver one d x d float64 matrix (13 MB at d=1280).
MAX_ACCUMULATED_TASKS = 64


def say(msg: str) -> None:
    print(f"fruits-job: {msg}", flush=True)


class StageTimer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t0 = time.perf_counter()

    def stage(self, name: str):
        timer = self

        class _Stage:
            def __enter__(self):
                self.t = time.perf_counter()

            def __exit__(self, *exc):
                timer.timings[name] = timer.timings.get(name, 0.0) + time.perf_counter() - self.t

        return _Stage()

    def finish(self) -> dict[str, float]:
        return {**self.timings, "total": time.perf_counter() - self._t0}


def run_concurrently(writes: list) -> None:
    """Run independent writes from driver threads (Spark accepts jobs from several threads).

    Why: each output is a small Spark job whose time is mostly fixed cost: scheduling, and on object stores the
    commit (S3A's default committer renames = copies every file, twice). Overlapping them hides that latency.
    The first failure is raised after all have finished, so no write is left running behind an error.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(writes), thread_name_prefix="fruits-write") as pool:
        futures = [pool.submit(w) for w in writes]
    for f in futures:
        f.result()


def featurize(images: DataFrame, params: FeaturizeParams, broadcast_model, counter, moments=None) -> DataFrame:
    """(key, label, content) -> (key, label, features, reason). Pure DataFrame transform (the UDF does the work)."""
    out = featurize_column(F.col("content"), params, broadcast_model, counter, moments)
    return images.select("key", "label", out.alias("out")).select(
        "key", "label", F.col("out.features").alias("features"), F.col("out.error").alias("reason")
    )


def usable_moments(accumulator, counts: Counts):
    """The accumulated moments, if they are exactly those of the feature rows: a task that ran twice (a retry, or
    a recomputed partition) adds its moments twice, which shows as n != the number of feature rows."""
    if accumulator is None:
        return None
    m = accumulator.value
    return m if m.n == counts.features and m.n >= 2 else None


def open_model_cache(params: JobParams, local_weights: str | None):
    """(cache, key, entry) for --model-cache: (None, None, None) without it; key None when the weights have no
    cheap identity (imagenet not in Keras' cache); entry None on a miss."""
    if not params.model_cache:
        return None, None, None
    cache = ModelCache(params.model_cache, say)
    identity = weights_identity(params.weights, params.image_size, local_weights)
    if identity is None:
        return cache, None, None
    key = cache_key(identity, params.image_size, params.engine, params.precision, code_sha256(),
                    model_library_versions())
    return cache, key, cache.load(key)


def featurize_all(spark: SparkSession, read: ImageInput, params: FeaturizeParams, broadcast_model, counter,
                  moments=None) -> DataFrame:
    """Every listed image featurized once, cached: the scan's rows, plus the files the scan dropped (empty ones).

    The scan is sized under `read.scan_confs`, which must hold while the plan is made (persist) and first run.
    The dropped files are looked for only when the pass returned fewer rows than were listed.
    """
    with session_confs(spark, read.scan_confs):
        scanned = featurize(read.images, params, broadcast_model, counter, moments).persist(StorageLevel.MEMORY_AND_DISK)
        rows = scanned.count()
    if rows >= len(read.listed):
        return scanned
    keys = [r["key"] for r in scanned.select("key").collect()]
    lost = missing_paths(read.listed, keys, read.root)
    extra = featurize(missing_rows(spark, lost, read.root), params, broadcast_model, counter, moments)
    everything = scanned.unionByName(extra).persist(StorageLevel.MEMORY_AND_DISK)
    everything.count()  # once: the UDF (and its accumulator) must not run again on the dropped files
    scanned.unpersist()
    return everything


def count_rows(inputs: int, featurized: DataFrame, accumulated) -> Counts:
    """One pass over the cached frame; the accumulator is read after it, when every task has reported."""
    row = featurized.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.when(F.col("reason").isNull() & F.col("features").isNotNull(), 1).otherwise(0)).alias("features"),
        F.sum(F.when(F.col("reason").isNotNull(), 1).otherwise(0)).alias("errors"),
        F.sum(F.when(F.col("key").isNull(), 1).otherwise(0)).alias("no_key"),
    ).head()
    if row["no_key"]:
        raise JobError(f"{row['no_key']} listed files are not under the input root: report this as a bug")
    if row["rows"] != inputs:
        raise JobError(f"{inputs} images listed but {row['rows']} featurized rows: rows were lost or duplicated")
    return Counts(inputs=inputs, features=int(row["features"] or 0), errors=int(row["errors"] or 0),
                  featurized=int(accumulated.value))


def run(spark: SparkSession, params: JobParams) -> dict:
    started = datetime.now(timezone.utc)
    timer = StageTimer()
    sc = spark.sparkContext
    storage = Storage(spark)
    layout = OutputLayout(params.output_uri)

    with timer.stage("read"):
        read = read_images(spark, ReadParams(params.input_uri, params.partitions))
    inputs, partitions = len(read.listed), read.partitions
    if inputs == 0:
        raise JobError(f"--input {params.input_uri}: no .jpg/.jpeg/.png files found (searched recursively)")
    say(f"{inputs} images under {params.input_uri}, {partitions} partitions")

    removed = clear(storage, layout)
    if removed:
        say(f"replacing the previous outputs in {params.output_uri} (manifest removed first)")

    with timer.stage("weights"), tempfile.TemporaryDirectory(prefix="fruits-weights-") as tmp:
        local_weights = local_weights_file(spark, params.weights, tmp)  # a remote file is copied once, here
        cache, key, hit = open_model_cache(params, local_weights)
        weights = hit.weights if hit else load_weights(spark, params.weights, params.image_size, local_weights)
    with timer.stage("convert"):  # once, on the driver: executors get the converted model only
        if hit:
            model = hit.model
        else:
            model, _ = convert(weights.arrays, params.image_size, params.engine, params.precision)
            if key:
                cache.store(key, CachedModel(weights, model))
        broadcast_model = sc.broadcast(model)
    if cache:
        say(f"converted-model cache {'hit' if hit else 'miss'} ({params.model_cache})")
    say(f"weights {params.weights} ({weights.source}, sha256 {weights.sha256[:12]}); engine {model.engine} "
        f"{model.precision}, broadcast {model.broadcast_bytes()} bytes")
    if not weights.meaningful:
        say(f"WARNING: {NOT_MEANINGFUL}")
    if not model.parity_safe:
        say(f"WARNING: {not_parity_safe_warning(model.engine, model.precision)}")

    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(params.arrow_batch_size))
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")  # pandas -> Spark (pca_components) via Arrow
    counter = sc.accumulator(0)
    # Moments ride along with the featurization when the driver can afford one d x d matrix per task.
    moments_acc = sc.accumulator(EMPTY_MOMENTS, MomentsParam()) if partitions <= MAX_ACCUMULATED_TASKS else None
    fparams = FeaturizeParams(params.image_size, params.interpolation, model.key)
    featurized = None
    try:
        with timer.stage("featurize"):
            featurized = featurize_all(spark, read, fparams, broadcast_model, counter, moments_acc)
            counts = count_rows(inputs, featurized, counter)
        problems = counts.problems()
        if problems:
            raise JobError("counts do not add up: " + "; ".join(problems))
        say(f"featurized {counts.featurized}: {counts.features} feature rows, {counts.errors} errors")

        features = featurized.where(F.col("reason").isNull()).select("key", "label", "features")
        # Error rows are few and small: one file, not one (mostly empty) file per partition.
        errors = featurized.where(F.col("reason").isNotNull()).select("key", "label", "reason").coalesce(1)
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

        with timer.stage("pca"):
            accumulated = usable_moments(moments_acc, counts)
            pca = fit_pca(features, PcaParams(params.pca_k, params.pca_variance, params.pca_standardize), accumulated)
            projected = project(features, pca).persist(StorageLevel.MEMORY_AND_DISK)  # pca/ and the CSV share it
        say(f"PCA k={pca.k} ({pca.k_mode}), variance kept {pca.variance_kept:.4f}; moments "
            f"{'from the featurization pass' if accumulated else 'from a pass of their own'}")

        with timer.stage("write"):  # every output at once: each is a small job whose time is mostly fixed cost
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
        spark_info={"master": sc.master, "app_id": sc.applicationId, "default_parallelism": sc.defaultParallelism,
                    "partitions": partitions},
        timings=timings,
        outputs=layout.manifest_outputs(),
        model_cache="off" if cache is None else ("hit" if hit else "miss"),
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
