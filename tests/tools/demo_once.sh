#!/bin/sh
# demo_once.sh TIMECONTROL LOG: `timecontrol demo` for 3 s on LOG prints no
# terminal escape codes when its output is not a terminal, and the log it
# wrote verifies.
set -u
out=$("$1" demo --db "$2" --duration 3 2>&1) || { echo "$out"; echo "FAIL: demo exited with $?"; exit 1; }
echo "$out"
esc=$(printf '\033')
if echo "$out" | grep -q "$esc"; then
  echo "FAIL: escape codes in the output"
  exit 1
fi
"$1" verify "$2"
