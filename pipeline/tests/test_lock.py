"""The two locks: requirements.lock (runtime: what a node needs) and requirements-test.lock (runtime + test tools,
constrained to the runtime pins). They agree with versions.json, every pin is hashed, and one venv holds both."""

import json
import re

from conftest import PIPELINE, REPO

LOCK = PIPELINE / "requirements.lock"
TEST_LOCK = PIPELINE / "requirements-test.lock"
TEST_ONLY = ("pytest", "scikit-learn", "moto", "boto3", "nbclient", "nbformat", "ipykernel", "matplotlib")


def entries(path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, sorted hashes) for every requirement of a uv-generated lock."""
    out = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", path.read_text()):
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s\\;]+)", block)
        if m:
            out[m.group(1).lower().replace("_", "-")] = (m.group(3), sorted(re.findall(r"--hash=sha256:([0-9a-f]{64})", block)))
    return out


def pins(path=LOCK) -> dict[str, str]:
    return {name: version for name, (version, _) in entries(path).items()}


def test_lock_and_versions_json_agree_on_spark():
    versions = json.loads((REPO / "versions.json").read_text())
    assert pins()["pyspark"] == versions["spark"] == versions["emr"]["spark"]


def test_test_lock_and_versions_json_agree_on_moto():
    versions = json.loads((REPO / "versions.json").read_text())
    assert pins(TEST_LOCK)["moto"] == versions["moto"]


def test_runtime_lock_pins_the_verified_stack_and_no_test_tools():
    p = pins()
    assert p["tensorflow-cpu"] == "2.21.0"
    assert p["numpy"].startswith("1.26."), "pyspark 3.5 supports numpy < 2 only (SPARK-48710)"
    assert p["pandas"].startswith("2.2.")
    assert int(p["pyarrow"].split(".")[0]) >= 4  # pyspark 3.5's minimum for pandas UDFs
    for name in ("pillow", "openvino", "onnxruntime", "tf2onnx"):  # the engines run on every node
        assert name in p, f"{name} missing from the runtime lock"
    assert [n for n in TEST_ONLY if n in p] == [], "test tools belong in requirements-test.lock"


def test_test_lock_holds_the_test_tools_with_the_runtime_pins_unchanged():
    runtime, test = entries(LOCK), entries(TEST_LOCK)
    for name in TEST_ONLY:
        assert name in test, f"{name} missing from requirements-test.lock"
    # Constrained to the runtime lock: every runtime pin is there with the same version and the same hashes,
    # so `pip install -r requirements.lock -r requirements-test.lock` resolves to one consistent venv.
    differ = {n: (runtime[n][0], test.get(n, ("absent",))[0]) for n in runtime if test.get(n) != runtime[n]}
    assert differ == {}


def test_every_pin_is_hashed_and_the_regeneration_command_is_recorded():
    for path, command in (
        (LOCK, "uv pip compile pyproject.toml --python-version 3.11"),
        (TEST_LOCK, "uv pip compile pyproject.toml --extra test --constraints requirements.lock"),
    ):
        text = path.read_text()
        header = text.splitlines()[1]
        assert command in header and "--generate-hashes" in header and "--exclude-newer" in header
        assert "x86_64-unknown-linux-gnu" in header
        unhashed = [e.split()[0] for e in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
                    if e.strip() and "--hash=sha256:" not in e]
        assert unhashed == [], path.name
