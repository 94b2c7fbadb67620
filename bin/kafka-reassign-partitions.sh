#!/usr/bin/env bash
# kafka-reassign-partitions.sh: generate, execute, verify, cancel and list partition reassignments.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" reassign-partitions "$@"
