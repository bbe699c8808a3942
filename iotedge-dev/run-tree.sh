#!/usr/bin/env bash
# Runs a three-level tree of registries on this machine, wired as on nested IoT Edge devices,
# with the iotedge-dev stand-in in place of edgeHub and the workload API:
#
#   root    a plain connected-registry (ReadWrite, no parent)              127.0.0.1:$ROOT_PORT
#   top     IoT Edge module top-device/registry, parent = root             127.0.0.1:$TOP_PORT
#   nested  IoT Edge module nested-device/registry, parent = $upstream:$TOP_PORT,
#           resolved through IOTEDGE_PARENTHOSTNAME=127.0.0.1             127.0.0.1:$NESTED_PORT
#
# Each gets its own data folder under a temporary folder; Ctrl-C stops everything.
# Settings (environment): ROOT_PORT (5100) TOP_PORT (5101) NESTED_PORT (5102) TOP_MODE (ReadWrite|ReadOnly),
# NESTED_PARENT ($upstream:$TOP_PORT; 127.0.0.1:$TOP_PORT for a module build without $upstream),
# CONTROL_FILE (the stand-in's control file; default ~/.iotedge-dev/control.json),
# REGISTRY_JAR, IOTEDGE_DEV_JAR, WORK (the folder; default a new one under $TMPDIR), KEEP_WORK=1 to keep it.
# Build first: mvn -B -q install -DskipTests   (at the top of the repository)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
REGISTRY_JAR=${REGISTRY_JAR:-$here/../module/target/connected-registry.jar}
IOTEDGE_DEV_JAR=${IOTEDGE_DEV_JAR:-$here/target/iotedge-dev.jar}
ROOT_PORT=${ROOT_PORT:-5100}
TOP_PORT=${TOP_PORT:-5101}
NESTED_PORT=${NESTED_PORT:-5102}
TOP_MODE=${TOP_MODE:-ReadWrite}
# what the nested module's connection string names as its parent ($upstream is resolved by the module)
NESTED_PARENT=${NESTED_PARENT:-\$upstream:$TOP_PORT}
HUB_NAME=standin-hub.azure-devices.net
ctl=()
ctl_text=""
if [[ -n ${CONTROL_FILE:-} ]]; then
  ctl=(--control-file "$CONTROL_FILE")
  ctl_text=" --control-file $CONTROL_FILE"
fi

die() { echo "run-tree: $*" >&2; exit 1; }

for jar in "$REGISTRY_JAR" "$IOTEDGE_DEV_JAR"; do
  [[ -f $jar ]] || die "$jar is missing: run 'mvn -B -q install -DskipTests' at the top of the repository"
done
case $TOP_MODE in ReadWrite|ReadOnly) ;; *) die "TOP_MODE must be ReadWrite or ReadOnly" ;; esac
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in 8883 "$ROOT_PORT" "$TOP_PORT" "$NESTED_PORT"; do
  port_taken "$p" && die "127.0.0.1:$p is in use (8883: another edgeHub or stand-in; else set ROOT_PORT/TOP_PORT/NESTED_PORT)"
done

WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/iotedge-tree.XXXXXX")}
mkdir -p "$WORK"
pids=()
names=()
failed=0

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "run-tree: stopping"
  local i
  for ((i=${#pids[@]}-1; i>=0; i--)); do   # children first, the stand-in last
    kill "${pids[$i]}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ $failed == 0 && ${KEEP_WORK:-0} != 1 ]]; then
    rm -rf "$WORK"
  else
    echo "run-tree: logs and data kept in $WORK"
  fi
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

# start NAME COMMAND...: in the background, output to $WORK/NAME.log
start() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  pids+=("$!")
  names+=("$name")
}

# wait_for NAME PID CHECK...: until CHECK succeeds (at most 60 s), or fail if the process died
wait_for() {
  local name=$1 pid=$2; shift 2
  local i
  for ((i=0; i<120; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      failed=1
      echo "run-tree: $name exited; the end of $WORK/$name.log:" >&2
      tail -n 20 "$WORK/$name.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  failed=1
  die "$name did not come up within 60 s (see $WORK/$name.log)"
}

registry_up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# dev COMMAND ARGS...: a client command of the stand-in's CLI
dev() { local cmd=$1; shift; java -jar "$IOTEDGE_DEV_JAR" "$cmd" "${ctl[@]}" "$@"; }

# 1. the stand-in, with one module identity per edge device
start standin java -jar "$IOTEDGE_DEV_JAR" hub --certs "$WORK/certs" --workload-socket "$WORK/workload.sock" \
  --hub-name "$HUB_NAME" --module top-device/registry --module nested-device/registry --env-dir "$WORK/env" \
  "${ctl[@]}"
wait_for standin "${pids[0]}" test -f "$WORK/env/nested-device.registry.env"

# 2. the desired properties a deployment manifest would set, read by each module when it starts
dev desired --device top-device --module registry \
  --patch "{\"mode\":\"$TOP_MODE\",\"sync\":{\"repositories\":[\"*\"],\"schedule\":\"* * * * *\"}}" >/dev/null
dev desired --device nested-device --module registry \
  --patch '{"mode":"ReadOnly","sync":{"repositories":["*"],"schedule":"* * * * *"}}' >/dev/null

# 3. sync tokens: top's on root, nested's on top (made on the data folders before they start)
password_of() { sed -n 's/.*"password" *: *"\([^"]*\)".*/\1/p'; }
top_actions="content/read metadata/read"
[[ $TOP_MODE == ReadWrite ]] && top_actions="content/read content/write metadata/read metadata/write"
# shellcheck disable=SC2086
top_password=$(java -jar "$REGISTRY_JAR" token create --data "$WORK/root" --name top-sync \
  --repository '*' $top_actions | password_of)
nested_password=$(java -jar "$REGISTRY_JAR" token create --data "$WORK/top" --name nested-sync \
  --repository '*' content/read metadata/read | password_of)
[[ -n $top_password && -n $nested_password ]] || die "could not create the sync tokens"

# 4. root: a plain registry, no IoT Edge
start root java -jar "$REGISTRY_JAR" --listen "127.0.0.1:$ROOT_PORT" --data "$WORK/root" --mode ReadWrite
wait_for root "${pids[1]}" registry_up "$ROOT_PORT"

# run_module NAME ENV_FILE PORT DATA CONNECTION_STRING [VAR=VALUE...]: an IoT Edge module process
# with the stand-in's environment for its device, its sync token in ACR_REGISTRY_CONNECTION_STRING
run_module() {
  local name=$1 env_file=$2 port=$3 data=$4 connection=$5
  shift 5
  start "$name" env "$@" "ACR_REGISTRY_CONNECTION_STRING=$connection" \
    bash -c 'set -a; . "$1"; set +a; exec java -jar "$2" --listen "127.0.0.1:$3" --data "$4"' \
    _ "$env_file" "$REGISTRY_JAR" "$port" "$data"
}

# 5. top: an IoT Edge module (workload API path), parent = root
run_module top "$WORK/env/top-device.registry.env" "$TOP_PORT" "$WORK/top" \
  "ConnectedRegistryName=top;SyncTokenName=top-sync;SyncTokenPassword=$top_password;ParentGatewayEndpoint=127.0.0.1:$ROOT_PORT;ParentEndpointProtocol=http"
wait_for top "${pids[2]}" registry_up "$TOP_PORT"

# 6. nested: an IoT Edge module on a lower-layer device, parent = $upstream:TOP_PORT, which the
#    module resolves to IOTEDGE_PARENTHOSTNAME (the API proxy's host on a real nested device)
run_module nested "$WORK/env/nested-device.registry.env" "$NESTED_PORT" "$WORK/nested" \
  "ConnectedRegistryName=nested;SyncTokenName=nested-sync;SyncTokenPassword=$nested_password;ParentGatewayEndpoint=$NESTED_PARENT;ParentEndpointProtocol=http" \
  IOTEDGE_PARENTHOSTNAME=127.0.0.1
wait_for nested "${pids[3]}" registry_up "$NESTED_PORT"

dev_cmd="java -jar $IOTEDGE_DEV_JAR"
cat <<INFO

run-tree: all running (work folder $WORK, logs *.log there)

  root    http://127.0.0.1:$ROOT_PORT    plain registry, ReadWrite: push here
  top     http://127.0.0.1:$TOP_PORT    IoT Edge module top-device/registry ($TOP_MODE), parent root
  nested  http://127.0.0.1:$NESTED_PORT    IoT Edge module nested-device/registry (ReadOnly), parent $NESTED_PARENT

  push an image to the root, pull it from the nested one after a sync cycle:
    skopeo copy --dest-tls-verify=false oci-archive:image.tar docker://127.0.0.1:$ROOT_PORT/demo/hello:1
    skopeo inspect --tls-verify=false docker://127.0.0.1:$NESTED_PORT/demo/hello:1

  the twins and direct methods, through the stand-in:
    $dev_cmd twin$ctl_text --device top-device --module registry
    $dev_cmd desired$ctl_text --device nested-device --module registry --patch '{"sync":{"schedule":"*/5 * * * *"}}'
    $dev_cmd invoke$ctl_text --device nested-device --module registry --method syncNow
    $dev_cmd invoke$ctl_text --device top-device --module registry --method getStatus
    $dev_cmd drop$ctl_text        # every module loses its edgeHub connection and reconnects

Ctrl-C stops everything.
INFO

# until Ctrl-C, or until a process dies
while true; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      failed=1
      echo "run-tree: ${names[$i]} exited; the end of $WORK/${names[$i]}.log:" >&2
      tail -n 20 "$WORK/${names[$i]}.log" >&2
      exit 1
    fi
  done
  sleep 2
done
