#!/usr/bin/env bash
# The prepaid base-date report (資金決済法) at the command line against a real ledgerd, checked against a
# ledger whose figures are computed by hand below. The ledger stamps with its clock, so the test cuts
# "now": phase 1, the clock T1 read with `digest`, phase 2; then the report as of T1 (--as-of-timestamp),
# as of the end of today (Japan time: everything), and as of a base date before the ledger existed (zeros).
#
# Assets: 1 COIN (yen, scale 0), 2 SHORT (yen, lots lapse after 2 s), 3 HP (points: --points, no deposit),
# 4 SEN (yen with two decimals, scale 2: 100 minor units = 1 yen).
# Phase 1                                   Phase 2
#   1 -> a1  12,000,000 (charge)              101 -> 1  197,000 (cash-out: retired) 101 -> 12 3,000 (fee)
#   1 -> 11     500,000 (fund budget)         101 -> 13  50,000 (to the yen side)   a1 -> e1 10,000 (escrow)
#  11 -> a2     100,000 (premium)              1 -> a2 2,000,000 (charge)
#  a1 -> 101    300,000 (payment)             (SHORT: c2's remaining 3,800 lapses to b2 at the next batch)
#   2 -> c2       5,000   c2 -> 102 1,200     31 -> c3 15,000,000 (points awarded)
#   3 -> 31  20,000,000 (points budget)        4 -> c4 1 (0.01 yen)
#   4 -> c4 1,000,000,000 (10,000,000.00 yen)
# As of T1: COIN issued 12,500,000 = budget 400,000 + unused 12,100,000 (a1 11,700,000 + a2 100,000 +
#   101 300,000): above 10,000,000, deposit 6,050,000. SHORT issued = unused 5,000, deposit 0. HP issued
#   20,000,000 all in the budget: unused 0. SEN unused 10,000,000.00 yen: not above, deposit 0.
# At the end of today: COIN issued 12,500,000 - 197,000 + 2,000,000 = 14,303,000; less budget 400,000, fee
#   3,000, external 50,000: unused 13,850,000 (a1 11,690,000 + a2 2,100,000 + 101 50,000 + e1 10,000),
#   deposit 6,925,000. SHORT unused 1,200, breakage 3,800 (also its breakage since the last base date).
#   HP unused 15,000,000 but points: no deposit. SEN unused 10,000,000.01 yen: above, half is 5,000,000.005
#   yen, rounded up to a whole yen: deposit 5,000,001 yen = 500,000,100 minor units.
set -euo pipefail
D="$TEST_TMPDIR/basedatecli"
source "$TEST_SRCDIR/$TEST_WORKSPACE/tests/cli_test_lib.sh"

ctl create-asset --id 1 --code COIN --breakage b1
ctl create-asset --id 2 --code SHORT --breakage b2 --expiry-seconds 2 --granularity-seconds 1
ctl create-asset --id 3 --code HP --breakage b3
ctl create-asset --id 4 --code SEN --breakage b4 --scale 2
ctl create-account --id 1 --asset 1 --kind issuer
ctl create-account --id 11 --asset 1 --kind budget --non-negative
ctl create-account --id 12 --asset 1 --kind fee
ctl create-account --id 13 --asset 1 --kind external
ctl create-account --id a1 --asset 1 --kind wallet --non-negative
ctl create-account --id a2 --asset 1 --kind wallet --non-negative
ctl create-account --id e1 --asset 1 --kind escrow --non-negative
ctl create-account --id 101 --asset 1 --kind merchant --non-negative --category food
ctl create-account --id 2 --asset 2 --kind issuer
ctl create-account --id c2 --asset 2 --kind wallet --non-negative
ctl create-account --id 102 --asset 2 --kind merchant --non-negative
ctl create-account --id 3 --asset 3 --kind issuer
ctl create-account --id 31 --asset 3 --kind budget --non-negative
ctl create-account --id c3 --asset 3 --kind wallet --non-negative
ctl create-account --id 4 --asset 4 --kind issuer
ctl create-account --id c4 --asset 4 --kind wallet --non-negative

TODAY="$(TZ=Asia/Tokyo date +%F)"  # (A run across midnight JST would see its transfers cut: not near it.)
ctl transfer --id 1001 --debit 1 --credit a1 --amount 12000000
ctl transfer --id 1002 --debit 1 --credit 11 --amount 500000
ctl transfer --id 1003 --debit 11 --credit a2 --amount 100000
ctl transfer --id 1004 --debit a1 --credit 101 --amount 300000
ctl transfer --id 2001 --debit 2 --credit c2 --amount 5000
ctl transfer --id 2002 --debit c2 --credit 102 --amount 1200
ctl transfer --id 3001 --debit 3 --credit 31 --amount 20000000
ctl transfer --id 4001 --debit 4 --credit c4 --amount 1000000000
ctl digest
T1="$(awk '/^clock/ {print $2}' "$D/ctl.out")"
[ -n "$T1" ] || fail "no clock in digest: $(cat "$D/ctl.out")"
sleep 3  # SHORT's lot (5,000 - 1,200) expires 2 s after its charge and lapses at the next batch.
ctl transfer --id 1005 --debit 101 --credit 1 --amount 197000
ctl transfer --id 1006 --debit 101 --credit 12 --amount 3000
ctl transfer --id 1007 --debit 101 --credit 13 --amount 50000
ctl transfer --id 1008 --debit a1 --credit e1 --amount 10000
ctl transfer --id 1009 --debit 1 --credit a2 --amount 2000000
ctl transfer --id 3002 --debit 31 --credit c3 --amount 15000000
ctl transfer --id 4002 --debit 4 --credit c4 --amount 1
ctl account b2 c2
grep -q "^account b2 .* balance 3800 " "$D/ctl.out" || fail "SHORT's lot did not lapse: $(cat "$D/ctl.out")"

# The previous base date (31 March or 30 September) strictly before today, and the end of today in ns.
Y="${TODAY:0:4}" MD="${TODAY:5:5}"
if [[ "$MD" > "09-30" ]]; then PREV="$Y-09-30"; elif [[ "$MD" > "03-31" ]]; then PREV="$Y-03-31"; else PREV="$((Y - 1))-09-30"; fi
END="$(( $(TZ=Asia/Tokyo date -d "$TODAY + 1 day" +%s) * 1000000000 - 1 ))"
HEADER="base_date,as_of_timestamp,asset,code,scale,kind,issued,budget,fee,breakage_balance,external,unused,deposit_threshold,deposit_due,breakage_since_previous,previous_base_date"

# As of T1: phase 1 only.
op base-date-report --date "$TODAY" --as-of-timestamp "$T1" --points 3 --csv "$D/t1.csv" >"$D/t1.out" 2>"$D/t1.err" ||
  fail "report as of T1: $(cat "$D/t1.err")"
cat >"$D/t1.csv.expected" <<CSV
$HEADER
$TODAY,$T1,1,COIN,0,prepaid,12500000,400000,0,0,0,12100000,10000000,6050000,0,$PREV
$TODAY,$T1,2,SHORT,0,prepaid,5000,0,0,0,0,5000,10000000,0,0,$PREV
$TODAY,$T1,3,HP,0,points,20000000,20000000,0,0,0,0,,0,0,$PREV
$TODAY,$T1,4,SEN,2,prepaid,1000000000,0,0,0,0,1000000000,1000000000,0,0,$PREV
CSV
diff "$D/t1.csv.expected" "$D/t1.csv" || fail "CSV as of T1 differs"
T1_JST="$(TZ=Asia/Tokyo date -d "@$((T1 / 1000000000))" '+%F %T')"
cat >"$D/t1.out.expected" <<TEXT
Prepaid base-date report (資金決済法): unused balance as of $T1_JST JST (--as-of-timestamp $T1)
Breakage counted after the previous base date, $PREV 24:00 JST.
Unused = held by wallets, merchants and escrow = issued - budgets - fees - breakage - cashed out (external).

asset 1 COIN (scale 0, prepaid coin in yen)
  issued (net of coin returned to the issuer)              12,500,000
    less: budgets (BUDGET)                                    400,000
    less: fees (FEE)                                                0
    less: lapsed (BREAKAGE)                                         0
    less: cashed out (EXTERNAL)                                     0
  unused balance                                           12,100,000
  deposit due (half, above 10,000,000 yen)                  6,050,000
  breakage since the previous base date                             0

asset 2 SHORT (scale 0, prepaid coin in yen)
  issued (net of coin returned to the issuer)                   5,000
    less: budgets (BUDGET)                                          0
    less: fees (FEE)                                                0
    less: lapsed (BREAKAGE)                                         0
    less: cashed out (EXTERNAL)                                     0
  unused balance                                                5,000
  deposit due (not above 10,000,000 yen)                            0
  breakage since the previous base date                             0

asset 3 HP (scale 0, points: not a prepaid instrument, no deposit)
  issued (net of coin returned to the issuer)              20,000,000
    less: budgets (BUDGET)                                 20,000,000
    less: fees (FEE)                                                0
    less: lapsed (BREAKAGE)                                         0
    less: cashed out (EXTERNAL)                                     0
  unused balance                                                    0
  breakage since the previous base date                             0

asset 4 SEN (scale 2, prepaid coin in yen)
  issued (net of coin returned to the issuer)           10,000,000.00
    less: budgets (BUDGET)                                       0.00
    less: fees (FEE)                                             0.00
    less: lapsed (BREAKAGE)                                      0.00
    less: cashed out (EXTERNAL)                                  0.00
  unused balance                                        10,000,000.00
  deposit due (not above 10,000,000 yen)                         0.00
  breakage since the previous base date                          0.00
TEXT
diff "$D/t1.out.expected" "$D/t1.out" || fail "summary as of T1 differs"

# As of the end of today (Japan time): everything so far.
op base-date-report --date "$TODAY" --points 3 --csv "$D/today.csv" >"$D/today.out" 2>"$D/today.err" ||
  fail "report as of today: $(cat "$D/today.err")"
cat >"$D/today.csv.expected" <<CSV
$HEADER
$TODAY,$END,1,COIN,0,prepaid,14303000,400000,3000,0,50000,13850000,10000000,6925000,0,$PREV
$TODAY,$END,2,SHORT,0,prepaid,5000,0,0,3800,0,1200,10000000,0,3800,$PREV
$TODAY,$END,3,HP,0,points,20000000,5000000,0,0,0,15000000,,0,0,$PREV
$TODAY,$END,4,SEN,2,prepaid,1000000001,0,0,0,0,1000000001,1000000000,500000100,0,$PREV
CSV
diff "$D/today.csv.expected" "$D/today.csv" || fail "CSV as of today differs"
grep -q "^Note: that time has not come yet on the ledger" "$D/today.out" || fail "no note that the day is not over"
grep -A8 "^asset 1 COIN" "$D/today.out" | grep -qE "^  deposit due \(half, above 10,000,000 yen\) +6,925,000$" ||
  fail "COIN deposit line: $(cat "$D/today.out")"
grep -A8 "^asset 4 SEN" "$D/today.out" | grep -qE "^  deposit due \(half, above 10,000,000 yen\) +5,000,001.00$" ||
  fail "SEN deposit line: $(cat "$D/today.out")"
grep -A8 "^asset 2 SHORT" "$D/today.out" | grep -qE "^  breakage since the previous base date +3,800$" ||
  fail "SHORT breakage line: $(cat "$D/today.out")"
# One asset, by --asset: the same row.
op base-date-report --date "$TODAY" --asset 2 --csv "$D/one.csv" >/dev/null 2>&1 || fail "report --asset 2"
diff <(sed -n '1p;3p' "$D/today.csv.expected") "$D/one.csv" || fail "CSV of --asset 2 differs"

# A base date before the ledger existed: no asset then; asked by id, every figure is zero.
op base-date-report --date 2020-03-31 --csv "$D/old.csv" >"$D/old.out" 2>/dev/null || fail "report 2020-03-31"
grep -q "^No asset existed by then.$" "$D/old.out" || fail "2020-03-31 without --asset: $(cat "$D/old.out")"
[ "$(cat "$D/old.csv")" = "$HEADER" ] || fail "2020-03-31 CSV is not empty: $(cat "$D/old.csv")"
op base-date-report --date 2020-03-31 --asset 1,4 --csv "$D/old.csv" >/dev/null 2>&1 || fail "report 2020-03-31 --asset 1,4"
cat >"$D/old.csv.expected" <<CSV
$HEADER
2020-03-31,1585666799999999999,1,COIN,0,prepaid,0,0,0,0,0,0,10000000,0,0,2019-09-30
2020-03-31,1585666799999999999,4,SEN,2,prepaid,0,0,0,0,0,0,1000000000,0,0,2019-09-30
CSV
diff "$D/old.csv.expected" "$D/old.csv" || fail "CSV as of 2020-03-31 differs"

# Refusals: a bad date, an unknown asset.
op base-date-report --date 2027-02-30 >/dev/null 2>&1 && fail "2027-02-30 accepted"
op base-date-report --date "$TODAY" --asset 9 >/dev/null 2>"$D/bad.err" && fail "unknown asset accepted"
grep -q "asset 9: no such asset" "$D/bad.err" || fail "unknown asset message: $(cat "$D/bad.err")"
echo PASS
