"""Pack image files into Parquet files of (key, label, content): the job's `--input-format packed` input.

Why: read one by one from S3, each image costs three requests (two HEADs and a GET: Spark's binaryFile asks for
the file's status, then S3A's open asks again, then reads). At 99,840 images on the local stack those requests
took more CPU (the S3A client on the JVM, MinIO) than anything but the model. A Parquet file of a few hundred images
is one object: Spark reads its row groups with ranged GETs, and the images arrive as the same (key, label,
content) rows the images layout gives (images.py), so everything after the read is unchanged.

The workbench plans the files (which images go in which file, storage/pack-plan.ts) and runs this on the host:

    python -m fruits_pipeline.pack --spec SPEC.json --output DIR

SPEC.json: {"shards": [{"name": "part-00000.parquet", "files": [{"key": "Apple/a.jpg", "path": "/abs/Apple/a.jpg"}]}]}
`key` is the image's path relative to the input folder (the images layout's key), `label` is its parent folder's
name (as images.with_keys derives it). Same spec and same bytes -> byte-identical files (no timestamps in them),
so an unchanged folder re-uploads nothing. Each file is written beside its final name and renamed into place.
On success one JSON line on stdout: {"shards": N, "images": M, "bytes": B}. A file that cannot be read fails the
whole pack with its path and reason (exit 1): nothing is dropped silently.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema([("key", pa.string()), ("label", pa.string()), ("content", pa.binary())])
# Rows per row group: the unit Spark's scan splits a file by (images.py sizes tasks by bytes over row groups),
# small enough that a 390-image folder in one file still spreads over the cores.
ROW_GROUP_IMAGES = 128


class PackError(Exception):
    """A bad spec or an unreadable file: the message names it."""


@dataclass(frozen=True)
class ShardSpec:
    name: str
    files: tuple[tuple[str, str], ...]  # (key, absolute path)


def parse_spec(doc: object) -> list[ShardSpec]:
    """The JSON spec -> shards, checked: names are plain part files, keys relative and unique. Pure."""
    if not isinstance(doc, dict) or not isinstance(doc.get("shards"), list):
        raise PackError('spec: expected {"shards": [...]}')
    shards: list[ShardSpec] = []
    seen_keys: set[str] = set()
    seen_names: set[str] = set()
    for i, s in enumerate(doc["shards"]):
        name = s.get("name") if isinstance(s, dict) else None
        if not isinstance(name, str) or "/" in name or not name.endswith(".parquet") or name.startswith(("_", ".")):
            raise PackError(f"spec: shard {i}: name must be a plain *.parquet file name, got {name!r}")
        if name in seen_names:
            raise PackError(f"spec: shard name {name!r} appears twice")
        seen_names.add(name)
        files = []
        for f in s.get("files") or []:
            key, path = f.get("key"), f.get("path")
            if not isinstance(key, str) or not key or key.startswith("/") or not isinstance(path, str):
                raise PackError(f"spec: shard {name}: bad file entry {f!r}")
            if key in seen_keys:
                raise PackError(f"spec: key {key!r} appears twice")
            seen_keys.add(key)
            files.append((key, path))
        if not files:
            raise PackError(f"spec: shard {name} has no files")
        shards.append(ShardSpec(name, tuple(files)))
    return shards


def label_of(path: str) -> str:
    """The image's parent folder name: images.with_keys' label (element -2 of the path)."""
    return Path(path).parent.name


def read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise PackError(f"cannot read {path}: {e.strerror or e}") from None


def shard_table(shard: ShardSpec) -> pa.Table:
    keys = [k for k, _ in shard.files]
    paths = [p for _, p in shard.files]
    return pa.table([keys, [label_of(p) for p in paths], [read_bytes(p) for p in paths]], schema=SCHEMA)


def write_shard(table: pa.Table, dest: Path) -> None:
    """Uncompressed (JPEG and PNG do not compress further), no dictionary or statistics for the bytes."""
    tmp = dest.with_name(f".{dest.name}.tmp")
    pq.write_table(
        table,
        tmp,
        row_group_size=ROW_GROUP_IMAGES,
        compression="none",
        use_dictionary=["key", "label"],
        write_statistics=["key", "label"],
    )
    os.replace(tmp, dest)


def pack(shards: list[ShardSpec], output: Path) -> dict:
    output.mkdir(parents=True, exist_ok=True)
    images = size = 0
    for shard in shards:
        table = shard_table(shard)
        write_shard(table, output / shard.name)
        images += table.num_rows
        size += (output / shard.name).stat().st_size
    return {"shards": len(shards), "images": images, "bytes": size}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="fruits-pack", description=__doc__.splitlines()[0])
    p.add_argument("--spec", required=True, type=Path, help="JSON file naming the shards and their files")
    p.add_argument("--output", required=True, type=Path, help="folder the Parquet files are written to")
    a = p.parse_args(argv)
    try:
        try:
            doc = json.loads(a.spec.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise PackError(f"cannot read the spec {a.spec}: {e}") from None
        print(json.dumps(pack(parse_spec(doc), a.output)), flush=True)
        return 0
    except PackError as e:
        print(f"fruits-pack: error: {e}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
