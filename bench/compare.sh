#!/usr/bin/env bash
# bench/compare.sh - a few registries side by side, taking turns, under the shared registry-bench.sh.
#
# For a before/after comparison of one figure: each run starts every side fresh, in turn, and
# runs `registry-bench.sh -o SECTIONS` against it; the tables show each side's median and, per
# run, the ratios that issue #13 sets targets on (so load that changes during a run hits all sides).
#
# usage: bench/compare.sh [-n RUNS] [-o SECTIONS] [-r DIR] SIDE... [-- registry-bench.sh options]
#   -n RUNS       runs (default 3)
#   -o SECTIONS   registry-bench.sh sections (default blobpush,chunked; e.g. manifest)
#   -r DIR        results folder (default bench/results/compare-<timestamp>, git-ignored)
# SIDE is one of:
#   NAME=JAR[,CONFIG]  this registry from JAR (with --config CONFIG when given), JVM options
#                      $JAVA_OPTS (default: the small-device settings, module/small-device.jvmopts)
#   dist               CNCF distribution (docker-registry), as bench/run.sh starts it
#   null               bench/null-registry.py: reads and discards bodies, answers the upload
#                      calls. Only for the push sections: what the client loop alone costs here
# Prints, per run: every figure of every side with the 1-min load average; then the medians; then
# the ratios chunked / monolithic (per side) and NAME / dist for req/s figures, and the registry's
# CPU time per request for req/s figures (load moves it far less than req/s).
#
# Examples (issue #13):
#   bench/compare.sh before=/tmp/old.jar after=module/target/connected-registry.jar null
#   bench/compare.sh -o manifest dist ours=module/target/connected-registry.jar \
#       nometrics=module/target/connected-registry.jar,bench/metrics-off.yml
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOOLS=${SHARED_TOOLS:-$REPO/../shared/tools}
[[ -x $TOOLS/registry-bench.sh ]] || TOOLS=/work/shared/tools
JAVA_OPTS=${JAVA_OPTS:-@$REPO/module/small-device.jvmopts}
RUNS=3 SECTIONS=blobpush,chunked OUT= SIDES=() BENCH_ARGS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -n) RUNS=$2; shift 2 ;;
    -o) SECTIONS=$2; shift 2 ;;
    -r) OUT=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; BENCH_ARGS=("$@"); break ;;
    *) SIDES+=("$1"); shift ;;
  esac
done
[[ ${#SIDES[@]} -gt 0 ]] || { echo "compare.sh: name at least one side (-h for help)" >&2; exit 2; }
OUT=${OUT:-$HERE/results/compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crcompare.XXXXXX")
PID=

stop() { # only the process this script started
  if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PID" 2>/dev/null || true
  fi
  PID=
}
trap 'stop; rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]] && { echo "$p"; return; }
  done
  return 1
}

start_side() { # side dir -> sets PID PORT
  local side=$1 dir=$2 jar conf
  PORT=$(free_port); mkdir -p "$dir/data"
  case $side in
    null) python3 "$HERE/null-registry.py" "$PORT" > "$dir/log" 2>&1 & PID=$! ;;
    dist)
      "$TOOLS/registry-config.sh" "$dir/c.yml" "$PORT" "$dir/data" > /dev/null
      docker-registry serve "$dir/c.yml" > "$dir/log" 2>&1 & PID=$! ;;
    *=*)
      jar=${side#*=}; conf=${jar#*,}; jar=${jar%%,*}; [[ $conf == "${side#*=}" ]] && conf=
      # shellcheck disable=SC2086  # JAVA_OPTS is a list of options
      java $JAVA_OPTS -jar "$jar" --listen "127.0.0.1:$PORT" --data "$dir/data" ${conf:+--config "$conf"} \
        > "$dir/log" 2>&1 & PID=$! ;;
    *) echo "compare.sh: unknown side $side" >&2; exit 2 ;;
  esac
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$PORT/v2/" 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.2
  done
  tail -20 "$dir/log" >&2; echo "compare.sh: $side did not start" >&2; exit 1
}

name_of() { local s=$1; echo "${s%%=*}"; }
: > "$OUT/figures.tsv"
{ echo "date $(date -u '+%F %T') UTC, commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo -)"
  echo "sides: ${SIDES[*]}"; echo "JAVA_OPTS $JAVA_OPTS"; echo "sections $SECTIONS ${BENCH_ARGS[*]:-}"
  echo "cpus $(nproc), $(uptime)"; } > "$OUT/env.txt"
cat "$OUT/env.txt" >&2
for r in $(seq 1 "$RUNS"); do
  for side in "${SIDES[@]}"; do
    name=$(name_of "$side"); dir=$WORK/$name-$r
    start_side "$side" "$dir"
    pidopt=(-p "$PID"); [[ $side == null ]] && pidopt=()
    "$TOOLS/registry-bench.sh" "${pidopt[@]}" -o "$SECTIONS" -w "$WORK/bench" "${BENCH_ARGS[@]}" \
      "http://127.0.0.1:$PORT" > "$OUT/$name-run$r.txt" 2> "$OUT/$name-run$r.log" \
      || { tail -5 "$OUT/$name-run$r.log" >&2; echo "compare.sh: run $r of $name failed" >&2; }
    stop; rm -rf "$dir"
    load=$(cut -d' ' -f1 /proc/loadavg)
    awk -v s="$name" -v r="$r" -v l="$load" '$1 == "RESULT" && $2 !~ /^peak_rss/ {print s, r, $2, $3, $4, l}' \
      "$OUT/$name-run$r.txt" >> "$OUT/figures.tsv"
    awk -v s="$name" -v r="$r" -v l="$load" '$1 == "RESULT" && $2 !~ /^peak_rss/ {
      printf "run %d %-12s %-24s %10s %-6s load %s\n", r, s, $2, $3, $4, l}' "$OUT/$name-run$r.txt" >&2
  done
done

{
  echo "medians of $RUNS runs (side figure value unit)"
  sort -k1,1 -k3,3 -k4,4g "$OUT/figures.tsv" | awk '
    {k = $1 " " $3; v[k, ++n[k]] = $4; u[k] = $5}
    END {for (k in n) {m = n[k]; printf "  %-36s %10s %s  (%d runs)\n", k, v[k, int((m + 1) / 2)], u[k], m}}' | sort
  echo "per run: chunked / monolithic of each side"
  awk '$3 == "blob_push_monolithic" {mono[$1, $2] = $4} $3 == "blob_push_chunked" {ch[$1, $2] = $4; s[$1, $2] = 1}
    END {for (k in s) if (mono[k] > 0) {split(k, p, SUBSEP); printf "  run %s %-12s %.2f (%s / %s MiB/s)\n", p[2], p[1], ch[k] / mono[k], ch[k], mono[k]}}' \
    "$OUT/figures.tsv" | sort -k2,2n -k3
  echo "per run: each side / dist, req/s figures"
  awk '$5 == "req/s" {v[$1, $2, $3] = $4; if ($1 == "dist") d[$2, $3] = $4; k[$1, $2, $3] = 1}
    END {for (x in k) {split(x, p, SUBSEP); if (p[1] != "dist" && d[p[2], p[3]] > 0)
      printf "  run %s %-12s %-24s %.1fx (%s / %s)\n", p[2], p[1], p[3], v[x] / d[p[2], p[3]], v[x], d[p[2], p[3]]}}' \
    "$OUT/figures.tsv" | sort -k2,2n -k3
  # The registry's own CPU per request (registry-bench.sh's reg_cpu over the wrk run's requests):
  # what one request costs, which the load of a shared machine moves far less than req/s.
  echo "per run: registry CPU per request, req/s figures (us)"
  for f in "$OUT"/*-run*.txt; do
    [[ -e $f ]] || continue
    b=$(basename "$f" .txt)
    awk -v side="${b%-run*}" -v run="${b##*-run}" '$1 == "RESULT" && $4 == "req/s" && /reg_cpu=/ {
      cpu = $0; sub(/.*reg_cpu=/, "", cpu); sub(/s.*/, "", cpu)
      d = $0; sub(/.* -d/, "", d); sub(/s .*/, "", d)
      if ($3 > 0 && d > 0) printf "  run %s %-12s %-24s %6.1f us (%s s CPU, %s req/s)\n", run, side, $2, 1e6 * cpu / ($3 * d), cpu, $3}' "$f"
  done | sort -k2,2n -k3
  echo "load after: $(uptime)"
} | tee "$OUT/summary.txt"
