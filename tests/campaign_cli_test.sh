#!/usr/bin/env bash
# A shopping-street campaign at the command line against a real ledgerd: "20 % back in points at the street's
# shops, at most 500 pt a person a month". A customer-presented code charged at the counter earns points in
# the resident's linked points wallet; a partial refund claws back its share; `campaign show` totals it.
set -euo pipefail
D="$TEST_TMPDIR/campaigncli"
source "$TEST_SRCDIR/$TEST_WORKSPACE/tests/cli_test_lib.sh"

ctl create-asset --id 1 --code COIN --breakage b1
ctl create-asset --id 2 --code HP --breakage b2 --expiry-seconds 15552000
ctl create-account --id 1 --asset 1 --kind issuer
ctl create-account --id 2 --asset 2 --kind issuer
ctl create-account --id 3 --asset 2 --kind budget --non-negative
ctl create-account --id a1 --asset 1 --kind wallet --non-negative
ctl create-account --id a2 --asset 2 --kind wallet --non-negative
ctl create-account --id 20 --asset 1 --kind merchant --non-negative --category street
ctl transfer --id 100 --debit 1 --credit a1 --amount 10000
ctl transfer --id 101 --debit 2 --credit 3 --amount 1000000
ctl link --wallet a1 --to a2
TODAY="$(TZ=Asia/Tokyo date +%F)" LATER="$(TZ=Asia/Tokyo date -d '+30 days' +%F)"
op campaign create --id 7 --funding 3 --asset 1 --from "$TODAY" --to "$LATER" --percent 20 \
  --fixed 5 --budget 1000 >"$D/bad.out" 2>&1 && fail "a campaign with both a percentage and a fixed award"
ctl campaign create --id 7 --name "street 20% back" --funding 3 --asset 1 --category street --from "$TODAY" \
  --to "$LATER" --percent 20 --per-person-month 500 --budget 1000000

export WALLET_PASSPHRASE="alice's long passphrase" POS_PASSPHRASE="shop terminal passphrase"
"$WALLET" init --key "$D/alice.key" >/dev/null
wallet_register --key "$D/alice.key" --account a1 | grep -q "register: ok" || fail "wallet register"
TERMINAL_PUB="$("$POS" init-terminal --key "$D/reg1.key" | awk '/public key/ {print $3}')"
ctl register-key --account 20 --terminal REG-1 --public-key "$TERMINAL_PUB"
pos() { "$POS" "$1" --addr "$ADDR" --key "$D/reg1.key" --merchant 20 --terminal REG-1 "${@:2}"; }
CODE="$("$WALLET" code --key "$D/alice.key" --account a1 | grep '^LC1')"
pos charge --payment-id order-1 --amount 1000 --code "$CODE" | grep -q "^result    ok$" || fail "charge"
op account a2 | grep -q "balance 200 " || fail "points: $(op account a2)"
pos refund --payment-id order-1 --refund-id r1 --amount 250 | grep -q "^result    ok$" || fail "refund"
op account a2 | grep -q "balance 150 " || fail "clawback: $(op account a2)"
op campaign show --id 7 >"$D/show.out"
grep -q "awarded 150 in 1 payments" "$D/show.out" || fail "show: $(cat "$D/show.out")"
ctl campaign close --id 7
CODE="$("$WALLET" code --key "$D/alice.key" --account a1 | grep '^LC1')"
pos charge --payment-id order-2 --amount 1000 --code "$CODE" | grep -q "^result    ok$" || fail "charge 2"
op account a2 | grep -q "balance 150 " || fail "closed campaign awarded"
echo "campaign CLI: ok"
