#!/usr/bin/env bash
# Runs one of Samsa's tools: samsa-run.sh <tool> [options]. The Kafka-named scripts beside this one
# call it (as Kafka's call kafka-run-class.sh). It uses the project's pinned Node
# (node_modules/.bin/node) when present, else node on PATH.
base_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
node="$base_dir/node_modules/.bin/node"
[ -x "$node" ] || node=$(command -v node || true)
if [ -z "$node" ]; then
  echo "Samsa needs Node.js >= 22.12: run 'npm ci' in $base_dir, or install Node.js." >&2
  exit 1
fi
exec "$node" "$base_dir/bin/samsa.js" "$@"
