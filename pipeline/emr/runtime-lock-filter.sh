#!/bin/sh
# Prints a runtime lock (pipeline/locks/<release>/requirements.lock, shipped in the artifact as requirements.lock)
# without its pyspark requirement, for machines whose Spark
# already provides pyspark: the EMR nodes (bootstrap.sh) and the Docker image (docker/spark/Dockerfile). Every
# other pin and hash is kept, so `pip install --require-hashes --no-deps -r <output>` installs exactly the lock
# minus pyspark. One filter for both, tested by pipeline/tests/test_runtime_lock_filter.py.
#
# usage: runtime-lock-filter.sh LOCK EXPECTED_SPARK_VERSION > runtime.lock
# Fails (exit 1, reason on stderr) when the lock pins a pyspark other than the machine's Spark: the driver and
# the executors would then run one Python API against another JVM, which py4j does not check. Also refuses a
# lock that holds test tools (pytest, moto): a node gets the runtime lock, never requirements-test.lock.
set -eu
if [ "$#" -ne 2 ]; then
  echo "usage: runtime-lock-filter.sh LOCK EXPECTED_SPARK_VERSION > runtime.lock" >&2
  exit 2
fi
lock="$1"
expected="$2"
if [ ! -f "$lock" ]; then
  echo "runtime-lock-filter: no such file: $lock" >&2
  exit 1
fi

pinned="$(sed -n 's/^pyspark==\([^ \\;]*\).*/\1/p' "$lock")"
if [ -z "$pinned" ]; then
  echo "runtime-lock-filter: $lock pins no pyspark; expected pyspark==$expected" >&2
  exit 1
fi
if [ "$pinned" != "$expected" ]; then
  echo "runtime-lock-filter: $lock pins pyspark==$pinned but the machine's Spark is $expected" >&2
  exit 1
fi
if grep -Eq '^(pytest|moto)(\[[^]]*\])?==' "$lock"; then
  echo "runtime-lock-filter: $lock holds test tools (pytest/moto): give the release's runtime lock (pipeline/locks/<release>/requirements.lock)" >&2
  exit 1
fi

# A requirement starts at column 0 with a name; its --hash and '# via' lines are indented. Drop the pyspark block.
awk '
  /^[A-Za-z0-9]/ { skip = ($0 ~ /^pyspark==/) }
  !skip { print }
' "$lock"
