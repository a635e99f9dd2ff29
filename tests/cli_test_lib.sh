# Sourced by the CLI tests that run against a real ledgerd (set D, the test's directory, first): the
# binaries from the runfiles, a fresh ledgerd over TLS on loopback ports the kernel chose (data and log
# under $D), stopped when the test exits, and the helpers `fail MESSAGE`, `op LEDGERCTL-ARGS` (ledgerctl as
# the `demo` operator, mutual TLS on the operator listener $OPADDR: the city's commands), `ctl
# LEDGERCTL-ARGS` (op, output kept in $D/ctl.out, failing the test if the command fails) and
# `wallet_register WALLET-ARGS`. Certificates: ops/pki makes $D/var/pki (CA, node-1, demo) and the test
# runs in $D, so that the tools' default var/pki/ca.crt is the test's CA: residents' signed commands run
# "$LEDGERCTL" --addr "$ADDR", "$WALLET" or "$POS" over TLS with no certificate flag.
R="$TEST_SRCDIR/$TEST_WORKSPACE"
LEDGERD="$R/ledger/ledgerd/ledgerd" LEDGERCTL="$R/ledger/tools/ledgerctl" WALLET="$R/wallet/wallet" POS="$R/merchant/pos"
mkdir -p "$D"
cd "$D"
fail() { echo "FAIL: $*" >&2; [ -f "$D/ledgerd.log" ] && tail -5 "$D/ledgerd.log" >&2; exit 1; }

PKI="$D/var/pki"
# The role table: OPERATORS_FILE if the test set one, else the `demo` operator (what ledgerctl presents by
# default) with every role; a certificate for each operator named in it.
if [ -z "${OPERATORS_FILE:-}" ]; then
  OPERATORS_FILE="$D/operators"
  echo "demo treasurer,programme_admin,merchant_registrar,support_desk,auditor,cluster_admin" >"$OPERATORS_FILE"
fi
{ "$R/ops/pki" init "$PKI" && "$R/ops/pki" node "$PKI" 1; } >/dev/null || fail "ops/pki"
for name in $(awk '!/^#/ && NF { print $1 }' "$OPERATORS_FILE"); do
  "$R/ops/pki" operator "$PKI" "$name" >/dev/null || fail "ops/pki operator $name"
done
"$LEDGERD" --data_dir="$D/data" --listen=127.0.0.1:0 --operator_listen=127.0.0.1:0 --metrics_listen= \
  --http_listen= --http_operator_listen= \
  --port_file="$D/ports" --tls_cert="$PKI/nodes/node-1.crt" --tls_key="$PKI/nodes/node-1.key" \
  --tls_client_ca="$PKI/ca.crt" --tls_crl_dir="$PKI/crl" --operators_file="$OPERATORS_FILE" >"$D/ledgerd.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$D/ports" ] && break; sleep 0.1; done
ADDR="127.0.0.1:$(awk '/^grpc/ {print $2}' "$D/ports")"
OPADDR="127.0.0.1:$(awk '/^operator/ {print $2}' "$D/ports")"
op() { "$LEDGERCTL" --addr "$ADDR" --operator_addr "$OPADDR" "$@"; }
ctl() { op "$@" >"$D/ctl.out" 2>&1 || fail "ledgerctl $*: $(cat "$D/ctl.out")"; }
# `wallet register` is the city's desk registering a resident's key: the operator API, as `demo`.
wallet_register() { "$WALLET" register --addr "$ADDR" --operator_addr "$OPADDR" "$@"; }
