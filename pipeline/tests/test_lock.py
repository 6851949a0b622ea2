"""Every release's two locks (versions.json `releases.<label>.locks`): requirements.lock (runtime: what a node
needs) and requirements-test.lock (runtime + test tools, constrained to the runtime pins). They agree with
versions.json and with the release's constraints.in, every pin is hashed, the header gives the command that
regenerates the file from pipeline/, and one venv holds both. Locks are data, so every release is checked
whatever venv runs the tests."""

import json
import re

import pytest

from conftest import PIPELINE, REPO

VERSIONS = json.loads((REPO / "versions.json").read_text())
RELEASES = sorted(VERSIONS["releases"])
TEST_ONLY = ("pytest", "scikit-learn", "moto", "boto3", "nbclient", "nbformat", "ipykernel", "matplotlib")
HEADER_FLAGS = "--python-version 3.11 --python-platform x86_64-unknown-linux-gnu --generate-hashes --exclude-newer"


def entries(path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, sorted hashes) for every requirement of a uv-generated lock."""
    out = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", path.read_text()):
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s\\;]+)", block)
        if m:
            out[m.group(1).lower().replace("_", "-")] = (m.group(3), sorted(re.findall(r"--hash=sha256:([0-9a-f]{64})", block)))
    return out


def pins(path) -> dict[str, str]:
    return {name: version for name, (version, _) in entries(path).items()}


def locks(label: str):
    r = VERSIONS["releases"][label]
    return REPO / r["locks"]["runtime"], REPO / r["locks"]["test"]


def major(version: str) -> int:
    return int(version.split(".")[0])


def test_every_release_has_its_locks_and_constraints_under_pipeline_locks():
    assert VERSIONS["defaultRelease"] in RELEASES
    for label in RELEASES:
        runtime, test = locks(label)
        folder = PIPELINE / "locks" / label
        assert (runtime, test) == (folder / "requirements.lock", folder / "requirements-test.lock")
        assert runtime.is_file() and test.is_file() and (folder / "constraints.in").is_file(), label


@pytest.mark.parametrize("label", RELEASES)
def test_runtime_lock_pins_the_release_spark(label):
    assert pins(locks(label)[0])["pyspark"] == VERSIONS["releases"][label]["spark"]


@pytest.mark.parametrize("label", RELEASES)
def test_runtime_lock_keeps_every_exact_pin_of_the_release_constraints(label):
    constraints = (PIPELINE / "locks" / label / "constraints.in").read_text()
    exact = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", constraints, re.M))
    assert exact, "a release's constraints pin at least its Spark"
    p = pins(locks(label)[0])
    assert {n: p.get(n) for n in exact} == exact


@pytest.mark.parametrize("label", RELEASES)
def test_test_lock_and_versions_json_agree_on_moto(label):
    assert pins(locks(label)[1])["moto"] == VERSIONS["moto"]


@pytest.mark.parametrize("label", RELEASES)
def test_runtime_lock_pins_the_verified_stack_and_no_test_tools(label):
    p = pins(locks(label)[0])
    assert p["tensorflow-cpu"] == "2.21.0"
    if major(p["pyspark"]) == 3:
        assert p["numpy"].startswith("1.26."), "pyspark 3.5 supports numpy < 2 only (SPARK-48710)"
        assert p["pandas"].startswith("2.2.")
        assert major(p["pyarrow"]) >= 4  # pyspark 3.5's minimum for pandas UDFs
    else:
        assert major(p["numpy"]) == 2, "Spark 4 runs numpy 2"
        assert major(p["pandas"]) == 2, "pandas 3 is not supported before Spark 4.3 (SPARK-57974)"
        assert major(p["pyarrow"]) >= 15  # pyspark 4.1's minimum
        assert major(p["python-dateutil"]) == 2, "moto 5.1.22 (the test lock) needs python-dateutil < 3"
    for name in ("pillow", "openvino", "onnxruntime", "tf2onnx"):  # the engines run on every node
        assert name in p, f"{name} missing from the runtime lock"
    assert [n for n in TEST_ONLY if n in p] == [], "test tools belong in requirements-test.lock"


@pytest.mark.parametrize("label", RELEASES)
def test_test_lock_holds_the_test_tools_with_the_runtime_pins_unchanged(label):
    runtime_lock, test_lock = locks(label)
    runtime, test = entries(runtime_lock), entries(test_lock)
    for name in TEST_ONLY:
        assert name in test, f"{name} missing from {test_lock.name}"
    # Constrained to the runtime lock: every runtime pin is there with the same version and the same hashes,
    # so `pip install -r requirements.lock -r requirements-test.lock` resolves to one consistent venv.
    differ = {n: (runtime[n][0], test.get(n, ("absent",))[0]) for n in runtime if test.get(n) != runtime[n]}
    assert differ == {}


@pytest.mark.parametrize("label", RELEASES)
def test_every_pin_is_hashed_and_the_regeneration_command_is_recorded(label):
    folder = f"locks/{label}"
    runtime_lock, test_lock = locks(label)
    for path, command in (
        (runtime_lock, f"uv pip compile pyproject.toml --constraints {folder}/constraints.in {HEADER_FLAGS}"),
        (test_lock, f"uv pip compile pyproject.toml --extra test --constraints {folder}/requirements.lock {HEADER_FLAGS}"),
    ):
        text = path.read_text()
        header = text.splitlines()[1]
        # Run from pipeline/, the header's command rewrites this very file (no path outside the repo).
        assert command in header and header.endswith(f"--output-file {folder}/{path.name}"), header
        assert "/tmp" not in header and not re.search(r"\s/", header)
        unhashed = [e.split()[0] for e in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
                    if e.strip() and "--hash=sha256:" not in e]
        assert unhashed == [], path.name
