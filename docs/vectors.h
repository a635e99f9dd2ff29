// The signing test vectors of docs/signing.md, computed with the production functions: every signed
// envelope (Pos SignedRequest, WalletRequest, the device's step report, the host's check-in code),
// the customer-presented code (CPM), the EMVCo merchant-presented payload with its CRC, and the
// derived ids a client computes or meets. `bazel run //docs:make_vectors` writes them to
// docs/vectors/*.json;
// //docs:vectors_test fails when the checked-in files and the code disagree, and
// docs/vectors/check.mjs recomputes every vector from the document alone (Node, node:crypto only).
#ifndef DOCS_VECTORS_H_
#define DOCS_VECTORS_H_

#include <string>
#include <utility>
#include <vector>

namespace docs {

// (file name, JSON text ending in a newline), in a fixed order. Deterministic: fixed keys and
// inputs, and Ed25519 signatures are deterministic.
std::vector<std::pair<std::string, std::string>> MakeVectorFiles();

}  // namespace docs

#endif  // DOCS_VECTORS_H_
