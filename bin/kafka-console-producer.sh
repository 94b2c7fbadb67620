#!/usr/bin/env bash
# kafka-console-producer.sh: publish lines of standard input to a topic.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" console-producer "$@"
