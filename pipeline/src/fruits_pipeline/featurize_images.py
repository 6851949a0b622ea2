"""The featurization step: every listed image through the UDF exactly once, persisted for the outputs and the PCA."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .dropped_files import dropped_rows
from .features import FeaturizeParams, featurize_column
from .images import ImageInput, session_confs
from .persisted import PERSISTED


def featurize(images: DataFrame, params: FeaturizeParams, broadcast_model, counter) -> DataFrame:
    """(key, label, content) -> (key, label, features, reason). Pure DataFrame transform (the UDF does the work)."""
    out = featurize_column(F.col("content"), params, broadcast_model, counter)
    return images.select("key", "label", out.alias("out")).select(
        "key", "label", F.col("out.features").alias("features"), F.col("out.error").alias("reason")
    )


def featurize_all(spark: SparkSession, read: ImageInput, params: FeaturizeParams, broadcast_model,
                  counter) -> DataFrame:
    """Every listed image featurized once, persisted: the scan's rows, plus the files the scan dropped (empty ones).

    The scan is sized under `read.scan_confs`, which must hold while the plan is made (persist) and first run.
    The dropped files are looked for only when the pass returned fewer rows than were listed.
    """
    with session_confs(spark, read.scan_confs):
        scanned = featurize(read.images, params, broadcast_model, counter).persist(PERSISTED)
        rows = scanned.count()
    if rows >= read.count or not read.scan_may_drop_files:  # too few packed rows: count_rows fails loudly
        return scanned
    extra = featurize(dropped_rows(read, scanned), params, broadcast_model, counter)
    everything = scanned.unionByName(extra).persist(PERSISTED)
    everything.count()  # once: the UDF (and its counter) must not run again on the dropped files
    scanned.unpersist()
    return everything
