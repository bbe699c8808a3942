# bench/mirror-parent.sh - sourced by the sync scripts (sync-pairs.sh, sync-follow.sh,
# cycle-profile.sh): a parent (this project, on loopback) and bench/sync.sh's mirror content.
# Needs WORK, TOOLS and JAVA_OPTS set by the caller. Every process started goes into PIDS, and
# all of them are stopped, and WORK deleted, when the script exits.

# Seconds between two reads of a child's /_connected/v1/status while its cycle runs. The figures
# come from the status itself (lastCycle.durationMillis), so this sets no resolution; but each
# read is a curl and a jq, and at 20 a second they took CPU from the child being measured on a
# 2-CPU machine (first mirror cycles 1,109-1,231 ms at 0.05 s against 1,048-1,137 at 0.3 s,
# alternating, one parent). skopeo, the reference, is timed without any such reader.
POLL=${POLL:-0.25}

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# start_parent JAR: starts the parent on a free port, sets PPORT, waits until it answers.
start_parent() {
  PPORT=$(port)
  # shellcheck disable=SC2086
  java $JAVA_OPTS -jar "$1" --data "$WORK/parent" --listen "127.0.0.1:$PPORT" --log-level Warning > "$WORK/parent.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do curl -fs "http://127.0.0.1:$PPORT/healthz" >/dev/null && break; sleep 0.1; done
}

# seed_parent JAR: the parent started, with the mirror content at bench/sync/*.
seed_parent() {
  start_parent "$1"
  echo "== seeding the parent" >&2
  push_mirror sync bench
}

# push_mirror PREFIX SEED: 20 repositories x 3 tags at bench/PREFIX/rNN:vT, each repository a 4 MiB
# base layer (seeded SEED-rNN) and each tag 512 KiB of its own; the last image stays in $WORK/img.
push_mirror() {
  local r t
  for r in $(seq -w 1 20); do for t in 1 2 3; do
    "$TOOLS/make-image.sh" -q -o "$WORK/img" -t "r$r-v$t" -l "4M@$2-r$r" -l 512K -s "$2-r$r-v$t" >/dev/null
    skopeo copy -q --dest-tls-verify=false oci:"$WORK/img":"r$r-v$t" "docker://127.0.0.1:$PPORT/bench/$1/r$r:v$t"
  done; done
}
