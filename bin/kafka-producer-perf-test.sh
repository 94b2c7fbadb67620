#!/usr/bin/env bash
# kafka-producer-perf-test.sh: measure producer throughput and latency.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" producer-perf-test "$@"
