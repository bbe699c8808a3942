#!/usr/bin/env bash
# bench/manifest-warmup.sh JAR [CONFIG] - the JIT warm-up curve of a manifest GET by tag.
#
# Starts the registry from JAR (JVM options $JAVA_OPTS, default the small-device settings, plus
# $EXTRA_JAVA_OPTS), pushes one small image with skopeo, then runs wrk (-t2 -c64, the benchmark's
# settings) ROUNDS times for SECS seconds each (default 6 x 5 s) and prints the req/s of each
# round. registry-bench.sh's manifest_get_by_tag is one 10 s round on a cold JVM, so it mostly
# measures this curve's first two rounds; manifest_get_by_digest follows it, warm.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOOLS=${SHARED_TOOLS:-$REPO/../shared/tools}
[[ -x $TOOLS/make-image.sh ]] || TOOLS=/work/shared/tools
JAR=${1:?usage: manifest-warmup.sh JAR [CONFIG]} CONF=${2:-}
ROUNDS=${ROUNDS:-6} SECS=${SECS:-5}
JAVA_OPTS=${JAVA_OPTS:-@$REPO/module/small-device.jvmopts}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crwarm.XXXXXX")
PORT=$((20000 + RANDOM % 12000)) PID=
trap '[[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
# shellcheck disable=SC2086  # lists of options
java $JAVA_OPTS ${EXTRA_JAVA_OPTS:-} -jar "$JAR" --listen "127.0.0.1:$PORT" --data "$WORK/data" \
  ${CONF:+--config "$CONF"} > "$WORK/log" 2>&1 & PID=$!
for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.2; done
"$TOOLS/make-image.sh" -q -o "$WORK/img" -t latest -l 4K -l 64K -s "warm$RANDOM" > /dev/null
skopeo copy -q --dest-tls-verify=false "oci:$WORK/img:latest" "docker://127.0.0.1:$PORT/warm/m:latest"
echo -n "req/s per ${SECS} s round:"
for _ in $(seq 1 "$ROUNDS"); do
  wrk -t2 -c64 -d"${SECS}s" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://127.0.0.1:$PORT/v2/warm/m/manifests/latest" | awk '/^Requests\/sec/{printf " %d", $2}'
done
echo "   (load $(cut -d' ' -f1 /proc/loadavg))"
