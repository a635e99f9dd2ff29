#!/usr/bin/env bash
# A farm stay day at the command line against a real ledgerd: the city sets the caps, the farm posts a task
# from its terminal (reserving the thank-you in escrow), the visitor applies with her wallet key, the farm
# accepts, the farm's device shows check-in and check-out codes that the visitor submits, the farm confirms
# the day and the visitor is paid; `task show` lists it all.
set -euo pipefail
D="$TEST_TMPDIR/taskcli"
source "$TEST_SRCDIR/$TEST_WORKSPACE/tests/cli_test_lib.sh"

ctl create-asset --id 1 --code COIN --breakage b1
ctl create-account --id 1 --asset 1 --kind issuer
ctl create-account --id 20 --asset 1 --kind merchant --non-negative
ctl create-account --id e1 --asset 1 --kind escrow
ctl create-account --id c1 --asset 1 --kind budget --non-negative
ctl create-account --id 50 --asset 1 --kind wallet --non-negative
ctl transfer --id 100 --debit 1 --credit 20 --amount 20000
ctl transfer --id 101 --debit 1 --credit c1 --amount 20000
ctl task rules --weekly-hours 38 --monthly-max 78000 --dispute-hours 72

export POS_PASSPHRASE="farm terminal passphrase" DEVICE_PASSPHRASE="farm tablet passphrase" WALLET_PASSPHRASE="visitor's passphrase"
TERMINAL_PUB="$("$POS" init-terminal --key "$D/farm.key" | awk '/public key/ {print $3}')"
ctl register-key --account 20 --terminal FARM-1 --public-key "$TERMINAL_PUB"
WALLET_PASSPHRASE="$DEVICE_PASSPHRASE" "$WALLET" init --key "$D/tablet.key" >/dev/null
"$WALLET" init --key "$D/visitor.key" >/dev/null
wallet_register --key "$D/visitor.key" --account 50 | grep -q "register: ok" || fail "visitor key"

TODAY="$(TZ=Asia/Tokyo date +%Y%m%d)" LAST="$(TZ=Asia/Tokyo date -d '+2 days' +%Y%m%d)"
host() { "$LEDGERCTL" --addr "$ADDR" task "$1" --terminal-key "$D/farm.key" --host 20 --terminal FARM-1 --task rice "${@:2}"; }
post() { host post --title "Rice harvest" --from "$TODAY" --to "$LAST" --slots 2 --per-day 4000 --escrow e1 --subsidy c1 \
  --subsidy-percent 25 --hours 5 --device-key "$D/tablet.key" --wage-ref "none"; }
# The city has not granted its budget to the farm: refused, nothing reserved. Then it grants it.
refused="$(post 2>&1 || true)"  # ledgerctl exits 1 on a refusal.
echo "$refused" | grep -q "subsidy_not_granted" || fail "post without a grant: $refused"
ctl task grant-subsidy --budget c1 --host 20 --percent 10 --monthly-max 100000
refused="$(post 2>&1 || true)"
echo "$refused" | grep -q "subsidy_exceeds_grant" || fail "post above the grant: $refused"
refused="$(op task grant-subsidy --budget c1 --category farm --host 20 --percent 25 2>&1 || true)"
echo "$refused" | grep -q "one of --host and --category" || fail "grant with both a host and a category: $refused"
ctl task grant-subsidy --budget c1 --host 20 --percent 25 --monthly-max 100000
post | grep -q "^ok at" || fail "post"
op account 20 | grep -q "pending debits 18000" || fail "reserved: $(op account 20)"
visitor() { "$LEDGERCTL" --addr "$ADDR" task "$1" --key "$D/visitor.key" --visitor 50 --host 20 --task rice "${@:2}"; }
visitor apply | grep -q "^ok at" || fail "apply"
host decide --visitor 50 --accept | grep -q "^ok at" || fail "accept"
code() { "$LEDGERCTL" task code --device-key "$D/tablet.key" --host 20 --task rice --visitor 50 "$@"; }
IN="$(code)" OUT="$(code --out)"
[ ${#IN} = 128 ] || fail "code: $IN"
visitor check-in --code "$OUT" --out >"$D/early.out" && fail "check-out before check-in"
grep -q "^not_checked_in" "$D/early.out" || fail "early check-out: $(cat "$D/early.out")"
visitor check-in --code "$OUT" >"$D/swap.out" && fail "the check-out code checked in"
grep -q "^signature_invalid" "$D/swap.out" || fail "swapped code: $(cat "$D/swap.out")"
visitor check-in --code "$IN" | grep -q "^ok at" || fail "check-in"
visitor check-in --code "$OUT" --out | grep -q "^ok at" || fail "check-out"
host confirm --visitor 50 --day "$TODAY" | grep -q "^ok at" || fail "confirm"
op account 50 | grep -q "balance 4000 " || fail "paid: $(op account 50)"
op task show --host 20 --task rice >"$D/show.out"
grep -q "visitor 50: accepted (slot 1)  $TODAY confirmed" "$D/show.out" || fail "show: $(cat "$D/show.out")"
grep -q "city subsidy 25 % from c1" "$D/show.out" || fail "show subsidy: $(cat "$D/show.out")"
echo "task CLI: ok"
