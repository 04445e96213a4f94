#!/bin/sh
# serve.sh TIMECONTROL APPEND_TEST_LOG DIR MAKE_TEST_LOG: `timecontrol serve`
# over HTTP, on a log that a second process (append_test_log) writes while
# it serves.
#
#   /              200, text/html, the page with nothing loaded from
#                  elsewhere (no http:// or https:// reference)
#   /metrics       200, Prometheus' text format 0.0.4, accepted by
#                  `promtool check metrics` (when promtool is installed:
#                  scripts/install-deps.sh --tests installs it), with the
#                  log's counts
#   /api/state     200, application/json, the log's last seq
#   /api/events    server-sent events: a state at once, and a new one after
#                  events are appended, with the new last seq
#   a client that goes away mid-stream leaves the server serving
#   other paths 404, other methods 405 with Allow
#   SIGTERM ends it with exit code 0, its temporary folder removed, also
#   while a client trickles a request
#   names with bytes that are not UTF-8: valid metrics and JSON
#   the log removed while served: exit code 3
#
# Exit code 77 (ctest: skipped) without curl (scripts/install-deps.sh
# --tests installs it).
#
# Waits poll with generous time limits; no pass or fail depends on a fixed
# sleep. Prints what it saw and exits non-zero on failure.

set -u
command -v curl >/dev/null || { echo "skipped: no curl"; exit 77; }
tool=$1
append=$2
dir=$3
odd=$4

rm -rf "$dir"
mkdir -p "$dir/tmp"
log=$dir/log
out=$dir/out
TMPDIR=$dir/tmp
export TMPDIR
pid=

fail() {
  echo "FAIL: $*"
  echo "--- serve's output:"
  cat "$out"
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  exit 1
}

. "$(dirname "$0")/wait_for.sh"

"$append" "$log" 5 || fail "cannot make the log"
"$tool" serve "$log" --http 127.0.0.1:0 --poll 20ms >"$out" 2>&1 &
pid=$!
wait_for "$out" "^serving http://127.0.0.1:[0-9]+/ for "
url=$(sed -n 's/^serving \(http:[^ ]*\) for .*/\1/p' "$out")

# GET URL: the headers to $dir/headers, the body to $dir/body; the status.
get() {
  curl -s -o "$dir/body" -D "$dir/headers" -w '%{http_code}' "$@"
}

[ "$(get "$url")" = 200 ] || fail "/ is not 200"
grep -qi '^content-type: text/html' "$dir/headers" || fail "/ is not html"
grep -q '<title>timecontrol</title>' "$dir/body" || fail "/ is not the page"
! grep -q -E 'https?://' "$dir/body" || fail "the page loads from elsewhere"

[ "$(get "${url}metrics")" = 200 ] || fail "/metrics is not 200"
grep -qi '^content-type: text/plain; version=0.0.4' "$dir/headers" ||
  fail "/metrics is not the text format 0.0.4"
# append_test_log's events are call_requested and call_started of "api"
# and "feed": the log's seq and events, and no admission.
grep -q '^timecontrol_log_last_seq 5$' "$dir/body" ||
  fail "/metrics: no last seq 5"
grep -q '^timecontrol_log_events_total 5$' "$dir/body" ||
  fail "/metrics: no 5 events"
if command -v promtool >/dev/null; then
  promtool check metrics <"$dir/body" >"$dir/promtool" 2>&1 ||
    fail "promtool: $(cat "$dir/promtool")"
  [ ! -s "$dir/promtool" ] || fail "promtool: $(cat "$dir/promtool")"
else
  echo "note: promtool is not installed; /metrics not checked by it"
fi

[ "$(get "${url}api/state")" = 200 ] || fail "/api/state is not 200"
grep -qi '^content-type: application/json' "$dir/headers" ||
  fail "/api/state is not json"
grep -q '^{"last_seq":5,' "$dir/body" || fail "/api/state: not seq 5"

[ "$(get "${url}nope")" = 404 ] || fail "/nope is not 404"
[ "$(get -d x "${url}api/state")" = 405 ] || fail "POST is not 405"
grep -qi '^allow: GET, HEAD' "$dir/headers" || fail "405 without Allow"

# A client that goes away in the middle of the stream.
curl -s -N --max-time 1 "${url}api/events" >"$dir/gone" 2>/dev/null
grep -q '^event: state' "$dir/gone" || fail "no state event at once"

# Live: a state at once, then one after 7 more events (seq 12).
curl -s -N --max-time 60 "${url}api/events" >"$dir/events" 2>/dev/null &
client=$!
wait_for "$dir/events" '^data: \{"last_seq":5,'
"$append" "$log" 7 || fail "the appender failed"
wait_for "$dir/events" '^data: \{"last_seq":12,'
kill $client 2>/dev/null
wait $client 2>/dev/null

# 32 event streams at once are served, a 33rd is 503, and the other paths
# still answer.
streams=""
n=0
while [ $n -lt 32 ]; do
  curl -s -N --max-time 60 "${url}api/events" >/dev/null 2>&1 &
  streams="$streams $!"
  n=$((n + 1))
done
i=0
until get "${url}metrics" >/dev/null &&
  grep -q '^timecontrol_dashboard_event_streams 32$' "$dir/body"; do
  i=$((i + 1))
  [ $i -le 600 ] || fail "32 streams did not open: $(grep streams "$dir/body")"
  sleep 0.1
done
[ "$(get "${url}api/events")" = 503 ] || fail "a 33rd stream is not 503"
[ "$(get "${url}api/state")" = 200 ] || fail "/api/state with 32 streams open"
kill $streams 2>/dev/null
wait $streams 2>/dev/null

# Still serving after the clients went away.
[ "$(get "${url}api/state")" = 200 ] || fail "not serving after the clients"
grep -q '^{"last_seq":12,' "$dir/body" || fail "/api/state: not seq 12"

# Another server on the same port: exit 3, and this one goes on.
port=$(echo "$url" | sed 's/.*:\([0-9]*\)\/$/\1/')
"$tool" serve "$log" --http "127.0.0.1:$port" >"$dir/second" 2>&1
rc=$?
[ $rc -eq 3 ] || fail "a second server on port $port: exit code $rc, not 3"
grep -q "cannot listen on 127.0.0.1:$port" "$dir/second" ||
  fail "a second server: $(cat "$dir/second")"
# A method HTTP does not have.
code=$(get -X BREW "$url")
[ "$code" = 400 ] || [ "$code" = 405 ] || fail "BREW is $code"
[ "$(get "${url}api/state")" = 200 ] || fail "not serving after BREW"

# A client that trickles a request body (1 byte a second) does not hold up
# the exit: SIGTERM ends it within a few seconds, with exit code 0.
head -c 200 /dev/zero >"$dir/slow-body"
curl -s --limit-rate 1 --max-time 120 --data-binary @"$dir/slow-body" \
  "${url}api/state" >/dev/null 2>&1 &
slow=$!
sleep 1
start=$(date +%s)
kill -TERM $pid
wait $pid
rc=$?
pid=
took=$(($(date +%s) - start))
kill $slow 2>/dev/null
wait $slow 2>/dev/null
[ $rc -eq 0 ] || fail "exit code $rc after SIGTERM"
[ $took -le 5 ] || fail "SIGTERM took $took s with a slow client"

# A log whose names hold a stray byte and a control character: the metrics
# stay valid (promtool) and the JSON parses (no value left out).
"$odd" "$dir/odd" --odd-names || fail "cannot make the odd log"
"$tool" serve "$dir/odd" --http 127.0.0.1:0 >"$out" 2>&1 &
pid=$!
wait_for "$out" "^serving http://127.0.0.1:[0-9]+/ for "
url=$(sed -n 's/^serving \(http:[^ ]*\) for .*/\1/p' "$out")
[ "$(get "${url}metrics")" = 200 ] || fail "odd: /metrics is not 200"
if command -v promtool >/dev/null; then
  promtool check metrics <"$dir/body" >"$dir/promtool" 2>&1 ||
    fail "odd: promtool: $(cat "$dir/promtool")"
fi
grep -q "$(printf '\357\277\275')" "$dir/body" ||
  fail "odd: no U+FFFD in the metrics"
[ "$(get "${url}api/state")" = 200 ] || fail "odd: /api/state is not 200"
! grep -q 'discarded' "$dir/body" || fail "odd: /api/state left events out"

# The log removed while served: exit code 3, and why.
rm -rf "$dir/odd"
wait $pid
rc=$?
pid=
[ $rc -eq 3 ] || fail "exit code $rc after the log was removed, not 3"
grep -q "the log was removed or replaced while served" "$out" ||
  fail "no reason given for the removed log"
[ -z "$(ls "$dir/tmp")" ] || fail "left behind in TMPDIR: $(ls "$dir/tmp")"
echo "ok: served $url"
