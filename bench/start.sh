#!/usr/bin/env bash
# bench/start.sh - start to ready: from exec of `java` to the first 200 of GET /readyz.
#
# For each JVM setting (the README's plain `java -jar`, which the launcher relaunches with the
# registry's defaults and its class-data archive; @module/small-device.jvmopts, user options, so no
# launcher; CONNECTED_REGISTRY_JVM=small-device java -jar, the launcher with the small-device set;
# then any extra settings given with -s; leading VAR=VALUE words of a setting are environment),
# two untimed starts create the data folder (through the launcher: the first records its class list,
# the second makes the class archive from it before its JVM starts), then RUNS timed starts reuse
# it (a restart, as an IoT Edge module or a pod does). Each start is stopped with
# SIGTERM once ready. Printed per setting: median, min and max milliseconds, the median CPU time
# the process used until ready (all threads, user + system: much less sensitive to other load on
# the machine than the wall time) and the median RSS (VmRSS) at ready.
# References in the same run (the machine's floor): `java -version`, and an empty Vert.x 5 HTTP
# server from the same jar (Vertx.vertx(), one server answering 200 to everything).
# The poll is bash's /dev/tcp every 5 ms (no curl fork competing with the JVM for the CPU).
#
# With --appcds, each setting is measured a second time with an AppCDS archive passed by hand
# (-XX:SharedArchiveFile) made for it by one training start (-XX:ArchiveClassesAtExit, start,
# ready, SIGTERM): what class-data sharing would give an image or a launcher that passes the flag.
#
# usage: bench/start.sh [-n RUNS] [-s 'JVM OPTIONS']... [-b JAR] [--no-ref] [--fresh] [--appcds]
#   -n RUNS    timed starts per setting (default 10)
#   -s OPTS    one more setting to measure (repeatable), e.g. -s '-XX:SharedArchiveFile=x.jsa'
#   --fresh    every start gets a new, empty data folder (a first start) instead of a restart
#   --no-ref   skip the java -version and empty Vert.x references
#   -b JAR     an older build, measured in the same run: its starts take turns with this build's
#              (same settings, own data folder), printed as "before"
# Environment: JAR (default module/target/connected-registry.jar), TMPDIR.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
JAR=${JAR:-$REPO/module/target/connected-registry.jar}
RUNS=10 REF=1 FRESH=0 APPCDS=0 BEFORE=
SETTINGS=("" "@$REPO/module/small-device.jvmopts" "CONNECTED_REGISTRY_JVM=small-device")
while [[ $# -gt 0 ]]; do
  case $1 in
    -n) RUNS=$2; shift 2 ;;
    -s) SETTINGS+=("$2"); shift 2 ;;
    --no-ref) REF=0; shift ;;
    --fresh) FRESH=1; shift ;;
    --appcds) APPCDS=1; shift ;;
    -b) BEFORE=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
for c in java javac python3; do command -v $c >/dev/null || { echo "start.sh: needs $c" >&2; exit 1; }; done
[[ -f $JAR ]] || (cd "$REPO" && mvn -B -q -DskipTests package)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/start-bench.XXXXXX")
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { local t; t=$EPOCHREALTIME; echo $(( ${t/./} / 1000 )); }

ready() { # port -> 0 once GET /readyz answers 200
  local line
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$1" >&3 2>/dev/null || { exec 3>&-; return 1; }
  IFS= read -r -t 5 line <&3 || line=
  exec 3>&-
  [[ $line == "HTTP/1.1 200 "* ]]
}

declare -A PORTS
one_start() { # 'opts' data-dir kind [jar] -> prints "ms rss_kib cpu_ms stop_ms"; kind: registry | vertx
  local opts=$1 data=$2 kind=$3 jar=${4:-$JAR} p t0 t1 rss cpu envs=()
  # leading VAR=VALUE words of a setting go to the environment (env execs java: same PID)
  while [[ $opts =~ ^([A-Z_]+=[^ ]*)\ ?(.*)$ ]]; do envs+=("${BASH_REMATCH[1]}"); opts=${BASH_REMATCH[2]}; done
  # a restarted service keeps its address: one port per data folder, so a restart's command line is
  # the same as the last start's (the launcher keeps picocli's reading of it, ServerOptionsCache)
  if [[ $data != - ]]; then
    [[ -n ${PORTS[$data]:-} ]] || PORTS[$data]=$(port)
    p=${PORTS[$data]}
  else
    p=$(port)
  fi
  t0=$(now_ms)
  if [[ $kind == registry ]]; then
    # shellcheck disable=SC2086
    env "${envs[@]}" java $opts -jar "$jar" --listen "127.0.0.1:$p" --data "$data" --log-level Warning > "$WORK/last.log" 2>&1 &
  else
    # shellcheck disable=SC2086
    env "${envs[@]}" java $opts -cp "$JAR:$WORK/ref" EmptyServer "$p" > "$WORK/last.log" 2>&1 &
  fi
  PID=$!
  until ready "$p"; do
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/last.log" >&2; echo "start.sh: exited before ready" >&2; exit 1; }
    (( $(now_ms) - t0 < 60000 )) || { echo "start.sh: not ready within 60 s" >&2; exit 1; }
    sleep 0.005
  done
  t1=$(now_ms)
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
  # CPU time of all its threads until ready (utime + stime, fields 14 and 15 after the comm)
  cpu=$(sed 's/.*) //' "/proc/$PID/stat" | awk -v hz="$(getconf CLK_TCK)" '{print int(($12 + $13) * 1000 / hz)}')
  local t2; t2=$(now_ms)
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  echo "$((t1 - t0)) $rss $cpu $(( $(now_ms) - t2 ))"
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : int((v[NR/2] + v[NR/2+1]) / 2 + 0.5)}'; }
summary() { # label file(ms rss_kib cpu_ms stop_ms per line)
  printf '%-50s median %5d ms (min %5d, max %5d)  cpu %5d ms  rss@ready %4.0f MiB  stop %5d ms  n=%d\n' "$1" \
    "$(cut -d' ' -f1 "$2" | median)" "$(cut -d' ' -f1 "$2" | sort -n | head -1)" \
    "$(cut -d' ' -f1 "$2" | sort -n | tail -1)" "$(cut -d' ' -f3 "$2" | median)" \
    "$(cut -d' ' -f2 "$2" | median | awk '{print $1/1024}')" "$(cut -d' ' -f4 "$2" | median)" "$(wc -l < "$2")"
}

echo "start-to-ready, $RUNS starts per setting, $(date -u +%FT%TZ), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo -), $(nproc) cpu"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if ((REF)); then
  mkdir -p "$WORK/ref"
  cat > "$WORK/ref/EmptyServer.java" <<'EOF'
public class EmptyServer {
  public static void main(String[] args) {
    io.vertx.core.Vertx.vertx().createHttpServer()
        .requestHandler(r -> r.response().end("ok"))
        .listen(Integer.parseInt(args[0]), "127.0.0.1").await();
  }
}
EOF
  javac -d "$WORK/ref" -cp "$JAR" "$WORK/ref/EmptyServer.java"
  : > "$WORK/version.txt"
  for _ in $(seq "$RUNS"); do
    t0=$(now_ms); java -version 2>/dev/null; echo "$(( $(now_ms) - t0 )) 0 0 0" >> "$WORK/version.txt"
  done
  summary "ref: java -version" "$WORK/version.txt"
  for s in "${SETTINGS[@]:0:2}"; do
    : > "$WORK/vertx.txt"
    one_start "$s" - vertx > /dev/null
    for _ in $(seq "$RUNS"); do one_start "$s" - vertx >> "$WORK/vertx.txt"; done
    summary "ref: empty Vert.x ${s:-(no flags)}" "$WORK/vertx.txt"
  done
fi
if ((APPCDS)); then
  for s in "${SETTINGS[@]}"; do
    [[ $s =~ ^[A-Z_]+= ]] && continue # the launcher makes its own archive
    n=${#SETTINGS[@]}
    one_start "-XX:ArchiveClassesAtExit=$WORK/app$n.jsa $s" "$WORK/train$n" registry > /dev/null
    for _ in $(seq 50); do [[ -s $WORK/app$n.jsa ]] && break; sleep 0.1; done
    SETTINGS+=("-XX:SharedArchiveFile=$WORK/app$n.jsa $s")
  done
fi
i=0
for s in "${SETTINGS[@]}"; do
  i=$((i + 1))
  : > "$WORK/s$i.txt"; : > "$WORK/b$i.txt"
  data=$WORK/data$i
  PORTS[$data]=$(port); PORTS[$data-before]=$(port) # here: the priming starts run in subshells
  if ((!FRESH)); then
    # through the launcher the first start records its class list, the second makes the archive from it
    read -r ms _ _ stop < <(one_start "$s" "$data" registry)
    printf '%-50s first start %5d ms, its stop %5d ms\n' "  ${s:-(no flags)}" "$ms" "$stop"
    read -r ms _ _ stop < <(one_start "$s" "$data" registry)
    printf '%-50s second start %5d ms, its stop %5d ms\n' "  ${s:-(no flags)}" "$ms" "$stop"
  fi
  if [[ -n $BEFORE && $s != *SharedArchiveFile* ]] && ((!FRESH)); then
    one_start "$s" "$data-before" registry "$BEFORE" > /dev/null
    one_start "$s" "$data-before" registry "$BEFORE" > /dev/null
  fi
  for r in $(seq "$RUNS"); do
    ((FRESH)) && data=$WORK/data$i-$r
    # the older build takes turns with this one, so both see the same load
    if [[ -n $BEFORE && $s != *SharedArchiveFile* ]]; then
      one_start "$s" "$data-before" registry "$BEFORE" >> "$WORK/b$i.txt"
    fi
    one_start "$s" "$data" registry >> "$WORK/s$i.txt"
  done
  [[ -s $WORK/b$i.txt ]] && summary "before ${s:-(no flags)}" "$WORK/b$i.txt"
  summary "ours ${s:-(no flags)}" "$WORK/s$i.txt"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
