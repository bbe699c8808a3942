#!/usr/bin/env bash
# bench/memory.sh - peak RSS under the benchmark (issue #13, target 3), each JVM setting beside
# distribution in the same run.
#
# For each setting, in turn, RUNS times: `bench/run.sh --quick --no-host --only ...` (which starts
# this registry and CNCF distribution one after the other, fresh data folders, and reads each one's
# VmHWM through registry-bench.sh `-p PID`; the registry is exec'd, and so is the launcher's JVM:
# one PID is the whole process tree). Prints one line per run and setting: ours, distribution,
# ratio, RSS when the run ended, and the load.
#
# usage: bench/memory.sh [-n RUNS] [-b OLD_JAR] [SETTING...]
#   SETTING is one of (default: plain small-device small-launcher):
#     plain           java -jar JAR                      (the launcher picks the JVM options)
#     restart         the same, started as every start after the second is: with the class archive
#                     (DATA/jvm) that the second start made from the class list the first one wrote.
#                     Seeded once per sitting: the jar serves one `run.sh --quick` and is stopped, then
#                     started once more to ready and stopped (bench/seeded-start.sh)
#     small-device    java @module/small-device.jvmopts -jar JAR   (user options: no launcher)
#     small-launcher  CONNECTED_REGISTRY_JVM=small-device java -jar JAR
#     off             CONNECTED_REGISTRY_JVM=off java -jar JAR   (the JVM's own defaults)
#     floor           bench/floor/FloorRegistry.java (the least Java 17 + Vert.x registry doing the
#                     benchmark's work; bench/floor/README.md) with the JVM options of the launcher's
#                     default profile (launcher/default.jvmopts without its comments: what `java -jar`
#                     gets, minus the class archive the launcher records)
#     floor-small     FloorRegistry with @module/small-device.jvmopts
#   -b OLD_JAR      also `plain` with another build (before/after), same run
# Environment: JAR (default module/target/connected-registry.jar).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
JAR=${JAR:-$REPO/module/target/connected-registry.jar}
RUNS=3 OLD= SETTINGS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -n) RUNS=$2; shift 2 ;;
    -b) OLD=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) SETTINGS+=("$1"); shift ;;
  esac
done
[[ ${#SETTINGS[@]} -gt 0 ]] || SETTINGS=(plain small-device small-launcher)
[[ -n $OLD ]] && SETTINGS+=(before-plain)
OUT=$HERE/results/memory-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
if [[ " ${SETTINGS[*]} " == *" floor"* ]]; then
  # compiled once per sitting, against the same jar (Vert.x is inside it); no io.connectedregistry class used
  mkdir -p "$OUT/floor-classes"
  javac -nowarn -cp "$JAR" -d "$OUT/floor-classes" "$HERE/floor/FloorRegistry.java" 2> "$OUT/floor-javac.log" ||
    { cat "$OUT/floor-javac.log" >&2; echo "memory.sh: FloorRegistry does not compile" >&2; exit 1; }
  grep -v '^[[:space:]]*#' "$REPO/module/src/main/resources/io/connectedregistry/launcher/default.jvmopts" |
    grep -v '^[[:space:]]*$' > "$OUT/floor-default.jvmopts"
fi
if [[ " ${SETTINGS[*]} " == *" restart "* ]]; then
  # the first start of an installation: serves the benchmark once, then its stop writes the archive
  seed=$OUT/seed
  mkdir -p "$seed/data"
  sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  java -jar "$JAR" --listen "127.0.0.1:$sport" --data "$seed/data" > "$seed/registry.log" 2>&1 &
  spid=$!
  for _ in $(seq 200); do curl -fsS -o /dev/null "http://127.0.0.1:$sport/readyz" 2>/dev/null && break; sleep 0.1; done
  "$HERE/run.sh" --quick --no-host --only ours --ours-url "http://127.0.0.1:$sport" --ours-pid "$spid" -o "$seed/run" \
    > "$seed/run.out" 2>&1 || { echo "memory.sh: the seeding run failed (see $seed/run.out)" >&2; exit 1; }
  kill -TERM "$spid"; wait "$spid" || true
  # the second start makes the archive from the class list the first one wrote (launcher.ClassArchive)
  java -jar "$JAR" --listen "127.0.0.1:$sport" --data "$seed/data" >> "$seed/registry.log" 2>&1 &
  spid=$!
  for _ in $(seq 600); do curl -fsS -o /dev/null "http://127.0.0.1:$sport/readyz" 2>/dev/null && break; sleep 0.1; done
  kill -TERM "$spid"; wait "$spid" || true
  ls "$seed/data/jvm/"*.jsa > /dev/null 2>&1 ||
    { echo "memory.sh: the seeding runs made no class archive (see $seed/registry.log)" >&2; exit 1; }
fi
echo "peak RSS under bench/run.sh --quick, $(date -u +%FT%TZ), commit $(git -C "$REPO" rev-parse --short HEAD), $(nproc) cpu" | tee "$OUT/summary.txt"
printf '%-4s %-15s %10s %10s %7s %12s  %s\n' run setting ours_MiB dist_MiB ratio ours_at_end load | tee -a "$OUT/summary.txt"
for r in $(seq "$RUNS"); do
  for s in "${SETTINGS[@]}"; do
    jar=$JAR opts= envs=()
    case $s in
      plain) ;;
      restart) envs=(SEED="$OUT/seed/data/jvm" OURS_CMD="bash '$HERE/seeded-start.sh'") ;;
      small-device) opts="@$REPO/module/small-device.jvmopts" ;;
      small-launcher) envs=(CONNECTED_REGISTRY_JVM=small-device) ;;
      off) envs=(CONNECTED_REGISTRY_JVM=off) ;;
      before-plain) jar=$OLD ;;
      floor | floor-small)
        f=$OUT/floor-default.jvmopts; [[ $s == floor-small ]] && f=$REPO/module/small-device.jvmopts
        envs=(FLOOR_OPTS="$f" FLOOR_CP="$OUT/floor-classes:$JAR" OURS_HEALTH=/v2/
              OURS_CMD='java @"$FLOOR_OPTS" -cp "$FLOOR_CP" FloorRegistry "$PORT" "$DATA"') ;;
      *) echo "memory.sh: unknown setting $s" >&2; exit 2 ;;
    esac
    load0=$(cut -d' ' -f1 /proc/loadavg)
    env "${envs[@]}" JAVA_OPTS="$opts" JAR="$jar" "$HERE/run.sh" --quick --no-host -o "$OUT/$s-run$r" \
      > "$OUT/$s-run$r.out" 2>&1 || echo "memory.sh: run $r of $s failed (see $OUT/$s-run$r.out)" >&2
    load1=$(cut -d' ' -f1 /proc/loadavg)
    ours=$(awk '$1 == "RESULT" && $2 ~ /^peak_rss_pid/ {print $3; exit}' "$OUT/$s-run$r"/ours-run1.txt 2>/dev/null || echo -)
    end=$(grep -o 'current VmRSS [0-9.]*' "$OUT/$s-run$r"/ours-run1.txt 2>/dev/null | head -1 | awk '{print $3}' || echo -)
    dist=$(awk '$1 == "RESULT" && $2 ~ /^peak_rss_pid/ {print $3; exit}' "$OUT/$s-run$r"/ref-run1.txt 2>/dev/null || echo -)
    ratio=$(awk -v a="$ours" -v b="$dist" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}')
    printf '%-4s %-15s %10s %10s %7s %12s  %s-%s\n' "$r" "$s" "$ours" "$dist" "$ratio" "$end" "$load0" "$load1" | tee -a "$OUT/summary.txt"
  done
done
echo "results: $OUT"
