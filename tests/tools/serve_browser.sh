#!/bin/sh
# serve_browser.sh TIMECONTROL APPEND_TEST_LOG DIR: the dashboard in a real
# browser, headless Chromium driven over WebDriver (chromedriver, with curl):
# the page renders the log's state from the server's events and updates
# itself while a second process appends to the log. The test waits until
# the page has had at least two updates and shows a last seq past the first
# 5 events and the command's row, then leaves a screenshot in
# DIR/dashboard.png for people to look at.
#
# Exit code 77 (ctest: skipped) without chromedriver and Chromium
# (scripts/install-deps.sh --tests installs them), or when the browser does
# not start on the machine (printed).

set -u
tool=$1
append=$2
dir=$3
command -v chromedriver >/dev/null || { echo "skipped: no chromedriver"; exit 77; }

rm -rf "$dir"
mkdir -p "$dir/tmp" "$dir/home"
log=$dir/log
out=$dir/out
TMPDIR=$dir/tmp
HOME=$dir/home
export TMPDIR HOME
pid=
driver_pid=
session=

fail() {
  echo "FAIL: $*"
  echo "--- serve's output:"
  cat "$out"
  [ -n "$session" ] && curl -s -X DELETE "$driver/session/$session" >/dev/null
  [ -n "$driver_pid" ] && kill "$driver_pid" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  exit 1
}

. "$(dirname "$0")/wait_for.sh"

# webdriver METHOD PATH [JSON]: the response body.
webdriver() {
  if [ $# -ge 3 ]; then
    curl -s -X "$1" -H 'Content-Type: application/json' -d "$3" "$driver$2"
  else
    curl -s -X "$1" "$driver$2"
  fi
}

"$append" "$log" 5 || fail "cannot make the log"
"$tool" serve "$log" --http 127.0.0.1:0 --poll 20ms >"$out" 2>&1 &
pid=$!
wait_for "$out" '^serving http://'
url=$(sed -n 's/^serving \(http:[^ ]*\) for .*/\1/p' "$out")

chromedriver --port=0 >"$dir/driver.out" 2>&1 &
driver_pid=$!
wait_for "$dir/driver.out" 'started successfully on port [0-9]+'
driver=http://127.0.0.1:$(sed -n 's/.*started successfully on port \([0-9]*\).*/\1/p' \
  "$dir/driver.out")

# --no-sandbox: the tests may run as root (in a container), where
# /dev/shm may be small too (--disable-dev-shm-usage).
caps='{"capabilities":{"alwaysMatch":{"goog:chromeOptions":{"args":
  ["--headless","--no-sandbox","--disable-gpu","--disable-dev-shm-usage",
   "--window-size=1300,1000"]}}}}'
response=$(webdriver POST /session "$caps")
session=$(echo "$response" |
  sed -n 's/.*"sessionId":"\([^"]*\)".*/\1/p')
if [ -z "$session" ]; then
  # The browser does not start on this machine: not the page's fault.
  echo "skipped: the browser did not start: $response"
  kill "$driver_pid" "$pid" 2>/dev/null
  exit 77
fi
webdriver POST "/session/$session/url" "{\"url\":\"$url\"}" >/dev/null

# Appends one event every 0.1 s until the page has shown two updates with
# a seq past 5 (at most 60 s).
read_page='{"script":"return document.getElementById(\"updates\").textContent + \" \" + document.getElementById(\"seq\").textContent + \" \" + document.querySelectorAll(\"#commands tbody td\").length","args":[]}'
i=0
while :; do
  shown=$(webdriver POST "/session/$session/execute/sync" "$read_page" |
    sed -n 's/.*"value":"\([^"]*\)".*/\1/p')
  set -- $shown
  if [ $# -eq 3 ] && [ "$1" -ge 2 ] && [ "$2" -gt 5 ] && [ "$3" -gt 0 ]; then
    break
  fi
  i=$((i + 1))
  [ $i -le 600 ] || fail "the page shows '$shown' (updates, seq, cells)"
  "$append" "$log" 1 || fail "the appender failed"
  sleep 0.1
done
rows=$(webdriver POST "/session/$session/execute/sync" \
  '{"script":"return document.querySelector(\"#commands tbody\").textContent","args":[]}')
echo "$rows" | grep -q 'api' || fail "no row of the command api: $rows"

webdriver GET "/session/$session/screenshot" |
  sed -n 's/.*"value":"\([^"]*\)".*/\1/p' | base64 -d >"$dir/dashboard.png" ||
  fail "no screenshot"
[ -s "$dir/dashboard.png" ] || fail "an empty screenshot"
webdriver DELETE "/session/$session" >/dev/null
session=
kill "$driver_pid"
driver_pid=

kill -TERM $pid
wait $pid
rc=$?
pid=
[ $rc -eq 0 ] || fail "exit code $rc after SIGTERM"
echo "ok: the page showed '$shown' (updates, seq, cells); $dir/dashboard.png"
