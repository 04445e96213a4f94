#!/bin/sh
# ticker_client.sh PROGRAM LOG: the ticker_client example runs for 2 s of
# real time on a new LOG, exits 0 and says how many events the log holds.
set -u
rm -rf "$2"
out=$("$1" "$2" 2) || { echo "$out"; echo "FAIL: exit code $?"; exit 1; }
echo "$out"
echo "$out" | grep -q 'the log now holds'
