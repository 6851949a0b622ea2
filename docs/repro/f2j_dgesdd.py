"""Minimal reproduction: Spark 3.5.6's pure-Java LAPACK (F2J) `dgesdd` with JOBZ='A' returns wrong singular values.

    python docs/repro/f2j_dgesdd.py runs/<run-id>/features [--orders 12]

No Spark job: the pip `pyspark==3.5.6` jars only (`dev.ludovic.netlib` and `arpack_combined_all`, which hold the
F2J translation), reached through py4j. What it does, for the feature rows of one job run (Parquet `features`):
1. X = the feature matrix (n x 1280, float64); for each of `--orders` row orders (order 0 = as stored, then random
   permutations, seeded), C = np.cov(X[order]) -- the same matrix up to ~1e-16 rounding;
2. on each C, the three F2J calls `PCA.fit` could make (breeze's full SVD is dgesdd JOBZ='A'):
   dgesdd JOBZ='N', dgesdd JOBZ='A', dgesvd JOBU=JOBVT='A';
3. prints, per call: LAPACK's info, the sum of singular values against trace(C) (equal for a covariance), the
   first explained-variance ratio and k at 95%, and for 'A' calls max |U^T U - I|.
A wrong result shows as info = 0 with a sum far from the trace and U not orthonormal. It exits 1 when at least
one dgesdd 'A' call is wrong while dgesvd is right on the same matrix, 0 otherwise (some covariances do not
trigger it: docs/pca-fit-discrepancy.md). numpy's answer (`eigh`) is printed as the reference.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pyarrow.parquet as pq


def features_matrix(folder: str) -> np.ndarray:
    column = pq.read_table(folder, columns=["features"]).column("features").combine_chunks()
    n, d = len(column), len(column[0])
    return column.flatten().to_numpy(zero_copy_only=False).reshape(n, d).astype(np.float64)


class F2J:
    """dev.ludovic.netlib's F2jLAPACK through py4j; matrices cross as raw bytes (one call each way)."""

    def __init__(self, gateway=None, jvm_options: str = "") -> None:
        from pyspark import SparkConf
        from pyspark.java_gateway import launch_gateway

        # py4j keeps every Java array it created until Python collects its proxy: 12 orders x a few 1280 x 1280
        # matrices need more than the 1 GiB default heap.
        conf = SparkConf().set("spark.driver.memory", "4g")
        if jvm_options:
            conf.set("spark.driver.extraJavaOptions", jvm_options)
        self.gw = gateway or launch_gateway(conf)
        self.jvm = self.gw.jvm
        # What breeze (and so PCA.fit) gets: the native LAPACK when one loads, else the pure-Java fallback.
        self.lapack = self.jvm.dev.ludovic.netlib.lapack.LAPACK.getInstance()
        self.implementation = self.lapack.getClass().getName()

    def doubles(self, a: np.ndarray):
        raw = np.ascontiguousarray(a, dtype=">f8").tobytes()
        out = self.gw.new_array(self.jvm.double, a.size)
        self.jvm.java.nio.ByteBuffer.wrap(bytearray(raw)).asDoubleBuffer().get(out)
        return out

    def numpy(self, arr, n: int) -> np.ndarray:
        buf = self.jvm.java.nio.ByteBuffer.allocate(8 * n)
        buf.asDoubleBuffer().put(arr)
        return np.frombuffer(bytes(buf.array()), dtype=">f8").astype(np.float64)

    def intw(self):
        return self.jvm.org.netlib.util.intW(0)

    def svd(self, routine: str, jobz: str, c: np.ndarray):
        """(info, singular values, U or None) of the symmetric c, column-major as LAPACK wants it."""
        n = c.shape[0]
        a = self.doubles(c.T.ravel())  # column-major (c is symmetric anyway)
        s = self.gw.new_array(self.jvm.double, n)
        want = jobz != "N"
        u = self.gw.new_array(self.jvm.double, n * n if want else 1)
        vt = self.gw.new_array(self.jvm.double, n * n if want else 1)
        ld = n if want else 1
        query = self.gw.new_array(self.jvm.double, 1)
        info = self.intw()
        if routine == "dgesdd":
            iwork = self.gw.new_array(self.jvm.int, 8 * n)
            # The workspace breeze.linalg.svd passes (not LAPACK's own optimum from a query): dgesdd picks its
            # code path from LWORK.
            lwork = 3 * n * n + max(n, 4 * n * n + 4 * n) if want else 3 * n + max(n, 7 * n)
            work = self.gw.new_array(self.jvm.double, lwork)
            self.lapack.dgesdd(jobz, n, n, a, n, s, u, ld, vt, ld, work, lwork, iwork, info)
        else:
            self.lapack.dgesvd(jobz, jobz, n, n, a, n, s, u, ld, vt, ld, query, -1, info)
            work = self.gw.new_array(self.jvm.double, int(query[0]))
            self.lapack.dgesvd(jobz, jobz, n, n, a, n, s, u, ld, vt, ld, work, int(query[0]), info)
        values = self.numpy(s, n)
        vectors = self.numpy(u, n * n).reshape(n, n).T if want else None  # back from column-major
        from py4j.java_gateway import get_field

        return get_field(info, "val"), values, vectors


def describe(values: np.ndarray, trace: float) -> str:
    ratios = values / values.sum()
    k95 = int(np.searchsorted(np.cumsum(ratios), 0.95 - 1e-12) + 1)
    return f"sum {values.sum():10.4f} (trace {trace:.4f}), first ratio {ratios[0]:.6f}, k at 95% {k95:4d}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("features", help="a job run's features/ folder (Parquet)")
    p.add_argument("--orders", type=int, default=12, help="row orders to try (default 12)")
    p.add_argument("--spark-covariance", action="store_true",
                   help="take each covariance from Spark's RowMatrix.computeCovariance (what PCA.fit uses) on "
                        "1, 2, ... partitions, instead of np.cov on permuted rows")
    p.add_argument("--only", default="", help="comma-separated order numbers to run (the others are skipped, "
                                              "with the same permutations: e.g. --only 2,6)")
    p.add_argument("--jvm-options", default="", help="options for the JVM that runs F2J, e.g. -Xint or "
                                                     "-XX:TieredStopAtLevel=1 (is it the JIT?)")
    a = p.parse_args(argv)
    only = {int(o) for o in a.only.split(",") if o.strip()}

    x = features_matrix(a.features)
    print(f"{x.shape[0]} x {x.shape[1]} features from {a.features}")
    spark = None
    if a.spark_covariance:
        from pyspark.mllib.linalg.distributed import RowMatrix
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.master("local[2]").getOrCreate()
    f2j = F2J(jvm_options=a.jvm_options) if spark is None else F2J(spark.sparkContext._gateway)
    print(f"LAPACK implementation: {f2j.implementation}")
    rng = np.random.default_rng(0)
    reproduced = 0
    for i in range(a.orders):
        if spark is None:
            order = np.arange(len(x)) if i == 0 else rng.permutation(len(x))
            c = np.cov(x[order], rowvar=False)
        else:
            rows = spark.sparkContext.parallelize([r.tolist() for r in x], i + 1)
            c = RowMatrix(rows).computeCovariance().toArray()
        if only and i not in only:
            continue
        trace = float(np.trace(c))
        ref = np.clip(np.linalg.eigvalsh(c)[::-1], 0, None)
        print(f"\norder {i}: numpy eigh       {describe(ref, trace)}")
        wrong_a = right_svd = False
        for routine, jobz in (("dgesdd", "N"), ("dgesdd", "A"), ("dgesvd", "A")):
            info, values, u = f2j.svd(routine, jobz, c)
            ortho = f" max|U'U - I| {np.abs(u.T @ u - np.eye(len(u))).max():.2e}" if u is not None else ""
            off = abs(values.sum() - trace) > 1e-6 * trace
            print(f"  F2J {routine} {jobz}: info {info}, {describe(values, trace)}{ortho}{'   <-- WRONG' if off else ''}")
            wrong_a |= routine == "dgesdd" and jobz == "A" and off
            right_svd |= routine == "dgesvd" and not off
        reproduced += int(wrong_a and right_svd)
    print(f"\nF2J dgesdd JOBZ='A' wrong (info 0) while dgesvd is right: {reproduced} of "
          f"{len(only) if only else a.orders} row orders")
    return 1 if reproduced else 0


if __name__ == "__main__":
    sys.exit(main())
