"""A folder holding N copies of an image folder with distinct keys, for the end-to-end bench at 3,120 images.

    python replicate_sample.py --src ../shared/datasets/fruits-360-sample --copies 8 [--dest DIR]

Copy i of `<Label>/<name>` is `<Label>/c<i>_<name>`: the label (parent folder) is kept, every key is distinct.
Files are hard links when the file system allows (no extra disk), else copies. The destination defaults to
${FRUITS_CACHE_DIR:-~/.cache/fruits-workbench}/bench/<src name>-x<N>, OUTSIDE the repository; it is rebuilt
only when the source listing changes (a marker holds its hash). Prints the destination folder.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
from pathlib import Path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
MARKER = ".replicated"


def source_images(src: Path) -> list[Path]:
    return sorted(p for p in src.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not p.name.startswith((".", "_")))


def default_dest(src: Path, copies: int) -> Path:
    cache = Path(os.environ.get("FRUITS_CACHE_DIR", Path.home() / ".cache" / "fruits-workbench"))
    return cache / "bench" / f"{src.name}-x{copies}"


def listing_digest(src: Path, files: list[Path], copies: int) -> str:
    h = hashlib.sha256(f"copies={copies}\n".encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(src).as_posix()}\t{st.st_size}\t{int(st.st_mtime)}\n".encode())
    return h.hexdigest()


def replicate(src: Path, copies: int, dest: Path | None = None) -> Path:
    """Build (or reuse) the replicated folder; returns it."""
    src = src.resolve()
    files = source_images(src)
    if not files:
        raise SystemExit(f"replicate_sample: no images under {src}")
    dest = (dest or default_dest(src, copies)).resolve()
    if dest == src or src in dest.parents:
        raise SystemExit("replicate_sample: --dest must not be inside --src")
    digest = listing_digest(src, files, copies)
    marker = dest / MARKER
    if marker.is_file() and marker.read_text().strip() == digest:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for p in files:
        rel = p.relative_to(src)
        for i in range(copies):
            target = tmp / rel.parent / f"c{i}_{rel.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(p, target)
            except OSError:
                shutil.copyfile(p, target)
    (tmp / MARKER).write_text(digest + "\n")
    tmp.rename(dest)
    return dest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--src", required=True, type=Path)
    p.add_argument("--copies", type=int, default=8)
    p.add_argument("--dest", type=Path, default=None)
    a = p.parse_args(argv)
    print(replicate(a.src, a.copies, a.dest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
