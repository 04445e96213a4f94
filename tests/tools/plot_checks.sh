#!/bin/sh
# plot_checks.sh CHECK TIMECONTROL LOG SVG [GOLDEN [PLOT ARGS...]]: one check
# of `timecontrol plot`, on a test log. Well-formedness is checked with
# xmllint (libxml2-utils).
#   golden      run from the log's folder (so that the title names the log
#               the same way wherever the build is), with the PLOT ARGS:
#               SVG equals GOLDEN
#   lanes       a well-formed SVG with a lane per command
#   escaped     names holding markup are escaped
#   empty       no matching events: an SVG that says so
#   no-partial  a corrupt record: exit 4 and no SVG (nor its temporary file)
#   kept        a corrupt record: exit 4 and an existing SVG kept as it was
set -u
check=$1
tool=$2
log=$3
svg=$4
fail() { echo "FAIL: $*"; exit 1; }
case $check in
golden)
  golden=$5
  shift 5
  (cd "$(dirname "$log")" && "$tool" plot "$(basename "$log")" -o "$svg" "$@") ||
    fail "plot exited with $?"
  diff -u "$golden" "$svg" ;;
lanes)
  "$tool" plot "$log" -o "$svg" && xmllint --noout "$svg" || fail "no SVG"
  for lane in api poller scheduler; do
    grep -q ">$lane</tspan>" "$svg" || fail "no lane $lane"
  done ;;
escaped)
  "$tool" plot "$log" -o "$svg" && xmllint --noout "$svg" || fail "no SVG"
  grep -q -E 'api&lt.v2&gt.&amp.&quot.beta&quot.' "$svg" || fail "markup"
  grep -q 'sched]]&gt' "$svg" || fail "]]>"
  ! grep -q 'api<v2' "$svg" || fail "a raw <" ;;
empty)
  "$tool" plot "$log" --source nobody -o "$svg" && xmllint --noout "$svg" ||
    fail "no SVG"
  grep -q 'no events match the filters' "$svg" || fail "not said" ;;
no-partial)
  rm -f "$svg"
  "$tool" plot "$log" -o "$svg"
  rc=$?
  [ $rc -eq 4 ] || fail "exit code $rc"
  [ ! -e "$svg" ] && [ ! -e "$svg.tmp" ] || fail "a file was left" ;;
kept)
  echo keep >"$svg"
  "$tool" plot "$log" -o "$svg"
  rc=$?
  [ $rc -eq 4 ] || fail "exit code $rc"
  grep -q -x keep "$svg" || fail "the file was changed" ;;
*)
  fail "unknown check $check" ;;
esac
