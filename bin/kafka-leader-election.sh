#!/usr/bin/env bash
# kafka-leader-election.sh: elect the preferred (or, unclean, any live) replica as partition leader.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" leader-election "$@"
