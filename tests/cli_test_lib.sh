# Sourced by the CLI tests that run against a real ledgerd (set D, the test's directory, first): the
# binaries from the runfiles, a fresh ledgerd on a loopback port the kernel chose (data and log under $D),
# stopped when the test exits, and the helpers `fail MESSAGE` and `ctl LEDGERCTL-ARGS`.
R="$TEST_SRCDIR/$TEST_WORKSPACE"
LEDGERD="$R/ledger/server/ledgerd" LEDGERCTL="$R/ledger/tools/ledgerctl" WALLET="$R/wallet/wallet" POS="$R/merchant/pos"
mkdir -p "$D"
fail() { echo "FAIL: $*" >&2; [ -f "$D/ledgerd.log" ] && tail -5 "$D/ledgerd.log" >&2; exit 1; }

"$LEDGERD" --data_dir="$D/data" --listen=127.0.0.1:0 --metrics_listen= --port_file="$D/ports" >"$D/ledgerd.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$D/ports" ] && break; sleep 0.1; done
ADDR="127.0.0.1:$(awk '/^grpc/ {print $2}' "$D/ports")"
ctl() { "$LEDGERCTL" --addr "$ADDR" "$@" >"$D/ctl.out" 2>&1 || fail "ledgerctl $*: $(cat "$D/ctl.out")"; }
