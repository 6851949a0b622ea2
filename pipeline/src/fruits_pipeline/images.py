"""Reading the image folder: binaryFile, recursive, image extensions in any case -> (key, label, content).

`key` is the path relative to the input root with `/` separators, so two runs over different storage
(file://, s3a://, s3://) compare row by row; `label` is the name of the image's parent folder.
Spark's file listing skips names starting with `_` or `.` (e.g. macOS `._x.jpg` resource forks).

Partitioning, and why there is no shuffle: the scan itself yields the featurization tasks, of equal image counts
(count_packing_confs), as many as task_sizing.task_count says (sized by work, never fewer than the cores), so each task reads its images and featurizes them as they arrive: Spark's Arrow writer
thread fetches the next objects while the Python worker runs the model, which hides the per-object latency of
S3 (one HEAD + one GET per image). The earlier shape (scan into ~100 small tasks, repartition, featurize) paid
that latency in a stage of its own, before any featurization: 12 s of 43 s at 3,120 images on MinIO.

Zero-byte files: Spark's file scan silently drops empty files (SPARK-26161), so binaryFile alone would lose
them without a trace. The listing Spark made (its file index, no second listing) is the truth for what the input
holds; it stays on the JVM: the job reads only its length (`ImageInput.count`). After the featurization pass, if
it returned fewer rows than listed (only then), dropped_files.py finds the missing files with an anti-join on
the executors and featurizes them like the others, so they come out as `errors/` rows ("empty file (0 bytes)")
and the counts still add up. Nothing on the driver holds a path per image. Still so on Spark 4.1.1 (2026-12-04,
bench/spark_rechecks.py on file://, bench/s3a_probe.py on s3a://: the 0-byte file is listed, not scanned).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from .errors import JobError
from .task_sizing import DEFAULT_IMAGES_PER_TASK, TaskSizing, task_count

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png")


def case_insensitive_glob(extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> str:
    """A Hadoop glob for file names with these extensions in any case: *.{[jJ][pP][gG],...}."""
    parts = ["".join(f"[{c.lower()}{c.upper()}]" for c in ext) for ext in extensions]
    return "*.{" + ",".join(parts) + "}"


def hadoop_path_spelling(uri: Column) -> Column:
    """The file index's URIs are percent-encoded (file:///a/b%20c.jpg); the scan's `path` column is Hadoop's
    Path.toString (file:/a/b c.jpg). Same file, one spelling: the latter, computed on the executors.

    java.net.URI leaves '+' literal while url_decode would read it as a space: it is protected first."""
    decoded = F.url_decode(F.regexp_replace(uri, r"\+", "%2B"))
    return F.regexp_replace(decoded, r"^([A-Za-z][A-Za-z0-9+.-]*):///", "$1:/")


@dataclass(frozen=True)
class ReadParams:
    input_uri: str  # as given (normalized with a trailing '/')
    partitions: int = 0  # > 0: exactly this many tasks (--partitions); 0 = sized by work (task_sizing.py)
    images_per_task: int = DEFAULT_IMAGES_PER_TASK  # --images-per-task
    input_format: str = "images"  # cli.INPUT_FORMATS: image files, or Parquet files of them (packed_input.py)


def qualified_root(spark: SparkSession, uri: str) -> str:
    """The input folder as Spark will print its files' paths (e.g. file:///a/ -> file:/a/), checked to exist."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    try:
        fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        exists = fs.exists(path) and fs.getFileStatus(path).isDirectory()
    except Exception as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise JobError(f"--input {uri}: cannot access it ({first}); check the URI, credentials and endpoint") from None
    if not exists:
        raise JobError(f"--input {uri}: no such folder; point --input at the folder holding <Label>/<image> files")
    return fs.makeQualified(path).toString().rstrip("/") + "/"


@dataclass(frozen=True)
class ImageInput:
    images: DataFrame  # key, label, content; empty files are not in it (dropped_files.py)
    listing: DataFrame  # the unread binaryFile relation: its file index is Spark's listing (stays on the JVM)
    count: int  # image files in that listing: the job's `counts.inputs`
    root: str  # the qualified input root, with a trailing '/'
    sizing: TaskSizing  # how the task count was chosen
    partitions: int  # the featurization tasks asked for; the scan yields that many (fewer when fewer images)
    scan_confs: dict[str, str]  # session confs that make the scan yield them: apply while planning and running
    input_format: str = "images"  # "packed": rows come from Parquet files, where no file can be dropped

    @property
    def scan_may_drop_files(self) -> bool:
        """binaryFile skips empty files (SPARK-26161, dropped_files.py); a Parquet row is never skipped."""
        return self.input_format == "images"

    def listed_uris(self) -> DataFrame:
        """(uri) for every listed file, built on the JVM from the file index: the listing never passes through
        Python. Spark holds one transient copy of it while the anti-join runs (dropped_files.py), only then."""
        spark = self.listing.sparkSession
        jvm = spark.sparkContext._jvm
        files = self.listing._jdf.inputFiles()  # a java String[]: a py4j handle, not copied into Python
        jds = spark._jsparkSession.createDataset(scala_seq(jvm, files), jvm.org.apache.spark.sql.Encoders.STRING())
        return DataFrame(jds.toDF(), spark).withColumnRenamed("value", "uri")  # Encoders.STRING's column


def scala_seq(jvm, array):
    """A Scala Seq view of a Java array, made on the JVM (no copy through Python), of the Seq type that
    `SparkSession.createDataset(Seq, Encoder)` takes in the running Spark's Scala.

    Why these calls: py4j finds no method for a String[] argument where the parameter is Object[] (measured:
    java.util.Arrays.asList and Predef.wrapRefArray both fail with "Method ... does not exist"), but it passes it
    to a parameter of type Object, which a generic Array[T] erases to. py4j then matches createDataset by the
    Seq's runtime class:
    - Scala 2.13 (Spark 4): createDataset takes `scala.collection.immutable.Seq`; `immutable.ArraySeq.unsafeWrapArray`
      is one. `Predef.genericWrapArray` returns a *mutable* ArraySeq there, for which py4j finds no createDataset
      (measured on Spark 4.1.1: "Method createDataset([class scala.collection.mutable.ArraySeq$ofRef, ...]) does
      not exist"), so it comes second.
    - Scala 2.12 (Spark 3.5): createDataset takes `scala.collection.Seq`; `immutable.ArraySeq` does not exist
      (py4j gives a JavaPackage, which raises TypeError when called), and `genericWrapArray`'s WrappedArray is one."""
    from py4j.protocol import Py4JError

    for wrap in (lambda: jvm.scala.collection.immutable.ArraySeq.unsafeWrapArray(array),  # Scala 2.13
                 lambda: jvm.scala.Predef.genericWrapArray(array),  # Scala 2.12
                 lambda: jvm.scala.collection.mutable.WrappedArray.make(array)):  # Scala 2.12, same wrap
        try:
            return wrap()
        except (Py4JError, TypeError):
            continue
    raise JobError("cannot wrap the file index's listing as a Scala Seq through py4j: report this as a bug")


# Spark packs files into scan partitions by bytes, charging each file `openCostInBytes` on top of its length.
# A cost far above any image's size makes it pack by count: every partition then holds `per` files, as long as
# their lengths add up to less than the slack. (Spark closes a partition when its size so far plus the next
# file's length, without that file's open cost, would exceed maxPartitionBytes: hence per - 1 below.) Why by count: the model's cost per image does not depend on the
# file's size, and an image folder is many small objects (Fruits-360: ~5 KB each).
# The same packing rule in Spark 3.5.6 and 4.1.1 (bench/spark_rechecks.py, 391 files: 2, 3 and 7 partitions of
# 195-196, 129-131 and 55-56 files on both).
OPEN_COST_BYTES = 8 << 30
SLACK_BYTES = 4 << 30


def count_packing_confs(files: int, partitions: int) -> dict[str, str]:
    """Confs for a scan of `files` files into `partitions` partitions of ceil(files / partitions) files. Pure."""
    per = max(1, -(-files // max(1, partitions)))
    return {
        "spark.sql.files.openCostInBytes": str(OPEN_COST_BYTES),
        "spark.sql.files.maxPartitionBytes": str((per - 1) * OPEN_COST_BYTES + SLACK_BYTES),
        # Spark would otherwise lower the split size to spread the bytes over every core, i.e. 1 file per task.
        "spark.sql.files.minPartitionNum": "1",
    }


@contextmanager
def session_confs(spark: SparkSession, confs: dict[str, str]):
    """Set SQL confs for the duration of the block, then restore what was there (a caller's session is theirs)."""
    before = {k: spark.conf.get(k, None) for k in confs}
    for k, v in confs.items():
        spark.conf.set(k, v)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)


def listed_count(listing: DataFrame) -> int:
    """How many files Spark's file index holds, counted on the JVM (the array's length, not its contents)."""
    return len(listing._jdf.inputFiles())


def read_images(spark: SparkSession, params: ReadParams) -> ImageInput:
    """The images as (key, label, content), with the listing's size and the confs that size the scan.

    Nothing is read here but the listing: the scan runs in the featurization pass, under `scan_confs`.
    """
    if params.input_format == "packed":
        from .packed_input import read_packed  # one concept per file: the Parquet layout lives there

        return read_packed(spark, params)
    root = qualified_root(spark, params.input_uri)
    raw = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", case_insensitive_glob())
        .load(params.input_uri)
    )
    count = listed_count(raw)
    sizing = TaskSizing(count, spark.sparkContext.defaultParallelism, params.images_per_task, params.partitions)
    n = task_count(sizing)
    images = with_keys(raw.select("path", "content"), root)
    return ImageInput(images, raw, count, root, sizing, n, count_packing_confs(count, n))


def with_keys(raw: DataFrame, root: str) -> DataFrame:
    """binaryFile rows -> key (relative to root), label (parent folder), content. Pure DataFrame transform.

    A path outside the root gets a null key, which row_counts.count_rows turns into a loud failure.
    """
    key = F.when(F.col("path").startswith(root), F.expr(f"substring(path, {len(root) + 1})"))
    return raw.select(
        key.alias("key"),
        F.element_at(F.split(F.col("path"), "/"), -2).alias("label"),
        F.col("content"),
    )
