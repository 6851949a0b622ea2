"""Turn the shared per-layer .npy MobileNetV2 weights into one Keras weights file.

    python -m fruits_pipeline.weights_npy --src DIR --out FILE.weights.h5

DIR is the folder with README.md, SHA256SUMS and weights/*.npy (the TF-slim names of the
JonathanCMitchell/mobilenet_v2_keras export). The workbench calls this CLI to cache a weights file for
`--weights`; keep its arguments and output stable.

Checks, each failing with a clear message: every file listed in SHA256SUMS is present with its hash; every
weight of every Keras layer is filled from exactly one file with the right shape; the total is 2,257,984 values.
The file is written atomically (a temp name, then rename), so a crash never leaves a half-written cache entry.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

from .model import PARAM_COUNT, build_model, file_sha256

BN_PARTS = ("gamma", "beta", "moving_mean", "moving_variance")  # Keras BatchNormalization weight order
UNUSED_FILES = {"Logits_Conv2d_1c_1x1_biases.npy"}  # the classifier head: not part of a no-top model


class ConversionError(Exception):
    pass


def npy_files_for_layer(layer_name: str, layer_kind: str) -> list[str]:
    """The .npy file names (in Keras weight order) for one Keras layer, per the mapping in the models README."""
    if layer_name in ("Conv1", "bn_Conv1"):
        slim = "Conv"
    elif layer_name in ("Conv_1", "Conv_1_bn"):
        slim = "Conv_1"
    elif layer_name.startswith("expanded_conv_"):  # block 0: expanded_conv_{depthwise,project}[_BN]
        slim = layer_name.removesuffix("_BN")
    elif layer_name.startswith("block_"):  # block_N_{expand,depthwise,project}[_BN]
        n, part = layer_name.removesuffix("_BN").split("_")[1:3]
        slim = f"expanded_conv_{n}_{part}"
    else:
        raise ConversionError(f"no .npy mapping for Keras layer {layer_name!r}")
    if layer_kind == "BatchNormalization":
        return [f"{slim}_BatchNorm_{p}.npy" for p in BN_PARTS]
    if layer_kind == "DepthwiseConv2D":
        return [f"{slim}_depthwise_weights.npy"]
    return [f"{slim}_weights.npy"]


def verify_checksums(src: Path) -> int:
    sums = src / "SHA256SUMS"
    if not sums.is_file():
        raise ConversionError(f"{sums} is missing: cannot verify the .npy files")
    checked = 0
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        name = name.lstrip("*").strip()
        path = src / "weights" / Path(name).name if not (src / name).is_file() else src / name
        if not path.is_file():
            raise ConversionError(f"{name} (listed in SHA256SUMS) is missing under {src}")
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise ConversionError(f"{path} does not match its SHA256SUMS entry: corrupt or altered copy")
        checked += 1
    return checked


def assign_weights(model, weights_dir: Path) -> set[str]:
    """Set every weighted layer from its .npy files; return the file names used."""
    used: set[str] = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        names = npy_files_for_layer(layer.name, type(layer).__name__)
        if len(names) != len(layer.weights):
            raise ConversionError(f"layer {layer.name} has {len(layer.weights)} weights, mapping gives {len(names)}")
        values = []
        for name, var in zip(names, layer.weights):
            path = weights_dir / name
            if not path.is_file():
                raise ConversionError(f"layer {layer.name} needs {name}, not found in {weights_dir}")
            arr = np.load(path).astype(np.float32)
            if tuple(arr.shape) != tuple(var.shape):
                raise ConversionError(f"{name}: shape {arr.shape} does not fit {layer.name} {tuple(var.shape)}")
            values.append(arr)
            used.add(name)
        layer.set_weights(values)
    return used


def convert(src: Path, out: Path) -> dict:
    weights_dir = src / "weights"
    if not weights_dir.is_dir():
        raise ConversionError(f"{weights_dir} not found: --src must be the folder holding weights/ and SHA256SUMS")
    if not out.name.endswith(".weights.h5"):
        raise ConversionError(f"--out must end with .weights.h5 (Keras 3 weights file), got {out.name}")
    checked = verify_checksums(src)
    model = build_model(224)
    used = assign_weights(model, weights_dir)
    n = sum(int(np.prod(v.shape)) for v in model.weights)
    if n != PARAM_COUNT:
        raise ConversionError(f"model has {n} parameters, expected {PARAM_COUNT}")
    left_over = {p.name for p in weights_dir.glob("*.npy")} - used - UNUSED_FILES
    if left_over:
        raise ConversionError(f".npy files not mapped to any layer: {sorted(left_over)[:5]}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name.removesuffix('.weights.h5')}.{os.getpid()}.partial.weights.h5")
    try:
        model.save_weights(str(tmp))
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return {"out": str(out), "sha256": file_sha256(str(out)), "params": n, "npy_files": len(used), "checksums_verified": checked}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="fruits_pipeline.weights_npy", description=__doc__.splitlines()[0])
    p.add_argument("--src", required=True, type=Path, help="folder with SHA256SUMS and weights/*.npy")
    p.add_argument("--out", required=True, type=Path, help="the Keras weights file to write (*.weights.h5)")
    a = p.parse_args(argv)
    try:
        info = convert(a.src, a.out)
    except ConversionError as e:
        print(f"weights_npy: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {info['out']} ({info['params']} parameters from {info['npy_files']} .npy files, "
          f"{info['checksums_verified']} checksums verified) sha256 {info['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
