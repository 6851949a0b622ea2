"""How many featurization tasks: sized by work, never fewer than the executor cores. Pure: no Spark.

Why by work: the scan yields the featurization tasks (images.py, no shuffle), so a task's duration is its image
count over the per-core rate. One task per core, as before, made tasks grow with n: on 8 cores, one million
images are 8 tasks of 125,000 images, each an hour of work that a lost executor redoes, each persisting
gigabytes of features. A bounded number of images per task keeps a task's cost (time, retry, cached bytes, the
Arrow and Python memory it holds) the same at any n; only the task count grows.

The default, derived: the job featurizes about MEASURED_IMAGES_PER_S_PER_CORE images/s per core (issue 20,
onnxruntime f32 on this project's 2-core machine, whole featurize stage with S3 reads), and a task of
TARGET_TASK_SECONDS (3 minutes) is long enough that Spark's per-task cost (scheduling, a Python worker's first
batch, an output file per task) is well under 1%, and short enough that a retried task loses little work:
35 x 180 = 6,300 images per task (about 32 MB of cached float32 features at 1,280 per image).
"""

from __future__ import annotations

from dataclasses import dataclass

MEASURED_IMAGES_PER_S_PER_CORE = 35
TARGET_TASK_SECONDS = 180
DEFAULT_IMAGES_PER_TASK = MEASURED_IMAGES_PER_S_PER_CORE * TARGET_TASK_SECONDS  # 6,300
MAX_IMAGES_PER_TASK = 1_000_000  # the bound --images-per-task accepts (a task of ~8 hours at the measured rate)


@dataclass(frozen=True)
class TaskSizing:
    images: int  # files listed under --input
    cores: int  # executor cores: spark.default.parallelism
    images_per_task: int = DEFAULT_IMAGES_PER_TASK
    explicit_tasks: int = 0  # --partitions N > 0: the caller's override; 0 = sized by work

    @property
    def mode(self) -> str:
        return "explicit" if self.explicit_tasks > 0 else "by-work"


def task_count(s: TaskSizing) -> int:
    """The explicit count if given; otherwise ceil(images / images_per_task), and never fewer than the cores.

    (With fewer images than cores the scan itself yields fewer, non-empty tasks: count_packing_confs.)"""
    if s.explicit_tasks > 0:
        return s.explicit_tasks
    if s.images_per_task < 1:
        raise ValueError(f"images_per_task must be >= 1, got {s.images_per_task}")
    by_work = -(-max(0, s.images) // s.images_per_task)
    return max(max(1, s.cores), by_work)
