"""The job on the shared Fruits-360 sample (390 images, 13 classes) against independent references.

- Features: Spark's equal plain Keras `model(x, training=False)` on images loaded by `keras.utils.load_img`
  (an independent decode path) within FEATURE_ATOL: float32 kernels differ only in summation order between a
  batch of 64 on one thread (Spark task) and a batch on several threads (here).
- PCA: Spark's explained-variance ratios and axes (up to sign) match scikit-learn's PCA on the same matrix.
- With the real ImageNet weights: a logistic regression on the PCA output separates the 13 classes.
- Across releases: the run matches the committed fingerprint of another release's run of the same job on the same
  sample and weights (tests/reference/, made by bench/release_parity.py --fingerprint): per-image feature norms and
  projections, k and the first explained-variance ratios.

The job runs ONCE here (module fixture), with the shared ImageNet weights when present, else random:0.
"""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from conftest import WEIGHTS_NPY_DIR
from fruits_pipeline.main import main
from outputs_reader import RunOutputs

FEATURE_ATOL = 2e-4  # features are in [0, ~10]; measured max |diff| is ~1e-5
RATIO_ATOL = 1e-7
AXIS_COSINE_MIN = 0.9999
EIGENGAP_REL = 0.02  # axes whose eigenvalue is within 2% of a neighbour are compared as a subspace, not singly
ACCURACY_FLOOR = 0.97  # measured: 1.000 (5-fold logistic regression), 0.997 nearest centroid
# Cross-release parity against tests/reference/sample-fingerprint-emr-7.13.0.json (Spark 3.5.6, numpy 1.26.4).
# Measured 2026-12-04, Spark 4.1.1 + numpy 2.4.6 vs that run (bench/release_parity.py, full features): features
# bit-identical (max |diff| 0), ratios within 2.5e-16, axes |cos| >= 1 - 2e-16. The tolerances leave room for a
# different batch composition (the summation-order effect FEATURE_ATOL allows for), not for a different model.
RELEASE_REFERENCE = Path(__file__).parent / "reference" / "sample-fingerprint-emr-7.13.0.json"
RELEASE_FEATURE_ATOL = 2e-3  # on norms (~20-40) and projections on 4 fixed unit vectors, rounded to 1e-6
RELEASE_RATIO_ATOL = 1e-7


@pytest.fixture(scope="module")
def weights_spec(request) -> str:
    if (WEIGHTS_NPY_DIR / "SHA256SUMS").is_file():
        return str(request.getfixturevalue("imagenet_weights_file"))
    return "random:0"


@pytest.fixture(scope="module")
def sample_run(spark, sample_dir, weights_spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("sample-run")
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(["--input", str(sample_dir), "--output", str(out), "--weights", weights_spec,
                     "--run-id", "oracle"], spark=spark)
    assert code == 0, stderr.getvalue()[-3000:]
    return RunOutputs(out)


def test_every_sample_image_is_featurized_once(sample_run):
    m = sample_run.manifest()
    assert m["counts"] == {"inputs": 390, "features": 390, "errors": 0, "featurized": 390}
    assert sorted(set(sample_run.table("features").label)) == sorted(
        ["Apricot", "Avocado", "Banana", "Clementine", "Kiwi", "Lemon", "Limes", "Orange", "Peach",
         "Pineapple", "Plum", "Pomegranate", "Strawberry"])


def test_spark_features_equal_plain_keras(sample_run, sample_dir, weights_spec, report_figure):
    import keras

    from fruits_pipeline.model import build_model, random_weights

    features = sample_run.table("features").iloc[::5]  # 78 images spread over every class
    model = build_model(224)
    if weights_spec.startswith("random:"):
        model.set_weights(random_weights(model, int(weights_spec.split(":")[1])))
    else:
        model.load_weights(weights_spec)
    x = np.stack([
        keras.utils.img_to_array(keras.utils.load_img(sample_dir / key, target_size=(224, 224), interpolation="bilinear"))
        for key in features.key
    ])
    expected = np.asarray(model(keras.applications.mobilenet_v2.preprocess_input(x), training=False))
    got = np.stack(features.features.to_numpy())
    diff = np.abs(got - expected).max()
    report_figure(f"\nSpark vs plain Keras on {len(x)} images: max |diff| = {diff:.2e} (tolerance {FEATURE_ATOL})")
    assert diff <= FEATURE_ATOL


def test_spark_pca_matches_scikit_learn(sample_run):
    from sklearn.decomposition import PCA

    X = sample_run.matrix("features", "features")
    m, k = sample_run.manifest(), sample_run.manifest()["pca"]["k"]
    ref = PCA(n_components=k, svd_solver="full").fit(X)
    ratios = np.array(sample_run.explained_variance()["ratios"])
    assert np.abs(ratios[:k] - ref.explained_variance_ratio_).max() <= RATIO_ATOL
    assert m["pca"]["variance_kept"] >= 0.95 and ratios[: k - 1].sum() < 0.95  # smallest k reaching 0.95

    axes = sample_run.matrix("pca_components", "vector")  # (k, 1280)
    ev = ref.explained_variance_
    gaps = np.minimum(np.r_[np.inf, -np.diff(ev)], np.r_[-np.diff(ev), np.inf]) / ev
    single = [i for i in range(min(k, 20)) if gaps[i] > EIGENGAP_REL]
    assert len(single) >= 5, "too few well-separated axes to compare"
    cosines = np.abs(np.sum(axes[single] * ref.components_[single], axis=1))
    assert cosines.min() >= AXIS_COSINE_MIN, dict(zip(single, cosines))

    scores = sample_run.matrix("pca", "pca")
    keys = sample_run.table("pca").key.tolist()
    assert keys == sample_run.table("features").key.tolist()
    ref_scores = ref.transform(X)
    for i in single:  # centred projections equal scikit-learn's transform, up to the axis sign
        sign = np.sign(np.dot(scores[:, i], ref_scores[:, i]))
        assert np.abs(scores[:, i] - sign * ref_scores[:, i]).max() <= 1e-3 * np.abs(ref_scores[:, i]).max()


def test_imagenet_features_separate_the_13_classes(sample_run, weights_spec, report_figure):
    if weights_spec.startswith("random:"):
        pytest.skip(f"shared ImageNet weights not found at {WEIGHTS_NPY_DIR}: random features cannot classify")
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    pca = sample_run.table("pca")
    X, y = np.stack(pca.pca.to_numpy()), pca.label.to_numpy()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    accuracy = cross_val_score(LogisticRegression(max_iter=2000), X, y, cv=cv).mean()
    report_figure(f"\n5-fold logistic regression on {X.shape[1]} PCA components of 390 images, 13 classes: "
          f"accuracy {accuracy:.3f} (floor {ACCURACY_FLOOR})")
    assert accuracy >= ACCURACY_FLOOR


@pytest.mark.parametrize("partitions", [1, 16])
def test_pca_does_not_depend_on_partitioning(spark, sample_run, partitions):
    """Regression: Spark 3.5.6's own PCA.fit gave wrong axes beyond the 2nd on these features with 16 partitions."""
    from fruits_pipeline.pca import PcaParams, fit_pca

    features = spark.read.parquet(str(sample_run.root / "features")).repartition(partitions)
    refit = fit_pca(features, PcaParams(None, 0.95, False))
    m = sample_run.manifest()["pca"]
    assert refit.k == m["k"]
    assert np.allclose(refit.ratios[: refit.k], m["explained_variance_ratio"], atol=1e-9)


def test_the_run_matches_another_release_run_of_the_same_sample(sample_run, weights_spec, report_figure):
    """Parity across EMR releases in one venv: this release's run against the committed fingerprint of a Spark
    3.5.6 / numpy 1.26.4 run (same shared sample, same ImageNet weights, same engine)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from release_parity import fingerprint

    ref = json.loads(RELEASE_REFERENCE.read_text())
    mine = fingerprint(sample_run.root)
    if mine["weights_arrays_sha256"] != ref["weights_arrays_sha256"]:
        pytest.skip(f"the reference was made with the shared ImageNet weights; this run used {weights_spec}")
    assert mine["engine"] == ref["engine"], "the reference is of the default engine: compare like with like"
    assert sorted(mine["images"]) == sorted(ref["images"])
    diff = max(abs(a - b) for key, values in ref["images"].items() for a, b in zip(values, mine["images"][key]))
    ratio_diff = max(abs(a - b) for a, b in zip(ref["ratios"], mine["ratios"]))
    report_figure(f"\nagainst the Spark {ref['spark']} / numpy {ref['numpy']} run: feature fingerprint max |diff| "
                  f"{diff:.2e} (tol {RELEASE_FEATURE_ATOL}), first {len(ref['ratios'])} ratios max |diff| "
                  f"{ratio_diff:.2e} (tol {RELEASE_RATIO_ATOL}), k {mine['k']} vs {ref['k']}")
    assert diff <= RELEASE_FEATURE_ATOL
    assert ratio_diff <= RELEASE_RATIO_ATOL and mine["k"] == ref["k"]
