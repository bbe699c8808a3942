#!/usr/bin/env bash
# bench/sync-follow.sh - a child that already follows a parent's change feed, when a release of
# new images lands at the parent: the cycle that follows the feed, per build, side by side.
#
# Seeds one parent (this project, on loopback) with 20 repositories x 3 tags (a 4 MiB base layer
# per repository + 512 KiB per tag, as bench/sync.sh's mirror). For each run and each build: an
# empty child makes its first cycle (printed: cold, a JVM just started), then 20 x 3 NEW images of
# the same shape (new bytes: nothing the child holds) are pushed to the parent in new
# repositories, the child is asked for a cycle (POST /_connected/v1/sync), and that cycle is
# printed (warm: the same amount of work on a JVM that has run one cycle). Figures come from the
# child's /_connected/v1/status (lastCycle.durationMillis, .requests); each line gives the load.
# The pushes take about a minute per child.
#
# usage: bench/sync-follow.sh -a JAR_A [-b JAR_B] [-n RUNS]
# Environment: JAVA_OPTS (default @module/small-device.jvmopts; the parent's and A's), JAVA_OPTS_B
# (B's, default JAVA_OPTS: with -b the same jar, another JVM setting), SHARED_TOOLS, TMPDIR.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOOLS=${SHARED_TOOLS:-$REPO/../shared/tools}
JAVA_OPTS=${JAVA_OPTS:-@$REPO/module/small-device.jvmopts}
JAVA_OPTS_B=${JAVA_OPTS_B:-$JAVA_OPTS}
A= B= N=1
while [[ $# -gt 0 ]]; do
  case $1 in
    -a) A=$2; shift 2 ;; -b) B=$2; shift 2 ;; -n) N=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
[[ -f $A && ( -z $B || -f $B ) ]] || { echo "sync-follow.sh: -a (and -b) must name jars" >&2; exit 2; }
for c in java skopeo curl jq python3; do command -v $c >/dev/null || { echo "sync-follow.sh: needs $c" >&2; exit 1; }; done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sync-follow.XXXXXX")
load() { awk '{print $1}' /proc/loadavg; }
# shellcheck source=bench/mirror-parent.sh
. "$HERE/mirror-parent.sh"
seed_parent "$A"

# cycle PID PORT PREVIOUS_START: waits for a finished cycle that copied tags and started after PREVIOUS_START
cycle() {
  local s=
  for _ in $(seq 6000); do
    kill -0 "$1" 2>/dev/null || { echo "sync-follow.sh: the child exited" >&2; exit 1; }
    s=$(curl -fs "http://127.0.0.1:$2/_connected/v1/status" || true)
    [[ $(jq -r --arg prev "$3" '(.syncState == "Succeeded" or .syncState == "Failed") and ((.lastCycle.tagsCopied // 0) > 0)
        and (.lastSyncStartTime != $prev)' <<<"${s:-null}") == true ]] && break
    sleep "$POLL"
  done
  echo "$s"
}
line() { jq -r '"\(.lastCycle.durationMillis) ms, \(.lastCycle.requests) requests, \(.lastCycle.tagsCopied) tags, \(.syncState)"' <<<"$1"; }

child() { # label jar run [java options]
  local opts=${4:-$JAVA_OPTS}
  local d; d=$(mktemp -d "$WORK/child.XXXX"); local p; p=$(port)
  printf 'parent: {endpoint: "http://127.0.0.1:%s"}\nsync: {repositories: ["bench/sync/*", "bench/%s/*"], schedule: "0 0 1 1 *"}\n' \
    "$PPORT" "new-$3-${1,,}" > "$d/c.yaml"
  local l0; l0=$(load)
  # shellcheck disable=SC2086
  java $opts -jar "$2" --data "$d/data" --listen "127.0.0.1:$p" --config "$d/c.yaml" --log-level Warning > "$d/log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  local first; first=$(cycle "$pid" "$p" none) || { tail -3 "$d/log" >&2; exit 1; }
  echo "  $1 run $3 first cycle (cold):      $(line "$first")   load $l0"
  push_mirror "new-$3-${1,,}" "new-$3-${1,,}"
  local l1; l1=$(load)
  curl -fs -X POST "http://127.0.0.1:$p/_connected/v1/sync" >/dev/null
  local next; next=$(cycle "$pid" "$p" "$(jq -r .lastSyncStartTime <<<"$first")") || { tail -3 "$d/log" >&2; exit 1; }
  echo "  $1 run $3 feed cycle, 60 new (warm): $(line "$next")   load $l1"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  rm -rf "$d"
}
echo "A=$A"; [[ -n $B ]] && echo "B=$B"; echo "JAVA_OPTS=$JAVA_OPTS; $(nproc) cpus"
[[ $JAVA_OPTS_B == "$JAVA_OPTS" ]] || echo "JAVA_OPTS_B=$JAVA_OPTS_B"
for r in $(seq "$N"); do
  child A "$A" "$r"
  [[ -n $B ]] && child B "$B" "$r" "$JAVA_OPTS_B"
done
