"""pipeline/emr/runtime-lock-filter.sh (the one lock filter of the EMR bootstrap and the Docker image) and
pipeline/emr/bootstrap.sh, run for real: offline install from shipped wheels, hash-checked, pyspark left out.
The filter runs on every release's real runtime lock (versions.json `releases`); the bootstrap with the Spark of
the release under test (tests/release.py): the artifact always ships the chosen release's lock as
requirements.lock."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import PIPELINE, REPO
from release import RELEASE

FILTER = PIPELINE / "emr" / "runtime-lock-filter.sh"
BOOTSTRAP = PIPELINE / "emr" / "bootstrap.sh"
RELEASES = json.loads((REPO / "versions.json").read_text())["releases"]
SPARK = RELEASE.spark
# A Spark no release pins: the machine's Spark differs from the lock's.
OTHER_SPARK = SPARK.rsplit(".", 1)[0] + ".99"


def release_lock(label: str) -> tuple[Path, str]:
    return REPO / RELEASES[label]["locks"]["runtime"], RELEASES[label]["spark"]


def run_filter(lock: Path, spark: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(FILTER), str(lock), spark], capture_output=True, text=True)


def requirements(text: str) -> list[str]:
    return [line.split(" ")[0] for line in text.splitlines() if re.match(r"^[A-Za-z0-9]", line)]


@pytest.mark.parametrize("label", sorted(RELEASES))
def test_drops_pyspark_and_its_hashes_keeps_every_other_pin_with_its_hashes(label):
    path, spark = release_lock(label)
    lock = path.read_text()
    r = run_filter(path, spark)
    assert r.returncode == 0, r.stderr
    assert requirements(r.stdout) == [q for q in requirements(lock) if not q.startswith("pyspark==")]
    assert not re.search(r"^pyspark==", r.stdout, re.M)
    pyspark_block = re.split(r"\n(?=[A-Za-z0-9])", lock[lock.index("\npyspark==") + 1:])[0]
    hashes = lambda t: len(re.findall(r"--hash=sha256:[0-9a-f]{64}", t))  # noqa: E731
    assert hashes(r.stdout) == hashes(lock) - hashes(pyspark_block) > 0
    assert re.search(r"^py4j==", r.stdout, re.M)  # the venv's py4j serves the machine's pyspark


@pytest.mark.parametrize("label", sorted(RELEASES))
def test_refuses_another_spark(label):
    path, spark = release_lock(label)
    other = next(r["spark"] for l, r in RELEASES.items() if l != label)  # another release's Spark
    r = run_filter(path, other)
    assert r.returncode == 1 and f"pins pyspark=={spark} but the machine's Spark is {other}" in r.stderr


def test_refuses_a_lock_without_pyspark(tmp_path):
    f = tmp_path / "requirements.lock"
    f.write_text("numpy==1.26.4 \\\n    --hash=sha256:aa\n")
    r = run_filter(f, SPARK)
    assert r.returncode == 1 and "pins no pyspark" in r.stderr


@pytest.mark.parametrize("label", sorted(RELEASES))
def test_refuses_the_test_lock(label):
    r = run_filter(REPO / RELEASES[label]["locks"]["test"], RELEASES[label]["spark"])
    assert r.returncode == 1 and "holds test tools" in r.stderr


# --- bootstrap.sh, run locally: the artifact is a local folder, the interpreter a fresh venv -------------------

def build_probe_wheel(tmp: Path) -> Path:
    """A tiny pure-Python wheel written here (no network, no build tool): stands in for the shipped wheels."""
    import base64
    import zipfile

    files = {
        "fruits_bootstrap_probe/__init__.py": b"VALUE = 42\n",
        "fruits_bootstrap_probe-0.0.1.dist-info/METADATA": b"Metadata-Version: 2.1\nName: fruits-bootstrap-probe\nVersion: 0.0.1\n",
        "fruits_bootstrap_probe-0.0.1.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}\n"
        for name, data in files.items()
    ) + "fruits_bootstrap_probe-0.0.1.dist-info/RECORD,,\n"
    wheel = tmp / "fruits_bootstrap_probe-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("fruits_bootstrap_probe-0.0.1.dist-info/RECORD", record)
    return wheel


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("artifact")
    wheel = build_probe_wheel(tmp)
    art = tmp / "artifact"
    (art / "wheels").mkdir(parents=True)
    shutil.copy(wheel, art / "wheels" / wheel.name)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (art / "requirements.lock").write_text(
        "# a runtime lock in uv's format\n"
        f"fruits-bootstrap-probe==0.0.1 \\\n    --hash=sha256:{digest}\n"
        f"pyspark=={SPARK} \\\n    --hash=sha256:{'0' * 64}\n    # the machine's Spark provides it\n"
    )
    shutil.copy(FILTER, art / "runtime-lock-filter.sh")
    return art


def fresh_python(tmp: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(tmp / "node-venv")
    return tmp / "node-venv" / "bin" / "python"


def run_bootstrap(artifact: Path, python: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FRUITS_BOOTSTRAP_PYTHON": str(python), "PIP_CONFIG_FILE": os.devnull,
           # no index may be reached: a proxy that does not exist makes any network attempt fail
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    return subprocess.run(["bash", str(BOOTSTRAP), str(artifact), "3.11", *extra], capture_output=True, text=True, env=env)


def test_bootstrap_installs_the_shipped_wheels_offline_without_pyspark(artifact, tmp_path):
    python = fresh_python(tmp_path)
    r = run_bootstrap(artifact, python, SPARK)
    assert r.returncode == 0, r.stderr
    assert "installed fruits-bootstrap-probe 0.0.1" in r.stderr
    check = subprocess.run([str(python), "-c", "import fruits_bootstrap_probe as p, importlib.util as u; "
                            "print(p.VALUE, u.find_spec('pyspark') is None)"], capture_output=True, text=True)
    assert check.stdout.split() == ["42", "True"], check.stderr


def test_bootstrap_refuses_a_wheel_whose_hash_is_not_the_locks(artifact, tmp_path):
    bad = tmp_path / "bad-artifact"
    shutil.copytree(artifact, bad)
    lock = (bad / "requirements.lock").read_text()
    (bad / "requirements.lock").write_text(re.sub(r"(probe==0.0.1 \\\n    --hash=sha256:)[0-9a-f]{64}", r"\g<1>" + "1" * 64, lock))
    r = run_bootstrap(bad, fresh_python(tmp_path), SPARK)
    assert r.returncode != 0
    assert "hash" in r.stderr.lower()


def test_bootstrap_refuses_a_lock_for_another_spark(artifact, tmp_path):
    r = run_bootstrap(artifact, fresh_python(tmp_path), OTHER_SPARK)
    assert r.returncode == 1
    assert f"but the machine's Spark is {OTHER_SPARK}" in r.stderr
