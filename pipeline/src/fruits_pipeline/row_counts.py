"""The job's counts from the persisted featurized frame, checked: every listed image is exactly one row."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .errors import JobError
from .manifest import Counts


def count_rows(inputs: int, featurized: DataFrame, featurized_counter) -> Counts:
    """One pass over the persisted frame; the UDF's counter is read after it, when every task has reported.

    A row without a key is a listed file outside the input root; rows != inputs means rows were lost or
    duplicated: both fail loudly rather than write counts that do not add up."""
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
                  featurized=int(featurized_counter.value))
