"""`python -m fruits_pipeline.prepare_model`: fill the converted-model cache (--model-cache) without running the job.

Why: the Docker image of a release holds no converter (TensorFlow, Keras, tf2onnx, onnx: 1.1 GB; docs/docker.md),
so its driver can only read a converted model. The workbench runs this on the host, with the release's full venv
(the same lock, hence the same converter versions) and the run's own job code on PYTHONPATH (the artifact's
fruits_pipeline.zip, so manifest.code_sha256 and the key are the job's), into the folder it mounts into the
driver container. It is converted_model.prepare_model itself, without Spark: weights are a local file or
random:SEED. A hit imports no TensorFlow (about a second); a miss converts once and stores the entry.

Prints one line: `converted-model cache: hit ...` or `converted-model cache: converted on the host ...`.
Exit 0; a JobError prints `fruits-prepare-model: error: <reason and fix>` and exits 1; bad arguments exit 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from .cli import _positive_int, _weights
from .engines import DEFAULT_ENGINE, DEFAULT_PRECISION, ENGINES, PRECISIONS, SUPPORTED_PRECISIONS
from .errors import JobError
from .model import RANDOM_SPEC
from .stage_timer import StageTimer

PROG = "fruits-prepare-model"


@dataclass(frozen=True)
class PrepareParams:
    """converted_model.ModelParams: the job's options that decide the converted model, and the cache folder."""

    weights: str
    image_size: int
    engine: str
    precision: str
    model_cache: str


def parse_args(argv: list[str]) -> PrepareParams:
    """The job's own option names, parsers and defaults (cli.py), so a command line carries over. Pure."""
    p = argparse.ArgumentParser(prog=PROG, description="Convert the model into --model-cache (no Spark, no job).")
    p.add_argument("--weights", required=True, type=_weights, help="a local Keras weights file | random:SEED | imagenet")
    p.add_argument("--image-size", type=_positive_int("--image-size", 32, 1024), default=224)
    p.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE)
    p.add_argument("--precision", choices=PRECISIONS, default=DEFAULT_PRECISION)
    p.add_argument("--model-cache", required=True, metavar="DIR", help="the folder the job will be given as --model-cache")
    a = p.parse_args(argv)
    if a.precision not in SUPPORTED_PRECISIONS[a.engine]:
        p.error(f"--engine {a.engine} supports --precision {' | '.join(SUPPORTED_PRECISIONS[a.engine])}, not {a.precision}")
    if not (a.weights == "imagenet" or RANDOM_SPEC.match(a.weights) or urlparse(a.weights).scheme in ("", "file")):
        p.error(f"--weights {a.weights}: only a local file, imagenet or random:SEED (no Spark here to read a URI)")
    return PrepareParams(a.weights, a.image_size, a.engine, a.precision, a.model_cache)


def main(argv: list[str] | None = None) -> int:
    params = parse_args(sys.argv[1:] if argv is None else argv)
    from .converted_model import prepare_model  # after parsing: --help needs no numpy

    notes: list[str] = []
    t = time.perf_counter()
    try:
        prepared = prepare_model(None, params, StageTimer(), notes.append)
    except JobError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr, flush=True)
        return 1
    for note in notes:  # an unreadable or stale entry it replaced; the hit/miss line is said below
        if not note.startswith("converted-model cache hit") and not note.startswith("converted-model cache miss"):
            print(note, flush=True)
    what = f"{params.engine} {params.precision}, --weights {params.weights}, in {params.model_cache}"
    if prepared.key is None:
        print(f"converted-model cache: not cacheable ({what}): the weights have no identity here", flush=True)
        return 1
    if prepared.cache_state == "hit":
        print(f"converted-model cache: hit, entry {prepared.key[:12]} ({what})", flush=True)
    else:
        print(f"converted-model cache: converted on the host in {time.perf_counter() - t:.1f} s, entry "
              f"{prepared.key[:12]} ({what})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
