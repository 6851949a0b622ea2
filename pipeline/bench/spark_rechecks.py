"""What the job assumed of Spark 3.5, checked on the Spark of the venv that runs this (issue 21, item 3).

    python pipeline/bench/spark_rechecks.py --input DIR [--features RUN/features] [--out result.json]

One JSON line, in local[2] (each check states what it found; nothing is stood in for):
- confs: the defaults the job relies on or would be hit by (Arrow batch bounds, scan packing);
- lapack: which netlib implementation Spark's ML uses (the F2J finding of pca.py), and, given a run's features/,
  Spark's own `PCA.fit` at 1 and 16 partitions against numpy's `eigh` of the same covariance;
- arrow_batches: the row counts a pandas iterator UDF receives with maxRecordsPerBatch=64 (features.py);
- scan_packing: partitions and files per partition that images.count_packing_confs gives (images.py);
- empty_file: whether binaryFile's scan drops a 0-byte file that its listing holds (SPARK-26161, dropped_files.py);
- accumulator: the UDF's counter against the rows after persist + two actions (features.py, row_counts.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fruits_pipeline.images import ReadParams, count_packing_confs, read_images, session_confs  # noqa: E402

CONFS = ("spark.sql.execution.arrow.maxRecordsPerBatch", "spark.sql.execution.arrow.maxBytesPerBatch",
         "spark.sql.execution.arrow.maxRecordsPerOutputBatch", "spark.sql.execution.arrow.maxBytesPerOutputBatch",
         "spark.sql.execution.arrow.useLargeVarTypes", "spark.sql.files.openCostInBytes",
         "spark.sql.files.maxPartitionBytes", "spark.sql.files.minPartitionNum", "spark.sql.files.ignoreCorruptFiles")


def conf_defaults(spark) -> dict:
    out = {}
    for k in CONFS:
        try:
            out[k] = spark.conf.get(k)
        except Exception:  # not a conf of this Spark, or no default
            out[k] = None
    return out


def lapack(spark, features: str | None) -> dict:
    jvm = spark.sparkContext._jvm
    out = {}
    for name, cls in (("blas", jvm.dev.ludovic.netlib.blas.BLAS), ("lapack", jvm.dev.ludovic.netlib.lapack.LAPACK)):
        try:
            out[name] = cls.getInstance().getClass().getName()
        except Exception as e:
            out[name] = f"unavailable: {str(e)[:120]}"
    if not features:
        return out
    from pyspark.ml.feature import PCA
    from pyspark.ml.functions import array_to_vector

    df = spark.read.parquet(features).select(array_to_vector("features").alias("v"))
    X = np.stack(spark.read.parquet(features).toPandas().features.to_numpy()).astype(np.float64)
    Xc = X - X.mean(axis=0)
    w = np.linalg.eigh(Xc.T @ Xc / (len(X) - 1))[0][::-1]
    ref = w / w.sum()
    k = 10
    for parts in (1, 16):
        model = PCA(k=k, inputCol="v").fit(df.repartition(parts))
        got = np.array(model.explainedVariance.toArray())
        out[f"spark_pca_fit_{parts}_partitions_ratios"] = [round(float(x), 6) for x in got[:4]]
        out[f"spark_pca_fit_{parts}_partitions_max_abs_diff_vs_eigh"] = float(np.abs(got - ref[:k]).max())
    out["eigh_ratios"] = [round(float(x), 6) for x in ref[:4]]
    return out


def arrow_batches(spark, input_uri: str) -> dict:
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("long")
    def batch_len(it: Iterator[pd.Series]) -> Iterator[pd.Series]:
        for s in it:
            yield pd.Series([len(s)] * len(s))

    read = read_images(spark, ReadParams(input_uri, partitions=2))
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "64")
    with session_confs(spark, read.scan_confs):
        rows = read.images.select(batch_len("content").alias("n")).groupBy("n").count().collect()
    return {"rows_per_batch_size": {int(r.n): int(r["count"]) // int(r.n) for r in rows}}


def scan_packing(spark, input_uri: str) -> dict:
    from pyspark.sql import functions as F

    out = {}
    raw = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(input_uri)
    files = len(raw._jdf.inputFiles())
    for parts in (2, 3, 7):
        with session_confs(spark, count_packing_confs(files, parts)):
            df = raw.select("path")
            sizes = sorted(r["count"] for r in df.groupBy(F.spark_partition_id().alias("p")).count().collect())
            out[str(parts)] = {"partitions": df.rdd.getNumPartitions(), "files_per_partition": sizes}
    out["files"] = files
    return out


def empty_file(spark, input_uri: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="rechecks-"))
    try:
        src = sorted(Path(input_uri).rglob("*.jpg"))[:3]
        (tmp / "A").mkdir()
        for f in src:
            shutil.copy(f, tmp / "A" / f.name)
        (tmp / "A" / "zero.jpg").write_bytes(b"")
        raw = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(str(tmp))
        return {"listed": len(raw._jdf.inputFiles()), "scanned_rows": raw.count(),
                "zero_byte_in_scan": raw.where(raw.length == 0).count() > 0}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def accumulator(spark, input_uri: str) -> dict:
    from pyspark import StorageLevel
    from pyspark.sql.functions import pandas_udf

    counter = spark.sparkContext.accumulator(0)

    @pandas_udf("long")
    def counted(it: Iterator[pd.Series]) -> Iterator[pd.Series]:
        for s in it:
            counter.add(len(s))
            yield s.str.len()

    raw = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(input_uri)
    df = raw.select(counted("content").alias("n")).persist(StorageLevel.MEMORY_AND_DISK)
    rows = df.count()
    df.agg({"n": "sum"}).collect()  # a second action on the persisted frame must not re-run the UDF
    out = {"rows": rows, "counter_after_persist_and_two_actions": counter.value}
    df.unpersist()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--features")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    import os

    from pyspark.sql import SparkSession

    # The Python workers run this interpreter (pandas, numpy of the release's venv) and import the package.
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        result = {"spark": spark.version, "numpy": np.__version__, "confs": conf_defaults(spark),
                  "lapack": lapack(spark, args.features), "arrow_batches": arrow_batches(spark, args.input),
                  "scan_packing": scan_packing(spark, args.input), "empty_file": empty_file(spark, args.input),
                  "accumulator": accumulator(spark, args.input)}
    finally:
        spark.stop()
    line = json.dumps(result)
    print(line)
    if args.out:
        args.out.write_text(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
