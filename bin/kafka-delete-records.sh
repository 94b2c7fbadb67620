#!/usr/bin/env bash
# kafka-delete-records.sh: delete records of partitions up to given offsets.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" delete-records "$@"
