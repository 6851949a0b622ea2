"""Reading the image folder: binaryFile, recursive, image extensions in any case -> (key, label, content).

`key` is the path relative to the input root with `/` separators, so two runs over different storage
(file://, s3a://, s3://) compare row by row; `label` is the name of the image's parent folder.
Spark's file listing skips names starting with `_` or `.` (e.g. macOS `._x.jpg` resource forks).

Partitioning, and why there is no shuffle: the scan itself yields `partitions` tasks of equal image counts
(count_packing_confs), so each task reads its images and featurizes them as they arrive: Spark's Arrow writer
thread fetches the next objects while the Python worker runs the model, which hides the per-object latency of
S3 (one HEAD + one GET per image). The earlier shape (scan into ~100 small tasks, repartition, featurize) paid
that latency in a stage of its own, before any featurization: 12 s of 43 s at 3,120 images on MinIO.

Zero-byte files: Spark's file scan silently drops empty files (SPARK-26161), so binaryFile alone would lose
them without a trace. The listing Spark made (`inputFiles()`, no second listing) is the truth for what the input
holds. After the featurization pass, if it returned fewer rows than listed (only then: no extra scan or join in
the common case), the missing paths come back as rows with null content (missing_rows), featurized like the
others, so they come out as `errors/` rows ("empty file (0 bytes)") and the counts still add up.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .errors import JobError

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png")


def case_insensitive_glob(extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> str:
    """A Hadoop glob for file names with these extensions in any case: *.{[jJ][pP][gG],...}."""
    parts = ["".join(f"[{c.lower()}{c.upper()}]" for c in ext) for ext in extensions]
    return "*.{" + ",".join(parts) + "}"


def hadoop_path_string(uri: str) -> str:
    """`inputFiles()` gives percent-encoded URIs (file:///a/b%20c.jpg); the scan's `path` column gives Hadoop's
    Path.toString (file:/a/b c.jpg). Same file, one spelling: the latter."""
    parts = urlsplit(uri)
    authority = f"//{parts.netloc}" if parts.netloc else ""
    return f"{parts.scheme}:{authority}{unquote(parts.path)}"


@dataclass(frozen=True)
class ReadParams:
    input_uri: str  # as given (normalized with a trailing '/')
    partitions: int  # 0 = default parallelism


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
    images: DataFrame  # key, label, content; empty files are not in it (see missing_rows)
    listed: list[str]  # image files in the input listing (Hadoop path strings): the job's `counts.inputs`
    root: str  # the qualified input root, with a trailing '/'
    partitions: int  # the partitions asked for; the scan yields that many (fewer when there are fewer images)
    scan_confs: dict[str, str]  # session confs that make the scan yield them: apply while planning and running


# Spark packs files into scan partitions by bytes, charging each file `openCostInBytes` on top of its length.
# A cost far above any image's size makes it pack by count: every partition then holds `per` files, as long as
# their lengths add up to less than the slack. (Spark closes a partition when its size so far plus the next
# file's length, without that file's open cost, would exceed maxPartitionBytes: hence per - 1 below.) Why by count: the model's cost per image does not depend on the
# file's size, and an image folder is many small objects (Fruits-360: ~5 KB each).
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


def read_images(spark: SparkSession, params: ReadParams) -> ImageInput:
    """The images as (key, label, content), with the files listed and the confs that size the scan.

    Nothing is read here but the listing: the scan runs in the featurization pass, under `scan_confs`.
    """
    root = qualified_root(spark, params.input_uri)
    raw = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", case_insensitive_glob())
        .load(params.input_uri)
    )
    listed = [hadoop_path_string(u) for u in raw.inputFiles()]
    n = params.partitions or spark.sparkContext.defaultParallelism
    images = with_keys(raw.select("path", "content"), root)
    return ImageInput(images, listed, root, n, count_packing_confs(len(listed), n))


def missing_paths(listed: list[str], keys: list[str], root: str) -> list[str]:
    """Listed files whose key is not among the scanned rows' keys (empty files, SPARK-26161). Pure."""
    seen = set(keys)
    return sorted(p for p in listed if not (p.startswith(root) and p[len(root):] in seen))


def missing_rows(spark: SparkSession, paths: list[str], root: str) -> DataFrame:
    """(key, label, content=null) rows for files the scan did not return, so they reach the UDF as errors."""
    frame = spark.createDataFrame([(p,) for p in paths], "path string")
    return with_keys(frame.select("path", F.lit(None).cast("binary").alias("content")), root)


def with_keys(raw: DataFrame, root: str) -> DataFrame:
    """binaryFile rows -> key (relative to root), label (parent folder), content. Pure DataFrame transform.

    A path outside the root gets a null key, which main.count_rows turns into a loud failure.
    """
    key = F.when(F.col("path").startswith(root), F.expr(f"substring(path, {len(root) + 1})"))
    return raw.select(
        key.alias("key"),
        F.element_at(F.split(F.col("path"), "/"), -2).alias("label"),
        F.col("content"),
    )
