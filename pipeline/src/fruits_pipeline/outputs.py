"""The output folder's layout (docs/job-contract.md) and its writers.

Rerun safety: `clear` deletes the old manifest FIRST (so a crash mid-rerun never leaves a manifest describing
half-replaced data), then every output this job owns; nothing else in the folder is touched, so a mistyped
--output cannot wipe unrelated data. `manifest.json` is written last: its presence means the run completed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pyspark.sql import DataFrame

from .storage import Storage

CSV_FILE_NAME = "pca.csv"


@dataclass(frozen=True)
class OutputLayout:
    root: str  # ends with '/'

    @property
    def features(self) -> str:
        return self.root + "features"

    @property
    def errors(self) -> str:
        return self.root + "errors"

    @property
    def pca(self) -> str:
        return self.root + "pca"

    @property
    def pca_csv_dir(self) -> str:
        return self.root + "pca_csv"

    @property
    def pca_csv(self) -> str:
        return f"{self.pca_csv_dir}/{CSV_FILE_NAME}"

    @property
    def pca_model(self) -> str:
        return self.root + "pca_model"

    @property
    def pca_scaler(self) -> str:
        return self.root + "pca_scaler"

    @property
    def pca_components(self) -> str:
        return self.root + "pca_components"

    @property
    def explained_variance(self) -> str:
        return self.root + "explained_variance.json"

    @property
    def manifest(self) -> str:
        return self.root + "manifest.json"

    def owned(self) -> list[str]:
        """Everything the job writes, manifest first (the order `clear` deletes in)."""
        return [
            self.manifest, self.features, self.errors, self.pca, self.pca_csv_dir, self.pca_model,
            self.pca_scaler, self.pca_components, self.explained_variance,
        ]

    def manifest_outputs(self) -> dict:
        return {
            "features": self.features, "errors": self.errors, "pca": self.pca, "pca_csv": self.pca_csv,
            "pca_model": self.pca_model, "pca_scaler": self.pca_scaler, "pca_components": self.pca_components,
            "explained_variance": self.explained_variance,
        }


def clear(storage: Storage, layout: OutputLayout) -> list[str]:
    """Remove a previous run's outputs, manifest first. Returns what was removed."""
    return [uri for uri in layout.owned() if storage.delete(uri)]


def write_parquet(df: DataFrame, uri: str) -> None:
    # No dictionary encoding: the outputs are mostly float features and scores, which never repeat, so Parquet
    # would build a dictionary per column chunk and then drop it (CPU the featurizing workers need on small hosts).
    df.write.mode("overwrite").option("parquet.enable.dictionary", "false").parquet(uri)


CSV_PARTS_DIR = "_parts"  # under pca_csv/ while the job runs; '_' hides it from Spark's readers, clear() removes it
ASSEMBLY_BUFFER_BYTES = 4 << 20  # the bounded buffer the parts stream through on the driver's JVM
_PART = re.compile(r"^part-(\d+)(?:-.*)?\.csv$")


def ordered_part_names(names: list[str]) -> list[str]:
    """Spark's CSV part files in partition order (the number after 'part-', compared as a number: Spark widens it
    past 99,999), other files (_SUCCESS, checksums) left out. Pure."""
    parts = [(int(m.group(1)), n) for n in names if (m := _PART.match(n))]
    return [n for _, n in sorted(parts)]


def csv_header(df: DataFrame) -> bytes:
    """The header line the single CSV starts with: the column names, which need no quoting (key, label, pc_i)."""
    return (",".join(df.columns) + "\n").encode("utf-8")


def write_single_csv(storage: Storage, df: DataFrame, layout: OutputLayout) -> str:
    """One CSV file with a header, sorted by key, at pca_csv/pca.csv; the folder holds nothing else.

    Written in parallel: `orderBy(key)` range-partitions the rows, so part i holds keys below part i + 1's and
    every task writes its part at once (no header in parts). The driver then streams the parts, in order, into
    the one file through the Hadoop FileSystem API with a bounded buffer (storage.concatenate: the bytes stay in
    the JVM, never a whole part in memory), and removes them. Before: one task sorted and wrote every row.
    """
    parts_dir = f"{layout.pca_csv_dir}/{CSV_PARTS_DIR}"
    df.orderBy("key").write.mode("overwrite").option("header", "false").csv(parts_dir)
    parts = ordered_part_names(storage.list_files(parts_dir))
    storage.concatenate(csv_header(df), [f"{parts_dir}/{n}" for n in parts], layout.pca_csv, ASSEMBLY_BUFFER_BYTES)
    storage.delete(parts_dir)
    for name in storage.list_files(layout.pca_csv_dir):  # keep the folder to the one CSV
        if name != CSV_FILE_NAME:
            storage.delete(f"{layout.pca_csv_dir}/{name}")
    return layout.pca_csv


def write_json(storage: Storage, uri: str, value: dict) -> None:
    storage.write_bytes(uri, (json.dumps(value, indent=2, sort_keys=False) + "\n").encode("utf-8"))
