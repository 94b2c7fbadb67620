#!/usr/bin/env bash
# kafka-features.sh: describe the cluster's supported and finalized features.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" features "$@"
