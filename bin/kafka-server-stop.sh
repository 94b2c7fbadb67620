#!/usr/bin/env bash
# Stops running Samsa brokers with SIGTERM (a graceful shutdown), as kafka-server-stop.sh does.
# --process-role and --node-id are accepted like Kafka's; --node-id picks the broker whose
# command line or config names that id.
set -uo pipefail
node_id=""
while [ $# -gt 0 ]; do
  case "$1" in
    --node-id) node_id=${2:-}; shift 2 ;;
    --node-id=*) node_id=${1#--node-id=}; shift ;;
    --process-role) shift 2 ;;
    --process-role=*) shift ;;
    *) echo "USAGE: $0 [--process-role=broker] [--node-id=id]"; exit 1 ;;
  esac
done
pids=$(pgrep -f 'src/broker/main\.ts' || true)
if [ -n "$node_id" ] && [ -n "$pids" ]; then
  keep=""
  for p in $pids; do
    cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null || true)
    cfg=$(echo "$cmd" | awk '{for (i=1;i<=NF;i++) if ($i ~ /\.properties$/) print $i}' | head -n 1)
    if echo "$cmd" | grep -Eq "(node|broker)\.id=$node_id( |$)" ||
      { [ -n "$cfg" ] && grep -Eq "^[[:space:]]*(node|broker)\.id[[:space:]]*[=:][[:space:]]*$node_id[[:space:]]*$" "$cfg" 2>/dev/null; }; then
      keep="$keep $p"
    fi
  done
  pids=$keep
fi
if [ -z "${pids// /}" ]; then
  echo "No kafka server to stop"
  exit 1
fi
kill -s TERM $pids
