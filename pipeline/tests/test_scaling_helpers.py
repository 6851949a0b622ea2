"""Pure helpers that keep the job's cost per image flat as n grows: task sizing, the moments' merge tree, the
single CSV's assembly order. No Spark."""

from __future__ import annotations

import numpy as np
import pytest

from fruits_pipeline.moments import (
    EMPTY,
    TREE_FAN_IN,
    Moments,
    block_moments,
    merge_moments,
    partials_at_driver,
    tree_depth,
)
from fruits_pipeline.outputs import ordered_part_names
from fruits_pipeline.task_sizing import (
    DEFAULT_IMAGES_PER_TASK,
    MEASURED_IMAGES_PER_S_PER_CORE,
    TARGET_TASK_SECONDS,
    TaskSizing,
    task_count,
)


def test_default_images_per_task_is_three_minutes_at_the_measured_rate():
    assert DEFAULT_IMAGES_PER_TASK == MEASURED_IMAGES_PER_S_PER_CORE * TARGET_TASK_SECONDS == 6300


@pytest.mark.parametrize("images, cores, per_task, expected", [
    (390, 2, 6300, 2),  # small inputs: one task per core, as before
    (3_120, 2, 6300, 2),
    (99_840, 2, 6300, 16),  # ceil(99,840 / 6,300)
    (1_000_000, 8, 6300, 159),  # the emr profile: 159 tasks of <= 6,300, not 8 of 125,000
    (10_000_000, 8, 6300, 1588),
    (6_300, 1, 6300, 1),
    (6_301, 1, 6300, 2),
    (0, 4, 6300, 4),
    (100, 4, 1, 100),
])
def test_tasks_are_sized_by_work_and_never_fewer_than_the_cores(images, cores, per_task, expected):
    n = task_count(TaskSizing(images, cores, per_task))
    assert n == expected
    assert n >= cores
    assert -(-images // n) <= per_task or n == cores  # no task holds more than images_per_task beyond the floor


def test_an_explicit_partition_count_overrides_the_sizing():
    s = TaskSizing(1_000_000, 8, 6300, explicit_tasks=3)
    assert task_count(s) == 3 and s.mode == "explicit"
    assert TaskSizing(10, 2).mode == "by-work"


def test_images_per_task_must_be_positive():
    with pytest.raises(ValueError, match="images_per_task"):
        task_count(TaskSizing(10, 2, 0))


def test_the_merge_tree_sends_the_driver_a_bounded_number_of_partials_at_any_task_count():
    """PySpark's treeReduce level loop, replayed: with tree_depth's depth the driver gets <= TREE_FAN_IN + 1 partials,
    from 1 task to 10 million (13 MB each at d = 1,280: at most 65 MB whatever n)."""
    for tasks in list(range(1, 300)) + [1_000, 4_097, 65_537, 1_000_000, 10_000_000]:
        depth = tree_depth(tasks)
        assert 1 <= partials_at_driver(tasks, depth) <= TREE_FAN_IN + 1, tasks
        assert TREE_FAN_IN ** (depth - 1) < tasks or depth == 1
    # Spark's own default (depth 2) would not be bounded: 10,000 tasks send it 100 partials, 1.3 GB.
    assert partials_at_driver(10_000, 2) == 100


def _tree_merge(parts: list[Moments], fan_in: int) -> Moments:
    """Merge level by level, fan_in partials per merge, as a treeReduce does on the executors."""
    while len(parts) > 1:
        merged = []
        for i in range(0, len(parts), fan_in):
            m = EMPTY
            for p in parts[i:i + fan_in]:
                m = merge_moments(m, p)
            merged.append(m)
        parts = merged
    return parts[0]


@pytest.mark.parametrize("partitions", [1, 2, 7, 64, 300])
def test_tree_merged_moments_equal_numpy_for_many_partitions(partitions):
    rng = np.random.default_rng(partitions)
    x = rng.normal(3.0, 1.5, size=(1200, 9)) * np.linspace(0.1, 40, 9) + 1e3  # an offset mean: no cancellation
    cuts = np.sort(rng.choice(np.arange(1, len(x)), size=partitions - 1, replace=False)) if partitions > 1 else []
    blocks = np.split(x, cuts)
    parts = [block_moments(b) for b in blocks]
    order = rng.permutation(len(parts))  # the tree's shape and order do not matter
    for fan_in in (2, TREE_FAN_IN, 16):
        m = _tree_merge([parts[i] for i in order], fan_in)
        assert m.n == len(x)
        np.testing.assert_allclose(m.mean, x.mean(axis=0), rtol=0, atol=1e-9)
        np.testing.assert_allclose(m.covariance(), np.cov(x, rowvar=False), rtol=1e-10, atol=1e-8)


def test_a_partition_merged_twice_would_count_twice_which_is_why_partials_are_task_results():
    """The merge is not idempotent: a partition's moments added twice (what an accumulator does for a recomputed
    task) changes n and the covariance. pca.moments merges task RESULTS, one per partition index, so a retry
    replaces a partial instead of adding it (see its docstring); here the two behaviours side by side."""
    rng = np.random.default_rng(0)
    blocks = [rng.normal(size=(50, 4)) for _ in range(6)]
    results = {i: block_moments(b) for i, b in enumerate(blocks)}
    results[3] = block_moments(blocks[3])  # a retried task: its result takes the same slot
    once = _tree_merge(list(results.values()), TREE_FAN_IN)
    np.testing.assert_allclose(once.covariance(), np.cov(np.vstack(blocks), rowvar=False), atol=1e-12)
    twice = _tree_merge(list(results.values()) + [block_moments(blocks[3])], TREE_FAN_IN)
    assert twice.n == once.n + 50


def test_csv_parts_are_assembled_in_partition_order():
    names = ["_SUCCESS", "part-00010-abc-c000.csv", "part-00002-abc-c000.csv", ".part-00002-abc-c000.csv.crc",
             "part-100000-abc-c000.csv", "part-00000-abc-c000.csv", "notes.txt"]
    assert ordered_part_names(names) == ["part-00000-abc-c000.csv", "part-00002-abc-c000.csv",
                                         "part-00010-abc-c000.csv", "part-100000-abc-c000.csv"]
