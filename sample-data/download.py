"""Download the real Fruits-360 dataset (the course's EU copy) and extract N images per class.

    python sample-data/download.py [--per-class 30] [--out sample-data/fruits-360] [--cache-dir DIR] [--zip FILE]

The zip (about 1 GB) is downloaded once into the cache folder (default ~/.cache/fruits-workbench/downloads,
or $WORKBENCH_CACHE_DIR/downloads), through a temporary name renamed when complete. Then the first N images
(natural order) of every class of the training split are extracted into <out>/<Class>/<file>, the layout the
job reads. Offline, it fails with a message saying so; `--zip` uses a copy you already have.
Standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import urllib.error
import urllib.request
import zipfile
from collections import defaultdict
from pathlib import Path

URL = "https://s3.eu-west-1.amazonaws.com/course.oc-static.com/projects/Data_Scientist_P8/fruits.zip"
IMAGE = re.compile(r"\.(jpe?g|png)$", re.IGNORECASE)


class DownloadError(Exception):
    pass


def default_cache_dir() -> Path:
    if os.environ.get("WORKBENCH_CACHE_DIR"):
        return Path(os.environ["WORKBENCH_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fruits-workbench"


def download(url: str, dest: Path, timeout: float = 30.0) -> Path:
    if dest.is_file():
        print(f"{dest.name}: cached ({dest})", file=sys.stderr)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.part")
    print(f"downloading {url} ...", file=sys.stderr)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as res, open(tmp, "wb") as f:
            total = int(res.headers.get("Content-Length") or 0)
            done, last = 0, -1
            while chunk := res.read(1 << 20):
                f.write(chunk)
                done += len(chunk)
                pct = done * 100 // total if total else -1
                if pct // 10 > last:
                    last = pct // 10
                    print(f"  {done / 2**20:.0f} MiB{f' ({pct}%)' if total else ''}", file=sys.stderr)
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError) as e:
        tmp.unlink(missing_ok=True)
        reason = getattr(e, "reason", e)
        raise DownloadError(
            f"cannot download the Fruits-360 dataset from {url}: {reason}. "
            "This machine looks offline (or the URL is blocked). Fix: run `make data` on a machine with internet "
            "access, or pass --zip PATH to a fruits.zip you already have; the generated sample-data/fruits-synthetic "
            "works offline meanwhile."
        ) from e
    return dest


def natural_key(name: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def pick(names: list[str], per_class: int) -> dict[str, list[str]]:
    """Zip entries to extract, by class: images whose parent folder is the class. The training split is
    preferred when the archive has one (Fruits-360 has Training/ and Test/)."""
    images = [n for n in names if IMAGE.search(n) and not n.endswith("/") and "__MACOSX" not in n and len(n.split("/")) >= 2]
    training = [n for n in images if "/Training/" in f"/{n}"]
    chosen = training or images
    by_class: dict[str, list[str]] = defaultdict(list)
    for n in chosen:
        by_class[n.split("/")[-2]].append(n)
    return {c: sorted(v, key=lambda n: natural_key(n.split("/")[-1]))[:per_class] for c, v in sorted(by_class.items())}


def extract(zip_path: Path, out: Path, per_class: int) -> tuple[int, int]:
    try:
        zf = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as e:
        raise DownloadError(f"{zip_path} is not a valid zip ({e}); delete it and run again") from e
    with zf:
        chosen = pick(zf.namelist(), per_class)
        if not chosen:
            raise DownloadError(f"{zip_path} holds no images in <Class>/<file> folders")
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        count = 0
        for cls, entries in chosen.items():
            (tmp / cls).mkdir(parents=True, exist_ok=True)
            for entry in entries:
                with zf.open(entry) as src, open(tmp / cls / Path(entry).name, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                count += 1
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    return len(chosen), count


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=URL)
    p.add_argument("--zip", type=Path, help="use this fruits.zip instead of downloading")
    p.add_argument("--cache-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, default=here / "fruits-360")
    p.add_argument("--per-class", type=int, default=30)
    a = p.parse_args(argv)
    if a.per_class < 1:
        p.error("--per-class must be at least 1")
    try:
        zip_path = a.zip or download(a.url, (a.cache_dir or default_cache_dir()) / "downloads" / "fruits.zip")
        classes, images = extract(zip_path, a.out, a.per_class)
    except DownloadError as e:
        print(f"download.py: error: {e}", file=sys.stderr)
        return 1
    print(f"extracted {images} images of {classes} classes into {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
