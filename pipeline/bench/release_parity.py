"""Compares two runs of the job (e.g. one per EMR release) on the same input and weights: features and PCA.

    python pipeline/bench/release_parity.py RUN_A RUN_B [--out result.json]
    python pipeline/bench/release_parity.py RUN --fingerprint [--out tests/reference/FILE.json]

RUN_A / RUN_B are local output folders of the job. Prints one JSON line:
- features, matched by key: max abs difference, min cosine (and the key where it is lowest);
- PCA: k on each side, max abs difference of the explained-variance ratios (all 1280) and of the kept ones, and
  per kept axis |cos| between the two runs' axes (so sign flips do not count; the job fixes signs anyway, and
  `axes_same_sign` says whether they agreed), the lowest reported over the first 10 and over all kept axes;
- scores (pca/ column `pca`): max abs difference after aligning each axis' sign.
Plain pyarrow + numpy, no Spark: either venv can run it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq


def table(run: Path, name: str, column: str) -> tuple[list[str], np.ndarray]:
    t = pq.read_table(run / name, columns=["key", column]).to_pydict()
    order = np.argsort(t["key"])
    keys = [t["key"][i] for i in order]
    return keys, np.asarray([t[column][i] for i in order], dtype=np.float64)


def components(run: Path) -> np.ndarray:
    t = pq.read_table(run / "pca_components").to_pydict()
    order = np.argsort(t["pc"])
    vectors = t["vector"]
    return np.asarray([vectors[i]["values"] if isinstance(vectors[i], dict) else vectors[i] for i in order],
                      dtype=np.float64)


def compare(a: Path, b: Path) -> dict:
    ma, mb = (json.loads((r / "manifest.json").read_text()) for r in (a, b))
    out = {"a": {"run": str(a), "spark": ma["versions"]["spark"], "numpy": ma["versions"]["numpy"]},
           "b": {"run": str(b), "spark": mb["versions"]["spark"], "numpy": mb["versions"]["numpy"]},
           "same_weights": ma["weights"]["arrays_sha256"] == mb["weights"]["arrays_sha256"]}

    ka, fa = table(a, "features", "features")
    kb, fb = table(b, "features", "features")
    if ka != kb:
        raise SystemExit(f"the runs featurized different images: {len(set(ka) ^ set(kb))} keys differ")
    cos = (fa * fb).sum(1) / (np.linalg.norm(fa, axis=1) * np.linalg.norm(fb, axis=1))
    out["features"] = {"images": len(ka), "max_abs_diff": float(np.abs(fa - fb).max()),
                       "min_cosine": float(cos.min()), "min_cosine_key": ka[int(cos.argmin())]}

    ea, eb = (json.loads((r / "explained_variance.json").read_text()) for r in (a, b))
    k = min(ea["k"], eb["k"])
    ra, rb = np.asarray(ea["ratios"]), np.asarray(eb["ratios"])
    ca, cb = components(a), components(b)
    axis_cos = np.abs((ca[:k] * cb[:k]).sum(1) / (np.linalg.norm(ca[:k], axis=1) * np.linalg.norm(cb[:k], axis=1)))
    signs = np.sign((ca[:k] * cb[:k]).sum(1))
    _, sa = table(a, "pca", "pca")
    _, sb = table(b, "pca", "pca")
    out["pca"] = {"k": [ea["k"], eb["k"]], "ratios_max_abs_diff": float(np.abs(ra - rb).max()),
                  "kept_ratios_max_abs_diff": float(np.abs(ra[:k] - rb[:k]).max()),
                  "first_ratios": [round(float(x), 6) for x in ra[:3]],
                  "axes_min_abs_cos_first_10": float(axis_cos[:10].min()), "axes_min_abs_cos_all_kept": float(axis_cos.min()),
                  "axis_of_min_abs_cos": int(axis_cos.argmin()) + 1, "axes_same_sign": bool((signs > 0).all()),
                  "scores_max_abs_diff_sign_aligned": float(np.abs(sa[:, :k] - sb[:, :k] * signs).max()),
                  "scores_max_abs": float(np.abs(sa[:, :k]).max())}
    return out


FINGERPRINT_AXES = 4
FINGERPRINT_RATIOS = 20


def fingerprint_axes(dim: int) -> np.ndarray:
    """FINGERPRINT_AXES fixed unit vectors in feature space, from a formula (no RNG whose stream could change
    between numpy versions): row j is cos((i + 1) * (j + 1) * 0.7), normalized."""
    i = np.arange(dim, dtype=np.float64)
    v = np.stack([np.cos((i + 1) * (j + 1) * 0.7) for j in range(FINGERPRINT_AXES)])
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fingerprint(run: Path) -> dict:
    """What tests/test_sample_oracle.py compares another release's run with: per image the feature norm and the
    projections on fingerprint_axes, and the first explained-variance ratios. Small enough to commit."""
    m = json.loads((run / "manifest.json").read_text())
    keys, f = table(run, "features", "features")
    proj = f @ fingerprint_axes(f.shape[1]).T
    ev = json.loads((run / "explained_variance.json").read_text())
    return {"what": "fingerprint of a run of the job on the shared sample (pipeline/bench/release_parity.py "
                    "--fingerprint)", "spark": m["versions"]["spark"], "numpy": m["versions"]["numpy"],
            "engine": m["engine"]["name"], "weights_arrays_sha256": m["weights"]["arrays_sha256"],
            "k": ev["k"], "ratios": [float(x) for x in ev["ratios"][:FINGERPRINT_RATIOS]],
            "images": {k: [round(float(np.linalg.norm(f[n])), 6)] + [round(float(x), 6) for x in proj[n]]
                       for n, k in enumerate(keys)}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_a", type=Path)
    ap.add_argument("run_b", type=Path, nargs="?")
    ap.add_argument("--fingerprint", action="store_true", help="print run_a's fingerprint instead of comparing")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.fingerprint:
        text = json.dumps(fingerprint(args.run_a), indent=1) + "\n"
        (args.out.write_text(text) if args.out else print(text, end=""))
        return 0
    if args.run_b is None:
        ap.error("give two runs to compare, or --fingerprint")
    line = json.dumps(compare(args.run_a, args.run_b))
    print(line)
    if args.out:
        args.out.write_text(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
