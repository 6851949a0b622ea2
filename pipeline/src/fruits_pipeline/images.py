"""Reading the image folder: binaryFile, recursive, image extensions in any case -> (key, label, content).

`key` is the path relative to the input root with `/` separators, so two runs over different storage
(file://, s3a://, s3://) compare row by row; `label` is the name of the image's parent folder.
Spark's file listing skips names starting with `_` or `.` (e.g. macOS `._x.jpg` resource forks).

Zero-byte files: Spark's file scan silently drops empty files (SPARK-26161), so binaryFile alone would lose
them without a trace. The listing Spark made (`inputFiles()`, no second listing) is the truth for what the input
holds; files in it that the scan did not return are added back with null content, so they reach the UDF and
come out as `errors/` rows ("empty file (0 bytes)") and the counts still add up.
"""

from __future__ import annotations

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
    images: DataFrame  # key, label, content (null for files the scan skipped: empty files)
    listed: int  # image files in the input listing: the job's `counts.inputs`
    partitions: int


def read_images(spark: SparkSession, params: ReadParams) -> ImageInput:
    """The images as (key, label, content), repartitioned, with the number of files listed.

    binaryFile packs many small files into one partition (maxPartitionBytes is 128 MB), which would featurize a
    whole folder in a single task: the repartition spreads images over every core.
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
    scanned = raw.select("path", "content")
    skipped = (
        spark.createDataFrame([(p,) for p in listed], "path string")
        .join(scanned.select("path"), "path", "left_anti")
        .select("path", F.lit(None).cast("binary").alias("content"))
    )
    images = with_keys(scanned.unionByName(skipped), root).repartition(n)
    return ImageInput(images, len(listed), n)


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
