"""Independent output writes run at once from driver threads (Spark accepts jobs from several threads)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable


def run_concurrently(writes: list[Callable[[], object]]) -> None:
    """Run every write, then raise the first failure.

    Why: each output is a Spark job whose time is partly fixed cost: scheduling, and on object stores the commit
    (S3A's default committer renames = copies every file, twice). Overlapping them hides that latency. The first
    failure is raised after all have finished, so no write is left running behind an error.
    """
    with ThreadPoolExecutor(max_workers=max(1, len(writes)), thread_name_prefix="fruits-write") as pool:
        futures = [pool.submit(w) for w in writes]
    for f in futures:
        f.result()
