#!/usr/bin/env bash
# The demo town at its smallest documented size against a real ledgerd (ops/run runs the default 300):
# --residents=20 used to stop at the morning market (the ten shoppers' coin spent, the stalls could not
# pay for seedlings) and then at the harvest task's escrow. Every figure must check out; a size outside
# 20..8000 is refused with the range named.
set -euo pipefail
D="$TEST_TMPDIR/demotown"
OPERATORS_FILE="$TEST_SRCDIR/$TEST_WORKSPACE/ops/operators.conf"  # Four-eyes: the treasurers, and more.
source "$TEST_SRCDIR/$TEST_WORKSPACE/tests/cli_test_lib.sh"
DEMO="$R/ledger/tools/demo_town"

"$DEMO" --addr="$ADDR" --operator_addr="$OPADDR" --residents=19 >"$D/small.out" 2>&1 &&
  fail "19 residents accepted"
grep -q -- "--residents must be 20..8000, got 19" "$D/small.out" || fail "19 residents: $(cat "$D/small.out")"

"$DEMO" --addr="$ADDR" --operator_addr="$OPADDR" --residents=20 >"$D/demo.out" 2>&1 ||
  fail "demo_town --residents=20: $(grep -v '^  ' "$D/demo.out" | tail -15)"
grep -q "^demo town: all figures check out$" "$D/demo.out" || fail "figures: $(tail -15 "$D/demo.out")"
grep -q "^20 residents charged" "$D/demo.out" || fail "residents: $(head -20 "$D/demo.out")"
echo "demo_town --residents=20: all figures check out ($(grep -c . "$D/demo.out") lines)"
