#!/bin/sh
# copy_log.sh FROM TO: TO becomes a fresh copy of the log folder FROM (tests
# read a copy, so that the kept log is never touched).
set -eu
rm -rf "$2"
cp -R "$1" "$2"
