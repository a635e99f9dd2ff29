# Shared by the ops/ scripts: repository root, dependency install, build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

install_all() {
  "$ROOT/ops/install-deps"
  if [ -x "$ROOT/sim/install-deps" ]; then "$ROOT/sim/install-deps"; fi
  "$ROOT/ops/install-web"
}

# bazel with the flags every ops script uses. BAZEL_OUTPUT_BASE may point at another output base.
run_bazel() {
  if [ -n "${BAZEL_OUTPUT_BASE:-}" ]; then
    bazel --output_base="$BAZEL_OUTPUT_BASE" "$@"
  else
    bazel "$@"
  fi
}

# Creates an operator token file shared by several ledgerd (a cluster, the benchmark) unless it exists:
# 32 random bytes as 64 lowercase hex digits and a newline, mode 0600 (ledgerd refuses a token file that
# group or others may read). Every node and every operator tool is then given it (--operator_token_file).
make_token_file() {
  [ -s "$1" ] && return 0
  mkdir -p "$(dirname "$1")"
  (umask 077; { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; echo; } >"$1.tmp.$$")
  mv "$1.tmp.$$" "$1"
}
