#!/bin/sh
# export_to_file.sh TIMECONTROL LOG FILE GOLDEN: `export LOG --format csv -o
# FILE` prints nothing and writes FILE equal to GOLDEN.
set -u
out=$("$1" export "$2" --format csv -o "$3") || { echo "FAIL: exit code $?"; exit 1; }
[ -z "$out" ] || { echo "$out"; echo "FAIL: printed to standard output"; exit 1; }
diff -u "$4" "$3"
