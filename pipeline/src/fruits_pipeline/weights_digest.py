"""The sha256 of the weight VALUES of a Keras MobileNetV2 no-top weights file.

    python -m fruits_pipeline.weights_digest FILE [--image-size 224]

Loads FILE into MobileNetV2(include_top=False) exactly as the job does for `--weights FILE` (model.py
load_weights_file: Keras suffix, fits the architecture, 2,257,984 parameters) and prints one JSON line:

    {"arrays_sha256": "<64 hex>", "params": 2257984}

arrays_sha256 is the manifests' weights.arrays_sha256: equal weights <=> equal hash, whatever the file format
(Keras' legacy .h5 or a .weights.h5). The workbench uses it to check Keras' official file by its values
(versions.json kerasWeights.arraysSha256, workbench/src/setup/official-weights.ts); keep the output stable.
Exit 2 with a one-line reason on stderr when FILE is missing or does not fit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .errors import JobError
from .model import arrays_sha256, build_model, load_weights_file


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fruits_pipeline.weights_digest", description=__doc__.split("\n")[1])
    ap.add_argument("file", help="a Keras weights file (.weights.h5, .h5 or .keras)")
    ap.add_argument("--image-size", type=int, default=224, help="input size the model is built for (default 224)")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.file):
        print(f"weights_digest: {args.file}: no such file", file=sys.stderr)
        return 2
    try:
        arrays = load_weights_file(build_model(args.image_size), args.file, args.file)
    except JobError as e:
        print(f"weights_digest: {str(e).removeprefix('--weights: ')}", file=sys.stderr)
        return 2
    print(json.dumps({"arrays_sha256": arrays_sha256(arrays), "params": sum(int(a.size) for a in arrays)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
