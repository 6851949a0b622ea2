"""The job's command line (docs/job-contract.md) -> a frozen, validated JobParams. Pure: no Spark, no I/O."""

from __future__ import annotations

import argparse
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from .engines import DEFAULT_ENGINE, DEFAULT_PRECISION, ENGINES, PRECISIONS, SUPPORTED_PRECISIONS
from .model import RANDOM_SPEC
from .task_sizing import DEFAULT_IMAGES_PER_TASK, MAX_IMAGES_PER_TASK

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos")
INPUT_FORMATS = ("images", "packed")  # image files, or Parquet files of them (pack.py, packed_input.py)
DEFAULT_PCA_VARIANCE = 0.95
FEATURE_DIM = 1280  # MobileNetV2 (alpha 1.0) global-average-pooled output
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class JobParams:
    """Everything that decides *what* the job computes, plus where it reads and writes."""

    input_uri: str
    output_uri: str
    weights: str
    pca_k: int | None  # None: choose k by pca_variance
    pca_variance: float | None  # None when pca_k is fixed
    pca_standardize: bool
    image_size: int
    interpolation: str
    arrow_batch_size: int
    partitions: int  # 0 = Spark's default parallelism
    run_id: str
    artifact_sha256: str | None
    model_cache: str | None = None  # driver-side folder of converted models (model_cache.py); None = no cache
    engine: str = DEFAULT_ENGINE  # keras | openvino | onnxruntime (engines.py)
    precision: str = DEFAULT_PRECISION  # f32 (parity-safe) | bf16 | int8 (opt-in, flagged not parity-safe)
    images_per_task: int = DEFAULT_IMAGES_PER_TASK  # sizes the tasks when partitions is 0 (task_sizing.py)
    release: str | None = None  # the EMR release label the artifact was packed for (recorded, changes nothing)
    input_format: str = "images"  # images | packed (Parquet files of the images, pack.py): same rows, read faster

    def settings(self) -> dict:
        """The manifest's `settings` block: every argument that changes the computed result."""
        d = asdict(self)
        return {
            "weights": d["weights"],
            "image_size": d["image_size"],
            "interpolation": d["interpolation"],
            "arrow_batch_size": d["arrow_batch_size"],
            "partitions": d["partitions"],
            "images_per_task": d["images_per_task"],
            "pca_k": d["pca_k"],
            "pca_variance": d["pca_variance"],
            "pca_standardize": d["pca_standardize"],
            "engine": d["engine"],
            "precision": d["precision"],
        }


def generate_run_id(now: datetime | None = None, suffix: str | None = None) -> str:
    """UTC timestamp + random suffix, e.g. 20261125T200102Z-ab12cd (sorts by time, unique enough)."""
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{suffix or secrets.token_hex(3)}"


def normalize_uri(value: str) -> str:
    """A folder URI with exactly one trailing slash; a bare local path becomes an absolute file:// URI."""
    if "://" not in value:
        import os.path

        value = "file://" + os.path.abspath(os.path.expanduser(value))
    return value.rstrip("/") + "/"


def _positive_int(name: str, lo: int, hi: int):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{name} must be between {lo} and {hi}, got {v}")
        return v

    return parse


def _variance(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--pca-variance must be a number, got {text!r}") from None
    if not 0.0 < v <= 1.0:
        raise argparse.ArgumentTypeError(f"--pca-variance must be in (0, 1], e.g. 0.95; got {v}")
    return v


def _weights(text: str) -> str:
    if text.startswith("random:") and not RANDOM_SPEC.match(text):
        raise argparse.ArgumentTypeError(f"random weights take an integer seed, e.g. random:0; got {text!r}")
    if text == "auto":
        raise argparse.ArgumentTypeError(
            "'auto' is resolved by the workbench, not the job: pass imagenet, a weights file path/URI, or random:SEED"
        )
    if not text.strip():
        raise argparse.ArgumentTypeError("--weights must not be empty")
    return text


def _run_id(text: str) -> str:
    if not _RUN_ID.match(text):
        raise argparse.ArgumentTypeError(f"--run-id must be letters, digits, '.', '_' or '-' (max 128), got {text!r}")
    return text


def _sha256(text: str) -> str:
    if not _SHA256.match(text):
        raise argparse.ArgumentTypeError(f"--artifact-sha256 must be 64 lower-case hex digits, got {text!r}")
    return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fruits-job",
        description="Featurize fruit images with MobileNetV2 (broadcast weights) and fit a Spark ML PCA.",
    )
    p.add_argument("--input", required=True, help="folder of images: file://, s3a:// or s3:// (recursive)")
    p.add_argument("--input-format", choices=INPUT_FORMATS, default="images",
                   help="images (default): image files under --input; packed: Parquet files of (key, label, content) "
                        "written by `python -m fruits_pipeline.pack` (one object per few hundred images instead of one each)")
    p.add_argument("--output", required=True, help="output folder (its job outputs are replaced on rerun)")
    p.add_argument("--weights", required=True, type=_weights, help="imagenet | PATH-or-URI of a Keras weights file | random:SEED")
    k = p.add_mutually_exclusive_group()
    k.add_argument("--pca-k", type=_positive_int("--pca-k", 1, FEATURE_DIM), default=None, help="fixed number of components")
    k.add_argument("--pca-variance", type=_variance, default=DEFAULT_PCA_VARIANCE,
                   help="smallest k reaching this explained-variance ratio (default 0.95)")
    p.add_argument("--pca-standardize", action="store_true", help="scale features to unit variance before PCA (default: centre only)")
    p.add_argument("--image-size", type=_positive_int("--image-size", 32, 1024), default=224, help="model input size (default 224)")
    p.add_argument("--interpolation", choices=INTERPOLATIONS, default="bilinear", help="Pillow resample filter (default bilinear)")
    p.add_argument("--arrow-batch-size", type=_positive_int("--arrow-batch-size", 1, 100_000), default=64,
                   help="images per Arrow batch fed to the model (default 64)")
    p.add_argument("--partitions", type=_positive_int("--partitions", 0, 1_000_000), default=0,
                   help="featurize the images in exactly this many tasks (the scan is sized to it); "
                        "0 (default) = sized by work: ceil(images / --images-per-task), never fewer than the cores")
    p.add_argument("--images-per-task", type=_positive_int("--images-per-task", 1, MAX_IMAGES_PER_TASK),
                   default=DEFAULT_IMAGES_PER_TASK,
                   help=f"images per featurization task when --partitions is 0 (default {DEFAULT_IMAGES_PER_TASK}: "
                        "about 3 minutes of one core at the measured rate)")
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                   help=f"inference engine; the driver converts the model once (default {DEFAULT_ENGINE})")
    p.add_argument("--precision", choices=PRECISIONS, default=DEFAULT_PRECISION,
                   help="f32 (default, parity-safe); bf16 (openvino) or int8 (onnxruntime) are faster, NOT parity-safe")
    p.add_argument("--run-id", type=_run_id, default=None, help="default: UTC timestamp + random suffix")
    p.add_argument("--model-cache", default=None, metavar="DIR",
                   help="driver-local folder caching the converted model between runs (the workbench passes it "
                        "for local runs); default: none")
    p.add_argument("--artifact-sha256", type=_sha256, default=None, help="recorded in the manifest (given by the workbench)")
    p.add_argument("--release", default=None, metavar="LABEL",
                   help="EMR release label the artifact was packed for (emr-spark-8.1.0, emr-7.13.0): recorded in the "
                        "manifest so parity can tell a release difference from a code difference (given by the workbench)")
    return p


def parse_args(argv: list[str]) -> JobParams:
    """Parse and validate; argparse exits with status 2 and `fruits-job: error: ...` on bad input."""
    parser = build_parser()
    a = parser.parse_args(argv)
    input_uri, output_uri = normalize_uri(a.input), normalize_uri(a.output)
    if input_uri.startswith(output_uri) or output_uri.startswith(input_uri):
        parser.error(f"--output ({output_uri}) must not be inside --input ({input_uri}) or contain it: choose a separate folder")
    if a.precision not in SUPPORTED_PRECISIONS[a.engine]:
        parser.error(f"--engine {a.engine} supports --precision {' | '.join(SUPPORTED_PRECISIONS[a.engine])}, not {a.precision}")
    return JobParams(
        input_uri=input_uri,
        output_uri=output_uri,
        weights=a.weights,
        pca_k=a.pca_k,
        pca_variance=None if a.pca_k is not None else a.pca_variance,
        pca_standardize=a.pca_standardize,
        image_size=a.image_size,
        interpolation=a.interpolation,
        arrow_batch_size=a.arrow_batch_size,
        partitions=a.partitions,
        run_id=a.run_id or generate_run_id(),
        artifact_sha256=a.artifact_sha256,
        model_cache=a.model_cache,
        engine=a.engine,
        precision=a.precision,
        images_per_task=a.images_per_task,
        release=a.release,
        input_format=a.input_format,
    )
