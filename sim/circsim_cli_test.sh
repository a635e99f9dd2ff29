#!/usr/bin/env bash
# End-to-end test of the circsim command line, and of report.html / compare.html in headless Chromium:
# the page must set data-charts-ok (every chart drew), have no data-error (window.onerror), contain
# chart canvases, and a screenshot must be written.
set -euo pipefail

circsim="$1"
scenario_a="$2"
scenario_b="$3"
lm3_input="$4"
survey_input="$5"
shift 5
examples=("$@")
out="${TEST_TMPDIR}/out"
shots="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR}}"
export HOME="${TEST_TMPDIR}"

fail() { echo "FAIL: $*" >&2; exit 1; }

for command in run compare lm3 survey calibrate; do
  "$circsim" "$command" --help | grep -q "usage: circsim $command" || fail "$command --help"
done

"$circsim" lm3 "$lm3_input" | grep -q '"lm3": 1.87' || fail "lm3 worked example"
"$circsim" survey "$survey_input" --premium_rate 0.2 | grep -q '"city_cost_per_new_demand_yen": 0.547619' ||
  fail "survey worked example"

# A scenario error names the field and the limit, and exits with 2.
sed 's/"days": 365/"days": 99999/' "$scenario_a" > "${TEST_TMPDIR}/bad.json"
set +e
message=$("$circsim" run "${TEST_TMPDIR}/bad.json" --out "$out" 2>&1)
code=$?
set -e
[ "$code" -eq 2 ] || fail "bad scenario exit code $code"
echo "$message" | grep -q "'days': is 99999, must be between 1 and 3650" || fail "bad scenario message: $message"

# calibrate --events reads `ledgerctl tail --json` output: 12 wallets charged on day 0 spend 8,000 each
# at 10 food shops on day 5; points (asset 2) run alongside and are left out by --asset 1.
events="${TEST_TMPDIR}/tail.jsonl"
account() { printf '{"type":"account","index":2,"timestamp":1000,"id":"%s","asset":%d,"kind":"%s","category":"%s"}\n' "$@"; }
transfer() {  # day debit credit amount asset flags
  printf '{"type":"transfer","index":3,"timestamp":%d,"id":"00","debit_account":"%s","credit_account":"%s","amount":%d,"asset":%d,"code":0,"flags":[%s]}\n' \
    $((1700000000000000000 + $1 * 86400000000000)) "$2" "$3" "$4" "$5" "$6"
}
{
  echo '{"type":"asset","index":1,"timestamp":1000,"asset":1,"code":"COIN","expiry_seconds":0}'
  account c1 1 issuer ""
  account b2 2 budget ""
  for i in $(seq 0 11); do account "w$i" 1 wallet ""; account "q$i" 2 wallet ""; done
  for i in $(seq 0 9); do account "f$i" 1 merchant food; done
  for i in $(seq 0 11); do
    transfer 0 c1 "w$i" 10000 1 ""
    transfer 1 b2 "q$i" 100 2 ""
    transfer 5 "w$i" "f$((i % 10))" 8000 1 ""
  done
  transfer 6 w0 f1 500 1 '"pending"'
  transfer 6 w0 f1 500 1 '"void_pending"'
} > "$events"
"$circsim" calibrate --events "$events" --asset 1 --out "${TEST_TMPDIR}/calibrated.json" 2> "${TEST_TMPDIR}/calibrate.txt" ||
  fail "calibrate --events (tail format): $(cat "${TEST_TMPDIR}/calibrate.txt")"
for field in '"name": "food"' '"merchants": 10' '"residents": 12' '"resident_holding_days": 5' '"amount_yen": 120000'; do
  grep -q "$field" "${TEST_TMPDIR}/calibrated.json" || fail "calibrated scenario lacks $field: $(cat "${TEST_TMPDIR}/calibrated.json")"
done
"$circsim" run "${TEST_TMPDIR}/calibrated.json" --out "$out/calibrated" --runs 2 2> /dev/null || fail "run the calibrated scenario"
set +e
message=$("$circsim" calibrate --events "$events" --out "${TEST_TMPDIR}/mixed.json" 2>&1)
code=$?
set -e
[ "$code" -eq 2 ] || fail "calibrate on two assets without --asset: exit code $code"
echo "$message" | grep -q "choose one with --asset" || fail "calibrate on two assets: $message"

"$circsim" run "$scenario_a" --out "$out/ja" --runs 6 --seed 7 2> "${TEST_TMPDIR}/progress.txt"
grep -q "6/6 runs" "${TEST_TMPDIR}/progress.txt" || fail "progress on stderr"
for field in '"rounds"' '"lm3"' '"multiplier"' '"turnover_yen"' '"velocity_per_year"' '"hop_distribution"' \
  '"b2b_yen"' '"redeem_yen"' '"b2b_volume_yen"' '"breakage_yen"' '"demurrage_yen"' '"net_benefit_yen"' \
  '"extra_sales_yen"' '"city_cost_per_new_demand_yen"' '"p5"' '"p95"' '"reconciliation_gap_yen": 0.0' \
  '"first_run_reconciliation_gap_yen": 0.0'; do
  grep -q "$field" "$out/ja/metrics.json" || fail "metrics.json lacks $field"
done
"$circsim" run "$scenario_a" --out "$out/en" --runs 6 --seed 7 --lang en 2> /dev/null
grep -q 'lang="en"' "$out/en/report.html" || fail "--lang en"
grep -q "Of every 1,000 yen the city puts in" "$out/en/report.html" || fail "English summary"
grep -q "市が地域通貨に1,000円を投じると" "$out/ja/report.html" || fail "Japanese summary"
# Same seed, same figures.
cmp -s "$out/ja/metrics.json" "$out/en/metrics.json" || fail "metrics.json differs between identical runs"

# The Japanese parameters table has no English left in it (demurrage, issuance, sectors, runs, fees).
demurrage_example=""
for example in "${examples[@]}"; do
  case "$example" in *demurrage_expiry_12m.json) demurrage_example="$example" ;; esac
done
[ -n "$demurrage_example" ] || fail "demurrage_expiry_12m.json is not among the examples"
"$circsim" run "$demurrage_example" --out "$out/params-ja" --runs 2 2> /dev/null
"$circsim" run "$demurrage_example" --out "$out/params-en" --runs 2 --lang en 2> /dev/null
parameters() { sed -n '/<h2>\(シナリオの前提\|Scenario parameters\)<\/h2>/,/<\/table>/p' "$1"; }
parameters "$out/params-ja/report.html" > "${TEST_TMPDIR}/params-ja.html"
parameters "$out/params-en/report.html" > "${TEST_TMPDIR}/params-en.html"
grep -q "年6.00%、猶予7日" "${TEST_TMPDIR}/params-ja.html" || fail "ja parameters: $(cat "${TEST_TMPDIR}/params-ja.html")"
grep -q "プレミアム付き商品券" "${TEST_TMPDIR}/params-ja.html" || fail "ja parameters lack the program name"
for phrase in "merchants" "holding" "resident share" "re-spend" "day 0" " yen" "premium" "linear" \
  "compound" "grace" "/year" "runs" "seed" "bps" "voucher" "health_points"; do
  if grep -q -- "$phrase" "${TEST_TMPDIR}/params-ja.html"; then
    fail "ja parameters table contains English \"$phrase\": $(grep -- "$phrase" "${TEST_TMPDIR}/params-ja.html")"
  fi
done
for phrase in "linear 6.00%/year, grace 7 days" "day 0: 240,000,000 yen, premium voucher, premium 20.0%" \
  "150 merchants, holding 10 days, resident share 25.0%" "2 runs, seed 1"; do
  grep -q -- "$phrase" "${TEST_TMPDIR}/params-en.html" || fail "en parameters lack \"$phrase\""
done

"$circsim" compare "$scenario_a" "$scenario_b" --out "$out/compare" --runs 4 --lang en > "${TEST_TMPDIR}/table.txt" 2> /dev/null
grep -q "LM3" "${TEST_TMPDIR}/table.txt" || fail "compare table"
grep -q '"format": "circsim.compare.v1"' "$out/compare/compare.json" || fail "compare.json"

# Every example scenario parses and runs.
[ "${#examples[@]}" -ge 4 ] || fail "expected the example scenarios, got ${#examples[@]}"
"$circsim" compare "${examples[@]}" --out "$out/examples" --runs 2 > /dev/null 2>&1 || fail "example scenarios"

render() {  # page, expected charts, name
  local page="$1" expected="$2" name="$3" dom body
  dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="${TEST_TMPDIR}/chrome-$name" \
    --virtual-time-budget=10000 --dump-dom "file://$page" 2> /dev/null)
  body=$(echo "$dom" | grep -o '<body[^>]*>')
  echo "$body" | grep -q "data-charts-ok=\"$expected\"" || fail "$name: charts did not draw: $(echo "$dom" | grep -o '<body[^>]*>')"
  if echo "$body" | grep -q "data-error="; then fail "$name: script error: $body"; fi
  local canvases
  canvases=$(echo "$dom" | grep -o "<canvas" | wc -l)
  [ "$canvases" -ge "$expected" ] || fail "$name: $canvases canvases, expected $expected"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="${TEST_TMPDIR}/chrome-$name-shot" \
    --window-size=1200,2400 --virtual-time-budget=10000 --screenshot="$shots/$name.png" "file://$page" > /dev/null 2>&1
  [ -s "$shots/$name.png" ] || fail "$name: no screenshot"
}
render "$out/ja/report.html" 3 report-ja
render "$out/en/report.html" 3 report-en
render "$out/compare/compare.html" 1 compare

# The page reports script errors: break the data and expect data-error and no data-charts-ok.
sed 's/var CIRCSIM_DATA = /var CIRCSIM_DATA = undefined_name + /' "$out/en/report.html" > "${TEST_TMPDIR}/broken.html"
dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="${TEST_TMPDIR}/chrome-broken" \
  --virtual-time-budget=10000 --dump-dom "file://${TEST_TMPDIR}/broken.html" 2> /dev/null)
body=$(echo "$dom" | grep -o '<body[^>]*>')
echo "$body" | grep -q "data-error=" || fail "a broken page does not report its error"
if echo "$body" | grep -q "data-charts-ok"; then fail "a broken page claims its charts drew"; fi

echo "PASS"
