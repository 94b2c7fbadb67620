#!/usr/bin/env bash
# kafka-get-offsets.sh: print partition offsets (earliest, latest, by timestamp).
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" get-offsets "$@"
