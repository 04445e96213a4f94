#!/bin/sh
# fails_without_a_log.sh LOG CODE REGEX PROGRAM [ARGS...]: as fails.sh, and
# LOG must not exist afterwards (a bad flag leaves no log behind).
set -u
log=$1
shift
rm -rf "$log"
sh "$(dirname "$0")/fails.sh" "$@" || exit 1
[ ! -e "$log" ] || { echo "FAIL: $log was created"; exit 1; }
