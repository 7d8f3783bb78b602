#!/usr/bin/env bash
# Run the tests marked `dated` at every moment of tests/moments.py, two moments at a time, on SQLite
# (BANK_TAX_TEST_MOMENT moves the platform's clock; see tests/conftest.py). Prints one line per moment;
# on a failure, that moment's whole output, and exits non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."
export BIN="${BIN:-.venv/bin}"
LOGS=$(mktemp -d /tmp/bank-tax-moments.XXXXXX)
export LOGS

one() {
  local moment=$1 log
  log="$LOGS/$(echo "$moment" | tr ':+' '__').log"
  if BANK_TAX_TEST_MOMENT="$moment" "$BIN/pytest" -q -m dated > "$log" 2>&1; then
    echo "ok    $moment  $(tail -n 1 "$log")"
  else
    echo "FAIL  $moment  $(tail -n 1 "$log")"
    cat "$log" >&2
    return 1
  fi
}
export -f one

"$BIN/python" -m tests.moments | xargs -P "${MOMENT_JOBS:-2}" -I{} bash -c 'one "$1"' _ {}
status=$?
rm -rf "$LOGS"
exit $status
