#!/usr/bin/env bash
# A Docker engine for the Docker tests, on a CI machine that has none.
#
#   .ci/docker-engine.sh        when no engine answers and we are root on Debian: apt-get install docker.io and
#                               debootstrap (the base image is built locally when it cannot be pulled), start
#                               dockerd in the background, wait until it answers. Does nothing when one answers.
#   .ci/docker-engine.sh stop   stops the dockerd this script started (and only that one).
#
# dockerd's log and pid live outside the clone: ${FRUITS_DOCKERD_DIR:-/var/tmp/fruits-workbench-dockerd}.
set -euo pipefail

state="${FRUITS_DOCKERD_DIR:-/var/tmp/fruits-workbench-dockerd}"
pidfile="$state/dockerd.pid"

answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if [ "${1:-}" = "stop" ]; then
  if [ -f "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      echo "docker-engine: stopping the dockerd started for CI (pid $pid)"
      kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    rm -f "$pidfile"
  fi
  exit 0
fi

if command -v docker >/dev/null 2>&1 && answers; then
  echo "docker-engine: an engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "docker-engine: no Docker engine answers, and this is not root on Debian: start Docker yourself" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  echo "docker-engine: installing docker.io and debootstrap from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi

mkdir -p "$state"
echo "docker-engine: starting dockerd (log: $state/dockerd.log)"
# dockerd outlives this script: it must not inherit the caller's other open files. Under `flock LOCK
# .ci/docker-engine.sh` an inherited lock descriptor would hold LOCK for as long as dockerd runs.
(
  for fd in /proc/"$BASHPID"/fd/*; do
    n="${fd##*/}"
    if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi
  done
  nohup dockerd >"$state/dockerd.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
)
for _ in $(seq 1 60); do
  if answers; then
    echo "docker-engine: dockerd answers ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then break; fi
  sleep 1
done
echo "docker-engine: dockerd did not answer; last lines of $state/dockerd.log:" >&2
tail -20 "$state/dockerd.log" >&2 || true
exit 1
