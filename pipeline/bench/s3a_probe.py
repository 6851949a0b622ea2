"""Proves a release's s3a jar set against a real MinIO: what the job needs from S3A, nothing stood in for.

    python pipeline/bench/s3a_probe.py --release emr-spark-8.1.0 --minio MINIO_BINARY \
        --jars-dir ~/.cache/fruits-workbench/jars --images DIR [--out result.json]

Run with the release's venv python (its pyspark is the Spark under test). It starts MinIO on 127.0.0.1 (a free
port, generated credentials that are never printed, data in a temporary folder), puts some images and one
zero-byte .jpg with boto3 (another client than S3A), then runs spark-submit local[2] with `--jars` = exactly
the release's `s3a.jars` from versions.json (each sha256-checked first) and the workbench's S3A settings:
path-style access, plain HTTP, `fs.s3a.aws.credentials.provider` = the release's provider, credentials from the
environment only. The Spark side: binaryFile read (recursive, content hashed in Spark = boto3's bytes; the
zero-byte file's fate, SPARK-26161), Parquet and CSV written with the default committer, written again with
overwrite, read back and compared. Prints one JSON line (and writes it to --out); exit 0 only if every check holds.
MinIO is stopped in `finally`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUCKET = "probe"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def release_jars(release: str, jars_dir: Path) -> tuple[list[Path], str]:
    r = json.loads((REPO / "versions.json").read_text())["releases"][release]
    paths = []
    for j in r["s3a"]["jars"]:
        p = jars_dir / f"{j['artifact']}-{j['version']}.jar"
        got = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "absent"
        if got != j["sha256"]:
            sys.exit(f"s3a_probe: {p} is {got}, versions.json pins {j['sha256']} (download it first)")
        paths.append(p)
    return paths, r["s3a"]["credentialsProvider"]


def start_minio(binary: str, data: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port, console = free_port(), free_port()
    log = open(data.parent / "minio.log", "wb")
    proc = subprocess.Popen([binary, "server", "--quiet", "--address", f"127.0.0.1:{port}",
                             "--console-address", f"127.0.0.1:{console}", str(data)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{endpoint}/minio/health/live", timeout=1)
            return proc, endpoint
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"minio exited with {proc.returncode}; see {data.parent / 'minio.log'}")
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("minio did not become live in 60 s")


def put_inputs(endpoint: str, images: Path, limit: int) -> dict[str, str]:
    """Uploads up to `limit` images under in/<label>/ plus in/Empty/empty.jpg (0 bytes); key -> sha256."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    expected = {}
    for f in sorted(images.rglob("*.jpg"))[:limit]:
        data = f.read_bytes()
        key = f"in/{f.parent.name}/{f.name}"
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        expected[key] = hashlib.sha256(data).hexdigest()
    s3.put_object(Bucket=BUCKET, Key="in/Empty/empty.jpg", Body=b"")
    return expected


# S3A's request counters (IOStatistics, Hadoop >= 3.3.1): HEAD and GET are what S3 bills per 1,000.
SCAN_REQUEST_COUNTERS = ("action_http_head_request", "action_http_get_request", "object_list_request")


def s3a_counters(spark, uri: str) -> dict[str, int]:
    """The S3A filesystem's request counters. In local mode the tasks share the driver's JVM and its cached
    FileSystem instance, so these include every task's reads."""
    jvm = spark.sparkContext._jvm
    fs = jvm.org.apache.hadoop.fs.Path(uri).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    counters = fs.getIOStatistics().counters()
    return {k: int(counters.get(k)) for k in SCAN_REQUEST_COUNTERS if counters.containsKey(k)}


def requests_per_file(before: dict[str, int], after: dict[str, int], files: int) -> dict[str, float]:
    """Requests of each kind the binaryFile scan made per file read (Spark's BinaryFileFormat: getFileStatus,
    then open: one HEAD each on S3A, then the GET). The forecast's S3 request cost uses this figure."""
    return {k: round((after.get(k, 0) - before.get(k, 0)) / max(1, files), 3) for k in after}


def spark_side(expected_json: str, result_json: str) -> None:
    """Runs inside spark-submit: the checks, written as JSON to result_json."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    expected = json.loads(Path(expected_json).read_text())
    spark = SparkSession.builder.getOrCreate()
    out: dict = {"spark": spark.version}
    try:
        jvm = spark.sparkContext._jvm
        out["hadoop"] = jvm.org.apache.hadoop.util.VersionInfo.getVersion()
        base = f"s3a://{BUCKET}"
        t0 = time.monotonic()
        df = (spark.read.format("binaryFile").option("recursiveFileLookup", "true")
              .option("pathGlobFilter", "*.jpg").load(f"{base}/in/"))
        before = s3a_counters(spark, base)  # after the listing: what follows is the scan's own requests
        rows = df.select("path", "length", F.sha2("content", 256).alias("sha256")).collect()
        out["read_s"] = round(time.monotonic() - t0, 2)
        out["scan_requests_per_file"] = requests_per_file(before, s3a_counters(spark, base), len(rows))
        got = {r.path.split(f"{base}/", 1)[1]: r.sha256 for r in rows}
        out["read_rows"] = len(rows)
        out["read_bytes_equal_boto3"] = got == expected
        out["zero_byte_file_in_scan"] = "in/Empty/empty.jpg" in got
        # The file index still lists it (what dropped_files.py relies on to report it).
        out["zero_byte_file_in_listing"] = any(p.endswith("/in/Empty/empty.jpg") for p in df.inputFiles())
        table = spark.createDataFrame([(r.path, r.length, r.sha256) for r in rows], "path string, length long, sha256 string")
        checks = {}
        for fmt in ("parquet", "csv"):
            target = f"{base}/out/{fmt}"
            for attempt in ("first", "overwrite"):
                t0 = time.monotonic()
                (table.repartition(3).write.mode("overwrite").option("header", "true").format(fmt).save(target))
                checks[f"{fmt}_{attempt}_write_s"] = round(time.monotonic() - t0, 2)
            back = spark.read.format(fmt).option("header", "true").schema(table.schema).load(target)
            checks[f"{fmt}_read_back_equal"] = sorted(map(tuple, back.collect())) == sorted(map(tuple, table.collect()))
            fs = jvm.org.apache.hadoop.fs.Path(target).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
            names = [s.getPath().getName() for s in fs.listStatus(jvm.org.apache.hadoop.fs.Path(target))]
            checks[f"{fmt}_success_marker"] = "_SUCCESS" in names
            checks[f"{fmt}_data_files"] = sum(1 for n in names if n.startswith("part-"))
        out.update(checks)
        out["committer"] = spark.conf.get("spark.sql.sources.commitProtocolClass")
        out["credentials_provider"] = spark.sparkContext._jsc.hadoopConfiguration().get("fs.s3a.aws.credentials.provider")
    except Exception as e:  # recorded, then re-raised: the wrapper prints what failed
        out["error"] = f"{type(e).__name__}: {str(e)[:2000]}"
        raise
    finally:
        Path(result_json).write_text(json.dumps(out))
        spark.stop()


def run_job(args, spark_submit: Path, conf: dict, jars: list[Path], env: dict, spark_home: str, endpoint: str,
            images: int) -> dict:
    """The job as the workbench runs it on S3A (entrypoint.py, the package from src/), then its manifest via boto3."""
    import boto3

    src = Path(__file__).resolve().parents[1] / "src"
    cmd = [str(spark_submit), "--master", "local[2]", "--jars", ",".join(map(str, jars))]
    for k, v in conf.items():
        cmd += ["--conf", f"{k}={v}"]
    cmd += [str(Path(__file__).resolve().parents[1] / "entrypoint.py"), "--input", f"s3a://{BUCKET}/in/",
            "--output", f"s3a://{BUCKET}/job-out/", "--weights", args.job_weights, "--run-id", "s3a-probe"]
    t0 = time.monotonic()
    r = subprocess.run(cmd, env={**env, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_HOME": spark_home,
                                 "PYTHONPATH": str(src)}, capture_output=True, text=True)
    out = {"rc": r.returncode, "seconds": round(time.monotonic() - t0, 1)}
    if r.returncode != 0:
        out["stderr_tail"] = r.stderr[-2000:]
        out["ok"] = False
        return out
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    m = json.loads(s3.get_object(Bucket=BUCKET, Key="job-out/manifest.json")["Body"].read())
    csv_head = s3.get_object(Bucket=BUCKET, Key="job-out/pca_csv/pca.csv")["Body"].read().decode().splitlines()
    out.update({"counts": m["counts"], "pca_k": m["pca"]["k"], "spark": m["versions"]["spark"],
                "csv_rows": len(csv_head) - 1})
    # images good ones + the 0-byte file, which must come out as an error row (SPARK-26161 handled).
    out["ok"] = (m["status"] == "succeeded" and m["counts"]["inputs"] == images + 1
                 and m["counts"]["errors"] == 1 and m["counts"]["features"] == images and out["csv_rows"] == images)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--release", required=True)
    ap.add_argument("--minio", required=True)
    ap.add_argument("--jars-dir", type=Path, required=True)
    ap.add_argument("--images", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--job-weights", help="also run the job itself (entrypoint.py) from s3a:// to s3a:// with "
                                          "these weights, and check its manifest")
    args = ap.parse_args()

    jars, provider = release_jars(args.release, args.jars_dir)
    tmp = Path(tempfile.mkdtemp(prefix="s3a-probe-"))
    creds = {"AWS_ACCESS_KEY_ID": "probe" + secrets.token_hex(6), "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(24)}
    env = {**os.environ, **creds, "MINIO_ROOT_USER": creds["AWS_ACCESS_KEY_ID"],
           "MINIO_ROOT_PASSWORD": creds["AWS_SECRET_ACCESS_KEY"], "AWS_REGION": REGION}
    os.environ.update(creds)  # boto3 in this process; never printed
    minio = None
    try:
        (tmp / "data").mkdir()
        minio, endpoint = start_minio(args.minio, tmp / "data", env)
        expected = put_inputs(endpoint, args.images, args.limit)
        (tmp / "expected.json").write_text(json.dumps(expected))
        spark_submit = Path(sys.executable).parent / "spark-submit"
        conf = {
            "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1", "spark.ui.enabled": "false",
            "spark.pyspark.python": sys.executable, "spark.pyspark.driver.python": sys.executable,
            "spark.hadoop.fs.s3a.endpoint": endpoint, "spark.hadoop.fs.s3a.endpoint.region": REGION,
            "spark.hadoop.fs.s3a.path.style.access": "true", "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
            "spark.hadoop.fs.s3a.aws.credentials.provider": provider,
        }
        cmd = [str(spark_submit), "--master", "local[2]", "--jars", ",".join(map(str, jars))]
        for k, v in conf.items():
            cmd += ["--conf", f"{k}={v}"]
        cmd += [__file__, "--spark-side", str(tmp / "expected.json"), str(tmp / "result.json")]
        t0 = time.monotonic()
        import importlib.util

        spark_home = str(Path(importlib.util.find_spec("pyspark").origin).parent)  # this venv's Spark
        r = subprocess.run(cmd, env={**env, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_HOME": spark_home},
                           capture_output=True, text=True)
        result = json.loads((tmp / "result.json").read_text()) if (tmp / "result.json").is_file() else {}
        result.update({"release": args.release, "jars": len(jars), "jar_bytes": sum(p.stat().st_size for p in jars),
                       "credentials_provider_pinned": provider, "images": len(expected),
                       "spark_submit_rc": r.returncode, "spark_submit_s": round(time.monotonic() - t0, 1)})
        if r.returncode != 0:
            result["stderr_tail"] = r.stderr[-3000:]
        # What S3A or the SDK complained about on the way (a missing optional class shows here first).
        flagged = [line.split(" ", 2)[-1][-300:] for line in r.stderr.splitlines()
                   if ("WARN" in line or "ERROR" in line) and any(w in line.lower() for w in ("s3a", "aws", "netty"))]
        result["s3a_warnings"] = sorted(set(flagged))[:10]  # without the timestamp, each message once
        ok = (r.returncode == 0 and result.get("read_bytes_equal_boto3") and result.get("parquet_read_back_equal")
              and result.get("csv_read_back_equal") and result.get("parquet_success_marker")
              and result.get("csv_success_marker") and result.get("credentials_provider") == provider)
        if args.job_weights and ok:
            result["job"] = run_job(args, spark_submit, conf, jars, env, spark_home, endpoint, len(expected))
            ok = result["job"]["ok"]
        result["ok"] = bool(ok)
        line = json.dumps(result)
        print(line)
        if args.out:
            args.out.write_text(line + "\n")
        return 0 if ok else 1
    finally:
        if minio is not None:
            minio.terminate()
            try:
                minio.wait(timeout=20)
            except subprocess.TimeoutExpired:
                minio.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--spark-side":
        spark_side(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
