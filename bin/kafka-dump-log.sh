#!/usr/bin/env bash
# kafka-dump-log.sh: print log segment and index files (offline).
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" dump-log "$@"
