#!/usr/bin/env bash
# Starts a Samsa broker: kafka-server-start.sh [-daemon] server.properties [--override property=value]*
# In the foreground by default; with -daemon in the background, output in logs/samsaServer.out.
set -euo pipefail
base_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*"
  exit 1
fi

# The project's pinned Node when present, else node on PATH.
node="$base_dir/node_modules/.bin/node"
[ -x "$node" ] || node=$(command -v node || true)
if [ -z "$node" ]; then
  echo "Samsa needs Node.js >= 22.12: run 'npm ci' in $base_dir, or install Node.js." >&2
  exit 1
fi

# Logger levels: a log4j properties file, named the way Kafka's scripts name it. Samsa's own
# SAMSA_LOG_FORMAT=json (JSON lines) and SAMSA_LOG_LEVEL (root level) pass through the environment.
if [ -z "${KAFKA_LOG4J_OPTS:-}" ] && [ -f "$base_dir/config/log4j.properties" ]; then
  export KAFKA_LOG4J_OPTS="-Dlog4j.configuration=\"file:$base_dir/config/log4j.properties\""
fi

# V8 options of the broker process (as Kafka's KAFKA_HEAP_OPTS): a small young generation, which
# V8 would otherwise size from the machine's memory (see src/broker/node-flags.ts).
# SAMSA_NODE_OPTS replaces them.
read -r -a node_opts <<<"${SAMSA_NODE_OPTS---max-semi-space-size=4 --heap-growing-percent=200}"

# Node's compile cache for src/broker/main.ts itself too (main.ts turns it on for what it imports):
# a TypeScript file that misses the cache makes Node load its type stripper, ~4 MB of heap and
# ~6 MB of WebAssembly memory kept for the life of the process. main.ts's default directory.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-${TMPDIR:-/tmp}/node-compile-cache}"

daemon=0
args=()
for a in "$@"; do
  if [ "$a" = "-daemon" ] || [ "$a" = "--daemon" ]; then daemon=1; else args+=("$a"); fi
done

if [ "$daemon" = 1 ]; then
  log_dir=${LOG_DIR:-"$base_dir/logs"}
  mkdir -p "$log_dir"
  nohup "$node" ${node_opts[@]+"${node_opts[@]}"} "$base_dir/src/broker/main.ts" "${args[@]}" >"$log_dir/samsaServer.out" 2>&1 </dev/null &
  exit 0
fi
exec "$node" ${node_opts[@]+"${node_opts[@]}"} "$base_dir/src/broker/main.ts" "${args[@]}"
