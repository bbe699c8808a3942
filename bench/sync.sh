#!/usr/bin/env bash
# bench/sync.sh - downstream sync, side by side with `skopeo sync` and curl, same content, same run.
#
# Sections (-s, comma-separated; default all):
#  mirror  Full sync: a parent (this project, on loopback) holds 20 repositories x 3 tags made like
#          the shared registry-bench.sh makes them (a 4 MiB base layer per repository + 512 KiB per
#          tag). Reference: `skopeo sync` of those images from the parent into an empty CNCF
#          distribution. Ours: an empty connected registry (parent = that parent) runs its first cycle.
#          Floor: then (the child stopped) bench/floor/FloorSync.java, the least Java 17 + Vert.x
#          program doing that cycle's work (bench/floor/README.md), same JVM options, same parent,
#          into an empty folder; its time counts from its `ready` (like the cycle); its result is
#          checked like the child's.
#  many    A parent with 1,000 tags of one image in one repository: the FIRST cycle of an empty
#          child from a feed parent (this project) and from a plain OCI parent (distribution, same
#          tags), then a resync with nothing new against the feed parent (duration, requests).
#  layer   One image with a single 1 GiB layer (random bytes) at the parent (this project): curl GETs
#          the blob (best of 3, after a warm-up), then an empty child syncs the image; its cycle time
#          gives the layer's MiB/s. Also prints this machine's limits for that pipeline, same run:
#          the GET to /dev/null, the GET through `tee file | sha256sum` then `sync file` (standard
#          tools, stages on separate cores), and SHA-256 speed (openssl, one core). Floor: then (the
#          child stopped) bench/floor/FloorBlob.java, the least Java program doing a verified,
#          durable download of that blob from the same parent (plain socket, SHA-256, write, fsync;
#          bench/floor/README.md), same JVM options, 3 downloads in one JVM (the first cold) through
#          the page cache as ours writes, then 3 with O_DIRECT.
# Figures come from the child's /_connected/v1/status (lastCycle.durationMillis, .requests);
# the wall time including the JVM start is printed too. Each line also shows the load average.
#
# usage: bench/sync.sh [-s SECTIONS] [-r REPOS] [-t TAGS] [-m MANY_TAGS] [-l LAYER_MIB]
#        (defaults: mirror,many,layer; 20; 3; 1000; 1024)
# Environment: JAVA_OPTS (default @module/small-device.jvmopts), JAR, SHARED_TOOLS, TMPDIR;
#   CHILD_OPTS: more JVM options for the layer section's child only (e.g. a JFR recording).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOOLS=${SHARED_TOOLS:-$REPO/../shared/tools}
JAR=${JAR:-$REPO/module/target/connected-registry.jar}
JAVA_OPTS=${JAVA_OPTS:-@$REPO/module/small-device.jvmopts}
NREPO=20 NTAG=3 MANY=1000 LAYER=1024 SECTIONS=mirror,many,layer
while [[ $# -gt 0 ]]; do
  case $1 in
    -r) NREPO=$2; shift 2 ;; -t) NTAG=$2; shift 2 ;; -m) MANY=$2; shift 2 ;;
    -l) LAYER=$2; shift 2 ;; -s) SECTIONS=$2; shift 2 ;;
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
start_ours() { # name port [config] [extra JVM options]
  # shellcheck disable=SC2086
  java $JAVA_OPTS ${4:-} -jar "$JAR" --data "$WORK/$1" --listen "127.0.0.1:$2" ${3:+--config "$3"} \
    --log-level "${LOG_LEVEL:-Warning}" > "$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do curl -fs "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.1; done
  echo "sync.sh: $1 did not start" >&2; exit 1
}
# Seconds between two reads of a child's status while its cycle runs (bench/mirror-parent.sh says
# why not faster: the figures come from the status, and each read costs the child CPU).
POLL=${POLL:-0.25}
wait_synced() { # port [jq condition] -> prints the status JSON once a cycle has ended
  # The condition picks the cycle that did the work: a scheduled cycle may follow the first at
  # once when the first crossed a minute boundary, and then lastCycle describes that one.
  local cond=${2:-'.lastCycle.tagsCopied > 0'}
  for _ in $(seq 3000); do
    s=$(curl -fs "http://127.0.0.1:$1/_connected/v1/status" || true)
    st=$(jq -r '.syncState // ""' <<<"$s")
    if [[ $st == Succeeded || $st == Failed ]] && [[ $(jq -r "if .lastCycle then ($cond) else false end" <<<"$s") == true ]]; then echo "$s"; return; fi
    sleep "$POLL"
  done
  echo "sync.sh: no sync result on $1" >&2; exit 1
}

has() { [[ ,$SECTIONS, == *,$1,* ]]; }
load() { awk '{print $1}' /proc/loadavg; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
OUT=()   # result lines, printed together at the end
say() { OUT+=("$(printf "$@")"); }

PPORT=$(port); DPORT=$(port)
start_ours parent "$PPORT"
"$TOOLS/distribution.sh" start "$DPORT" >/dev/null
say 'sync benchmark; JAVA_OPTS=%s; %s cpus; load at start %s' "$JAVA_OPTS" "$(nproc)" "$(load)"

if has mirror; then
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
L0=$(load); t0=$(now)
skopeo sync --src yaml --dest docker --dest-tls-verify=false "$yaml" "127.0.0.1:$DPORT/mirror" > "$WORK/skopeo.log" 2>&1
t1=$(now); SKOPEO=$(secs "$t0" "$t1")

echo "== connected registry: first cycle" >&2
CPORT=$(port)
printf 'parent: {endpoint: "http://127.0.0.1:%s"}\nsync: {repositories: ["bench/sync/*"], schedule: \"0 0 1 1 *\"}\n' "$PPORT" > "$WORK/child.yaml"
t0=$(now)
start_ours child "$CPORT" "$WORK/child.yaml"
CPID=${PIDS[-1]}
S=$(wait_synced "$CPORT"); t1=$(now)
OURS_CPU=$(awk '{print ($14+$15)*10}' "/proc/$CPID/stat") # ms of CPU since the JVM started
[[ $(jq -r .syncState <<<"$S") == Succeeded ]] || { echo "sync failed: $S" >&2; exit 1; }
OURS=$(jq -r '.lastCycle.durationMillis / 1000' <<<"$S"); OURS_WALL=$(secs "$t0" "$t1")
TAGS=$(jq -r '.lastCycle.tagsCopied' <<<"$S"); BYTES=$(jq -r '.lastCycle.bytes' <<<"$S")
FETCHED=$(jq -r '.lastCycle.blobsFetched' <<<"$S"); LINKED=$(jq -r '.lastCycle.blobsLinked' <<<"$S")
for r in $(seq -w 1 "$NREPO"); do for t in $(seq 1 "$NTAG"); do
  a=$(curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$PPORT/v2/bench/sync/r$r/manifests/v$t" | sha256sum)
  b=$(curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$CPORT/v2/bench/sync/r$r/manifests/v$t" | sha256sum)
  [[ $a == "$b" ]] || { echo "sync.sh: r$r:v$t differs" >&2; exit 1; }
done; done
# The child is done: stopped, so that its JIT compiler finishing its queue takes no CPU from the floor.
kill "$CPID"; wait "$CPID" 2>/dev/null || true

echo "== floor: bench/floor/FloorSync.java" >&2
mkdir -p "$WORK/floor-classes"
javac -nowarn -cp "$JAR" -d "$WORK/floor-classes" "$HERE/floor/FloorSync.java" 2> "$WORK/floor-javac.log" ||
  { cat "$WORK/floor-javac.log" >&2; echo "sync.sh: FloorSync does not compile" >&2; exit 1; }
FL0=$(load); t0=$(now)
# shellcheck disable=SC2086
/usr/bin/time -o "$WORK/floor.cpu" -f '%U %S' java $JAVA_OPTS -cp "$WORK/floor-classes:$JAR" FloorSync "http://127.0.0.1:$PPORT" bench/sync/ "$WORK/floor" > "$WORK/floor.log" 2>&1 ||
  { cat "$WORK/floor.log" >&2; echo "sync.sh: FloorSync failed" >&2; exit 1; }
t1=$(now); FLOOR_WALL=$(secs "$t0" "$t1")
FLOOR_CPU=$(awk '{printf "%.0f", ($1+$2)*1000}' "$WORK/floor.cpu")
FLINE=$(grep '^done ' "$WORK/floor.log") || { cat "$WORK/floor.log" >&2; echo "sync.sh: FloorSync printed no result" >&2; exit 1; }
fval() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$FLINE"; }
FLOOR=$(awk -v ms="$(fval ms)" 'BEGIN{printf "%.3f", ms/1000}')
[[ $(fval images) == $((NREPO * NTAG)) ]] || { echo "sync.sh: FloorSync copied $(fval images) images, not $((NREPO * NTAG))" >&2; exit 1; }
for r in $(seq -w 1 "$NREPO"); do for t in $(seq 1 "$NTAG"); do
  a=$(curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$PPORT/v2/bench/sync/r$r/manifests/v$t" | sha256sum)
  d=$(cat "$WORK/floor/repos/bench/sync/r$r/_tags/v$t")
  m=$WORK/floor/manifests/sha256/${d#sha256:}
  [[ $(sha256sum < "$m") == "$a" && "${a%% *}" == "${d#sha256:}" ]] || { echo "sync.sh: FloorSync's r$r:v$t differs" >&2; exit 1; }
  for b in $(jq -r '.config.digest, .layers[].digest' "$m"); do
    [[ -f $WORK/floor/blobs/sha256/${b#sha256:} ]] || { echo "sync.sh: FloorSync lacks $b of r$r:v$t" >&2; exit 1; }
  done
done; done
(cd "$WORK/floor/blobs/sha256" && sha256sum -- * | awk '$1 != $2 {print; bad=1} END {exit bad}') ||
  { echo "sync.sh: a blob of FloorSync's is not what its name says" >&2; exit 1; }
say '%-50s %10s %10s %8s' "mirror: $NREPO repos x $NTAG tags (~$MIB MiB)" ours 'skopeo sync' ratio
say '%-50s %9ss %9ss %8s   load %s' "  full sync (cycle, from status)" "$OURS" "$SKOPEO" "$(ratio "$OURS" "$SKOPEO")" "$L0"
say '%-50s %9ss %9ss %8s' "  full sync (wall, incl. JVM start)" "$OURS_WALL" "$SKOPEO" "$(ratio "$OURS_WALL" "$SKOPEO")"
say '  copied %s tags, %s bytes, blobs fetched %s, linked %s; every manifest verified byte-equal' "$TAGS" "$BYTES" "$FETCHED" "$LINKED"
say '%-50s %9ss %9ss %8s   load %s' "  floor: FloorSync.java (from its ready)" "$FLOOR" "$SKOPEO" "$(ratio "$FLOOR" "$SKOPEO")" "$FL0"
say '%-50s %9ss %9ss %8s' "  floor (wall, incl. JVM start)" "$FLOOR_WALL" "$SKOPEO" "$(ratio "$FLOOR_WALL" "$SKOPEO")"
say '  ours / floor: %s (cycle / from ready), %s (wall)' "$(ratio "$OURS" "$FLOOR")" "$(ratio "$OURS_WALL" "$FLOOR_WALL")"
say '  CPU of the whole process (JVM start included): ours %s ms (until synced), floor %s ms (until it exits)' "$OURS_CPU" "$FLOOR_CPU"
say '  floor: %s requests (ours %s), %s images, %s blobs, %s bytes, %s fsyncs (%s ms in fsync, summed over threads); every manifest and blob verified' \
  "$(fval requests)" "$(jq -r '.lastCycle.requests' <<<"$S")" "$(fval images)" "$(fval blobs)" "$(fval bytes)" "$(fval fsyncs)" "$(fval fsync_ms)"
say '  target: full sync (cycle) <= 0.3 x skopeo sync'
fi

if has many; then
echo "== $MANY tags in one repository at the parent (ours) and at distribution" >&2
[[ -d $WORK/img ]] && [[ -n $(ls "$WORK/img/index.json" 2>/dev/null) ]] && grep -q r01-v1 "$WORK/img/index.json" \
  || "$TOOLS/make-image.sh" -q -o "$WORK/img" -t "r01-v1" -l "4M@bench-r01" -l 512K -s "bench-r01-v1" >/dev/null
for target in "$PPORT" "$DPORT"; do
  skopeo copy -q --dest-tls-verify=false oci:"$WORK/img":r01-v1 "docker://127.0.0.1:$target/bench/many:t0"
  M=$(curl -fs -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$target/v2/bench/many/manifests/t0")
  seq 1 "$MANY" | xargs -P 8 -I{} curl -fs -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "$M" "http://127.0.0.1:$target/v2/bench/many/manifests/t{}"
done
WANT=$((MANY + 1))
first_many() { # name parent-port -> sets FM="ms requests copied load port"
  # Not run in $(...): start_ours must add the child's PID to PIDS in this shell, for cleanup.
  local port; port=$(port)
  printf 'parent: {endpoint: "http://127.0.0.1:%s"}\nsync: {repositories: ["bench/many"], schedule: \"0 0 1 1 *\"}\n' "$2" > "$WORK/$1.yaml"
  local l; l=$(load)
  start_ours "$1" "$port" "$WORK/$1.yaml"
  local st; st=$(wait_synced "$port")
  [[ $(jq -r .syncState <<<"$st") == Succeeded ]] || { echo "sync from $1 failed: $st" >&2; exit 1; }
  local n; n=$(curl -fs "http://127.0.0.1:$port/v2/bench/many/tags/list?n=100000" | jq '.tags | length')
  [[ $n == "$WANT" ]] || { echo "sync.sh: $1 has $n tags, not $WANT" >&2; exit 1; }
  FM="$(jq -r '.lastCycle.durationMillis' <<<"$st") $(jq -r '.lastCycle.requests' <<<"$st") $(jq -r '.lastCycle.tagsCopied' <<<"$st") $l $port"
}
first_many many "$PPORT"; read -r FEED_MS FEED_REQ FEED_COPIED FEED_LOAD MPORT <<<"$FM"
first_many many-plain "$DPORT"; read -r PLAIN_MS PLAIN_REQ PLAIN_COPIED PLAIN_LOAD _ <<<"$FM"
S1=$(curl -fs "http://127.0.0.1:$MPORT/_connected/v1/status")
START_BEFORE=$(jq -r .lastSyncStartTime <<<"$S1")
curl -fs -X POST "http://127.0.0.1:$MPORT/_connected/v1/sync" >/dev/null
for _ in $(seq 400); do
  S2=$(curl -fs "http://127.0.0.1:$MPORT/_connected/v1/status")
  [[ $(jq -r .lastSyncStartTime <<<"$S2") != "$START_BEFORE" && $(jq -r .syncState <<<"$S2") != Syncing ]] && break
  sleep "$POLL"
done
RESYNC=$(jq -r '.lastCycle.durationMillis' <<<"$S2"); REQS=$(jq -r '.lastCycle.requests' <<<"$S2")
say 'parent with %s tags of one image (one repository)' "$WANT"
say '  first sync from a feed parent (ours):      %6s ms, %5s requests, %s tags copied   load %s' "$FEED_MS" "$FEED_REQ" "$FEED_COPIED" "$FEED_LOAD"
say '  first sync from a plain parent (distrib.): %6s ms, %5s requests, %s tags copied   load %s' "$PLAIN_MS" "$PLAIN_REQ" "$PLAIN_COPIED" "$PLAIN_LOAD"
say '  resync with nothing new (feed parent):     %6s ms, %5s request(s)' "$RESYNC" "$REQS"
say '  targets: first sync < 1000 ms (feed), < 3000 ms (plain); resync < 100 ms, one request'
fi

if has layer; then
echo "== one image with a single $LAYER MiB layer at the parent" >&2
LF=$WORK/layer.bin
head -c "$((LAYER * 1024 * 1024))" /dev/urandom > "$LF"
LD=sha256:$(sha256sum "$LF" | cut -d' ' -f1); LS=$(stat -c %s "$LF")
CF=$WORK/config.json
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' "$LD" > "$CF"
CD=sha256:$(sha256sum "$CF" | cut -d' ' -f1); CS=$(stat -c %s "$CF")
push_blob() { # file digest
  local loc; loc=$(curl -fsS -D - -o /dev/null -X POST "http://127.0.0.1:$PPORT/v2/bench/layer/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
  [[ $loc == http* ]] || loc=http://127.0.0.1:$PPORT$loc
  local sep='?'; [[ $loc == *\?* ]] && sep='&'
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' -T "$1" "$loc${sep}digest=$2"
}
push_blob "$CF" "$CD"; push_blob "$LF" "$LD"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
  "$CD" "$CS" "$LD" "$LS" > "$WORK/manifest.json"
curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/manifest.json" \
  "http://127.0.0.1:$PPORT/v2/bench/layer/manifests/v1"
rm -f "$LF"
curl -fs -o /dev/null "http://127.0.0.1:$PPORT/v2/bench/layer/blobs/$LD" # warm-up: page cache
GET_BEST=0; L0=$(load)
for _ in 1 2 3; do
  sp=$(/usr/bin/time -o "$WORK/curl.cpu" -f '%U %S' curl -fs -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$PPORT/v2/bench/layer/blobs/$LD")
  GET_BEST=$(awk -v a="$GET_BEST" -v b="$sp" 'BEGIN{print (b>a)?b:a}')
done
CURL_CPU=$(awk '{printf "%.0f", ($1+$2)*1000}' "$WORK/curl.cpu")
# The same bytes through what a sync must do, by standard tools: GET, SHA-256, write to a file on
# the data disk, fsync; the pipeline's stages run at once on different cores (best of 3, seconds).
FLOOR_BEST=
for _ in 1 2 3; do
  t0=$(now)
  h=$(curl -fs "http://127.0.0.1:$PPORT/v2/bench/layer/blobs/$LD" | tee "$WORK/floor.bin" | sha256sum | cut -d' ' -f1)
  sync "$WORK/floor.bin"
  t=$(secs "$t0" "$(now)")
  [[ sha256:$h == "$LD" ]] || { echo "sync.sh: the pipeline's hash differs" >&2; exit 1; }
  rm -f "$WORK/floor.bin"
  FLOOR_BEST=$(awk -v a="$FLOOR_BEST" -v b="$t" 'BEGIN{print (a=="" || b<a)?b:a}')
done
FLOOR_MIBS=$(awk -v s="$((LAYER * 1024 * 1024))" -v t="$FLOOR_BEST" 'BEGIN{printf "%.0f", s/1048576/t}')
GET_MIBS=$(awk -v b="$GET_BEST" 'BEGIN{printf "%.0f", b/1048576}')
SHA=$(openssl speed -seconds 2 -bytes 16384 sha256 2>/dev/null | awk '/^sha256/{print $NF}' | sed 's/k$//')
SHA_MIBS=$(awk -v k="$SHA" 'BEGIN{printf "%.0f", k*1000/1048576}')
LPORT=$(port)
printf 'parent: {endpoint: "http://127.0.0.1:%s"}\nsync: {repositories: ["bench/layer"], schedule: \"0 0 1 1 *\"}\n' "$PPORT" > "$WORK/layer.yaml"
L1=$(load)
start_ours layer "$LPORT" "$WORK/layer.yaml" "${CHILD_OPTS:-}"
LPID=${PIDS[-1]}
cpu_ms() { awk '{print ($14+$15)*10}' "/proc/$1/stat"; }
C0=$(cpu_ms "$LPID")
S=$(wait_synced "$LPORT")
C1=$(cpu_ms "$LPID")
HWM=$(awk '/^VmHWM/{printf "%.0f", $2/1024}' "/proc/$LPID/status")
# CPU by thread kind (digits folded: all event loops together, all storage workers together)
THREADS=$(for t in /proc/"$LPID"/task/*; do echo "$(tr -d ' ' < "$t/comm" | tr -d '0-9') $(awk '{print ($14+$15)*10}' "$t/stat")"; done |
  awk '{c[$1]+=$2} END{for(k in c) if(c[k]>=50) printf "%s %d\n", k, c[k]}' | sort -k2 -nr | head -8 | awk '{printf "%s%s %s ms", (NR>1?", ":""), $1, $2}')
[[ $(jq -r .syncState <<<"$S") == Succeeded ]] || { echo "layer sync failed: $S" >&2; exit 1; }
LMS=$(jq -r '.lastCycle.durationMillis' <<<"$S")
SYNC_MIBS=$(awk -v s="$LS" -v ms="$LMS" 'BEGIN{printf "%.0f", s/1048576/(ms/1000)}')
got=$(curl -fs "http://127.0.0.1:$LPORT/v2/bench/layer/blobs/$LD" | sha256sum | cut -d' ' -f1)
[[ sha256:$got == "$LD" ]] || { echo "sync.sh: the synced layer differs" >&2; exit 1; }
# The child is done: stopped, so that its JIT compiler finishing its queue takes no CPU from the floor.
kill "$LPID"; wait "$LPID" 2>/dev/null || true
echo "== floor: bench/floor/FloorBlob.java" >&2
mkdir -p "$WORK/floorblob-classes"
javac -nowarn -d "$WORK/floorblob-classes" "$HERE/floor/FloorBlob.java" 2> "$WORK/floorblob-javac.log" ||
  { cat "$WORK/floorblob-javac.log" >&2; echo "sync.sh: FloorBlob does not compile" >&2; exit 1; }
floor_blob() { # mode -> sets FB_FIRST FB_BEST (MiB/s) FB_CPU (ms for the 3 runs, JVM start included) FB_LOAD
  FB_LOAD=$(load)
  # shellcheck disable=SC2086
  /usr/bin/time -o "$WORK/floorblob.cpu" -f '%U %S' java $JAVA_OPTS -cp "$WORK/floorblob-classes" FloorBlob \
    "http://127.0.0.1:$PPORT/v2/bench/layer/blobs/$LD" "$LD" "$WORK/floorblob-$1" "$1" 3 > "$WORK/floorblob-$1.log" 2>&1 ||
    { cat "$WORK/floorblob-$1.log" >&2; echo "sync.sh: FloorBlob $1 failed" >&2; exit 1; }
  [[ $(grep -c "^done mode=$1 .* bytes=$LS\$" "$WORK/floorblob-$1.log") == 3 ]] || { cat "$WORK/floorblob-$1.log" >&2; echo "sync.sh: FloorBlob $1 printed no result" >&2; exit 1; }
  FB_FIRST=$(awk -v s="$LS" -F'ms=| bytes' '/ run=1 /{printf "%.0f", s/1048576/($2/1000)}' "$WORK/floorblob-$1.log")
  FB_BEST=$(awk -v s="$LS" -F'ms=| bytes' '{if (b=="" || $2<b) b=$2} END{printf "%.0f", s/1048576/(b/1000)}' "$WORK/floorblob-$1.log")
  FB_CPU=$(awk '{printf "%.0f", ($1+$2)*1000}' "$WORK/floorblob.cpu")
}
floor_blob buffered; FBB_FIRST=$FB_FIRST FBB_BEST=$FB_BEST FBB_CPU=$FB_CPU FBB_LOAD=$FB_LOAD
floor_blob direct; FBD_FIRST=$FB_FIRST FBD_BEST=$FB_BEST FBD_CPU=$FB_CPU FBD_LOAD=$FB_LOAD
say 'one %s MiB layer from a feed parent (ours)' "$LAYER"
say '  curl GET of the blob (best of 3, warm):  %6s MiB/s   load %s' "$GET_MIBS" "$L0"
say '  curl | tee file | sha256sum; sync file:  %6s MiB/s (best of 3, %s s)   ratio to GET %s: the pipeline floor' "$FLOOR_MIBS" "$FLOOR_BEST" "$(ratio "$FLOOR_MIBS" "$GET_MIBS")"
say '  sync of the image (cycle, from status):  %6s MiB/s (%s ms)   load %s   ratio to GET %s, to the pipeline floor %s' "$SYNC_MIBS" "$LMS" "$L1" "$(ratio "$SYNC_MIBS" "$GET_MIBS")" "$(ratio "$SYNC_MIBS" "$FLOOR_MIBS")"
say '  CPU: the child used %s ms of CPU from ready to synced (all threads, JVM start-up work included); curl used %s ms for one GET' "$((C1 - C0))" "$CURL_CPU"
say '  child CPU by thread since start (JVM start-up included): %s; peak RSS %s MiB' "$THREADS" "$HWM"
say '  floor: FloorBlob.java, page cache + fsync every 16 MiB (our way):  first run (cold JVM) %s MiB/s, best of 3 %s MiB/s   load %s   CPU %s ms for the 3' "$FBB_FIRST" "$FBB_BEST" "$FBB_LOAD" "$FBB_CPU"
say '  floor: FloorBlob.java, O_DIRECT:                                   first run (cold JVM) %s MiB/s, best of 3 %s MiB/s   load %s   CPU %s ms for the 3' "$FBD_FIRST" "$FBD_BEST" "$FBD_LOAD" "$FBD_CPU"
say '  ours / floor: page cache %s (to its cold run) %s (to its best); O_DIRECT %s %s; the best floor / GET %s' \
  "$(ratio "$SYNC_MIBS" "$FBB_FIRST")" "$(ratio "$SYNC_MIBS" "$FBB_BEST")" "$(ratio "$SYNC_MIBS" "$FBD_FIRST")" "$(ratio "$SYNC_MIBS" "$FBD_BEST")" \
  "$(ratio "$(( FBB_BEST > FBD_BEST ? FBB_BEST : FBD_BEST ))" "$GET_MIBS")"
say '  host: openssl sha256 (16 KiB blocks, one core): %s MiB/s: a verified download cannot beat it' "$SHA_MIBS"
say '  target: sync >= 0.8 x GET, or the limit shown: the floors (the least Java program doing a verified, durable download)'
fi

echo
printf '%s\n' "${OUT[@]}"
