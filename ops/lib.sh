# Shared by the ops/ scripts: repository root, dependency install, build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

install_all() {
  "$ROOT/ops/install-deps"
  if [ -x "$ROOT/sim/install-deps" ]; then "$ROOT/sim/install-deps"; fi
}

# bazel with the flags every ops script uses. BAZEL_OUTPUT_BASE may point at another output base.
run_bazel() {
  if [ -n "${BAZEL_OUTPUT_BASE:-}" ]; then
    bazel --output_base="$BAZEL_OUTPUT_BASE" "$@"
  else
    bazel "$@"
  fi
}
