#!/usr/bin/env bash
# End-to-end test of the pos CLI's offline commands (see BUILD).
set -euo pipefail
POS="$TEST_SRCDIR/$TEST_WORKSPACE/merchant/pos"
WALLET="$TEST_SRCDIR/$TEST_WORKSPACE/wallet/wallet"
DIR="$TEST_TMPDIR/poscli"
mkdir -p "$DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$POS" --help | grep -q "merchant-presented QR code" || fail "--help"
"$POS" --help | grep -q "add-terminal --terminal-id ID --public-key HEX" || fail "--help: add-terminal"
"$POS" --help | grep -q "revoke-terminal --terminal-id ID" || fail "--help: revoke-terminal"
# A static code for the counter (dynamic codes are registered with the ledger: tests/pos_cli_online_test.sh).
"$POS" mpm --account 70000000000000010000000200000003 --name "Sakura Market" --city Tsuruoka --category 5411 \
  --terminal REG-1 --png "$DIR/mpm.png" > "$DIR/mpm.out"
# The payload is exactly the one an independent Python encoder (tag-length-value, CRC-16/CCITT-FALSE) gives.
grep -qx "00020101021126570012JP.LOCALCOIN013270000000000000010000000200000003020115204541153033925802JP5913Sakura Market6008Tsuruoka62090705REG-16304DE41" \
  "$DIR/mpm.out" || fail "payload: $(tail -2 "$DIR/mpm.out")"
head -c 8 "$DIR/mpm.png" | od -An -c | grep -q "P   N   G" || fail "PNG"
# The wallet reads back what the shop shows.
"$WALLET" scan "$(grep '^000201' "$DIR/mpm.out")" | grep -q "amount    (you enter it: a static shop code)" ||
  fail "wallet scan"
# Refusals name the field.
"$POS" mpm --account 7 --name "Shop" --city Tsuruoka --payment-id x 2>"$DIR/err" && fail "static code with an id"
grep -q "payment-id: a static code has none" "$DIR/err" || fail "payment-id message: $(cat "$DIR/err")"
"$POS" mpm --account 7 --name "$(printf 'x%.0s' {1..26})" --city T 2>"$DIR/err" && fail "long name"
grep -q "merchant_name: 1 to 25" "$DIR/err" || fail "name message"

export WALLET_PASSPHRASE="correct horse battery"
"$WALLET" init --key "$DIR/k" > /dev/null
CODE="$("$WALLET" code --key "$DIR/k" --account 70000000000000010000000500000007 | grep '^LC1')"
"$POS" read-code "$CODE" > "$DIR/read.out"
grep -q "wallet    70000000000000010000000500000007" "$DIR/read.out" || fail "read-code wallet: $(cat "$DIR/read.out")"
grep -q "still valid by this clock" "$DIR/read.out" || fail "read-code validity"
"$POS" read-code "LC1AAAA" 2>"$DIR/err" && fail "bad code accepted"
grep -q "code: 165 characters expected" "$DIR/err" || fail "bad code message"
echo "pos CLI: all checks passed"
