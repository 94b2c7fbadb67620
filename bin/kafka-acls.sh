#!/usr/bin/env bash
# kafka-acls.sh: add, remove and list ACLs.
exec "$(dirname "${BASH_SOURCE[0]}")/samsa-run.sh" acls "$@"
