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
