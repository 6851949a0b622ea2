"""The output folder's layout (docs/job-contract.md) and its writers.

Rerun safety: `clear` deletes the old manifest FIRST (so a crash mid-rerun never leaves a manifest describing
half-replaced data), then every output this job owns; nothing else in the folder is touched, so a mistyped
--output cannot wipe unrelated data. `manifest.json` is written last: its presence means the run completed.
"""

from __future__ import annotations

import json
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


def write_single_csv(storage: Storage, df: DataFrame, layout: OutputLayout) -> str:
    """One CSV file with a header, sorted by key, at pca_csv/pca.csv; the folder holds nothing else."""
    folder = layout.pca_csv_dir
    df.repartition(1).sortWithinPartitions("key").write.mode("overwrite").option("header", "true").csv(folder)
    parts = [n for n in storage.list_files(folder) if n.startswith("part-") and n.endswith(".csv")]
    if len(parts) != 1:
        raise RuntimeError(f"expected one CSV part file in {folder}, found {parts}")
    storage.rename(f"{folder}/{parts[0]}", layout.pca_csv)
    for name in storage.list_files(folder):  # _SUCCESS and the like: keep the folder to the one CSV
        if name != CSV_FILE_NAME:
            storage.delete(f"{folder}/{name}")
    return layout.pca_csv


def write_json(storage: Storage, uri: str, value: dict) -> None:
    storage.write_bytes(uri, (json.dumps(value, indent=2, sort_keys=False) + "\n").encode("utf-8"))
