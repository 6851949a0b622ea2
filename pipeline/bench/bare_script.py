"""The plain single-process script the job is compared with end to end (issue 14 §2): no Spark.

    python bare_script.py --input DIR --weights FILE.weights.h5 --out stages.json [--output-dir DIR]
                          [--batch-size 64] [--pca-variance 0.95] [--threads N]

Stages, timed like the job's manifest `timings_s` (same names where the work is the same):
  read       list the images and read their bytes
  weights    import TensorFlow, build MobileNetV2 and load the weights file
  featurize  decode + resize (the job's own preprocess.decode_image) and Keras `tf.function` in batches
  pca        centre, covariance, numpy `eigh`, k for the variance threshold, scores
  write      the CSV matrix key,label,pc_1..pc_k (what the job's pca_csv holds), to --output-dir or a temp dir
  total      wall time from the start of `read` to the end of `write` (TensorFlow's import included)
Writes {"images", "k", "threads", "timings_s": {...}, "images_per_s"} to --out and prints it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, type=Path, help="local folder of images (recursive)")
    p.add_argument("--weights", required=True, help="Keras weights file (.weights.h5), or random:SEED")
    p.add_argument("--out", required=True, type=Path, help="JSON file for the stage seconds")
    p.add_argument("--output-dir", type=Path, default=None, help="where the CSV goes (default: a temp dir)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--pca-variance", type=float, default=0.95)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="TF intra-op threads (default: all cores)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    a = parse_args(argv)
    timings: dict[str, float] = {}
    t_total = time.perf_counter()

    t = time.perf_counter()
    paths = sorted(p for p in a.input.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                   and not p.name.startswith((".", "_")))
    contents = [p.read_bytes() for p in paths]
    keys = [p.relative_to(a.input).as_posix() for p in paths]
    timings["read"] = time.perf_counter() - t
    if not paths:
        print(f"bare_script: error: no images under {a.input}", file=sys.stderr)
        return 2

    t = time.perf_counter()
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from fruits_pipeline.model import build_model, preprocess_input, random_weights
    from fruits_pipeline.preprocess import decode_image

    model = build_model(a.image_size)
    if a.weights.startswith("random:"):
        model.set_weights(random_weights(model, int(a.weights.split(":", 1)[1])))
    else:
        model.load_weights(a.weights)
    s = a.image_size
    forward = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec([None, s, s, 3], tf.float32)])
    timings["weights"] = time.perf_counter() - t

    t = time.perf_counter()
    features = []
    for i in range(0, len(contents), a.batch_size):
        batch = np.stack([decode_image(c, s) for c in contents[i:i + a.batch_size]])
        features.append(np.asarray(forward(preprocess_input(batch)), dtype=np.float32))
    x = np.concatenate(features).astype(np.float64)
    timings["featurize"] = time.perf_counter() - t

    t = time.perf_counter()
    centred = x - x.mean(axis=0)
    cov = centred.T @ centred / (len(x) - 1)
    eigenvalues, axes = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, axes = np.clip(eigenvalues[order], 0, None), axes[:, order]
    ratios = eigenvalues / eigenvalues.sum()
    k = int(np.searchsorted(np.cumsum(ratios), a.pca_variance - 1e-12) + 1)
    scores = centred @ axes[:, :k]
    timings["pca"] = time.perf_counter() - t

    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bare-script-") as tmp:
        out_dir = a.output_dir or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        with open(out_dir / "pca.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["key", "label", *[f"pc_{i + 1}" for i in range(k)]])
            for key, row in zip(keys, scores):
                w.writerow([key, key.split("/")[-2] if "/" in key else "", *[repr(float(v)) for v in row]])
        timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t_total

    report = {
        "what": "single-process script: read, Keras tf.function featurization, numpy PCA, CSV",
        "input": str(a.input), "images": len(paths), "k": k, "threads": a.threads, "batch_size": a.batch_size,
        "timings_s": {name: round(v, 3) for name, v in timings.items()},
        "images_per_s": round(len(paths) / timings["total"], 2),
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
