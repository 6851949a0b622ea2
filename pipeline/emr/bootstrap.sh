#!/bin/bash
# EMR bootstrap action (runs on every node, as the hadoop user, before applications start).
# Installs the job's Python dependencies for python3.X from the project's hashed lock file, so EMR runs the
# same numpy/pandas/pyarrow/tensorflow-cpu/pillow as the local run. pyspark is left out: the job must use
# the Spark of the EMR release (emr/releases.ts maps the release to the pinned Spark version).
#
# Usage (set by the workbench's plan, BootstrapActions): bootstrap.sh s3://<bucket>/artifacts/<sha>/requirements.lock 3.11
set -euo pipefail

LOCK_URI="${1:?usage: bootstrap.sh <s3 URI of requirements.lock> [python version]}"
PY_VERSION="${2:-3.11}"
PY="/usr/bin/python${PY_VERSION}"
log() { echo "fruits-bootstrap: $*" >&2; }

# EMR 7.x (Amazon Linux 2023) ships python3.9 as python3; 3.11 comes from the OS repository.
if [ ! -x "$PY" ]; then
  log "installing python${PY_VERSION} from the OS repository"
  sudo dnf install -y -q "python${PY_VERSION}" "python${PY_VERSION}-pip"
fi
if ! "$PY" -m pip --version >/dev/null 2>&1; then
  sudo dnf install -y -q "python${PY_VERSION}-pip" || sudo "$PY" -m ensurepip
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
aws s3 cp --only-show-errors "$LOCK_URI" "$work/requirements.lock"

# Drop the pyspark entry (its `name==version \` line and the indented hash/comment lines under it).
# A new entry starts on a line that begins with neither a space nor '#'.
awk '/^[^ #]/ { skip = ($0 ~ /^pyspark==/) } !skip' "$work/requirements.lock" > "$work/runtime.lock"
if grep -q '^pyspark==' "$work/runtime.lock"; then log "could not remove pyspark from the lock"; exit 1; fi

# --require-hashes: only the exact files the lock names; --no-deps: the lock is complete, and nothing may pull
# pyspark back in. Installed system-wide so YARN containers (any user) import the same packages.
log "installing $(grep -c '^[^ #]' "$work/runtime.lock") pinned packages for ${PY}"
sudo "$PY" -m pip install --quiet --no-cache-dir --disable-pip-version-check --require-hashes --no-deps \
  -r "$work/runtime.lock"

"$PY" - <<'PYCHECK'
import importlib.metadata as md
print("fruits-bootstrap: " + ", ".join(f"{p} {md.version(p)}" for p in ("numpy", "pandas", "pyarrow", "tensorflow-cpu", "pillow")))
PYCHECK
