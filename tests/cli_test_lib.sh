# Sourced by the CLI tests that run against a real ledgerd (set D, the test's directory, first): the
# binaries from the runfiles, a fresh ledgerd on a loopback port the kernel chose (data and log under $D),
# stopped when the test exits, its operator token file $TOKEN, and the helpers `fail MESSAGE`,
# `op LEDGERCTL-ARGS` (ledgerctl with the operator token: the city's commands), `ctl LEDGERCTL-ARGS` (op,
# output kept in $D/ctl.out, failing the test if the command fails) and `wallet_register WALLET-ARGS`.
# Residents' signed commands run "$LEDGERCTL" --addr "$ADDR" or "$WALLET" without the token.
R="$TEST_SRCDIR/$TEST_WORKSPACE"
LEDGERD="$R/ledger/ledgerd/ledgerd" LEDGERCTL="$R/ledger/tools/ledgerctl" WALLET="$R/wallet/wallet" POS="$R/merchant/pos"
mkdir -p "$D"
fail() { echo "FAIL: $*" >&2; [ -f "$D/ledgerd.log" ] && tail -5 "$D/ledgerd.log" >&2; exit 1; }

"$LEDGERD" --data_dir="$D/data" --listen=127.0.0.1:0 --metrics_listen= --port_file="$D/ports" >"$D/ledgerd.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$D/ports" ] && break; sleep 0.1; done
ADDR="127.0.0.1:$(awk '/^grpc/ {print $2}' "$D/ports")"
TOKEN="$D/data/operator.token"  # Created by ledgerd at start-up, before it writes the ports file.
[ "$(stat -c %a "$TOKEN")" = 600 ] || fail "operator token file mode"
op() { "$LEDGERCTL" --addr "$ADDR" --operator_token_file "$TOKEN" "$@"; }
ctl() { op "$@" >"$D/ctl.out" 2>&1 || fail "ledgerctl $*: $(cat "$D/ctl.out")"; }
# `wallet register` is the city's desk registering a resident's key: the operator API, with the token.
wallet_register() { "$WALLET" register --addr "$ADDR" --operator_token_file "$TOKEN" "$@"; }
