#!/bin/sh
# Prints pipeline/requirements.lock without its pyspark requirement, for images whose Spark already provides
# pyspark (the official Apache Spark image ships it in $SPARK_HOME/python). Every other pin and hash is kept, so
# `pip install --require-hashes --no-deps` installs exactly the lock minus pyspark.
#
# usage: lock-without-pyspark.sh LOCK EXPECTED_SPARK_VERSION > runtime.lock
# Fails (exit 1, reason on stderr) when the lock pins a pyspark other than the image's Spark: the driver and the
# executors would then run one Python API against another JVM, which py4j does not check.
set -eu
lock="$1"
expected="$2"

pinned="$(sed -n 's/^pyspark==\([^ \\]*\).*/\1/p' "$lock")"
if [ -z "$pinned" ]; then
  echo "lock-without-pyspark: $lock pins no pyspark; expected pyspark==$expected" >&2
  exit 1
fi
if [ "$pinned" != "$expected" ]; then
  echo "lock-without-pyspark: $lock pins pyspark==$pinned but the image's Spark is $expected" >&2
  exit 1
fi

# A requirement starts at column 0 with a name; its --hash and '# via' lines are indented. Drop the pyspark block.
awk '
  /^[A-Za-z0-9]/ { skip = ($0 ~ /^pyspark==/) }
  !skip { print }
' "$lock"
