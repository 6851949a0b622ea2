"""Reading `--input-format packed`: Parquet files of (key, label, content) written by pack.py.

The rows are the ones images.read_images gives for the same folder of image files (same keys, labels and bytes),
so featurization, counts and outputs do not know which layout they came from; parity compares the two.

Sizing (the task count is task_sizing's, from the row count; still no shuffle):
- With at least as many files as tasks: whole files per task, by count (images.count_packing_confs), as for image
  files. The workbench's packer fills every file but the last with the same number of images (256), so the tasks
  hold equal image counts and the scan yields exactly the tasks asked. Splitting by bytes instead was measured to
  yield one task more than asked at 24,960 images (25 files of 1,000), which on 2 cores left one core idle for
  the last fifth of the featurization.
- With fewer files than tasks (a small input in one or two files): by bytes. Spark splits Parquet files at
  row-group boundaries (pack.py writes ROW_GROUP_IMAGES per group), so splits of total / tasks bytes spread even
  one file over the cores.

The row count comes from the Parquet footers (Spark's count reads no column data): it is the job's
`counts.inputs`, checked against the featurized rows like the listing's count is for image files.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import BinaryType, StringType

from .errors import JobError
from .images import ImageInput, ReadParams, count_packing_confs, listed_count, qualified_root
from .task_sizing import TaskSizing, task_count

PACKED_COLUMNS = {"key": StringType(), "label": StringType(), "content": BinaryType()}


def bytes_packing_confs(total_bytes: int, partitions: int) -> dict[str, str]:
    """Confs for a scan of `total_bytes` of Parquet into about `partitions` splits. Pure.

    No per-file open cost, so the split size is exactly total / partitions; minPartitionNum 1 so Spark does not
    shrink it further to spread the bytes over every core."""
    per = max(1, -(-max(0, total_bytes) // max(1, partitions)))
    return {
        "spark.sql.files.openCostInBytes": "0",
        "spark.sql.files.maxPartitionBytes": str(per),
        "spark.sql.files.minPartitionNum": "1",
    }


def packed_scan_confs(files: int, total_bytes: int, partitions: int) -> dict[str, str]:
    """Whole files per task when there are enough of them, else splits by bytes (module comment). Pure."""
    if files >= partitions:
        return count_packing_confs(files, partitions)
    return bytes_packing_confs(total_bytes, partitions)


def check_packed_schema(df: DataFrame, uri: str) -> None:
    """The three columns pack.py writes, of these types; a missing or mistyped one names itself."""
    have = {f.name: f.dataType for f in df.schema.fields}
    wrong = [f"{name} ({t.simpleString()})" for name, t in PACKED_COLUMNS.items() if have.get(name) != t]
    if wrong:
        raise JobError(
            f"--input {uri}: the Parquet files lack the packed columns {', '.join(wrong)}; "
            "pack the images with `python -m fruits_pipeline.pack` or use --input-format images"
        )


def total_size(spark: SparkSession, root: str) -> int:
    """Bytes under the input folder: one listing call on the JVM."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(root)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return int(fs.getContentSummary(path).getLength())


def read_packed(spark: SparkSession, params: ReadParams) -> ImageInput:
    root = qualified_root(spark, params.input_uri)
    try:
        raw = (
            spark.read.option("recursiveFileLookup", "true")
            .option("pathGlobFilter", "*.parquet")
            .parquet(params.input_uri)
        )
    except Exception as e:  # AnalysisException: "Unable to infer schema for Parquet" when there is no file
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise JobError(
            f"--input {params.input_uri}: no readable Parquet files ({first}); with --input-format packed, point "
            "--input at the folder fruits_pipeline.pack wrote"
        ) from None
    check_packed_schema(raw, params.input_uri)
    images = raw.select("key", "label", "content")
    count = images.count()  # from the footers' row counts: no image bytes are read
    sizing = TaskSizing(count, spark.sparkContext.defaultParallelism, params.images_per_task, params.partitions)
    n = task_count(sizing)
    files = listed_count(raw)
    confs = packed_scan_confs(files, total_size(spark, root) if files < n else 0, n)
    return ImageInput(images, raw, count, root, sizing, n, confs, input_format="packed")
