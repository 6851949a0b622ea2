"""Installed package versions, from package metadata (importing TensorFlow only to read its version costs seconds)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def installed_version(*names: str) -> str | None:
    """The version of the first of `names` that is installed (a package may go by several names), else None."""
    for name in names:
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return None
