"""Files Spark's scan dropped (empty files, SPARK-26161), found on the executors: an anti-join, no path on the driver.

The listing is Spark's file index (images.ImageInput.listed_uris, a Dataset built on the JVM); the scanned rows
are the persisted featurization pass. A listed file whose key is not among the scanned keys was dropped by the
scan. The join runs only when the pass returned fewer rows than were listed (the common case costs nothing), and
its result goes through the same UDF with null content, so each dropped file becomes an error row and
inputs = features + errors still holds.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .images import ImageInput, hadoop_path_spelling, with_keys


def dropped_rows(read: ImageInput, scanned: DataFrame) -> DataFrame:
    """(key, label, content=null) for every listed file whose key the scanned rows lack. Pure DataFrame transform.

    A listed file outside the root has a null key: the anti-join keeps it (null matches nothing), and the counts
    then fail loudly (row_counts.count_rows) instead of losing it."""
    listed = read.listed_uris().select(hadoop_path_spelling(F.col("uri")).alias("path"))
    rows = with_keys(listed.select("path", F.lit(None).cast("binary").alias("content")), read.root)
    return rows.join(scanned.select("key"), on="key", how="left_anti").select("key", "label", "content")
