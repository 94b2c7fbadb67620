#!/usr/bin/env bash
# zookeeper-server-stop.sh: stop the running Apache ZooKeeper server.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" zookeeper-server-stop "$@"
