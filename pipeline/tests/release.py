"""The EMR release under test, read from versions.json `releases` (the one place that pins release facts).

Chosen by env WORKBENCH_RELEASE (the Makefile passes it); unset, by the running pyspark's version when exactly one
release pins it; otherwise versions.json `defaultRelease`. Tests that pin release facts (locks, Spark and numpy
versions in the manifest) read them from here instead of repeating them.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO

VERSIONS = json.loads((REPO / "versions.json").read_text())


@dataclass(frozen=True)
class Release:
    label: str
    spark: str
    runtime_lock: Path
    test_lock: Path
    how_chosen: str

    @property
    def spark_major(self) -> int:
        return int(self.spark.split(".")[0])

    def pinned(self, package: str) -> str:
        """The version the release's runtime lock pins for `package`."""
        m = re.search(rf"^{re.escape(package)}==([^\s\\;]+)", self.runtime_lock.read_text(), re.M | re.I)
        if not m:
            raise KeyError(f"{self.runtime_lock} pins no {package}")
        return m.group(1)


def installed_pyspark() -> str | None:
    try:
        return importlib.metadata.version("pyspark")
    except importlib.metadata.PackageNotFoundError:
        return None


def choose_label(env: dict[str, str], pyspark: str | None) -> tuple[str, str]:
    """(label, how it was chosen). Pure: the tests of this rule give env and pyspark themselves."""
    releases = VERSIONS["releases"]
    wanted = env.get("WORKBENCH_RELEASE", "").strip()
    if wanted:
        if wanted not in releases:
            raise ValueError(
                f"WORKBENCH_RELEASE={wanted!r} is not a release of versions.json; use one of {sorted(releases)}"
            )
        return wanted, "WORKBENCH_RELEASE"
    matching = [label for label, r in releases.items() if pyspark is not None and r["spark"] == pyspark]
    if len(matching) == 1:
        return matching[0], f"the running pyspark {pyspark}"
    return VERSIONS["defaultRelease"], "versions.json defaultRelease"


def release_under_test() -> Release:
    label, how = choose_label(dict(os.environ), installed_pyspark())
    r = VERSIONS["releases"][label]
    return Release(label, r["spark"], REPO / r["locks"]["runtime"], REPO / r["locks"]["test"], how)


RELEASE = release_under_test()
