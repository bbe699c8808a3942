#!/usr/bin/env bash
# bench/auth.sh - manifest GET throughput: anonymous vs Bearer vs Basic, same registry, same run.
#
# The access-control target: an authenticated manifest GET (Bearer) reaches at least 80% of the
# anonymous throughput. Starts the jar (small-device JVM settings, like run.sh) on a free
# 127.0.0.1 port with `auth.anonymousPull: true`, creates a pull token, pushes one image with
# skopeo, then runs wrk (-t2 -c64) against the manifest by tag, alternating
# anonymous / Bearer / Basic for N rounds, and prints the medians and the ratios to anonymous.
#
# usage: bench/auth.sh [-n ROUNDS] [-d SECS]      (defaults: 3 rounds of 10 s)
# Environment: JAVA_OPTS (default @module/small-device.jvmopts), JAR, SHARED_TOOLS, TMPDIR.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOOLS=${SHARED_TOOLS:-$REPO/../shared/tools}
JAR=${JAR:-$REPO/module/target/connected-registry.jar}
JAVA_OPTS=${JAVA_OPTS:-@$REPO/module/small-device.jvmopts}
ROUNDS=3 DUR=10
while [[ $# -gt 0 ]]; do
  case $1 in
    -n) ROUNDS=$2; shift 2 ;;
    -d) DUR=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
for c in java wrk skopeo curl jq python3; do command -v $c >/dev/null || { echo "auth.sh: needs $c" >&2; exit 1; }; done
[[ -f $JAR ]] || (cd "$REPO" && mvn -B -q -DskipTests package)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/auth-bench.XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

printf 'auth:\n  anonymousPull: true\n  tokenLifetime: PT1H\n' > "$WORK/config.yaml"
java -jar "$JAR" token create --data "$WORK/data" --name bench \
  --repository 'bench/*' content/read content/write metadata/read > "$WORK/token.json"
PASSWORD=$(jq -r .password "$WORK/token.json")
# shellcheck disable=SC2086
java $JAVA_OPTS -jar "$JAR" --config "$WORK/config.yaml" --data "$WORK/data" \
  --listen "127.0.0.1:$PORT" --log-level Warning > "$WORK/registry.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done

"$TOOLS/make-image.sh" -o "$WORK/img" -t v1 -l 4K -l 64K -s 11 >/dev/null
skopeo copy -q --dest-tls-verify=false --dest-creds "bench:$PASSWORD" \
  oci:"$WORK/img":v1 docker://127.0.0.1:$PORT/bench/app:v1
BEARER=$(curl -fs -u "bench:$PASSWORD" \
  "$BASE/oauth2/token?service=127.0.0.1:$PORT&scope=repository:bench/app:pull" | jq -r .token)
BASIC=$(printf 'bench:%s' "$PASSWORD" | base64 -w0)
ACCEPT='Accept: application/vnd.oci.image.manifest.v1+json'
URL="$BASE/v2/bench/app/manifests/v1"
for h in "" "Authorization: Bearer $BEARER" "Authorization: Basic $BASIC"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "$ACCEPT" ${h:+-H "$h"} "$URL")
  [[ $code == 200 ]] || { echo "auth.sh: warm-up GET answered $code" >&2; exit 1; }
done

run() { # label header...
  local label=$1; shift
  wrk -t2 -c64 -d"${DUR}s" -H "$ACCEPT" "$@" "$URL" > "$WORK/wrk.txt" 2>&1
  local non2xx; non2xx=$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$WORK/wrk.txt")
  [[ -z $non2xx ]] || { echo "auth.sh: $label had $non2xx non-2xx answers" >&2; exit 1; }
  awk '/^Requests\/sec:/{print $2}' "$WORK/wrk.txt" >> "$WORK/$label"
}
# Warm-up (JIT) on all three paths, not measured.
for h in "" "Authorization: Bearer $BEARER" "Authorization: Basic $BASIC"; do
  wrk -t2 -c64 -d3s -H "$ACCEPT" ${h:+-H "$h"} "$URL" > /dev/null 2>&1
done
for r in $(seq "$ROUNDS"); do
  echo "== round $r/$ROUNDS" >&2
  run anonymous
  run bearer -H "Authorization: Bearer $BEARER"
  run basic -H "Authorization: Basic $BASIC"
done
median() { sort -n "$WORK/$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
A=$(median anonymous) B=$(median bearer) C=$(median basic)
echo
echo "manifest GET by tag, wrk -t2 -c64 -d${DUR}s, median of $ROUNDS rounds; JAVA_OPTS=$JAVA_OPTS"
printf '%-10s %12s %10s\n' caller 'req/s' 'vs anon'
printf '%-10s %12.0f %10s\n' anonymous "$A" "1.00"
printf '%-10s %12.0f %10.2f\n' bearer "$B" "$(awk -v b="$B" -v a="$A" 'BEGIN{print b/a}')"
printf '%-10s %12.0f %10.2f\n' basic "$C" "$(awk -v c="$C" -v a="$A" 'BEGIN{print c/a}')"
echo "target: bearer >= 0.80 x anonymous"
