# Sourced by the tests/tools scripts that wait on a program's output:
#   wait_for FILE REGEX   waits (up to 60 s, polling every 0.1 s) until FILE
#                         holds a line matching REGEX, else calls the
#                         script's own `fail`.
wait_for() {
  i=0
  while ! grep -q -E -- "$2" "$1" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 600 ] || fail "timed out waiting for '$2' in $1"
    sleep 0.1
  done
}
