// An operator's name: who acts on the operator services (Ledger, Cluster). 1 to
// kOperatorNameLengthMax characters of [a-z0-9._-], the first a letter or digit. Names starting
// with "node-" belong to the cluster's own nodes (their certificates), never to a person.
//
// Example: ValidOperatorName("city-treasurer") is true; ValidOperatorName("Alice") is false.
#ifndef LEDGER_CORE_OPERATOR_NAME_H_
#define LEDGER_CORE_OPERATOR_NAME_H_

#include <string_view>

#include "ledger/core/limits.h"

namespace ledger {

// The gRPC metadata entry that names the operator a development token's holder acts as (plaintext
// loopback only; see ledger/server/operator_auth.h).
inline constexpr char kOperatorNameHeader[] = "x-ledger-operator";
// The name a development token's holder acts as when the call names none.
inline constexpr char kDevelopmentOperatorName[] = "dev";

inline bool ValidOperatorName(std::string_view name) {
  if (name.empty() || name.size() > kOperatorNameLengthMax) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

}  // namespace ledger

#endif  // LEDGER_CORE_OPERATOR_NAME_H_
