#!/usr/bin/env bash
# kafka-topic.sh: the spelling the quickstart guide our users follow uses in two places; it is
# kafka-topics.sh, run with a one-line note so the right name is learnt.
echo "Note: kafka-topic.sh is kafka-topics.sh (plural); running kafka-topics.sh." >&2
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" topics "$@"
