#!/bin/bash
# EMR bootstrap action (runs on every node, as the hadoop user, before applications start).
# Installs the job's RUNTIME Python dependencies for python3.X from wheels shipped in the job artifact, checked
# against the hashes of the chosen release's runtime lock (pipeline/locks/<release>/requirements.lock, which the
# artifact always ships as requirements.lock): no node needs PyPI or any internet access,
# and EMR runs the same numpy/pandas/pyarrow/tensorflow-cpu/openvino/onnxruntime/pillow as the local run.
# pyspark is left out by the same tested filter the Docker image uses (runtime-lock-filter.sh): the job must use
# the Spark of the EMR release, and the filter refuses a lock whose pyspark is another version.
#
# Usage (set by the workbench's plan, BootstrapActions):
#   bootstrap.sh ARTIFACT_URI PY_VERSION SPARK_VERSION [WHEELS_URI]
#     ARTIFACT_URI  folder holding requirements.lock and runtime-lock-filter.sh, e.g. s3://<bucket>/artifacts/<sha>/
#                   (s3:// is fetched with the aws CLI; a local folder or file:// is read in place: the rehearsal)
#     PY_VERSION    e.g. 3.11
#     SPARK_VERSION the release's Spark, e.g. 4.1.1 (emr-spark-8.1.0) or 3.5.6 (emr-7.13.0); must equal the
#                   lock's pyspark pin
#     WHEELS_URI    folder of the runtime wheels (*.whl); default ARTIFACT_URI/wheels/
# Environment (for the offline rehearsal and tests; unset on EMR): FRUITS_BOOTSTRAP_PYTHON = the interpreter to
# install into (default /usr/bin/pythonX.Y, installed with dnf when missing).
set -euo pipefail

ARTIFACT_URI="${1:?usage: bootstrap.sh ARTIFACT_URI PY_VERSION SPARK_VERSION [WHEELS_URI]}"
PY_VERSION="${2:?usage: bootstrap.sh ARTIFACT_URI PY_VERSION SPARK_VERSION [WHEELS_URI]}"
SPARK_VERSION="${3:?usage: bootstrap.sh ARTIFACT_URI PY_VERSION SPARK_VERSION [WHEELS_URI]}"
ARTIFACT_URI="${ARTIFACT_URI%/}"
WHEELS_URI="${4:-$ARTIFACT_URI/wheels}"
WHEELS_URI="${WHEELS_URI%/}"
PY="${FRUITS_BOOTSTRAP_PYTHON:-/usr/bin/python${PY_VERSION}}"
log() { echo "fruits-bootstrap: $*" >&2; }

# Installed system-wide on EMR so YARN containers (any user) import the same packages; root needs no sudo.
SUDO=""
if [ "$(id -u)" -ne 0 ] && [ -z "${FRUITS_BOOTSTRAP_PYTHON:-}" ]; then SUDO="sudo"; fi

# EMR 7.x (Amazon Linux 2023) ships python3.9 as python3; 3.11 comes from the OS repository (the OS mirror, not PyPI).
if [ ! -x "$PY" ]; then
  log "installing python${PY_VERSION} from the OS repository"
  $SUDO dnf install -y -q "python${PY_VERSION}" "python${PY_VERSION}-pip"
fi
if ! "$PY" -m pip --version >/dev/null 2>&1; then
  $SUDO dnf install -y -q "python${PY_VERSION}-pip" || $SUDO "$PY" -m ensurepip
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch URI DEST [--recursive]: s3:// through the aws CLI, anything else is a local path (or file://).
fetch() {
  local uri="$1" dest="$2"
  case "$uri" in
    s3://*) aws s3 cp --only-show-errors ${3:+"$3"} "$uri" "$dest" ;;
    *) local path="${uri#file://}"; if [ -n "${3:-}" ]; then cp -R "$path/." "$dest"; else cp "$path" "$dest"; fi ;;
  esac
}

fetch "$ARTIFACT_URI/requirements.lock" "$work/requirements.lock"
fetch "$ARTIFACT_URI/runtime-lock-filter.sh" "$work/runtime-lock-filter.sh"
mkdir -p "$work/wheels"
fetch "$WHEELS_URI" "$work/wheels" --recursive

if ! sh "$work/runtime-lock-filter.sh" "$work/requirements.lock" "$SPARK_VERSION" > "$work/runtime.lock"; then
  log "the artifact's requirements.lock is not a runtime lock for Spark $SPARK_VERSION (reason above)"
  exit 1
fi

# --no-index --find-links: only the shipped wheels, never PyPI. --require-hashes: each wheel must match the lock.
# --no-deps: the lock is complete, and nothing may pull pyspark back in.
log "installing $(grep -c '^[A-Za-z0-9]' "$work/runtime.lock") pinned packages for ${PY} from $(ls "$work/wheels" | grep -c '\.whl$') shipped wheels"
$SUDO "$PY" -m pip install --quiet --no-cache-dir --disable-pip-version-check --no-index --find-links "$work/wheels" \
  --require-hashes --no-deps -r "$work/runtime.lock"

# Print what was installed (every pin of the runtime lock), for the bootstrap log.
"$PY" - "$work/runtime.lock" <<'PYCHECK'
import importlib.metadata as md
import re
import sys

names = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", open(sys.argv[1]).read(), re.M)
print("fruits-bootstrap: installed " + ", ".join(f"{n} {md.version(n)}" for n in names), file=sys.stderr)
PYCHECK
