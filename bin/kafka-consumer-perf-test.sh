#!/usr/bin/env bash
# kafka-consumer-perf-test.sh: measure consumer throughput.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" consumer-perf-test "$@"
