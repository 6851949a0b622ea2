"""Shared fixtures: one local SparkSession for the whole session, the shared data folders, the converted weights.

The shared folders live beside the repo (`../shared/...` from the repo root); override with
FRUITS_SAMPLE_DIR and FRUITS_WEIGHTS_NPY_DIR. The ImageNet weights converted from the shared .npy files are
cached outside the repo in ${FRUITS_CACHE_DIR:-~/.cache/fruits-workbench}/weights/ (the workbench uses the same).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[1]
REPO = PIPELINE.parent
SRC = PIPELINE / "src"

# Spark's Python workers must run this interpreter and import the package from the source tree.
os.environ["PYSPARK_PYTHON"] = sys.executable
os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # the driver binds loopback only
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

SAMPLE_DIR = Path(os.environ.get("FRUITS_SAMPLE_DIR", REPO.parent / "shared" / "datasets" / "fruits-360-sample"))
WEIGHTS_NPY_DIR = Path(
    os.environ.get("FRUITS_WEIGHTS_NPY_DIR", REPO.parent / "shared" / "models" / "mobilenet_v2_1.0_224_no_top_npy")
)
CACHE_DIR = Path(os.environ.get("FRUITS_CACHE_DIR", Path.home() / ".cache" / "fruits-workbench"))
# Same name as the workbench's (workbench/src/setup/weights.ts convertedName): the conversion happens once.
CONVERTED_WEIGHTS_NAME = "mobilenet_v2_no_top_npy-{digest}.weights.h5"


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("fruits-pipeline-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    if not (SAMPLE_DIR / "Apricot").is_dir():
        pytest.skip(f"shared sample dataset not found at {SAMPLE_DIR} (set FRUITS_SAMPLE_DIR to run these tests)")
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def imagenet_weights_file() -> Path:
    """The shared .npy ImageNet weights as a Keras weights file, converted once into the cache dir."""
    if not (WEIGHTS_NPY_DIR / "SHA256SUMS").is_file():
        pytest.skip(f"shared ImageNet .npy weights not found at {WEIGHTS_NPY_DIR} (set FRUITS_WEIGHTS_NPY_DIR)")
    # The name changes when the .npy set or the converter changes (SHA256SUMS + weights_npy.py + model.py).
    h = hashlib.sha256((WEIGHTS_NPY_DIR / "SHA256SUMS").read_bytes())
    for name in ("weights_npy.py", "model.py"):
        h.update((SRC / "fruits_pipeline" / name).read_bytes())
    target = CACHE_DIR / "weights" / CONVERTED_WEIGHTS_NAME.format(digest=h.hexdigest()[:12])
    if not target.is_file():
        from fruits_pipeline.weights_npy import convert

        convert(WEIGHTS_NPY_DIR, target)
    return target


# Figures the tests measure (feature tolerance, classifier accuracy...), repeated in pytest's final summary so
# they show in `make test` output without -s.
_FIGURES: list[str] = []


@pytest.fixture
def report_figure():
    def report(line: str) -> None:
        print(line)
        _FIGURES.append(line.strip())

    return report


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("measured figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
