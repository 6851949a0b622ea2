"""Read a finished run's outputs straight from the local output folder (no Spark): what a user would see."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq


class RunOutputs:
    def __init__(self, root: Path):
        self.root = Path(root)

    def manifest(self) -> dict:
        return json.loads((self.root / "manifest.json").read_text())

    def explained_variance(self) -> dict:
        return json.loads((self.root / "explained_variance.json").read_text())

    def table(self, name: str):
        return pq.read_table(self.root / name).to_pandas().sort_values(
            "pc" if name == "pca_components" else "key"
        ).reset_index(drop=True)

    def matrix(self, name: str, column: str) -> np.ndarray:
        return np.stack(self.table(name)[column].to_numpy()).astype(np.float64)

    def csv_rows(self) -> list[list[str]]:
        with open(self.root / "pca_csv" / "pca.csv", newline="") as f:
            return list(csv.reader(f))
