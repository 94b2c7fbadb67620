#!/usr/bin/env bash
# kafka-transactions.sh: list and describe transactions.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" transactions "$@"
