#!/usr/bin/env bash
# Health mileage at the command line against a real ledgerd: the city sets a program with ledgerctl, a
# resident registers her phone and consents, the phone reports a day's steps (and the same day again,
# higher), she reads her mileage, exchanges points and erases her step data.
set -euo pipefail
D="$TEST_TMPDIR/healthcli"
source "$TEST_SRCDIR/$TEST_WORKSPACE/tests/cli_test_lib.sh"

"$LEDGERCTL" health --help >"$D/help.out"
grep -q "health report --device-key FILE" "$D/help.out" || fail "help lists the health commands"
ctl create-asset --id 1 --code COIN --breakage b1
ctl create-asset --id 2 --code HP --breakage b2 --expiry-seconds 31536000
ctl create-account --id c1 --asset 1 --kind issuer
ctl create-account --id c2 --asset 1 --kind budget --non-negative
ctl create-account --id ca --asset 1 --kind wallet --non-negative
ctl create-account --id 1 --asset 2 --kind issuer
ctl create-account --id 2 --asset 2 --kind budget --non-negative
ctl create-account --id a1 --asset 2 --kind wallet --non-negative
ctl transfer --id 100 --debit c1 --credit c2 --amount 100000
ctl transfer --id 101 --debit 1 --credit 2 --amount 100000
TODAY="$(TZ=Asia/Tokyo date +%Y%m%d)"
op health program --program 1 --effective 2026-01-01 --funding 2 --tiers 4000:2,2000:1 \
  >"$D/bad.out" 2>&1 && fail "falling tiers were accepted"
grep -q "tiers\[1\]: steps and points must both rise" "$D/bad.out" || fail "tiers reason: $(cat "$D/bad.out")"
ctl health program --program 1 --effective 2026-01-01 --funding 2 --exchange 5:5 --retire 1 --coin-funding c2
op health program --program 1 --effective 2026-01-01 --funding 2 --daily-cap 9 \
  >"$D/late.out" 2>&1 && fail "a change to a day already in effect was accepted"
grep -q "effective_day_invalid" "$D/late.out" || fail "late change reason: $(cat "$D/late.out")"

export WALLET_PASSPHRASE="alice's long passphrase" DEVICE_PASSPHRASE="phone passphrase"
"$WALLET" init --key "$D/alice.key" >/dev/null
wallet_register --key "$D/alice.key" --account a1 | grep -q "register: ok" || fail "wallet register"
PHONE_PUB="$(WALLET_PASSPHRASE="$DEVICE_PASSPHRASE" "$WALLET" init --key "$D/phone.key" | awk '/public key/ {print $3}')"
resident() { "$LEDGERCTL" --addr "$ADDR" health "$1" --key "$D/alice.key" --resident a1 "${@:2}"; }
resident register-device --device phone-1 --public-key "$PHONE_PUB" | grep -q "^ok at" || fail "register device"
report() { "$LEDGERCTL" --addr "$ADDR" health report --device-key "$D/phone.key" --program 1 --resident a1 \
  --device phone-1 --day "$TODAY" --steps "$1"; }
report 6500 >"$D/r0.out" && fail "a report without consent was accepted"
grep -q "^consent_required" "$D/r0.out" || fail "no-consent reason: $(cat "$D/r0.out")"
resident consent --purpose earning --grant | grep -q "^ok at" || fail "consent"
report 6500 | grep -q "^ok: 3 pt awarded; 3 pt for $TODAY so far; 1 qualifying days this month" || fail "report"
report 10200 | grep -q "^ok: 2 pt awarded; 5 pt for $TODAY so far" || fail "raised report"
report 61000 >"$D/r9.out" && fail "an implausible count was accepted"
grep -q "^steps_implausible" "$D/r9.out" || fail "implausible reason: $(cat "$D/r9.out")"
resident mileage --program 1 >"$D/mileage.out" || fail "mileage: $(cat "$D/mileage.out")"
grep -q "^$TODAY *10200 *5$" "$D/mileage.out" || fail "mileage day: $(cat "$D/mileage.out")"
grep -q "points available: 5" "$D/mileage.out" && grep -q "consents: EARNING" "$D/mileage.out" ||
  fail "mileage totals: $(cat "$D/mileage.out")"
resident exchange --program 1 --coin-wallet ca --points 5 --exchange-id ex-1 | grep -q "^ok at" || fail "exchange"
op account ca | grep -q "balance 5 " || fail "coin after exchange: $(op account ca)"
resident erase | grep -q "^ok at" || fail "erase"
resident mileage >"$D/erased.out"
grep -q "^$TODAY *- *5$" "$D/erased.out" || fail "after erasure: $(cat "$D/erased.out")"
op verify | grep -q "verifies" || fail "journal after erasure: $(op verify)"
# Watch-over: a1 names 5e (her son, with his own wallet key); 5e sees no alerts yet.
ctl create-account --id 5e --asset 2 --kind wallet --non-negative
"$WALLET" init --key "$D/son.key" >/dev/null
wallet_register --key "$D/son.key" --account 5e | grep -q "register: ok" || fail "son's key"
resident watch-over --watchers 5e >"$D/w0.out" && fail "watch-over without consent"
grep -q "^consent_required" "$D/w0.out" || fail "watch-over consent: $(cat "$D/w0.out")"
resident consent --purpose watch-over --grant | grep -q "^ok at" || fail "watch-over consent"
resident watch-over --watchers 5e --silent-days 3 | grep -q "^ok at" || fail "watch-over"
"$LEDGERCTL" --addr "$ADDR" health alerts --key "$D/son.key" --watcher 5e >"$D/alerts.out" || fail "alerts: $(cat "$D/alerts.out")"
grep -q "^no alerts$" "$D/alerts.out" || fail "alerts: $(cat "$D/alerts.out")"
"$LEDGERCTL" --addr "$ADDR" health ack --key "$D/son.key" --watcher 5e --resident a1 --alert 1 >"$D/ack.out" && fail "ack of nothing"
grep -q "^alert_not_found" "$D/ack.out" || fail "ack reason: $(cat "$D/ack.out")"
echo "health CLI: ok"
