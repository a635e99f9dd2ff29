#!/usr/bin/env bash
# End-to-end test of the wallet CLI (see BUILD).
set -euo pipefail
WALLET="$TEST_SRCDIR/$TEST_WORKSPACE/wallet/wallet"
DIR="$TEST_TMPDIR/walletcli"
mkdir -p "$DIR"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$WALLET" --help | grep -q "one-time payment code" || fail "--help"
export WALLET_PASSPHRASE="correct horse battery"
"$WALLET" init --key "$DIR/me.key" > "$DIR/init.out"
grep -q "public key [0-9a-f]\{64\}" "$DIR/init.out" || fail "init output: $(cat "$DIR/init.out")"
[ "$(stat -c %a "$DIR/me.key")" = 600 ] || fail "key file mode"
"$WALLET" init --key "$DIR/me.key" 2>"$DIR/again.err" && fail "init overwrote a key"
grep -q "exists" "$DIR/again.err" || fail "overwrite message"
PUB="$("$WALLET" pubkey --key "$DIR/me.key")"
grep -q "$PUB" "$DIR/init.out" || fail "pubkey differs from init's"

"$WALLET" code --key "$DIR/me.key" --account 70000000000000010000000500000007 --png "$DIR/code.png" > "$DIR/code.out"
grep -q "^LC1[A-Z2-7]\{162\}$" "$DIR/code.out" || fail "no code in: $(tail -3 "$DIR/code.out")"
grep -q "valid for 60 s, once" "$DIR/code.out" || fail "validity line"
head -c 8 "$DIR/code.png" | od -An -c | grep -q "P   N   G" || fail "PNG signature"
WALLET_PASSPHRASE="wrong horse battery" "$WALLET" code --key "$DIR/me.key" --account 7 2>"$DIR/wrong.err" &&
  fail "a wrong passphrase made a code"
grep -q "wrong passphrase" "$DIR/wrong.err" || fail "wrong passphrase message"

PAYLOAD="00020101021226570012JP.LOCALCOIN0132700000000000000100000002000000030201127410012JP.LOCALCOIN0121order-2026-11-23-0001520454115303392540412005802JP5913Sakura Market6008Tsuruoka62090705REG-16304ECF2"
"$WALLET" scan "$PAYLOAD" > "$DIR/scan.out"
grep -q "shop      Sakura Market (Tsuruoka)" "$DIR/scan.out" || fail "scan shop"
grep -q "amount    1200" "$DIR/scan.out" || fail "scan amount"
"$WALLET" scan "${PAYLOAD%ECF2}ECF3" 2>"$DIR/tampered.err" && fail "tampered payload accepted"
grep -q "tag 63: CRC ECF3 does not match the payload (expected ECF2)" "$DIR/tampered.err" || fail "CRC message"
"$WALLET" frobnicate 2>/dev/null && fail "unknown command accepted"
echo "wallet CLI: all checks passed"
