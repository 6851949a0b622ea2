"""manifest.json (schema_version 1, docs/job-contract.md): built from the run's facts by pure functions."""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources

from .cli import JobParams
from .engines import ConvertedModel, engine_versions, not_parity_safe_warning
from .model import LoadedWeights
from .package_versions import installed_version
from .pca import PcaResult

SCHEMA_VERSION = 1
NOT_MEANINGFUL = "features are NOT meaningful: the model has random weights (--weights random:SEED); use them to test plumbing only"


@dataclass(frozen=True)
class Counts:
    inputs: int  # image files listed under --input
    features: int  # rows in features/
    errors: int  # rows in errors/
    featurized: int  # the UDF's accumulator: images that went through the model function

    def problems(self) -> list[str]:
        """Why the counts do not add up (empty when they do)."""
        out = []
        if self.inputs != self.features + self.errors:
            out.append(f"inputs ({self.inputs}) != features ({self.features}) + errors ({self.errors}): rows were lost")
        if self.featurized != self.inputs:
            out.append(
                f"the UDF featurized {self.featurized} images for {self.inputs} inputs: it must run exactly once per "
                "image (was the featurized frame evicted from the cache and recomputed, or a task retried?)"
            )
        return out


def utc_iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def code_sha256() -> str:
    """sha256 of the package sources: sha256 of the sorted lines '<sha256 of file>  <path in package>\\n' over *.py.

    Works from a folder or from the zip given to --py-files (importlib.resources reads both).
    """
    lines = []

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    walk(child, name + "/")
            elif child.name.endswith(".py"):
                lines.append(f"{hashlib.sha256(child.read_bytes()).hexdigest()}  {name}\n")

    walk(resources.files("fruits_pipeline"), "")
    return hashlib.sha256("".join(sorted(lines, key=lambda l: l.split("  ", 1)[1])).encode()).hexdigest()


def library_versions(spark_version: str) -> dict:
    """Installed versions, read from package metadata: importing TensorFlow only to read its version would cost
    seconds on runs that never use it (a converted-model cache hit with a non-Keras engine)."""
    return {
        "python": platform.python_version(),
        "spark": spark_version,
        "pyspark": installed_version("pyspark"),
        "tensorflow": installed_version("tensorflow", "tensorflow-cpu"),
        "keras": installed_version("keras"),
        "numpy": installed_version("numpy"),
        "pandas": installed_version("pandas"),
        "pyarrow": installed_version("pyarrow"),
        "pillow": installed_version("pillow", "Pillow"),
        **engine_versions(),
    }


def weights_block(w: LoadedWeights) -> dict:
    block = {
        "spec": w.spec,
        "source": w.source,
        "sha256": w.sha256,
        "arrays_sha256": w.arrays_sha256,
        "meaningful": w.meaningful,
    }
    if not w.meaningful:
        block["warning"] = NOT_MEANINGFUL
    return block


def engine_block(m: ConvertedModel, model_cache: str = "off") -> dict:
    """What ran the model on the executors; `parity_safe` is false for the opt-in reduced precisions."""
    block = {
        "name": m.engine,
        "precision": m.precision,
        "parity_safe": m.parity_safe,
        "model_sha256": m.key,
        "broadcast_bytes": m.broadcast_bytes(),  # what the executors receive: the converted model (ONNX by default)
        "model_cache": model_cache,  # off | miss | hit: whether the driver converted it in this run (model_cache.py)
    }
    if not m.parity_safe:
        block["warning"] = not_parity_safe_warning(m.engine, m.precision)
    return block


def pca_block(p: PcaResult, params: JobParams) -> dict:
    return {
        "k": p.k,
        "k_mode": p.k_mode,
        "variance_threshold": params.pca_variance if p.k_mode == "variance" else None,
        "standardize": params.pca_standardize,
        "centered": True,
        "explained_variance_ratio": [float(r) for r in p.ratios[: p.k]],
        "variance_kept": p.variance_kept,
    }


def explained_variance_json(p: PcaResult) -> dict:
    return {"k": p.k, "ratios": [float(r) for r in p.ratios], "cumulative": p.cumulative, "kept": p.variance_kept}


def build_manifest(
    *,
    params: JobParams,
    started_at: datetime,
    finished_at: datetime,
    counts: Counts,
    feature_dim: int,
    pca: PcaResult,
    weights: LoadedWeights,
    model: ConvertedModel,
    versions: dict,
    spark_info: dict,
    timings: dict,
    outputs: dict,
    model_cache: str = "off",
) -> dict:
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "run_id": params.run_id,
        "status": "succeeded",
        "input_uri": params.input_uri,
        "output_uri": params.output_uri,
        "started_at": utc_iso(started_at),
        "finished_at": utc_iso(finished_at),
        "counts": {"inputs": counts.inputs, "features": counts.features, "errors": counts.errors,
                   "featurized": counts.featurized},
        "feature_dim": feature_dim,
        "pca": pca_block(pca, params),
        "weights": weights_block(weights),
        "engine": engine_block(model, model_cache),
        "artifact": {"sha256": params.artifact_sha256, "code_sha256": code_sha256()},
        "release": params.release,
        "settings": params.settings(),
        "versions": versions,
        "spark": spark_info,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "outputs": outputs,
    }
    warnings = ([] if weights.meaningful else [NOT_MEANINGFUL]) + (
        [] if model.parity_safe else [not_parity_safe_warning(model.engine, model.precision)])
    if warnings:
        manifest["warnings"] = warnings
    return manifest
