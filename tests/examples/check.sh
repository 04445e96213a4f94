#!/usr/bin/env bash
# Runs one example program as a user would, and checks what it printed.
#   check.sh NAME PROGRAM_DIR
# The examples' logs go to a fresh temporary folder, removed afterwards.
set -euo pipefail
name=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
expect() { # expect TEXT FILE
  grep -q -- "$1" "$2" || { echo "expected '$1' in:"; cat "$2"; exit 1; }
}
case $name in
  ticker_client)
    "$bin/ticker_client" "$work/log" 2 >"$work/out"
    expect "the log now holds" "$work/out"
    expect "exchange-api" "$work/out" ;;
  observer)
    "$bin/observer" "$work/log" >"$work/out"
    expect "the observer starts at seq 3" "$work/out"
    expect "call_finished" "$work/out" ;;
  own_plugin)
    "$bin/own_plugin" "$work/log" >"$work/out"
    expect "rebuilt from the log up to seq" "$work/out"
    expect "live, up to seq [0-9]*: busiest is db" "$work/out" ;;
  analyse_log)
    "$bin/own_plugin" "$work/log" >/dev/null
    "$bin/analyse_log" "$work/log" >"$work/out"
    expect "^api  *5 " "$work/out"
    expect "^db  *8 " "$work/out"
    # A missing log is an error, not an empty table.
    if "$bin/analyse_log" "$work/none" 2>"$work/err"; then exit 1; fi
    expect "not_found" "$work/err" ;;
  simulated_test)
    "$bin/simulated_test" --log_level=message ;;
  *)
    echo "check.sh: no check for '$name'" >&2
    exit 2 ;;
esac
