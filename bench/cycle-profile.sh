#!/usr/bin/env bash
# bench/cycle-profile.sh - where an empty child's first sync cycle spends its CPU (issue #13, 6b).
#
# Seeds a parent (this project, on loopback) with bench/sync.sh's mirror content (20 repositories x
# 3 tags: a 4 MiB base layer per repository + 512 KiB per tag), then, RUNS times, starts an empty
# child, records it with `perf record` from ready to the end of its first cycle, writes the JIT's
# symbol map (jcmd Compiler.perfmap) and prints the child's CPU samples by kind: the bytecode
# interpreter, code the JIT compiled, the JIT compiler threads, class loading and linking, GC,
# the rest of the JVM, the kernel, native libraries. Needs perf (linux-perf) and jcmd.
#
# usage: bench/cycle-profile.sh [-n RUNS] [JAR]     (default module/target/connected-registry.jar)
# Environment: JAVA_OPTS (default @module/small-device.jvmopts), SHARED_TOOLS, TMPDIR.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOOLS=${SHARED_TOOLS:-$REPO/../shared/tools}
JAVA_OPTS=${JAVA_OPTS:-@$REPO/module/small-device.jvmopts}
N=1
[[ ${1:-} == -n ]] && { N=$2; shift 2; }
JAR=${1:-$REPO/module/target/connected-registry.jar}
for c in java jcmd perf skopeo curl jq python3; do command -v $c >/dev/null || { echo "cycle-profile.sh: needs $c" >&2; exit 1; }; done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cycle-profile.XXXXXX")
# shellcheck source=bench/mirror-parent.sh
. "$HERE/mirror-parent.sh"
seed_parent "$JAR"

categories() { # perf.data -> one line per kind, share of the child's samples
  perf report -i "$1" --no-children --sort comm,dso,sym --stdio -g none --percent-limit 0 2>/dev/null | python3 -c '
import re, sys, collections
kinds = collections.Counter()
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+(.+?)\s{2,}(\S+(?: tid \d+)?)\s+\[(.)\]\s+(.*)", line)
    if not m:
        continue
    share, comm, dso, sym = float(m.group(1)), m.group(2), m.group(3), m.group(5)
    if "Compiler" in comm:
        k = "JIT compiler threads"
    elif sym.startswith("Interpreter"):
        k = "bytecode interpreter"
    elif "[JIT]" in dso or dso.startswith("perf-"):
        k = "compiled Java code and stubs"
    elif dso == "libjvm.so":
        if re.search(r"ClassFileParser|Verifier|SystemDictionary|ClassLoader|LinkResolver|Symbol|ConstantPool|constantPool|Klass|Rewriter|Metaspace|StackMapTable|Resolve", sym):
            k = "class loading and linking"
        elif re.search(r"GC|Gen|Card|Serial|Tenured|DefNew|oop_|Mark|Scavenge|Space", sym):
            k = "garbage collection"
        else:
            k = "other JVM runtime"
    elif dso == "[kernel.kallsyms]":
        k = "kernel (system calls, network, page faults)"
    else:
        k = "native libraries"
    kinds[k] += share
for k, v in kinds.most_common():
    print("    %5.1f %%  %s" % (v, k))
'
}

echo "JAR=$JAR"; echo "JAVA_OPTS=$JAVA_OPTS; $(nproc) cpus"
for r in $(seq "$N"); do
  d=$(mktemp -d "$WORK/child.XXXX"); p=$(port)
  printf 'parent: {endpoint: "http://127.0.0.1:%s"}\nsync: {repositories: ["bench/sync/*"], schedule: "0 0 1 1 *"}\n' "$PPORT" > "$d/c.yaml"
  # shellcheck disable=SC2086
  java $JAVA_OPTS -XX:+PreserveFramePointer -jar "$JAR" --data "$d/data" --listen "127.0.0.1:$p" --config "$d/c.yaml" \
    --log-level Warning > "$d/log" 2>&1 &
  pid=$!; PIDS+=($pid)
  for _ in $(seq 3000); do curl -fs "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.01; done
  perf record -q -F 1999 -g -p "$pid" -o "$d/perf.data" 2>/dev/null &
  perfpid=$!
  s=
  for _ in $(seq 3000); do
    s=$(curl -fs "http://127.0.0.1:$p/_connected/v1/status" || true)
    [[ $(jq -r '(.syncState == "Succeeded" or .syncState == "Failed") and ((.lastCycle.tagsCopied // 0) > 0)' <<<"${s:-null}") == true ]] && break
    sleep "$POLL"
  done
  kill -INT "$perfpid"; wait "$perfpid" || true
  jcmd "$pid" Compiler.perfmap >/dev/null 2>&1 || true
  echo "run $r: first cycle $(jq -r '"\(.lastCycle.durationMillis) ms, \(.lastCycle.requests) requests"' <<<"$s"), load $(cut -d' ' -f1 /proc/loadavg); the child's CPU samples:"
  categories "$d/perf.data"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "/tmp/perf-$pid.map"; rm -rf "$d"
done
