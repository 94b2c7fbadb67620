#!/usr/bin/env bash
# kafka-share-groups.sh: list and describe share groups (KIP-932).
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" share-groups "$@"
