"""`python -m fruits_pipeline.weights_digest FILE`: the sha256 of a weights file's values (the workbench checks
Keras' official file with it)."""

import json
import subprocess
import sys

from conftest import SRC
from fruits_pipeline.model import PARAM_COUNT, arrays_sha256, build_model, random_weights


def digest(path):
    return subprocess.run([sys.executable, "-m", "fruits_pipeline.weights_digest", str(path)], capture_output=True,
                          text=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_prints_the_arrays_sha256_of_a_weights_file(tmp_path):
    model = build_model(224)
    arrays = random_weights(model, 7)
    model.set_weights(arrays)
    path = tmp_path / "random7.weights.h5"
    model.save_weights(str(path))
    r = digest(path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {"arrays_sha256": arrays_sha256(arrays), "params": PARAM_COUNT}


def test_a_file_that_is_not_weights_is_refused_with_one_line(tmp_path):
    path = tmp_path / "page.h5"
    path.write_text("<html>not found</html>\n")
    r = digest(path)
    assert r.returncode == 2
    assert r.stdout == ""
    reason = r.stderr.strip().splitlines()[-1]  # TensorFlow may log before it
    assert reason.startswith("weights_digest: ") and "does not fit MobileNetV2" in reason
    missing = digest(tmp_path / "absent.h5")
    assert missing.returncode == 2 and "no such file" in missing.stderr
