"""Converting the shared .npy ImageNet weights into a Keras weights file (the workbench calls this CLI)."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import SRC, WEIGHTS_NPY_DIR
from fruits_pipeline.model import PARAM_COUNT, build_model


def test_converted_file_fills_every_parameter_and_loads_at_other_sizes(imagenet_weights_file):
    for size in (224, 160):  # conv weights do not depend on the input size
        model = build_model(size)
        model.load_weights(str(imagenet_weights_file))
        weights = model.get_weights()
        assert sum(w.size for w in weights) == PARAM_COUNT
    conv1 = np.load(WEIGHTS_NPY_DIR / "weights" / "Conv_weights.npy")
    assert np.array_equal(model.get_layer("Conv1").get_weights()[0], conv1)
    mv = np.load(WEIGHTS_NPY_DIR / "weights" / "expanded_conv_16_project_BatchNorm_moving_variance.npy")
    assert np.array_equal(model.get_layer("block_16_project_BN").get_weights()[3], mv)


def test_a_corrupt_npy_file_is_refused(tmp_path):
    if not (WEIGHTS_NPY_DIR / "SHA256SUMS").is_file():
        pytest.skip(f"shared ImageNet .npy weights not found at {WEIGHTS_NPY_DIR}")
    src = tmp_path / "npy"
    shutil.copytree(WEIGHTS_NPY_DIR, src)
    target = src / "weights" / "Conv_weights.npy"
    target.chmod(0o644)
    arr = np.load(target)
    arr[0, 0, 0, 0] += 1.0
    np.save(target, arr)
    r = subprocess.run([sys.executable, "-m", "fruits_pipeline.weights_npy", "--src", str(src),
                        "--out", str(tmp_path / "x.weights.h5")], capture_output=True, text=True,
                       env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert r.returncode == 1
    assert "Conv_weights.npy does not match its SHA256SUMS entry" in r.stderr
    assert not (tmp_path / "x.weights.h5").exists()
