#!/usr/bin/env bash
# bench/seeded-start.sh - starts the registry the way every start after the second one starts: its
# data folder already holds the class archive (DATA/jvm, launcher.ClassArchive) that the second
# start made from the first one's class list. bench/memory.sh (setting `restart`) runs it as
# OURS_CMD, with SEED set to the jvm/ folder of a registry that served the benchmark once, was
# stopped, started again and stopped; run.sh sets PORT, DATA, JAR.
set -euo pipefail
mkdir -p "$DATA/jvm"
cp -p "$SEED"/* "$DATA/jvm/"
exec java -jar "$JAR" --listen "127.0.0.1:$PORT" --data "$DATA"
