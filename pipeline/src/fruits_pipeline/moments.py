"""Count, mean and centred scatter matrix of feature rows, and their exact merge: what the PCA needs. Pure numpy.

pca.moments computes them in one pass over the persisted features: one partial per partition, merged in a tree
on the executors (Spark's treeReduce) whose depth `tree_depth` picks from the task count, so the driver receives
at most about TREE_FAN_IN + 1 partials (13 MB each at d = 1,280) whatever the number of tasks. This module stays
free of Spark and TensorFlow: executors import it, and its functions are pure.

Why not a Spark accumulator filled by the featurization UDF (the earlier design, up to 64 tasks): every task
sent the driver one d x d matrix (64 x 13 MB), and an accumulator updated in a transformation counts a
recomputed task twice. A treeReduce's partials are task RESULTS: one per partition, whatever re-executions
happen (see pca.moments).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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

# At most about this many partials (plus one) reach the driver, and each reduce task of the tree merges about
# this many: 4 x 13 MB keeps the driver's share small; more levels cost a shuffle of a few partials each.
TREE_FAN_IN = 4


def tree_depth(tasks: int, fan_in: int = TREE_FAN_IN) -> int:
    """The treeReduce depth for `tasks` partials: the smallest d with fan_in ** d >= tasks (at least 1). Pure."""
    depth, reach = 1, fan_in
    while reach < tasks:
        depth, reach = depth + 1, reach * fan_in
    return depth


def partials_at_driver(tasks: int, depth: int) -> int:
    """How many partials PySpark's treeReduce/treeAggregate sends the driver for `tasks` partitions at `depth`: the
    same level loop, without Spark (3.5's rdd.py; 4.1.1's core/rdd.py has the same loop, compared 2026-12-04).
    Pure; the unit tests use it to show the driver's share is bounded."""
    import math

    partitions = float(tasks)
    scale = max(int(math.ceil(pow(tasks, 1.0 / depth))), 2)
    while partitions > scale + partitions / scale:
        partitions /= scale
    return int(partitions)
