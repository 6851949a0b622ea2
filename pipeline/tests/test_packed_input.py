"""--input-format packed: the packer (pack.py) and the job reading its Parquet files (packed_input.py).

The promise under test: a packed folder gives the job the same rows as the image files it was packed from, so
the same counts, the same error rows and the same features come out; and the scan is still sized by work.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from fruits_pipeline.errors import JobError
from fruits_pipeline.images import ReadParams, read_images, session_confs
from fruits_pipeline.main import main
from fruits_pipeline.pack import ROW_GROUP_IMAGES, PackError, ShardSpec, pack, parse_spec
from fruits_pipeline.pack import main as pack_main
from fruits_pipeline.packed_input import bytes_packing_confs, packed_scan_confs
from outputs_reader import RunOutputs
from test_job_end_to_end import BAD, GOOD, IGNORED, image_folder, run_job  # noqa: F401 (the shared fixture)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def listed_like_the_job(root: Path) -> list[tuple[str, str]]:
    """(key, path) of the files the images layout reads: image extensions in any case, no `.`/`_` names."""
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not any(x.startswith((".", "_")) for x in rel.parts):
            out.append((rel.as_posix(), str(p)))
    return out


def spec_for(files: list[tuple[str, str]], per_shard: int) -> dict:
    shards = [files[i:i + per_shard] for i in range(0, len(files), per_shard)]
    return {"shards": [{"name": f"part-{i:05d}.parquet", "files": [{"key": k, "path": p} for k, p in s]}
                       for i, s in enumerate(shards)]}


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


@pytest.fixture(scope="module")
def packed_folder(image_folder, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("packed")
    pack(parse_spec(spec_for(listed_like_the_job(image_folder), per_shard=6)), out)
    return out


# --- the packer ------------------------------------------------------------------------------------------------


def test_packing_keeps_every_listed_file_with_its_key_label_and_bytes(image_folder, packed_folder):  # noqa: F811
    rows = pq.read_table(packed_folder).to_pylist()
    assert sorted(r["key"] for r in rows) == sorted(list(GOOD) + list(BAD))
    for r in rows:
        assert r["content"] == (image_folder / r["key"]).read_bytes()
        assert r["label"] == (image_folder / r["key"]).parent.name
    assert not any(r["key"] in IGNORED for r in rows)
    assert len(list(packed_folder.glob("*.parquet"))) == 3  # 15 files, 6 per shard
    assert not list(packed_folder.glob(".*"))  # no temporary file left beside them


def test_packing_is_byte_identical_on_a_rerun(image_folder, packed_folder, tmp_path):  # noqa: F811
    pack(parse_spec(spec_for(listed_like_the_job(image_folder), per_shard=6)), tmp_path)
    assert digest(tmp_path) == digest(packed_folder)


def test_row_groups_are_bounded(tmp_path, image_folder):  # noqa: F811
    key, path = listed_like_the_job(image_folder)[0]
    many = [(f"X/{i}.jpg", path) for i in range(ROW_GROUP_IMAGES * 2 + 5)]
    pack([ShardSpec("part-00000.parquet", tuple(many))], tmp_path)
    meta = pq.ParquetFile(tmp_path / "part-00000.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [ROW_GROUP_IMAGES, ROW_GROUP_IMAGES, 5]


@pytest.mark.parametrize(
    "doc, fragment",
    [
        ({}, '{"shards"'),
        ({"shards": [{"name": "../x.parquet", "files": [{"key": "a.jpg", "path": "/a"}]}]}, "plain *.parquet"),
        ({"shards": [{"name": "p.parquet", "files": []}]}, "has no files"),
        ({"shards": [{"name": "p.parquet", "files": [{"key": "/abs.jpg", "path": "/a"}]}]}, "bad file entry"),
        ({"shards": [{"name": "p.parquet", "files": [{"key": "a.jpg", "path": "/a"}]},
                     {"name": "q.parquet", "files": [{"key": "a.jpg", "path": "/b"}]}]}, "appears twice"),
    ],
)
def test_a_bad_spec_is_refused_with_what_is_wrong(doc, fragment):
    with pytest.raises(PackError, match=None) as e:
        parse_spec(doc)
    assert fragment in str(e.value)


def test_an_unreadable_file_fails_the_pack_with_its_path(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"shards": [{"name": "part-00000.parquet",
                                            "files": [{"key": "A/gone.jpg", "path": str(tmp_path / "gone.jpg")}]}]}))
    assert pack_main(["--spec", str(spec), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fruits-pack: error: cannot read ") and "gone.jpg" in err
    assert not (tmp_path / "out" / "part-00000.parquet").exists()


def test_the_command_prints_what_it_packed(image_folder, tmp_path, capsys):  # noqa: F811
    files = listed_like_the_job(image_folder)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(spec_for(files, per_shard=100)))
    assert pack_main(["--spec", str(spec), "--output", str(tmp_path / "out")]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line == {"shards": 1, "images": len(files), "bytes": (tmp_path / "out" / "part-00000.parquet").stat().st_size}


# --- the job on packed input -----------------------------------------------------------------------------------


def test_bytes_packing_confs_split_the_bytes_evenly():
    confs = bytes_packing_confs(1000, 3)
    assert confs["spark.sql.files.maxPartitionBytes"] == "334"
    assert confs["spark.sql.files.openCostInBytes"] == "0"
    assert bytes_packing_confs(0, 4)["spark.sql.files.maxPartitionBytes"] == "1"


def test_enough_files_are_packed_whole_by_count_fewer_are_split_by_bytes():
    by_count = packed_scan_confs(files=98, total_bytes=10**9, partitions=4)
    assert int(by_count["spark.sql.files.openCostInBytes"]) > 10**9  # a file costs more than any file's bytes
    assert packed_scan_confs(files=1, total_bytes=1000, partitions=2) == bytes_packing_confs(1000, 2)


def job_args(input_dir, out, fmt: str) -> list[str]:
    return ["--input", str(input_dir), "--input-format", fmt, "--output", str(out), "--weights", "random:7",
            "--pca-k", "3", "--arrow-batch-size", "4", "--run-id", f"fmt-{fmt}", "--artifact-sha256", "0" * 64]


def test_packed_and_image_files_give_the_same_counts_errors_and_features(spark, image_folder, packed_folder,  # noqa: F811
                                                                          tmp_path, capsys):
    runs = {}
    for fmt, folder in (("images", image_folder), ("packed", packed_folder)):
        code, summary, log = run_job(spark, capsys, job_args(folder, tmp_path / fmt, fmt))
        assert code == 0, log
        runs[fmt] = (summary, RunOutputs(tmp_path / fmt))
    (a, out_a), (b, out_b) = runs["images"], runs["packed"]
    errors_a, errors_b = out_a.table("errors"), out_b.table("errors")
    features_a, features_b = out_a.table("features"), out_b.table("features")
    assert a["counts"] == b["counts"]
    assert b["counts"]["inputs"] == len(GOOD) + len(BAD) == b["counts"]["features"] + b["counts"]["errors"]
    assert b["spark"]["input_format"] == "packed" and a["spark"]["input_format"] == "images"
    assert errors_a.to_dict("records") == errors_b.to_dict("records")
    assert list(features_a["key"]) == list(features_b["key"]) == sorted(GOOD)
    assert list(features_a["label"]) == list(features_b["label"])
    # Same bytes, same model; the batches differ, so equal up to float rounding.
    np.testing.assert_allclose(out_b.matrix("features", "features"), out_a.matrix("features", "features"),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("asked", [1, 2, 3])
def test_the_packed_scan_yields_about_the_asked_tasks_and_every_row_once(spark, packed_folder, asked):
    read = read_images(spark, ReadParams(str(packed_folder) + "/", partitions=asked, input_format="packed"))
    assert read.count == len(GOOD) + len(BAD)
    with session_confs(spark, read.scan_confs):
        sizes = read.images.rdd.glom().map(len).collect()
    assert sum(sizes) == read.count
    assert len(sizes) == asked  # 3 files: whole files per task, by count


def test_one_packed_file_still_spreads_over_the_cores(spark, image_folder, tmp_path):  # noqa: F811
    files = listed_like_the_job(image_folder)
    many = [(f"{i:03d}/{Path(p).name}", p) for i, (_, p) in enumerate(files * 30)]  # 450 rows, 4 row groups
    pack([ShardSpec("part-00000.parquet", tuple(many))], tmp_path)
    read = read_images(spark, ReadParams(str(tmp_path) + "/", input_format="packed"))
    with session_confs(spark, read.scan_confs):
        sizes = [n for n in read.images.rdd.glom().map(len).collect() if n]
    assert len(sizes) >= spark.sparkContext.defaultParallelism and sum(sizes) == len(many)


def test_parquet_without_the_packed_columns_is_refused_by_name(spark, tmp_path):
    spark.createDataFrame([("a", 1)], "key string, n int").write.parquet(str(tmp_path / "odd"))
    with pytest.raises(JobError, match=r"lack the packed columns label \(string\), content \(binary\)"):
        read_images(spark, ReadParams(str(tmp_path / "odd") + "/", input_format="packed"))


def test_a_folder_without_parquet_files_fails_clearly(spark, image_folder, tmp_path, capsys):  # noqa: F811
    code, _, log = run_job(spark, capsys, job_args(image_folder, tmp_path / "o", "packed"))
    assert code == 1
    assert "no readable Parquet files" in log and "--input-format packed" in log
