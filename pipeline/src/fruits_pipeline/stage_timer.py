"""Wall-clock seconds per named stage of the job: the manifest's `timings_s` (a stage entered twice adds up)."""

from __future__ import annotations

import time
from contextlib import contextmanager


class StageTimer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t0 = time.perf_counter()

    @contextmanager
    def stage(self, name: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t

    def finish(self) -> dict[str, float]:
        return {**self.timings, "total": time.perf_counter() - self._t0}
