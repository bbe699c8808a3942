#!/usr/bin/env bash
# bench/run.sh - connected-registry vs CNCF distribution on this machine, same client tools.
#
# Starts (a) this project's registry from its jar and (b) CNCF distribution (Debian package
# docker-registry), each with a fresh data dir on a free 127.0.0.1 port and its own fresh
# distribution mirror (target of the `skopeo sync` step), runs the shared registry-bench.sh
# against each, then prints every figure side by side with the ratio ours / distribution,
# plus the host's reference figures (SHA-256 speed, dd conv=fsync write speed).
#
# usage: bench/run.sh [options] [-- registry-bench.sh options...]
#   -n RUNS          runs per registry (default 1); the table shows the median of the runs
#   -o DIR           results folder (default bench/results/<timestamp>, git-ignored)
#   --only ours|ref  benchmark one side only (the other column shows "-")
#   --quick          shorter registry-bench: -d 5 -n 50 -r 5 -T 2 (same 256 MiB blob)
#   --blob MIB       big blob size for push/GET and for the dd reference (default 256)
#   --timeout SECS   limit for one registry-bench.sh run (default 1200; 600 with --quick)
#   --no-host        skip host-bench.sh and the dd reference
#   -h, --help       this text
# Anything after -- goes to registry-bench.sh (e.g. -- -o manifest,blobget -d 20).
#
# Environment:
#   JAVA_OPTS        JVM options for our registry (default: the small-device settings of the
#                    project README, see DEFAULT_JAVA_OPTS below; `JAVA_OPTS=` set empty runs the
#                    plain `java -jar` of the README quick start); printed with the results
#   JAR              our jar (default module/target/connected-registry.jar; built with
#                    `mvn -B -q -DskipTests package` when missing)
#   OURS_ARGS        extra arguments after --listen/--data (e.g. "--mode ReadWrite")
#   SHARED_TOOLS     folder of registry-bench.sh & co (default <repo>/../shared/tools)
#   TMPDIR           where data dirs, bench work dirs and the dd file go (default /tmp)
#   STARTUP_TIMEOUT  seconds to wait for a registry to answer (default 60)
# Development (benchmark something else as "ours", e.g. to test this script itself):
#   OURS_CMD         command started instead of the jar, run by bash with PORT and DATA set,
#                    e.g. 'docker-registry serve "$(registry-config.sh $DATA/c.yml $PORT $DATA)"'
#   OURS_HEALTH      readiness path polled for 200 (default /healthz)
#   --ours-url URL   benchmark an already-running registry (nothing started for "ours")
#   --ours-pid PID   its process id (for peak RSS and CPU figures)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOOLS=${SHARED_TOOLS:-$(dirname "$0")/../../shared/tools}
usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
die() { echo "run.sh: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

# the small-device settings the project README recommends: one file, read by java as an @argfile
DEFAULT_JAVA_OPTS="@$REPO/module/small-device.jvmopts"
JAVA_OPTS=${JAVA_OPTS-$DEFAULT_JAVA_OPTS}   # set but empty (JAVA_OPTS=) = plain `java -jar`, no flags
JAR=${JAR:-$REPO/module/target/connected-registry.jar}
OURS_HEALTH=${OURS_HEALTH:-/healthz}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-60}
RUNS=1 OUT= ONLY= QUICK=0 BLOB_MIB=256 TIMEOUT= HOSTBENCH=1 OURS_URL= OURS_PID=
BENCH_ARGS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -n) RUNS=${2:?-n RUNS}; shift 2 ;;
    -o) OUT=${2:?-o DIR}; shift 2 ;;
    --only) ONLY=${2:?--only ours|ref}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --blob) BLOB_MIB=${2:?--blob MIB}; shift 2 ;;
    --timeout) TIMEOUT=${2:?--timeout SECS}; shift 2 ;;
    --no-host) HOSTBENCH=0; shift ;;
    --ours-url) OURS_URL=${2:?--ours-url URL}; OURS_URL=${OURS_URL%/}; shift 2 ;;
    --ours-pid) OURS_PID=${2:?--ours-pid PID}; shift 2 ;;
    -h | --help) usage 0 ;;
    --) shift; BENCH_ARGS=("$@"); break ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "-n needs a positive number"
[[ $BLOB_MIB =~ ^[1-9][0-9]*$ ]] || die "--blob needs a positive number of MiB"
case $ONLY in '') SIDES="ours ref" ;; ours) SIDES=ours ;; ref) SIDES=ref ;; *) die "--only ours|ref" ;; esac
[[ -z $OURS_PID || -n $OURS_URL ]] || die "--ours-pid goes with --ours-url"
QUICK_ARGS=()
[[ $QUICK == 1 ]] && QUICK_ARGS=(-d 5 -n 50 -r 5 -T 2)
TIMEOUT=${TIMEOUT:-$([[ $QUICK == 1 ]] && echo 600 || echo 1200)}

[[ -x $TOOLS/registry-bench.sh ]] || die "no registry-bench.sh in $TOOLS (set SHARED_TOOLS)"
TOOLS=$(cd "$TOOLS" && pwd)
for c in docker-registry curl ss timeout awk sort; do
  command -v $c >/dev/null || die "missing tool: $c (see $TOOLS/README.md)"
done

# ------------------------------------------------------------------ state and cleanup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crbench.XXXXXX")
declare -A COMM=()       # pid -> process name at start (checked again before any kill)
USED_PORTS=" " BENCH_PID=

stop_pid() { # pid: TERM, wait up to 10 s, then KILL; only processes this script started
  local p=$1
  [[ -n $p && -n ${COMM[$p]:-} ]] || return 0
  if [[ -r /proc/$p/comm && $(cat "/proc/$p/comm" 2>/dev/null) == "${COMM[$p]}" ]]; then
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
  fi
  unset "COMM[$p]"
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $BENCH_PID ]] && kill -0 "$BENCH_PID" 2>/dev/null; then
    kill "$BENCH_PID" 2>/dev/null || true     # timeout(1) passes it on to the whole bench
    sleep 1
  fi
  for p in "${!COMM[@]}"; do stop_pid "$p"; done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { # -> SPORT: a TCP port nobody listens on, below the ephemeral range, not handed out yet
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    [[ $USED_PORTS == *" $p "* ]] && continue
    [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]] || continue
    USED_PORTS+="$p "; SPORT=$p; return 0
  done
  die "no free port found"
}
owns_port() { # pid port: the process listens on 127.0.0.1:port (not somebody else)
  ss -Hltnp "sport = :$2" 2>/dev/null | grep -q "pid=$1,"
}
register() { COMM[$1]=$(cat "/proc/$1/comm"); }

start_distribution() { # dir -> sets SPORT SPID (fresh data dir, retries on a port clash)
  local dir=$1 try
  mkdir -p "$dir"
  for try in 1 2 3 4 5; do
    free_port
    if SPID=$(DIST_STATE="$dir/state" "$TOOLS/distribution.sh" start "$SPORT" "$dir/data-$SPORT" 2>"$dir/start.err"); then
      register "$SPID"
      owns_port "$SPID" "$SPORT" && return 0
      stop_pid "$SPID"
    fi
  done
  cat "$dir/start.err" >&2; die "distribution did not start"
}

start_ours() { # dir -> sets SPORT SPID, or returns 1 (reason on stderr, process stopped)
  # runs OURS_CMD or the jar, with PORT and DATA in its environment; exec keeps $! = the registry
  local dir=$1 cmd log=$1/registry.log t0
  cmd=${OURS_CMD:-'java $JAVA_OPTS -jar "$JAR" --listen "127.0.0.1:$PORT" --data "$DATA" $OURS_ARGS'}
  for _ in 1 2 3; do
    free_port
    mkdir -p "$dir/data"
    PORT=$SPORT DATA=$dir/data JAVA_OPTS=$JAVA_OPTS JAR=$JAR OURS_ARGS=${OURS_ARGS:-} \
      bash -c "exec $cmd" > "$log" 2>&1 &
    SPID=$!
    t0=$SECONDS
    while kill -0 "$SPID" 2>/dev/null && ((SECONDS - t0 < STARTUP_TIMEOUT)); do
      register "$SPID" 2>/dev/null || true      # bash until it has exec'd, then java
      if curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$SPORT$OURS_HEALTH" 2>/dev/null && owns_port "$SPID" "$SPORT"; then
        curl -fsS -o /dev/null -m 5 "http://127.0.0.1:$SPORT/v2/" && return 0
        tail -20 "$log" >&2; stop_pid "$SPID"
        echo "our registry answers $OURS_HEALTH but not GET /v2/ with 200" >&2; return 1
      fi
      sleep 0.2
    done
    if kill -0 "$SPID" 2>/dev/null; then
      tail -20 "$log" >&2; stop_pid "$SPID"
      echo "our registry did not answer $OURS_HEALTH within ${STARTUP_TIMEOUT}s" >&2; return 1
    fi
    # exited: a port clash is worth another try, anything else is reported
    grep -qi 'address already in use' "$log" || break
  done
  tail -20 "$log" >&2; echo "our registry exited during start-up (log above)" >&2
  return 1
}

# ------------------------------------------------------------------ results folder, build
OUT=${OUT:-$HERE/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [[ $SIDES == *ours* && -z $OURS_URL && -z ${OURS_CMD:-} && ! -f $JAR ]]; then
  say "building $JAR (mvn -B -q -DskipTests package)"
  (cd "$REPO" && mvn -B -q -DskipTests package) || die "build failed"
  [[ -f $JAR ]] || die "build produced no $JAR"
fi
if [[ -n $OURS_URL ]]; then OURS_DESC="already running at $OURS_URL${OURS_PID:+ (pid $OURS_PID)}"
elif [[ -n ${OURS_CMD:-} ]]; then OURS_DESC="OURS_CMD: $OURS_CMD"
else OURS_DESC="java $JAVA_OPTS -jar ${JAR#$REPO/} --listen 127.0.0.1:PORT --data DIR ${OURS_ARGS:-}"; fi
{
  echo "date            $(date -u +%FT%TZ)"
  echo "host            $(hostname) $(nproc) cpus, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "repo            $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "ours            $OURS_DESC"
  echo "JAVA_OPTS       $JAVA_OPTS$([[ $JAVA_OPTS == "$DEFAULT_JAVA_OPTS" ]] && echo ' (default)')"
  echo "java            $(java -version 2>&1 | head -1)"
  echo "distribution    $(docker-registry --version 2>/dev/null | awk '{print $NF}')"
  echo "registry-bench  $TOOLS/registry-bench.sh -b $BLOB_MIB ${QUICK_ARGS[*]} ${BENCH_ARGS[*]}"
  echo "runs            $RUNS per registry, work dir $WORK"
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

T_START=$SECONDS
# ------------------------------------------------------------------ host reference figures
if [[ $HOSTBENCH == 1 ]]; then
  say "host reference: $TOOLS/host-bench.sh $WORK, dd ${BLOB_MIB} MiB conv=fsync x2"
  "$TOOLS/host-bench.sh" "$WORK" > "$OUT/host.txt" 2>&1 || die "host-bench.sh failed: $(tail -3 "$OUT/host.txt")"
  # the blob pushes write BLOB_MIB each: the same size written with fsync is their disk bound
  for i in 1 2; do
    o=$(dd if=/dev/zero of="$WORK/dd.bin" bs=1M count="$BLOB_MIB" conv=fsync 2>&1 | tail -1)
    s=$(echo "$o" | awk -F, '{print $(NF-1)}' | awk '{print $1}')
    echo "RESULT dd_write_fsync_${BLOB_MIB}m_run$i $(awk -v m="$BLOB_MIB" -v s="$s" 'BEGIN{printf "%.1f", m/s}') MiB/s dd bs=1M count=$BLOB_MIB conv=fsync to $WORK: $o" >> "$OUT/host.txt"
    rm -f "$WORK/dd.bin"
  done
  grep '^RESULT' "$OUT/host.txt" | cut -d' ' -f2-4 | sed 's/^/   /' >&2
fi

# ------------------------------------------------------------------ one benchmark run
FAILED=()
run_one() { # side run
  local side=$1 r=$2 name dir url pid mport mpid rc=0 t0=$SECONDS
  name=$([[ $side == ours ]] && echo connected-registry || echo distribution)
  dir=$WORK/$side-run$r; mkdir -p "$dir"
  start_distribution "$dir/mirror"; mport=$SPORT mpid=$SPID
  if [[ $side == ref ]]; then
    start_distribution "$dir/registry"; url=http://127.0.0.1:$SPORT pid=$SPID
  elif [[ -n $OURS_URL ]]; then
    url=$OURS_URL pid=$OURS_PID
  elif start_ours "$dir/registry"; then
    url=http://127.0.0.1:$SPORT pid=$SPID
  else
    cp "$dir/registry/registry.log" "$OUT/$side-run$r.registry.log" 2>/dev/null || true
    FAILED+=("$name run $r: did not start (${OUT#$REPO/}/$side-run$r.registry.log)")
    stop_pid "$mpid"; rm -rf "$dir"
    return 0
  fi
  say "run $r/$RUNS $name at $url${pid:+ (pid $pid, $(cat /proc/$pid/comm))}, mirror :$mport (pid $mpid), load $(cut -d' ' -f1-3 /proc/loadavg)"
  local raw=$OUT/$side-run$r.txt
  : > "$raw"
  timeout -k 15 "$TIMEOUT" "$TOOLS/registry-bench.sh" ${pid:+-p "$pid"} -q "$mpid" -m "http://127.0.0.1:$mport" \
      -w "$dir/bench" -R "$raw" -b "$BLOB_MIB" "${QUICK_ARGS[@]}" "${BENCH_ARGS[@]}" "$url" \
      > >(tee "$OUT/$side-run$r.log" | sed -u 's/^/   /' >&2) 2>&1 &
  BENCH_PID=$!
  wait "$BENCH_PID" || rc=$?
  BENCH_PID=
  sleep 0.2   # let tee finish
  if [[ $rc != 0 ]]; then
    [[ $rc == 124 ]] && echo "registry-bench.sh timed out after ${TIMEOUT}s" >> "$OUT/$side-run$r.log"
    FAILED+=("$name run $r: registry-bench.sh exit $rc, last line of ${OUT#$REPO/}/$side-run$r.log:
        $(grep -v '^RESULT' "$OUT/$side-run$r.log" | tail -1 | cut -c1-300)")
  fi
  if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
    echo "   $name (pid $pid) is no longer running" | tee -a "$OUT/$side-run$r.log" >&2
    FAILED+=("$name run $r: registry died")
  fi
  # figures in a uniform form: side run name value unit reg_cpu (peak_rss_pidN -> peak_rss / mirror_peak_rss)
  awk -v side="$side" -v r="$r" -v pid="$pid" -v mpid="$mpid" '$1 == "RESULT" {
        n = $2
        if (n == "peak_rss_pid" pid) n = "peak_rss"; else if (n == "peak_rss_pid" mpid) n = "mirror_peak_rss"
        cpu = "-"; if (match($0, /reg_cpu=[0-9.]+s/)) cpu = substr($0, RSTART + 8, RLENGTH - 9)
        print side, r, n, $3, $4, cpu }' "$raw" >> "$OUT/figures.tsv"
  for f in "$dir"/registry/registry.log "$dir"/registry/state/*.log; do   # ours / distribution.sh's log
    if [[ -f $f ]]; then tail -n 300 "$f" > "$OUT/$side-run$r.registry.log"; fi
  done
  stop_pid "$pid"     # no-op for --ours-url: only processes started here are stopped
  stop_pid "$mpid"
  rm -rf "$dir"
  say "run $r/$RUNS $name done in $((SECONDS - t0))s$([[ $rc == 0 ]] || echo ", registry-bench.sh exit $rc")"
}

: > "$OUT/figures.tsv"
for r in $(seq 1 "$RUNS"); do       # alternate the sides so drift on the machine hits both
  for side in $SIDES; do run_one "$side" "$r"; done
done

# ------------------------------------------------------------------ summary
ORDER="manifest_get_by_tag manifest_get_by_digest blob_get_single blob_get_parallel blob_push_monolithic
blob_push_chunked images_push_skopeo_seq images_push_curl_seq sync_source_push skopeo_sync_mirror peak_rss"
medians() { # column (4 = value, 6 = reg_cpu) -> "side name median unit" per figure
  awk -v c="$1" '$c != "-" {print $1, $3, $c, $5}' "$OUT/figures.tsv" | sort -k1,1 -k2,2 -k3,3g |
    awk '{k = $1 " " $2; if (k != p) { if (p != "") out(); p = k; n = 0; u = $4 } v[++n] = $3}
         function out() { m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2; print p, m, u }
         END { if (p != "") out() }'
}
table() { # title column [unit_override [skip]]
  local title=$1 col=$2 unitov=${3:-} skip=${4:-mirror_peak_rss}
  medians "$col" | awk -v order="$ORDER" -v title="$title" -v unitov="$unitov" -v runs="$RUNS" -v skip=" $skip " '
    { val[$1, $2] = $3; unit[$2] = $4; if (!($2 in seen)) { seen[$2] = 1; extra[++ne] = $2 } }
    function f(x) { return x == "" ? "-" : (x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x)) }
    END {
      n = split(order, o, /[ \n]+/); k = 0
      for (i = 1; i <= n; i++) if (o[i] in seen && index(skip, " " o[i] " ") == 0) { list[++k] = o[i]; done[o[i]] = 1 }
      for (i = 1; i <= ne; i++) if (!(extra[i] in done) && index(skip, " " extra[i] " ") == 0) list[++k] = extra[i]
      printf "\n%s%s\n", title, (runs > 1 ? " (median of " runs " runs)" : "")
      printf "%-24s | %18s | %12s | %6s | %s\n", "figure", "connected-registry", "distribution", "ratio", "unit"
      printf "%-24s-|-%18s-|-%12s-|-%6s-|-%s\n", "------------------------", "------------------", "------------", "------", "-----"
      for (i = 1; i <= k; i++) {
        m = list[i]; a = ((("ours", m) in val) ? val["ours", m] : ""); b = ((("ref", m) in val) ? val["ref", m] : "")
        ratio = (a != "" && b != "" && b + 0 > 0) ? sprintf("%.2f", a / b) : "-"
        printf "%-24s | %18s | %12s | %6s | %s\n", m, f(a), f(b), ratio, unitov != "" ? unitov : unit[m]
      }
    }'
}
dd_ref() { # best dd_write_fsync_<BLOB>m figure, MiB/s
  [[ -f $OUT/host.txt ]] && awk -v p="dd_write_fsync_${BLOB_MIB}m_" '$1 == "RESULT" && index($2, p) == 1 && $3 > b {b = $3} END {if (b) print b}' "$OUT/host.txt"
}
targets() {
  medians 4 | awk -v dd="$(dd_ref)" -v blob="$BLOB_MIB" '
    { val[$1, $2] = $3 }
    function r(m) { return ((("ours", m) in val) && (("ref", m) in val) && val["ref", m] > 0) ? val["ours", m] / val["ref", m] : "" }
    function line(what, goal, m, minr, maxr, ddfrac,   x, ok, ours, note) {
      x = r(m); ours = (("ours", m) in val) ? val["ours", m] : ""
      if (x == "") { printf "  %-30s %-34s %s\n", what, goal, "n/a"; return }
      ok = (minr != "" && x >= minr) || (maxr != "" && x <= maxr)
      note = sprintf("ratio %.2f", x)
      if (ddfrac != "" && dd != "") { ok = ok || ours >= ddfrac * dd; note = note sprintf(", %.0f%% of dd %.0f MiB/s", 100 * ours / dd, dd) }
      printf "  %-30s %-34s %-32s %s\n", what, goal, note, ok ? "PASS" : "FAIL"
    }
    END {
      print "\ntargets (bench/README.md)"
      line("manifest GET by tag", ">= 10x distribution req/s", "manifest_get_by_tag", 10)
      line("blob GET, 1 stream", ">= 1x distribution MiB/s", "blob_get_single", 1)
      line("blob GET, 8 streams", ">= 1x distribution MiB/s", "blob_get_parallel", 1)
      line("monolithic push " blob " MiB", ">= 5x distribution or >= 80% dd", "blob_push_monolithic", 5, "", 0.8)
      line("chunked push (8 MiB PATCH)", ">= 8x distribution or >= 80% dd", "blob_push_chunked", 8, "", 0.8)
      line("peak RSS", "<= 1.5x distribution", "peak_rss", "", 1.5)
    }'
}
{
  echo "connected-registry vs distribution $(docker-registry --version 2>/dev/null | awk '{print $NF}'), $(date '+%F %T'), $(nproc) cpus"
  echo "ours: $OURS_DESC"
  table "figures (ratio = connected-registry / distribution; s and MiB RSS: lower is better, the rest: higher is better)" 4
  table "registry CPU seconds used during each figure (lower is better)" 6 "cpu s" "peak_rss mirror_peak_rss"
  targets
  if [[ -f $OUT/host.txt ]]; then
    echo; echo "host reference ($TOOLS/host-bench.sh + dd ${BLOB_MIB} MiB)"
    grep '^#' "$OUT/host.txt" | head -1 | sed 's/^# /  /'
    awk '$1 == "RESULT" {d = ""; for (i = 5; i <= NF; i++) d = d " " $i; sub(/:.*/, "", d)
                         printf "  %-26s %8s %-6s%s\n", $2, $3, $4, d}' "$OUT/host.txt"
  fi
  echo
  # noise indicator: registry-bench.sh ends each line with the 1-min load average
  # (the benchmark alone keeps about 2-3 cpus busy: wrk/curl/skopeo plus the registry)
  for side in $SIDES; do
    cat "$OUT/$side"-run*.txt 2>/dev/null | grep -o 'load=[0-9.]*' | cut -d= -f2 | sort -g | tail -1 |
      awk -v s="$([[ $side == ours ]] && echo connected-registry || echo distribution)" -v c="$(nproc)" \
        '{printf "max 1-min load average during the %s figures: %s on %d cpus%s\n", s, $1, c, ($1 > 2 * c ? "  <- other work was running: noisy, rerun with -n 3" : "")}'
  done
  [[ ${#FAILED[@]} == 0 ]] || printf 'FAILED: %s\n' "${FAILED[@]}"
  echo "total time $((SECONDS - T_START))s for $RUNS run(s); raw RESULT lines: ${OUT#$REPO/}/{ours,ref}-runN.txt"
} | tee "$OUT/summary.txt"
[[ ${#FAILED[@]} == 0 ]]
