"""Featurization throughput, one run, same images, cores and batch size:

  1. bare Keras: `model.predict` on a numpy batch already decoded in memory (the ceiling: no I/O, no decode);
  2. the job's featurization stage: binaryFile -> repartition -> pandas iterator UDF with the broadcast weights,
     model cached per Python worker, TF threads = task cpus, Arrow batch = --batch-size (fruits_pipeline code);
  3. the common notebook baseline: legacy PandasUDFType.SCALAR_ITER UDF that rebuilds the full model for every
     iterator and then sets the broadcast weights, default Arrow batch (10,000), repartition(20).

Spark variants run twice in the same session: `cold` includes starting Python workers and building models,
`warm` is the steady state (workers reused). Ratios compare warm figures; both are in the JSON.

    python pipeline/bench/featurize_bench.py --input DIR --out results.json [--cores N] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # the driver binds loopback only

GOAL = 0.9  # the job's featurization should reach at least 0.9x bare Keras


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="folder of images (local path or file:// / s3a:// URI)")
    p.add_argument("--out", required=True, type=Path, help="results JSON file")
    p.add_argument("--cores", type=int, default=os.cpu_count() or 1, help="cores for every variant (default: all)")
    p.add_argument("--batch-size", type=int, default=64, help="model batch = job's Arrow batch (default 64)")
    p.add_argument("--weights", default="random:0", help="weights spec; speed does not depend on the values")
    p.add_argument("--image-size", type=int, default=224)
    return p.parse_args(argv)


def rate(n: int, seconds: float) -> dict:
    return {"images": n, "seconds": round(seconds, 3), "images_per_s": round(n / seconds, 2)}


def bare_keras(paths: list[Path], args, weights) -> dict:
    import numpy as np

    from fruits_pipeline.model import build_model, preprocess_input
    from fruits_pipeline.preprocess import decode_image

    x = preprocess_input(np.stack([decode_image(p.read_bytes(), args.image_size) for p in paths]))
    model = build_model(args.image_size)
    model.set_weights(weights.arrays)
    model.predict(x[: args.batch_size], batch_size=args.batch_size, verbose=0)  # warm-up: graph tracing
    t = time.perf_counter()
    model.predict(x, batch_size=args.batch_size, verbose=0)
    return rate(len(x), time.perf_counter() - t)


def job_stage(spark, args, weights, input_uri: str) -> dict:
    from pyspark import StorageLevel

    from fruits_pipeline.features import FeaturizeParams
    from fruits_pipeline.images import ReadParams, read_images
    from fruits_pipeline.main import featurize

    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(args.batch_size))
    bc = spark.sparkContext.broadcast(weights.arrays)
    out = {}
    for attempt in ("cold", "warm"):
        counter = spark.sparkContext.accumulator(0)
        read = read_images(spark, ReadParams(input_uri, args.cores))
        frame = featurize(read.images, FeaturizeParams(args.image_size, "bilinear", weights.arrays_sha256), bc, counter)
        frame = frame.persist(StorageLevel.MEMORY_ONLY)
        t = time.perf_counter()
        n = frame.count()
        out[attempt] = rate(n, time.perf_counter() - t)
        assert counter.value == n, (counter.value, n)
        frame.unpersist()
    bc.unpersist()
    return out


def notebook_baseline(spark, args, weights, input_uri: str) -> dict:
    """The usual course notebook, re-created: legacy SCALAR_ITER, model rebuilt per iterator, repartition(20)."""
    import warnings

    import numpy as np
    import pandas as pd
    from pyspark.sql import functions as F
    from pyspark.sql.functions import PandasUDFType, pandas_udf

    size = args.image_size
    bc = spark.sparkContext.broadcast(weights.arrays)

    def model_fn():
        from tensorflow.keras.applications.mobilenet_v2 import MobileNetV2

        model = MobileNetV2(weights=None, include_top=False, pooling="avg", input_shape=(size, size, 3))
        model.set_weights(bc.value)
        return model

    def preprocess(content):
        import io

        from PIL import Image
        from tensorflow.keras.applications.mobilenet_v2 import preprocess_input
        from tensorflow.keras.preprocessing.image import img_to_array

        img = Image.open(io.BytesIO(content)).convert("RGB").resize([size, size])
        return preprocess_input(img_to_array(img))

    def featurize_series(model, content_series):
        batch = np.stack(content_series.map(preprocess))
        preds = model.predict(batch, verbose=0)
        return pd.Series([p.flatten() for p in preds])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @pandas_udf("array<float>", PandasUDFType.SCALAR_ITER)
        def featurize_udf(content_series_iter):
            model = model_fn()
            for content_series in content_series_iter:
                yield featurize_series(model, content_series)

    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "10000")  # Spark's default
    out = {}
    for attempt in ("cold", "warm"):
        images = (spark.read.format("binaryFile").option("pathGlobFilter", "*.jpg")
                  .option("recursiveFileLookup", "true").load(input_uri)).repartition(20)
        frame = images.select(F.col("path"), featurize_udf("content").alias("features")).cache()
        t = time.perf_counter()
        n = frame.count()
        out[attempt] = rate(n, time.perf_counter() - t)
        frame.unpersist()
    bc.unpersist()
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    import tensorflow as tf

    # Bare Keras gets every core the Spark variants get; TF accepts this only before its runtime starts.
    tf.config.threading.set_intra_op_parallelism_threads(args.cores)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from pyspark.sql import SparkSession

    from fruits_pipeline.cli import normalize_uri
    from fruits_pipeline.model import load_weights
    from fruits_pipeline.manifest import library_versions

    input_uri = normalize_uri(args.input)
    root = Path(args.input)
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")) if root.is_dir() else []
    if not paths:
        print(f"featurize_bench: error: no images under {args.input} (give a local folder)", file=sys.stderr)
        return 2

    spark = (SparkSession.builder.master(f"local[{args.cores}]").appName("fruits-featurize-bench")
             .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        weights = load_weights(spark, args.weights, args.image_size)
        print(f"{len(paths)} images, {args.cores} cores, batch {args.batch_size}, weights {args.weights}", flush=True)
        results = {"bare_keras": bare_keras(paths, args, weights)}
        print(f"bare Keras            {results['bare_keras']['images_per_s']:8.2f} images/s", flush=True)
        results["job"] = job_stage(spark, args, weights, input_uri)
        print(f"job featurization     {results['job']['warm']['images_per_s']:8.2f} images/s warm "
              f"({results['job']['cold']['images_per_s']:.2f} cold)", flush=True)
        results["notebook_baseline"] = notebook_baseline(spark, args, weights, input_uri)
        print(f"notebook baseline     {results['notebook_baseline']['warm']['images_per_s']:8.2f} images/s warm "
              f"({results['notebook_baseline']['cold']['images_per_s']:.2f} cold)", flush=True)
        versions = library_versions(spark.version)
    finally:
        spark.stop()

    bare = results["bare_keras"]["images_per_s"]
    job = results["job"]["warm"]["images_per_s"]
    base = results["notebook_baseline"]["warm"]["images_per_s"]
    ratios = {
        "job_vs_bare_keras": round(job / bare, 3),
        "baseline_vs_bare_keras": round(base / bare, 3),
        "job_vs_baseline": round(job / base, 3),
        "job_cold_vs_bare_keras": round(results["job"]["cold"]["images_per_s"] / bare, 3),
    }
    report = {
        "input": input_uri, "images": len(paths), "cores": args.cores, "batch_size": args.batch_size,
        "image_size": args.image_size, "weights": args.weights, "results": results, "ratios": ratios,
        "goal": {"job_vs_bare_keras_min": GOAL, "met": ratios["job_vs_bare_keras"] >= GOAL},
        "load_average": list(os.getloadavg()), "versions": versions,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for name, value in ratios.items():
        print(f"{name:26s} {value:6.3f}x")
    print(f"goal job >= {GOAL}x bare Keras: {'met' if report['goal']['met'] else 'NOT met'}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
