#!/usr/bin/env bash
# The counter tools against a real ledgerd, as a shop and the city would use them: ledgerctl sets up the
# town and registers keys, `wallet` makes a payment code, `pos` charges it, refunds, looks it up, closes
# the day, cashes out and pays a supplier; a manager terminal adds and revokes a terminal; the city
# revokes a lost wallet key and registers a new one.
set -euo pipefail
D="$TEST_TMPDIR/posonline"
source "$TEST_SRCDIR/$TEST_WORKSPACE/tests/cli_test_lib.sh"

ctl create-asset --id 1 --code COIN --breakage b1
ctl create-account --id 1 --asset 1 --kind issuer
ctl create-account --id a1 --asset 1 --kind wallet --non-negative
ctl create-account --id 20 --asset 1 --kind merchant --non-negative
ctl create-account --id 21 --asset 1 --kind merchant --non-negative
ctl create-account --id f1 --asset 1 --kind fee
ctl transfer --id 100 --debit 1 --credit a1 --amount 10000
ctl set-fees --asset 1 --issuer 1 --fee-account f1 --cashout-bps 150 --member-bps 100 --supplier-bps 50
# The city's commands need an operator's certificate: without a readable one ledgerctl stops before calling
# (exit 2, naming the file); with one from another CA the node refuses the handshake (exit 1) and nothing moves.
rc=0; "$LEDGERCTL" --addr "$ADDR" --operator_addr "$OPADDR" --tls_cert "$D/missing.crt" transfer --id 9 --debit 1 \
  --credit a1 --amount 5 >"$D/nocert.out" 2>&1 || rc=$?
[ $rc = 2 ] && grep -q "^ledgerctl: --tls_cert $D/missing.crt: cannot be read" "$D/nocert.out" ||
  fail "no certificate ($rc): $(cat "$D/nocert.out")"
{ "$R/ops/pki" init "$D/rogue" && "$R/ops/pki" operator "$D/rogue" demo; } >/dev/null || fail "ops/pki rogue"
rc=0; "$LEDGERCTL" --addr "$ADDR" --operator_addr "$OPADDR" --tls_cert "$D/rogue/operators/demo.crt" \
  --tls_key "$D/rogue/operators/demo.key" transfer --id 9 --debit 1 --credit a1 --amount 5 >"$D/rogue.out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "request failed: UNAVAILABLE" "$D/rogue.out" ||
  fail "another CA's certificate ($rc): $(cat "$D/rogue.out")"
rc=0; op lookup-transfer 9 >"$D/lookup.out" 2>&1 || rc=$?
[ $rc = 3 ] && grep -q "1 id(s) not found" "$D/lookup.out" || fail "a refused transfer exists: $(cat "$D/lookup.out")"

export WALLET_PASSPHRASE="alice's long passphrase" POS_PASSPHRASE="shop terminal passphrase"
WALLET_PUB="$("$WALLET" init --key "$D/alice.key" | awk '/public key/ {print $3}')"
[ ${#WALLET_PUB} = 64 ] || fail "wallet public key"
"$WALLET" register --addr "$ADDR" --operator_addr "$OPADDR" --tls_cert "$D/rogue/operators/demo.crt" \
  --tls_key "$D/rogue/operators/demo.key" --key "$D/alice.key" --account a1 >"$D/register.out" 2>&1 &&
  fail "a key registered with another CA's certificate"
grep -q "^wallet: failed to connect" "$D/register.out" || fail "another CA at the desk: $(cat "$D/register.out")"
wallet_register --key "$D/alice.key" --account a1 | grep -q "register: ok" || fail "wallet register"
TERMINAL_PUB="$("$POS" init-terminal --key "$D/reg1.key" | awk '/public key/ {print $3}')"
ctl register-key --account 20 --terminal REG-1 --public-key "$TERMINAL_PUB"

pos() { "$POS" "$1" --addr "$ADDR" --key "$D/reg1.key" --merchant 20 --terminal REG-1 "${@:2}"; }
CODE="$("$WALLET" code --key "$D/alice.key" --account a1 | grep '^LC1')"
pos charge --payment-id order-1 --amount 1200 --code "$CODE" >"$D/charge.out" || fail "charge: $(cat "$D/charge.out")"
grep -q "^result    ok$" "$D/charge.out" || fail "charge result: $(cat "$D/charge.out")"
pos charge --payment-id order-1 --amount 1200 --code "$CODE" | grep -q "already decided" || fail "retry not a duplicate"
pos charge --payment-id order-2 --amount 100 --code "$CODE" >"$D/replay.out" && fail "a used code paid again"
grep -q "cpm_replayed" "$D/replay.out" || fail "replay reason: $(cat "$D/replay.out")"
pos refund --payment-id order-1 --refund-id r1 --amount 300 | grep -q "^result    ok$" || fail "refund"
pos status --payment-id order-1 >"$D/status.out"
grep -q "refunded 300" "$D/status.out" || fail "status: $(cat "$D/status.out")"
DAY="$(sed -n 's/.* day \([0-9]\{8\}\) .*/\1/p' "$D/status.out")"
pos close-day --day "$DAY" >"$D/close.out" || fail "close: $(cat "$D/close.out")"
grep -q "^total      payments 1  gross 1200  cancels 0 (0)  refunds 300  net 900$" "$D/close.out" ||
  fail "report: $(cat "$D/close.out")"
pos cash-out --id co-1 --amount 500 >"$D/cashout.out"
grep -q "^fee       7$" "$D/cashout.out" || fail "cash-out fee: $(cat "$D/cashout.out")"   # 1.5 % of 500, rounded down.
pos pay-supplier --id inv-1 --supplier 21 --amount 200 | grep -q "^fee       1$" || fail "supplier fee"
op account a1 | grep -q "balance 9100" || fail "alice's balance: $(op account a1)"
# The resident's side: balance, a merchant-presented code shown by the terminal, a send to a neighbour.
"$WALLET" balance --addr "$ADDR" --key "$D/alice.key" --account a1 | grep -q "balance 9100  available 9100" ||
  fail "wallet balance"
pos mpm --payment-id mpm-1 --amount 250 --name "Sakura Market" --city Tsuruoka --png "$D/mpm.png" >"$D/mpm.out" ||
  fail "mpm: $(cat "$D/mpm.out")"
grep -q "mpm-1  250  awaiting" "$D/mpm.out" || fail "registered code: $(cat "$D/mpm.out")"
head -c 8 "$D/mpm.png" | od -An -c | grep -q "P   N   G" || fail "the ledger's QR image"
grep -Eq "^expires   in (2[0-9][0-9]|300) s" "$D/mpm.out" || fail "code lifetime: $(cat "$D/mpm.out")"
PAYLOAD="$(grep '^000201' "$D/mpm.out")"
"$WALLET" scan "$PAYLOAD" | grep -q "amount    250" || fail "wallet scan"
pos status --payment-id mpm-1 | grep -q "mpm-1  250  awaiting" || fail "terminal sees the code awaiting payment"
"$WALLET" pay --addr "$ADDR" --key "$D/alice.key" --account a1 "$PAYLOAD" | grep -q "^result ok$" || fail "wallet pay"
pos status --payment-id mpm-1 | grep -q "mpm-1  250  captured" || fail "terminal sees the MPM payment"
pos mpm --payment-id mpm-2 --amount 0 --name Shop --city T 2>"$D/err" && fail "amount 0"
grep -q "amount: 0 is outside 1..9999999999999" "$D/err" || fail "amount message: $(cat "$D/err")"
ctl create-account --id a2 --asset 1 --kind wallet --non-negative
"$WALLET" send --addr "$ADDR" --key "$D/alice.key" --account a1 --to a2 --amount 50 --id 5e1 | grep -q "^result ok$" || fail "send"
"$WALLET" send --addr "$ADDR" --key "$D/alice.key" --account a1 --to a2 --amount 50 --id 5e1 | grep -q "already decided" ||
  fail "send retry"
"$WALLET" history --addr "$ADDR" --key "$D/alice.key" --account a1 | head -1 | grep -q " -50  balance 8800 " ||
  fail "history: $("$WALLET" history --addr "$ADDR" --key "$D/alice.key" --account a1 | head -2)"
# Alice's key reads only Alice's wallet: a2 has no key of hers (signed reads, no operator token).
"$WALLET" balance --addr "$ADDR" --key "$D/alice.key" --account a2 >"$D/other.out" 2>&1 && fail "read another's balance"
grep -q "account 000000000000000000000000000000a2: wallet 000000000000000000000000000000a2 has no registered key" \
  "$D/other.out" || fail "another's balance: $(cat "$D/other.out")"
"$WALLET" history --addr "$ADDR" --key "$D/alice.key" --account a2 >"$D/other.out" 2>&1 && fail "read another's history"
"$WALLET" send --addr "$ADDR" --key "$D/alice.key" --account a1 --to a2 --amount 999999 > "$D/big.out" && fail "overdraft"
grep -q "available 8800" "$D/big.out" || fail "available: $(cat "$D/big.out")"
POS_PASSPHRASE="wrong passphrase here" "$POS" status --addr "$ADDR" --key "$D/reg1.key" --merchant 20 --terminal REG-1 \
  --payment-id order-1 2>"$D/wrong.err" && fail "wrong passphrase worked"
grep -q "wrong passphrase" "$D/wrong.err" || fail "wrong passphrase message"
# A resident without a smartphone: the city issues a card; staff charge it; a wrong PIN first.
ctl transfer --id 101 --debit 1 --credit a2 --amount 1000
CARD_PIN=2468 ctl register-card --card 6300111122223333 --account a2 --attempts-max 3
CARD_PIN=2486 pos card-charge --card 6300111122223333 --amount 400 --payment-id card-1 --staff "sato (centre)" \
  >"$D/card.out" && fail "a wrong PIN paid"
grep -q "^result    pin_invalid$" "$D/card.out" || fail "wrong PIN: $(cat "$D/card.out")"
CARD_PIN=2468 pos card-charge --card 6300111122223333 --amount 400 --payment-id card-1 --staff "sato (centre)" \
  >"$D/card.out" || fail "card charge: $(cat "$D/card.out")"
grep -q "^result    ok$" "$D/card.out" || fail "card result: $(cat "$D/card.out")"
op account a2 | grep -q "balance 650" || fail "card holder's balance"
op staff-ops --account a2 >"$D/ops.out"
grep -q "wrong PIN .* staff sato (centre)  shop 20 terminal REG-1  payment card-1  amount 400" "$D/ops.out" &&
  grep -q "card payment .* staff sato (centre)" "$D/ops.out" || fail "staff operations: $(cat "$D/ops.out")"
# The card holder reads the same list herself, signed with her own key (registered at the desk).
WALLET_PASSPHRASE="bob's long passphrase" "$WALLET" init --key "$D/bob.key" >/dev/null
wallet_register --key "$D/bob.key" --account a2 | grep -q "register: ok" || fail "bob register"
WALLET_PASSPHRASE="bob's long passphrase" "$WALLET" staff-ops --addr "$ADDR" --key "$D/bob.key" --account a2 \
  >"$D/bobops.out" || fail "wallet staff-ops: $(cat "$D/bobops.out")"
grep -q "wrong PIN .* staff sato (centre)  shop 0*20 terminal REG-1  payment card-1  amount 400  pin_invalid" \
  "$D/bobops.out" || fail "wallet staff-ops: $(cat "$D/bobops.out")"
"$WALLET" staff-ops --addr "$ADDR" --key "$D/alice.key" --account a1 | grep -q "^no staff operations$" ||
  fail "alice has no staff operations"
# The card is lost: the city re-issues it at the desk. The old number pays no more (its payment id stays
# free); the new card, with the new PIN, pays from the same wallet; the resident sees who re-issued it.
CARD_PIN=1357 ctl reissue-card --card 6300111122223333 --new-card 6300444455556666 --operator "kato (city hall)"
grep -q "^item 0: ok$" "$D/ctl.out" || fail "reissue-card: $(cat "$D/ctl.out")"
CARD_PIN=2468 pos card-charge --card 6300111122223333 --amount 100 --payment-id card-2 --staff "sato (centre)" \
  >"$D/card.out" && fail "a replaced card paid"
grep -q "^result    card_replaced$" "$D/card.out" || fail "replaced card: $(cat "$D/card.out")"
CARD_PIN=1357 pos card-charge --card 6300444455556666 --amount 100 --payment-id card-2 --staff "sato (centre)" \
  >"$D/card.out" || fail "new card charge: $(cat "$D/card.out")"
op account a2 | grep -q "balance 550" || fail "the new card's wallet: $(op account a2)"
op staff-ops --account a2 >"$D/ops.out"
grep -q "card re-issued by the city  staff kato (city hall)" "$D/ops.out" &&
  grep -q "card replaced .* payment card-2  amount 100  card_replaced" "$D/ops.out" ||
  fail "staff operations after the re-issue: $(cat "$D/ops.out")"

# The city's payout run: a second cash-out, then the bank CSV and the settlement report of today.
# The member rate is the operator's register, not the terminal's say-so.
pos cash-out --id co-2 --amount 800 --member >"$D/member.out" && fail "member rate without the register"
grep -q "^result    not_a_chamber_member$" "$D/member.out" || fail "member refusal: $(cat "$D/member.out")"
ctl merchant-profile --account 20 --member yes
pos cash-out --id co-2 --amount 800 | grep -q "^fee       8$" || fail "member cash-out fee"
TODAY="$(TZ=Asia/Tokyo date +%F)"
printf 'merchant,bank_code,branch_code,account_type,account_number,account_holder\n20,0155,201,普通,1234567,Sakura Market\n' \
  >"$D/payees.csv"
op payouts --from "$TODAY" --to "$TODAY" --payees "$D/payees.csv" --csv "$D/payouts.csv" \
  --report "$D/settlement.txt" 2>"$D/payouts.err" || fail "payouts: $(cat "$D/payouts.err")"
grep -q '^20,0155,201,普通,1234567,Sakura Market,1285,2$' "$D/payouts.csv" || fail "payout CSV: $(cat "$D/payouts.csv")"
grep -q "merchant 20 .* 2 cash-out(s)  coin        1,300  fees         15  payout        1,285 yen" "$D/settlement.txt" ||
  fail "settlement: $(cat "$D/settlement.txt")"
grep -q "balanced" "$D/settlement.txt" || fail "settlement does not balance"
printf 'merchant,bank_code,branch_code,account_type,account_number,account_holder\n' >"$D/nopayee.csv"
op payouts --from "$TODAY" --to "$TODAY" --payees "$D/nopayee.csv" --csv "$D/none.csv" \
  2>"$D/nopayee.err" && fail "a payout without a payee"
grep -q "merchant 20 has cash-outs but no line" "$D/nopayee.err" && [ ! -e "$D/none.csv" ] || fail "missing payee"

# The shop runs its own terminals: the city registers a manager terminal, which adds REG-2; REG-2 charges
# a code; the manager revokes it and its next request is refused; an ordinary terminal cannot add any.
MGR_PUB="$("$POS" init-terminal --key "$D/mgr.key" | awk '/public key/ {print $3}')"
ctl register-key --account 20 --terminal MGR-1 --public-key "$MGR_PUB" --manager
REG2_PUB="$("$POS" init-terminal --key "$D/reg2.key" | awk '/public key/ {print $3}')"
mgr() { "$POS" "$1" --addr "$ADDR" --key "$D/mgr.key" --merchant 20 --terminal MGR-1 "${@:2}"; }
reg2() { "$POS" "$1" --addr "$ADDR" --key "$D/reg2.key" --merchant 20 --terminal REG-2 "${@:2}"; }
pos add-terminal --terminal-id REG-2 --public-key "$REG2_PUB" >/dev/null 2>"$D/notmgr.err" &&
  fail "an ordinary terminal added a terminal"
grep -q "terminal REG-1 is not a manager terminal of this merchant" "$D/notmgr.err" ||
  fail "not-a-manager message: $(cat "$D/notmgr.err")"
mgr add-terminal --terminal-id REG-2 --public-key "$REG2_PUB" >"$D/add.out" || fail "add-terminal: $(cat "$D/add.out")"
grep -q "^result    ok$" "$D/add.out" || fail "add-terminal result: $(cat "$D/add.out")"
CODE2="$("$WALLET" code --key "$D/alice.key" --account a1 | grep '^LC1')"
reg2 charge --payment-id reg2-1 --amount 100 --code "$CODE2" | grep -q "^result    ok$" || fail "REG-2 charge"
mgr revoke-terminal --terminal-id REG-2 | grep -q "^result    ok$" || fail "revoke-terminal"
reg2 status --payment-id reg2-1 >/dev/null 2>"$D/revoked.err" && fail "a revoked terminal was served"
grep -q "terminal REG-2 of merchant .* was revoked" "$D/revoked.err" || fail "revoked message: $(cat "$D/revoked.err")"
mgr revoke-terminal --terminal-id REG-2 | grep -q "already decided" || fail "revoking twice is not a duplicate"
mgr add-terminal --terminal-id REG-2 --public-key "$REG2_PUB" >"$D/readd.out" && fail "a revoked key came back"
grep -q "^result    key_revoked$" "$D/readd.out" || fail "re-registering a revoked key: $(cat "$D/readd.out")"
mgr add-terminal --terminal-id REG-3 --public-key 12ab 2>"$D/badkey.err" && fail "a short public key"
grep -q -- "--public-key: 64 hex digits" "$D/badkey.err" || fail "public key message: $(cat "$D/badkey.err")"
pos status --payment-id reg2-1 | grep -q "reg2-1  100  captured" || fail "REG-2's payment"

# A lost phone: the city revokes Alice's wallet key; her requests are refused; a new key works.
ctl revoke-key --account a1
"$WALLET" send --addr "$ADDR" --key "$D/alice.key" --account a1 --to a2 --amount 1 >/dev/null 2>"$D/lost.err" &&
  fail "a revoked wallet key sent coin"
grep -q "wallet .* key was revoked" "$D/lost.err" || fail "revoked wallet message: $(cat "$D/lost.err")"
"$WALLET" init --key "$D/alice2.key" >/dev/null
wallet_register --key "$D/alice.key" --account a1 >"$D/reregister.out" &&
  fail "the revoked wallet key came back"
grep -q "register: key_revoked" "$D/reregister.out" || fail "re-registering a revoked wallet key: $(cat "$D/reregister.out")"
wallet_register --key "$D/alice2.key" --account a1 | grep -q "register: ok" || fail "new wallet key"
"$WALLET" send --addr "$ADDR" --key "$D/alice2.key" --account a1 --to a2 --amount 1 | grep -q "^result ok$" ||
  fail "send with the new key"
echo "pos against ledgerd: all checks passed"
