"""The job's command line (docs/job-contract.md) -> JobParams, and the one-line error on bad input."""

import subprocess
import sys
from datetime import datetime, timezone

import pytest

from conftest import PIPELINE
from fruits_pipeline.cli import generate_run_id, normalize_uri, parse_args

BASE = ["--input", "s3a://b/in/", "--output", "s3a://b/runs/r1", "--weights", "random:0"]


def test_defaults_match_the_contract():
    p = parse_args(BASE)
    assert (p.input_uri, p.output_uri) == ("s3a://b/in/", "s3a://b/runs/r1/")
    assert p.pca_k is None and p.pca_variance == 0.95 and p.pca_standardize is False
    assert (p.image_size, p.interpolation, p.arrow_batch_size, p.partitions) == (224, "bilinear", 64, 0)
    assert p.artifact_sha256 is None and p.run_id


def test_every_option_is_parsed():
    p = parse_args(BASE + ["--pca-k", "12", "--pca-standardize", "--image-size", "160", "--interpolation", "lanczos",
                           "--arrow-batch-size", "32", "--partitions", "8", "--run-id", "r-1", "--artifact-sha256", "a" * 64])
    assert (p.pca_k, p.pca_variance, p.pca_standardize) == (12, None, True)
    assert (p.image_size, p.interpolation, p.arrow_batch_size, p.partitions, p.run_id) == (160, "lanczos", 32, 8, "r-1")
    assert p.settings()["pca_k"] == 12 and p.settings()["weights"] == "random:0"


def test_bare_paths_become_file_uris():
    assert normalize_uri("/data/fruits") == "file:///data/fruits/"


def test_run_id_is_utc_timestamp_plus_suffix():
    assert generate_run_id(datetime(2026, 11, 25, 20, 1, 2, tzinfo=timezone.utc), "ab12cd") == "20261125T200102Z-ab12cd"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--pca-k", "0"], "--pca-k must be between 1 and 1280"),
        (["--pca-k", "3", "--pca-variance", "0.9"], "not allowed with argument"),
        (["--pca-variance", "1.5"], "--pca-variance must be in (0, 1]"),
        (["--interpolation", "area"], "invalid choice"),
        (["--weights", "random:x"], "integer seed"),
        (["--weights", "auto"], "'auto' is resolved by the workbench"),
        (["--artifact-sha256", "XYZ"], "64 lower-case hex"),
        (["--run-id", "a/b"], "--run-id must be"),
    ],
)
def test_bad_arguments_fail_with_a_reason(extra, message, capsys):
    with pytest.raises(SystemExit) as e:
        parse_args(BASE + extra)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_output_inside_input_is_refused(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--input", "s3a://b/in", "--output", "s3a://b/in/out", "--weights", "imagenet"])
    assert "must not be inside --input" in capsys.readouterr().err


def test_entrypoint_exits_2_with_one_line_reason_before_starting_spark():
    r = subprocess.run([sys.executable, str(PIPELINE / "entrypoint.py"), *BASE, "--pca-k", "-1"],
                       capture_output=True, text=True, cwd=PIPELINE, timeout=60,
                       env={"PYTHONPATH": str(PIPELINE / "src"), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].startswith("fruits-job: error: argument --pca-k")
