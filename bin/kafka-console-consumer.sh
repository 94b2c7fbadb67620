#!/usr/bin/env bash
# kafka-console-consumer.sh: print records of topics to standard output.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" console-consumer "$@"
