#!/usr/bin/env bash
# zookeeper-server-start.sh: run Apache ZooKeeper with a zookeeper.properties file (not needed for one broker).
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" zookeeper-server-start "$@"
