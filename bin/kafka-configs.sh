#!/usr/bin/env bash
# kafka-configs.sh: describe and alter topic, broker and group configs.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" configs "$@"
