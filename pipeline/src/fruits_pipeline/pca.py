"""PCA on the features, fitted ONCE whatever the k selection, delivered as a Spark ML `PCAModel`.

How `PCA.fit` works in Spark 3.5 and 4.1 (mllib RowMatrix.computePrincipalComponentsAndExplainedVariance): a distributed
pass computes the d x d covariance matrix, then the driver decomposes it in full (any k costs the same) and keeps
k columns. We do the same two steps, with one change: the driver-side decomposition is numpy's symmetric
eigensolver (`eigh`) instead of Spark's breeze SVD. Reason, measured on the shared sample (390 x 1280, a
rank-deficient covariance): Spark 3.5.6's pure-Java LAPACK SVD returned wrong eigenvalues and axes beyond the
second for some partitionings (first ratio 0.022 instead of 0.152, k=179 instead of 96) while the covariance
itself agreed with numpy to 1e-15. numpy's `eigh` gives scikit-learn's answer every time (tests/test_sample_oracle.py).
Re-checked on Spark 4.1.1 (2026-12-04, bench/spark_rechecks.py): Spark ML's LAPACK is still the pure-Java
`F2jLAPACK` (dev.ludovic.netlib 3.0.4; BLAS became `VectorBLAS`, was `Java11BLAS` on 3.5.6). On the current
features of the sample, `PCA.fit` at 1 and 16 partitions agreed with `eigh` to 2.2e-16 on BOTH releases, so the
earlier wrong axes were not reproduced by that check, on 3.5.6 either: no evidence that 4.1 fixed or kept them. The
job keeps `eigh` (one decomposition it owns, the same numbers on every release: parity, bench/release_parity.py).

So: the covariance is computed by Spark's executors in ONE distributed pass, the full spectrum by numpy on the
driver, then k is the fixed `--pca-k` or the smallest k whose cumulative ratio reaches `--pca-variance`, and a real
`PCAModel` with those k axes is built through the JVM: same class, same transform, same saved format as
`PCA(k=k).fit`, no second pass over the data.

Where the moments come from: one pass over the persisted features (`moments`): each partition's Arrow batches
become numpy blocks; a partition yields its count, mean and centred scatter matrix M2 = sum (x - mean)(x - mean)^T
(BLAS syrk/gemm), and the partials merge pairwise with the exact parallel formula (Chan, Golub & LeVeque) in a
treeReduce whose depth grows with the task count (moments.tree_depth): no raw second moment minus mean^2
cancellation, nothing proportional to the number of partitions on the driver. It replaces StandardScaler.fit +
RowMatrix.computeCovariance (four Spark jobs, a row-by-row packed rank-1 update in Java BLAS): measured on
3,120 x 1280 features, see pipeline/README.md. The scaler (mean, sample std) comes from the same moments.

Preprocessing (a StandardScaler fitted on the same data): features are always centred (Spark's PCAModel projects
raw vectors, so without centring the scores would carry the mean; centred scores match scikit-learn's
`PCA.transform`). `--pca-standardize` also scales each feature to unit variance (a correlation-matrix PCA);
default off: MobileNetV2 features share one scale and their variance is the signal.

Axis signs are made deterministic (largest-magnitude coordinate positive, like scikit-learn's svd_flip) so two
runs on different clusters give the same signs whenever their axes agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyspark.ml.feature import PCA, PCAModel, StandardScaler, StandardScalerModel
from pyspark.ml.functions import array_to_vector, vector_to_array
from pyspark.ml.linalg import DenseMatrix, DenseVector
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .errors import JobError
from .moments import Moments, block_moments, merge_moments, tree_depth  # noqa: F401  (re-exported: tests)


@dataclass(frozen=True)
class PcaParams:
    k: int | None  # fixed k, or None to choose by variance_threshold
    variance_threshold: float | None
    standardize: bool


@dataclass(frozen=True)
class PcaResult:
    scaler: StandardScalerModel
    model: PCAModel  # k components
    k: int
    k_mode: str  # fixed | variance
    ratios: list[float]  # every fitted ratio (feature dimension many), descending
    components: np.ndarray  # (dim, k), columns are the unit principal axes

    @property
    def cumulative(self) -> list[float]:
        return [float(x) for x in np.cumsum(self.ratios)]

    @property
    def variance_kept(self) -> float:
        return float(np.sum(self.ratios[: self.k]))


def choose_k(ratios: list[float] | np.ndarray, params: PcaParams) -> tuple[int, str]:
    """Fixed k, or the smallest k whose cumulative explained-variance ratio reaches the threshold. Pure."""
    n = len(ratios)
    if params.k is not None:
        if params.k > n:
            raise JobError(f"--pca-k {params.k} exceeds the {n} fitted components; choose k <= {n}")
        return params.k, "fixed"
    threshold = params.variance_threshold if params.variance_threshold is not None else 0.95
    cumulative = np.cumsum(np.asarray(ratios, dtype=np.float64))
    reached = np.nonzero(cumulative >= threshold - 1e-12)[0]  # tolerance: 1.0 must be reachable despite rounding
    return (int(reached[0]) + 1 if reached.size else n), "variance"


def deterministic_signs(components: np.ndarray) -> np.ndarray:
    """Flip each axis (column) so its largest-magnitude coordinate is positive. Pure."""
    idx = np.argmax(np.abs(components), axis=0)
    signs = np.sign(components[idx, np.arange(components.shape[1])])
    signs[signs == 0] = 1.0
    return components * signs


def pca_model(components: np.ndarray, ratios: list[float], k: int, input_col: str, output_col: str) -> PCAModel:
    """A Spark ML PCAModel with the first k axes: the JVM class itself, so it transforms, saves and loads as usual."""
    from pyspark import SparkContext
    from pyspark.ml.common import _py2java

    sc = SparkContext._active_spark_context
    pc = DenseMatrix(components.shape[0], k, np.asarray(components[:, :k], dtype=np.float64).ravel(order="F").tolist())
    ev = DenseVector(np.asarray(ratios[:k], dtype=np.float64))
    uid = PCA().uid  # a fresh "PCA_..." uid, as PCA.fit would give its model
    model = PCAModel(sc._jvm.org.apache.spark.ml.feature.PCAModel(uid, _py2java(sc, pc), _py2java(sc, ev)))
    model._set(k=k, inputCol=input_col, outputCol=output_col)
    model._transfer_params_to_java()
    return model


def spectrum(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Explained-variance ratios (descending) and unit axes (columns) of a covariance matrix. Pure."""
    eigenvalues, axes = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues = np.clip(eigenvalues[order], 0.0, None)  # a PSD matrix: negatives are rounding noise
    total = eigenvalues.sum()
    if not np.isfinite(total) or total <= 0.0:
        raise JobError("PCA failed: the features have no variance (all images identical, or a single image?)")
    return eigenvalues / total, deterministic_signs(axes[:, order])


_MOMENTS_SCHEMA = "n long, d int, mean binary, m2 binary"
MOMENTS_BATCH_ROWS = 2048  # rows per Arrow batch in the moments pass: 2048 x 1280 float32 = 10 MB per batch


def _partition_moments(batches):
    """mapInArrow body: Arrow batches of one partition (a list<float> column) -> one row of partial moments."""
    import pyarrow as pa

    acc = None
    for batch in batches:
        if batch.num_rows == 0:
            continue
        col = batch.column(0)
        d = len(col[0])
        block = col.flatten().to_numpy(zero_copy_only=False).reshape(batch.num_rows, d)
        part = block_moments(block)
        acc = part if acc is None else merge_moments(acc, part)
    if acc is not None:
        yield pa.RecordBatch.from_pydict({
            "n": [acc.n], "d": [len(acc.mean)], "mean": [acc.mean.tobytes()], "m2": [acc.m2.tobytes()],
        }, schema=pa.schema([("n", pa.int64()), ("d", pa.int32()), ("mean", pa.binary()), ("m2", pa.binary())]))


def _row_moments(row) -> Moments:
    d = row.d
    return Moments(row.n, np.frombuffer(row.mean, dtype=np.float64), np.frombuffer(row.m2, dtype=np.float64).reshape(d, d))


def moments(features: DataFrame, column: str = "features") -> Moments:
    """Count, mean and centred scatter matrix of an array<float> column: one distributed pass, merged in a tree.

    Each partition yields one partial (mapInArrow); treeReduce merges them on the executors, `tree_depth` levels
    deep for this many partitions, so the driver receives a few partials whatever the task count.

    Why a retried or recomputed task never counts twice: every partial here is a task's RESULT, not a side effect.
    At the intermediate levels a partial is a shuffle map output, registered once per map partition (a re-run
    replaces it); at the last level it is a result task's value, and the scheduler keeps one result per partition
    (later attempts, retries or speculative copies, are ignored). The merge therefore sees each partition exactly
    once, unlike an accumulator updated inside a transformation, which adds again for every re-executed task.
    """
    from .images import session_confs

    spark = features.sparkSession
    # Arrow batches of MOMENTS_BATCH_ROWS rows, not the featurization's 64: each batch costs a d x d product and a
    # merge of d x d matrices (13 MB each) whatever its row count, so few large batches make the pass cheap.
    with session_confs(spark, {"spark.sql.execution.arrow.maxRecordsPerBatch": str(MOMENTS_BATCH_ROWS)}):
        partials = features.select(column).mapInArrow(_partition_moments, _MOMENTS_SCHEMA).rdd.map(_row_moments)
        return partials.treeReduce(merge_moments, depth=tree_depth(partials.getNumPartitions()))

def scaler_model(m: Moments, standardize: bool, input_col: str, output_col: str) -> StandardScalerModel:
    """The Spark ML StandardScalerModel StandardScaler(withMean=True, withStd=standardize).fit would give."""
    from pyspark import SparkContext
    from pyspark.ml.common import _py2java

    sc = SparkContext._active_spark_context
    uid = StandardScaler().uid
    jmodel = sc._jvm.org.apache.spark.ml.feature.StandardScalerModel(
        uid, _py2java(sc, DenseVector(m.std())), _py2java(sc, DenseVector(m.mean)))
    model = StandardScalerModel(jmodel)
    model._set(withMean=True, withStd=standardize, inputCol=input_col, outputCol=output_col)
    model._transfer_params_to_java()
    return model


def scaled_covariance(m: Moments, standardize: bool) -> np.ndarray:
    """Covariance of what the scaler outputs: centred (and divided by the std; 0 where the std is 0, like Spark)."""
    cov = m.covariance()
    if not standardize:
        return cov
    std = m.std()
    inv = np.divide(1.0, std, out=np.zeros_like(std), where=std > 0)
    return cov * np.outer(inv, inv)


def fit_pca(features: DataFrame, params: PcaParams, precomputed: Moments | None = None) -> PcaResult:
    """Fit scaler + PCA once on `features` (key, label, features array<float>).

    `precomputed`: the moments of exactly these rows (main computes them in a stage of their own); then no pass.
    """
    m = precomputed if precomputed is not None else moments(features, "features")
    if m.n < 2:
        raise JobError(f"PCA needs at least 2 feature rows, got {m.n}")
    scaler = scaler_model(m, params.standardize, "raw", "scaled")
    ratios, axes = spectrum(scaled_covariance(m, params.standardize))
    k, mode = choose_k(ratios, params)
    model = pca_model(axes, ratios.tolist(), k, "scaled", "pca_vec")
    return PcaResult(scaler, model, k, mode, [float(r) for r in ratios], axes[:, :k])


def project(features: DataFrame, result: PcaResult) -> DataFrame:
    """(key, label, features) -> (key, label, pca array<double> of k). Pure DataFrame transform."""
    vectors = features.select("key", "label", array_to_vector("features").alias("raw"))
    projected = result.model.transform(result.scaler.transform(vectors))
    return projected.select("key", "label", vector_to_array("pca_vec", "float64").alias("pca"))


def components_frame(spark, result: PcaResult) -> DataFrame:
    """pca_components/: pc (1..k), vector array<double> (the unit axis in feature space).

    Built from pandas, which goes through Arrow (main.py turns spark.sql.execution.arrow.pyspark.enabled on):
    the row path verifies k x d Python floats one by one, 1.1 s for 96 x 1280 against 0.2 s.
    """
    import pandas as pd

    frame = pd.DataFrame({
        "pc": np.arange(1, result.k + 1, dtype=np.int32),
        "vector": [result.components[:, i].astype(np.float64).tolist() for i in range(result.k)],
    })
    return spark.createDataFrame(frame, "pc int, vector array<double>")


def csv_frame(pca: DataFrame, k: int) -> DataFrame:
    """key, label, pc_1..pc_k: the flat matrix for the CSV file."""
    return pca.select("key", "label", *[F.col("pca")[i].alias(f"pc_{i + 1}") for i in range(k)])
