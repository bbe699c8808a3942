#!/usr/bin/env bash
# bench/sync.sh - downstream sync, side by side with `skopeo sync`, same content, same run.
#
# 1. Full sync: a parent (this project, on loopback) holds 20 repositories x 3 tags made like the
#    shared registry-bench.sh makes them (a 4 MiB base layer per repository + 512 KiB per tag).
#    Reference: `skopeo sync` of those images from the parent into an empty CNCF distribution.
#    Ours: an empty connected registry (parent = that parent) runs its first cycle.
# 2. Resync with nothing new against a parent with 1,000 tags: duration and requests of the
#    second cycle (the first copies the 1,000 tags).
# Figures come from the child's /_connected/v1/status (lastCycle.durationMillis, .requests);
# the wall time including the JVM start is printed too.
#
# usage: bench/sync.sh [-r REPOS] [-t TAGS] [-m MANY_TAGS]     (defaults 20, 3, 1000)
# Environment: JAVA_OPTS (default @module/small-device.jvmopts), JAR, SHARED_TOOLS, TMPDIR.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOOLS=${SHARED_TOOLS:-$REPO/../shared/tools}
JAR=${JAR:-$REPO/module/target/connected-registry.jar}
JAVA_OPTS=${JAVA_OPTS:-@$REPO/module/small-device.jvmopts}
NREPO=20 NTAG=3 MANY=1000
while [[ $# -gt 0 ]]; do
  case $1 in
    -r) NREPO=$2; shift 2 ;; -t) NTAG=$2; shift 2 ;; -m) MANY=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
for c in java skopeo curl jq python3 docker-registry; do command -v $c >/dev/null || { echo "sync.sh: needs $c" >&2; exit 1; }; done
[[ -f $JAR ]] || (cd "$REPO" && mvn -B -q -DskipTests package)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sync-bench.XXXXXX")
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
export DIST_STATE=$WORK/dist
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; "$TOOLS/distribution.sh" stop "$DPORT" >/dev/null 2>&1 || true; wait 2>/dev/null; [[ -n ${KEEP:-} ]] && echo "kept $WORK" >&2 || rm -rf "$WORK"; }
trap cleanup EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
start_ours() { # name port [config]
  # shellcheck disable=SC2086
  java $JAVA_OPTS -jar "$JAR" --data "$WORK/$1" --listen "127.0.0.1:$2" ${3:+--config "$3"} \
    --log-level "${LOG_LEVEL:-Warning}" > "$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do curl -fs "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.1; done
  echo "sync.sh: $1 did not start" >&2; exit 1
}
wait_synced() { # port [jq condition] -> prints the status JSON once a cycle has ended
  # The condition picks the cycle that did the work: a scheduled cycle may follow the first at
  # once when the first crossed a minute boundary, and then lastCycle describes that one.
  local cond=${2:-'.lastCycle.tagsCopied > 0'}
  for _ in $(seq 3000); do
    s=$(curl -fs "http://127.0.0.1:$1/_connected/v1/status" || true)
    st=$(jq -r '.syncState // ""' <<<"$s")
    if [[ $st == Succeeded || $st == Failed ]] && [[ $(jq -r "if .lastCycle then ($cond) else false end" <<<"$s") == true ]]; then echo "$s"; return; fi
    sleep 0.05
  done
  echo "sync.sh: no sync result on $1" >&2; exit 1
}

PPORT=$(port); DPORT=$(port)
start_ours parent "$PPORT"
"$TOOLS/distribution.sh" start "$DPORT" >/dev/null

echo "== seeding $NREPO x $NTAG images into the parent" >&2
yaml=$WORK/skopeo-sync.yaml
{ echo "127.0.0.1:$PPORT:"; echo "  tls-verify: false"; echo "  images:"; } > "$yaml"
for r in $(seq -w 1 "$NREPO"); do
  tags=
  for t in $(seq 1 "$NTAG"); do
    "$TOOLS/make-image.sh" -q -o "$WORK/img" -t "r$r-v$t" -l "4M@bench-r$r" -l 512K -s "bench-r$r-v$t" >/dev/null
    skopeo copy -q --dest-tls-verify=false oci:"$WORK/img":"r$r-v$t" "docker://127.0.0.1:$PPORT/bench/sync/r$r:v$t"
    tags+="${tags:+, }v$t"
  done
  echo "    bench/sync/r$r: [$tags]" >> "$yaml"
done
MIB=$(du -sk "$WORK/img/blobs" | awk '{printf "%.0f", $1/1024}')

echo "== skopeo sync into distribution" >&2
t0=$(now)
skopeo sync --src yaml --dest docker --dest-tls-verify=false "$yaml" "127.0.0.1:$DPORT/mirror" > "$WORK/skopeo.log" 2>&1
t1=$(now); SKOPEO=$(secs "$t0" "$t1")

echo "== connected registry: first cycle" >&2
CPORT=$(port)
printf 'parent: {endpoint: "http://127.0.0.1:%s"}\nsync: {repositories: ["bench/sync/*"]}\n' "$PPORT" > "$WORK/child.yaml"
t0=$(now)
start_ours child "$CPORT" "$WORK/child.yaml"
S=$(wait_synced "$CPORT"); t1=$(now)
[[ $(jq -r .syncState <<<"$S") == Succeeded ]] || { echo "sync failed: $S" >&2; exit 1; }
OURS=$(jq -r '.lastCycle.durationMillis / 1000' <<<"$S"); OURS_WALL=$(secs "$t0" "$t1")
TAGS=$(jq -r '.lastCycle.tagsCopied' <<<"$S"); BYTES=$(jq -r '.lastCycle.bytes' <<<"$S")
FETCHED=$(jq -r '.lastCycle.blobsFetched' <<<"$S"); LINKED=$(jq -r '.lastCycle.blobsLinked' <<<"$S")
for r in $(seq -w 1 "$NREPO"); do for t in $(seq 1 "$NTAG"); do
  a=$(curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$PPORT/v2/bench/sync/r$r/manifests/v$t" | sha256sum)
  b=$(curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$CPORT/v2/bench/sync/r$r/manifests/v$t" | sha256sum)
  [[ $a == "$b" ]] || { echo "sync.sh: r$r:v$t differs" >&2; exit 1; }
done; done

echo "== $MANY tags in one repository at the parent" >&2
R1=$(seq -w 1 "$NREPO" | head -1)
skopeo copy -q --dest-tls-verify=false oci:"$WORK/img":"r$R1-v1" "docker://127.0.0.1:$PPORT/bench/many:t0"
M=$(curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$PPORT/v2/bench/many/manifests/t0")
seq 1 "$MANY" | xargs -P 8 -I{} curl -fs -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "$M" "http://127.0.0.1:$PPORT/v2/bench/many/manifests/t{}"
MPORT=$(port)
printf 'parent: {endpoint: "http://127.0.0.1:%s"}\nsync: {repositories: ["bench/many"]}\n' "$PPORT" > "$WORK/many.yaml"
start_ours many "$MPORT" "$WORK/many.yaml"
S1=$(wait_synced "$MPORT")
echo "$S1" > "${TMPDIR:-/tmp}/sync-bench-s1.json"
FIRST_MANY=$(jq -r '.lastCycle.durationMillis' <<<"$S1"); COPIED_MANY=$(jq -r '.lastCycle.tagsCopied' <<<"$S1")
START_BEFORE=$(jq -r .lastSyncStartTime <<<"$S1")
curl -fs -X POST "http://127.0.0.1:$MPORT/_connected/v1/sync" >/dev/null
for _ in $(seq 200); do
  S2=$(curl -fs "http://127.0.0.1:$MPORT/_connected/v1/status")
  [[ $(jq -r .lastSyncStartTime <<<"$S2") != "$START_BEFORE" && $(jq -r .syncState <<<"$S2") != Syncing ]] && break
  sleep 0.05
done
RESYNC=$(jq -r '.lastCycle.durationMillis' <<<"$S2"); REQS=$(jq -r '.lastCycle.requests' <<<"$S2")

echo
echo "sync benchmark, $NREPO repos x $NTAG tags (~$MIB MiB of blobs); JAVA_OPTS=$JAVA_OPTS"
printf '%-46s %10s %10s %8s\n' figure ours 'skopeo sync' ratio
printf '%-46s %9ss %9ss %8s\n' "full sync (cycle, from status)" "$OURS" "$SKOPEO" "$(awk -v a="$OURS" -v b="$SKOPEO" 'BEGIN{printf "%.2f", a/b}')"
printf '%-46s %9ss %9ss %8s\n' "full sync (wall, incl. JVM start)" "$OURS_WALL" "$SKOPEO" "$(awk -v a="$OURS_WALL" -v b="$SKOPEO" 'BEGIN{printf "%.2f", a/b}')"
echo "  copied $TAGS tags, $BYTES bytes, blobs fetched $FETCHED, linked $LINKED; every manifest verified byte-equal"
echo "resync with nothing new, parent with $MANY tags: ${RESYNC} ms, $REQS request(s) (first cycle copied $COPIED_MANY tags in ${FIRST_MANY} ms)"
echo "targets: full sync <= 0.5 x skopeo sync; resync < 100 ms, one request"
