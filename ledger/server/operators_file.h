// The operators file (ledgerd --operators_file): the role table a new ledger starts with. One
// operator per line, `NAME ROLE[,ROLE...]`, blanks around; '#' starts a comment; blank lines are
// skipped. Names as ledger/core/operator_name.h has them (not node-*, not "bootstrap"), each once;
// roles by their names (ledger/core/operators.h); at most kOperatorsMax operators.
//
// Example:
//   # the city hall
//   city-treasurer  treasurer
//   demo            treasurer,programme_admin,merchant_registrar,support_desk,auditor,cluster_admin
#ifndef LEDGER_SERVER_OPERATORS_FILE_H_
#define LEDGER_SERVER_OPERATORS_FILE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/core/operators.h"

namespace ledger {

// The file's operators as commands, in file order; INVALID_ARGUMENT naming "PATH:LINE" and what
// is wrong there, NOT_FOUND when the file cannot be read.
absl::StatusOr<std::vector<SetOperatorRoles>> ParseOperatorsFile(std::string_view text,
                                                                 std::string_view path);
absl::StatusOr<std::vector<SetOperatorRoles>> ReadOperatorsFile(const std::string& path);

}  // namespace ledger

#endif  // LEDGER_SERVER_OPERATORS_FILE_H_
