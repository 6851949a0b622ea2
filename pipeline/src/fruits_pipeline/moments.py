"""Count, mean and centred scatter matrix of feature rows, and their exact merge: what the PCA needs. Pure numpy.

Two producers, one type: the featurization UDF accumulates them per task while it has the features in hand
(MomentsParam: a Spark accumulator, so the PCA needs no pass of its own), and pca.moments computes them in a
distributed pass when the accumulator cannot be used (too many tasks, or a task ran twice). This module stays
free of Spark ML and TensorFlow: executors import it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyspark.accumulators import AccumulatorParam


@dataclass(frozen=True)
class Moments:
    n: int
    mean: np.ndarray  # (d,)
    m2: np.ndarray  # (d, d): sum over rows of (x - mean)(x - mean)^T

    def covariance(self) -> np.ndarray:
        return self.m2 / (self.n - 1)

    def std(self) -> np.ndarray:
        """Sample standard deviation (n - 1), what Spark's StandardScaler uses."""
        return np.sqrt(np.clip(np.diag(self.m2), 0.0, None) / (self.n - 1))


def block_moments(x: np.ndarray) -> Moments:
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    c = x - mean
    return Moments(len(x), mean, c.T @ c)


def merge_moments(a: Moments, b: Moments) -> Moments:
    """Exact merge of two partial moments (Chan et al.'s parallel update). Pure."""
    if a.n == 0:
        return b
    if b.n == 0:
        return a
    n = a.n + b.n
    delta = b.mean - a.mean
    mean = a.mean + delta * (b.n / n)
    return Moments(n, mean, a.m2 + b.m2 + np.outer(delta, delta) * (a.n * b.n / n))


EMPTY = Moments(0, np.zeros(0), np.zeros((0, 0)))


class MomentsParam(AccumulatorParam):
    """Spark accumulator of Moments: each task adds its partition's moments once; the driver merges them exactly."""

    def zero(self, value: Moments) -> Moments:
        return EMPTY

    def addInPlace(self, a: Moments, b: Moments) -> Moments:
        return merge_moments(a, b)
