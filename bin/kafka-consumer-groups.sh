#!/usr/bin/env bash
# kafka-consumer-groups.sh: list, describe and delete consumer groups; reset and delete their offsets.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" consumer-groups "$@"
