#!/usr/bin/env bash
# bench/issue13.sh - every figure issue #13 sets a target on, before and after, in one sitting.
#
# Runs the existing scripts one after the other (never two at once, except the memory section,
# see below), each with the build before and the build after taking turns, and keeps every
# output in one results folder. Meant for a quiet machine: run `uptime` first; each script also
# records the load with its figures.
#
# usage: bench/issue13.sh [-s SECTIONS] [-n RUNS] BEFORE_JAR [AFTER_JAR]
#   -s SECTIONS  comma-separated (default start,push,manifest,sync,memory):
#                start     bench/start.sh -n 5 -b BEFORE --appcds       (target 2)
#                push      bench/compare.sh -o blobpush,chunked before after null   (target 1)
#                manifest  bench/compare.sh -o manifest dist before after          (target 6a)
#                sync      bench/sync.sh (mirror, many, layer), before and after alternating,
#                          RUNS times each                                (targets 4, 5, 6b)
#                memory    bench/run.sh --quick --no-host: before with no JVM flags; after with
#                          no flags (the launcher's default profile), with @small-device.jvmopts
#                          and with CONNECTED_REGISTRY_JVM=small-device: the four at the same
#                          time (peak RSS hardly depends on load; their throughput figures mean
#                          nothing; bench/memory.sh takes them one at a time)   (target 3)
#   -n RUNS      runs per figure (default 3)
# AFTER_JAR defaults to module/target/connected-registry.jar. Results: bench/results/issue13-<time>/.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SECTIONS=start,push,manifest,sync,memory RUNS=3
while [[ $# -gt 0 ]]; do
  case $1 in
    -s) SECTIONS=$2; shift 2 ;;
    -n) RUNS=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
BEFORE=$(realpath "${1:?usage: bench/issue13.sh [-s SECTIONS] [-n RUNS] BEFORE_JAR [AFTER_JAR]}")
AFTER=$(realpath "${2:-$REPO/module/target/connected-registry.jar}")
OUT=$HERE/results/issue13-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
has() { [[ ,$SECTIONS, == *,$1,* ]]; }
say() { echo "== $(date -u +%T) $* (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$OUT/log.txt" >&2; }
{ echo "date $(date -u '+%F %T') UTC, commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo -)"
  echo "before $BEFORE ($(stat -c %s "$BEFORE") bytes)"; echo "after $AFTER ($(stat -c %s "$AFTER") bytes)"
  echo "cpus $(nproc), $(free -m | awk '/Mem:/ {print $2 " MiB RAM"}'), $(uptime)"; } > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

if has start; then
  say "start to ready"
  JAR=$AFTER "$HERE/start.sh" -n 5 -b "$BEFORE" --appcds > "$OUT/start.txt" 2>&1 || say "start.sh failed"
fi
if has push; then
  say "chunked vs monolithic push"
  "$HERE/compare.sh" -n "$RUNS" -o blobpush,chunked -r "$OUT/push" before="$BEFORE" after="$AFTER" null \
    > "$OUT/push.txt" 2>&1 || say "compare.sh push failed"
fi
if has manifest; then
  say "manifest GETs"
  "$HERE/compare.sh" -n "$RUNS" -o manifest -r "$OUT/manifest" dist before="$BEFORE" after="$AFTER" \
    > "$OUT/manifest.txt" 2>&1 || say "compare.sh manifest failed"
fi
if has sync; then
  for r in $(seq 1 "$RUNS"); do
    for side in before after; do
      jar=$BEFORE; [[ $side == after ]] && jar=$AFTER
      say "sync run $r, $side"
      JAR=$jar "$HERE/sync.sh" > "$OUT/sync-$side-run$r.txt" 2>&1 || say "sync.sh $side run $r failed"
    done
  done
fi
if has memory; then
  say "memory: four bench/run.sh at once"
  pids=()
  # name, jar, JAVA_OPTS (empty: plain java -jar), CONNECTED_REGISTRY_JVM
  while read -r name side opts profile; do
    jar=$BEFORE; [[ $side == after ]] && jar=$AFTER
    [[ $opts == - ]] && opts=
    CONNECTED_REGISTRY_JVM=$profile JAVA_OPTS=$opts JAR=$jar "$HERE/run.sh" --quick --no-host -n "$RUNS" \
      -o "$OUT/memory-$name" > "$OUT/memory-$name.txt" 2>&1 & pids+=($!)
  done <<EOS
before-noflags before - default
after-noflags after - default
after-smalldevice after @$REPO/module/small-device.jvmopts default
after-smalllauncher after - small-device
EOS
  for p in "${pids[@]}"; do wait "$p" || say "a memory run failed (pid $p)"; done
fi
say "done: $OUT"
