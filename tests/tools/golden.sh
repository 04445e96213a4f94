#!/bin/sh
# golden.sh OUT GOLDEN PROGRAM [ARGS...]: runs PROGRAM with ARGS, keeps its
# standard output in OUT, and passes if it exited 0 and OUT equals the file
# GOLDEN (the difference is printed otherwise).
set -u
out=$1
golden=$2
shift 2
"$@" >"$out" || { echo "FAIL: exit code $? from: $*"; exit 1; }
diff -u "$golden" "$out"
