#!/usr/bin/env bash
# bench/sync-pairs.sh - two builds' first sync cycles, alternating, against ONE seeded parent.
#
# bench/sync.sh seeds a new parent for each run (minutes); to compare a change, this seeds one
# parent (this project, with the same content as sync.sh: 20 repositories x 3 tags of a 4 MiB base
# layer + 512 KiB per tag, and one image under 1,001 tags in bench/many), then runs N pairs of
# empty children, build A then build B, for each section, and prints each child's FIRST cycle
# (lastCycle.durationMillis and .requests from its status) with the 1-minute load at its start.
# With -f, each child also runs under `strace -f -c` and the line gives its fsync calls (start-up
# included). With -p, each child logs at Info and a second line gives where its cycle went: the
# CPU each group of its threads used from ready to the cycle's end (/proc/PID/task/*/stat, thread
# names cut to their stem), and when images completed ("synced" lines, ms after the cycle began:
# first, 25 %, 50 %, 75 %, last).
#
# usage: bench/sync-pairs.sh -a JAR_A -b JAR_B [-n PAIRS] [-s mirror,many] [-f] [-p]
# Environment: JAVA_OPTS (default @module/small-device.jvmopts; the parent's and A's), JAVA_OPTS_B
# (B's, default JAVA_OPTS: the same build under other JVM options), SHARED_TOOLS, TMPDIR, LOGS (a
# folder: each child's log is kept there).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOOLS=${SHARED_TOOLS:-$REPO/../shared/tools}
JAVA_OPTS=${JAVA_OPTS:-@$REPO/module/small-device.jvmopts}
JAVA_OPTS_B=${JAVA_OPTS_B:-$JAVA_OPTS}
A= B= N=3 SECTIONS=mirror,many FSYNC= PROFILE=
while [[ $# -gt 0 ]]; do
  case $1 in
    -a) A=$2; shift 2 ;; -b) B=$2; shift 2 ;; -n) N=$2; shift 2 ;; -s) SECTIONS=$2; shift 2 ;; -f) FSYNC=1; shift ;; -p) PROFILE=1; shift ;;
    *) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
[[ -f $A && -f $B ]] || { echo "sync-pairs.sh: -a and -b must name two jars" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sync-pairs.XXXXXX")
load() { awk '{print $1}' /proc/loadavg; }
# CPU ms per thread group of a process: "stem ms" lines (stem = the name without its number)
threads() {
  python3 - "$1" <<'PY' 2>/dev/null || true
import glob, os, re, sys
ms = {}
for stat in glob.glob('/proc/%s/task/*/stat' % sys.argv[1]):
    try:
        s = open(stat).read()
    except OSError:
        continue
    name = s[s.index('(') + 1:s.rindex(')')]
    f = s[s.rindex(')') + 2:].split()  # comm may hold spaces: count fields after it
    stem = re.sub(r'[-# ]*[0-9]+$', '', name).strip().replace(' ', '_') or 'thread'
    ms[stem] = ms.get(stem, 0) + (int(f[11]) + int(f[12])) * 1000 // os.sysconf('SC_CLK_TCK')
for k, v in ms.items():
    print(k, v)
PY
}
# shellcheck source=bench/mirror-parent.sh
. "$HERE/mirror-parent.sh"
seed_parent "$A"
skopeo copy -q --dest-tls-verify=false oci:"$WORK/img":r01-v1 "docker://127.0.0.1:$PPORT/bench/many:t0"
M=$(curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$PPORT/v2/bench/many/manifests/t0")
seq 1 1000 | xargs -P 8 -I{} curl -fs -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "$M" "http://127.0.0.1:$PPORT/v2/bench/many/manifests/t{}"

child() { # label jar scope [java options] -> one line
  local opts=${4:-$JAVA_OPTS}
  local d; d=$(mktemp -d "$WORK/child.XXXX"); local p; p=$(port); local l; l=$(load)
  printf 'parent: {endpoint: "http://127.0.0.1:%s"}\nsync: {repositories: ["%s"], schedule: "0 0 1 1 *"}\n' "$PPORT" "$3" > "$d/c.yaml"
  local level=Warning; [[ -n $PROFILE ]] && level=Information
  local run=(java); [[ -n $FSYNC ]] && run=(strace -f -c -o "$d/strace" -e trace=fsync,fdatasync java)
  # shellcheck disable=SC2086
  "${run[@]}" $opts -jar "$2" --data "$d/data" --listen "127.0.0.1:$p" --config "$d/c.yaml" --log-level $level > "$d/log" 2>&1 &
  local pid=$!
  local s= ready=
  # Ready at once (the cycle starts then: PROFILE's first snapshot), then the status every $POLL s.
  for _ in $(seq 3000); do curl -fs "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.01; done
  for _ in $(seq 3000); do
    kill -0 "$pid" 2>/dev/null || { echo "sync-pairs.sh: the child exited" >&2; tail -3 "$d/log" >&2; exit 1; }
    s=$(curl -fs "http://127.0.0.1:$p/_connected/v1/status" || true)
    if [[ -n $PROFILE && -z $ready && -n $s ]]; then ready=1; threads "$(jpid "$pid")" > "$d/cpu0"; threads "${PIDS[0]}" > "$d/pcpu0"; fi
    if [[ $(jq -r '(.syncState == "Succeeded" or .syncState == "Failed") and ((.lastCycle.tagsCopied // 0) > 0)' <<<"${s:-null}") == true ]]; then break; fi
    sleep "$POLL"
  done
  [[ -n $PROFILE ]] && { threads "$(jpid "$pid")" > "$d/cpu1"; threads "${PIDS[0]}" > "$d/pcpu1"; }
  if [[ -n $FSYNC ]]; then kill $(pgrep -P "$pid") 2>/dev/null || true; fi
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  local f=
  if [[ -n $FSYNC ]]; then f=", $(awk '$NF=="fsync"{print $4}' "$d/strace") fsyncs"; fi
  printf '  %-8s %-7s %6s ms, %4s requests, %4s tags, %s%s   load %s\n' "$3" "$1" \
    "$(jq -r .lastCycle.durationMillis <<<"$s")" "$(jq -r .lastCycle.requests <<<"$s")" \
    "$(jq -r .lastCycle.tagsCopied <<<"$s")" "$(jq -r .syncState <<<"$s")" "$f" "$l"
  if [[ -n $PROFILE ]]; then
    printf '           cpu ms: %s\n' "$(join -a 2 -e 0 -o 0,1.2,2.2 <(sort "$d/cpu0") <(sort "$d/cpu1") \
      | awk '{d=$3-$2; t+=d; if (d>=20) printf "%s %d, ", $1, d} END {printf "total %d", t}'); parent $(( $(sum "$d/pcpu1") - $(sum "$d/pcpu0") ))"
    printf '           images done at ms: %s\n' "$(python3 - "$d/log" "$(jq -r .lastSyncStartTime <<<"$s")" <<'PY'
import sys, datetime
def t(x): return datetime.datetime.fromisoformat(x.rstrip('Z').replace('Z', ''))
start = t(sys.argv[2])
done = sorted((t(l.split()[0]) - start).total_seconds() * 1000 for l in open(sys.argv[1]) if ' synced ' in l)
if done:
    n = len(done)
    print(' / '.join('%d' % done[min(n - 1, int(q * n))] for q in (0, .25, .5, .75)) + ' / %d (%d images)' % (done[-1], n))
PY
)"
  fi
  if [[ -n ${LOGS:-} ]]; then mkdir -p "$LOGS"; cp "$d/log" "$LOGS/$1-$(date +%H%M%S).log"; fi
  rm -rf "$d"
}
sum() { awk '{t+=$2} END {print t+0}' "$1"; }
# the JVM's PID: the child itself, or strace's child under -f
jpid() { if [[ -n $FSYNC ]]; then pgrep -P "$1" | head -1; else echo "$1"; fi; }
echo "A=$A"; echo "B=$B"; echo "JAVA_OPTS=$JAVA_OPTS; $(nproc) cpus"; [[ $JAVA_OPTS_B == "$JAVA_OPTS" ]] || echo "JAVA_OPTS_B=$JAVA_OPTS_B"
for section in ${SECTIONS//,/ }; do
  scope=bench/sync/*; [[ $section == many ]] && scope=bench/many
  echo "$section (first cycle of an empty child, $scope):"
  for _ in $(seq "$N"); do child A "$A" "$scope"; child B "$B" "$scope" "$JAVA_OPTS_B"; done
done
