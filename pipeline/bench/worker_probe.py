"""One featurizing Python worker, alone in a fresh process: what an executor's worker does with the broadcast.

    python worker_probe.py MODEL_PICKLE IMAGES_DIR OUT_PREFIX [--batch-size 64] [--cpus 1]

It unpickles the broadcast value (engines.ConvertedModel, as Spark's worker does), sets the model up through
features.cached_forward (the UDF's own code) and featurizes every image of IMAGES_DIR in Arrow-batch-sized
batches with features.featurize_contents. Writes OUT_PREFIX.npy (features, rows in sorted-key order) and prints
one JSON line: peak RSS (VmHWM), cold start (imports + model set-up + first batch), whether TensorFlow or Keras
got imported. Used by tests/test_engines.py (parity, no TF on workers, worker memory) and the bench.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def vm_hwm_bytes() -> int:
    """Peak resident set size of this process (Linux /proc; ru_maxrss elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def image_paths(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("images", type=Path)
    p.add_argument("out_prefix")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--cpus", type=int, default=1)
    a = p.parse_args(argv)

    from fruits_pipeline.features import FeaturizeParams, cached_forward, featurize_contents

    baseline_rss = vm_hwm_bytes()  # python + numpy + pandas + pyarrow + pyspark's worker-side imports
    with open(a.model, "rb") as f:
        converted = pickle.load(f)

    class Broadcast:  # what sc.broadcast(...).value gives a worker
        value = converted

    params = FeaturizeParams(converted.image_size, "bilinear", converted.key)
    paths = image_paths(a.images)
    t_setup = time.perf_counter()
    forward = cached_forward(params, Broadcast(), a.cpus)
    setup_s = time.perf_counter() - t_setup
    rows, first_batch_at, t_run = [], None, time.perf_counter()
    for i in range(0, len(paths), a.batch_size):
        contents = pd.Series([q.read_bytes() for q in paths[i:i + a.batch_size]])
        out = featurize_contents(forward, contents, params)
        assert out.error.isna().all(), out.error.dropna().tolist()
        rows.extend(out.features)
        if first_batch_at is None:
            first_batch_at = time.perf_counter()
    run_s = time.perf_counter() - t_run
    np.save(a.out_prefix + ".npy", np.stack(rows).astype(np.float32))
    print(json.dumps({
        "engine": converted.engine,
        "precision": converted.precision,
        "images": len(paths),
        "batch_size": a.batch_size,
        "cpus": a.cpus,
        "peak_rss_bytes": vm_hwm_bytes(),
        "baseline_rss_bytes": baseline_rss,
        "model_setup_s": round(setup_s, 3),
        "cold_start_s": round((first_batch_at or time.perf_counter()) - T0, 3),
        "run_s": round(run_s, 3),
        "images_per_s": round(len(paths) / run_s, 2),
        "tensorflow_imported": "tensorflow" in sys.modules,
        "keras_imported": "keras" in sys.modules,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
