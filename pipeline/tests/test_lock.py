"""The lock file pins what the job needs, for the Spark that versions.json (and EMR) uses."""

import json
import re

from conftest import PIPELINE, REPO

LOCK = PIPELINE / "requirements.lock"


def pins() -> dict[str, str]:
    out = {}
    for line in LOCK.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s\\;]+)", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(3)
    return out


def test_lock_and_versions_json_agree_on_spark():
    versions = json.loads((REPO / "versions.json").read_text())
    assert pins()["pyspark"] == versions["spark"] == versions["emr"]["spark"]


def test_lock_and_versions_json_agree_on_moto():
    versions = json.loads((REPO / "versions.json").read_text())
    assert pins()["moto"] == versions["moto"]


def test_lock_pins_the_verified_stack():
    p = pins()
    assert p["tensorflow-cpu"] == "2.21.0"
    assert p["numpy"].startswith("1.26."), "pyspark 3.5 supports numpy < 2 only (SPARK-48710)"
    assert p["pandas"].startswith("2.2.")
    assert int(p["pyarrow"].split(".")[0]) >= 4  # pyspark 3.5's minimum for pandas UDFs
    for name in ("pillow", "pytest", "scikit-learn", "boto3", "moto"):
        assert name in p, f"{name} missing from the lock"


def test_every_pin_is_hashed_and_the_regeneration_command_is_recorded():
    text = LOCK.read_text()
    assert "uv pip compile pyproject.toml" in text.splitlines()[1]
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    unhashed = [e.split()[0] for e in entries if e.strip() and "--hash=sha256:" not in e]
    assert unhashed == []
