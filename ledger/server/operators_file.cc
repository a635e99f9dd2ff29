// The operators file: see operators_file.h.
#include "ledger/server/operators_file.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "ledger/core/limits.h"

namespace ledger {
namespace {

std::string_view Strip(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

absl::Status LineError(std::string_view path, int line, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(path), ":", line, ": ", what));
}

// One non-empty line (comment removed): "NAME ROLES".
absl::StatusOr<SetOperatorRoles> ParseLine(std::string_view text, std::string_view path, int line) {
  const size_t gap = text.find_first_of(" \t");
  if (gap == std::string_view::npos) {
    return LineError(path, line, "expected 'NAME ROLE[,ROLE...]'");
  }
  const std::string name(text.substr(0, gap));
  const std::string roles_text(Strip(text.substr(gap)));
  if (!AssignableOperatorName(name)) {
    return LineError(path, line,
                     absl::StrCat("operator name '", name, "': 1 to ", kOperatorNameLengthMax,
                                  " of a-z, 0-9, '.', '_', '-', starting with a letter or digit; "
                                  "not node-* nor bootstrap"));
  }
  std::optional<RoleSet> roles = ParseRoles(roles_text);
  if (!roles || *roles == 0 || roles_text.find_first_of(" \t") != std::string::npos) {
    return LineError(
        path, line,
        absl::StrCat("roles '", roles_text, "': a comma-separated list of ", RoleNames(kAllRoles)));
  }
  return SetOperatorRoles{name, *roles};
}

}  // namespace

absl::StatusOr<std::vector<SetOperatorRoles>> ParseOperatorsFile(std::string_view text,
                                                                 std::string_view path) {
  std::vector<SetOperatorRoles> operators;
  std::set<std::string> names;
  int line = 0;
  while (!text.empty()) {
    ++line;
    const size_t end = text.find('\n');
    std::string_view content = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    content = content.substr(0, content.find('#'));
    content = Strip(content);
    if (content.empty()) continue;
    absl::StatusOr<SetOperatorRoles> entry = ParseLine(content, path, line);
    if (!entry.ok()) return entry.status();
    if (!names.insert(entry->name).second) {
      return LineError(path, line, absl::StrCat("operator '", entry->name, "' listed twice"));
    }
    if (operators.size() == kOperatorsMax) {
      return LineError(path, line, absl::StrCat("more than ", kOperatorsMax, " operators"));
    }
    operators.push_back(*std::move(entry));
  }
  if (operators.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(path), ": no operators"));
  }
  return operators;
}

absl::StatusOr<std::vector<SetOperatorRoles>> ReadOperatorsFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::ostringstream text;
  text << file.rdbuf();
  return ParseOperatorsFile(text.str(), path);
}

}  // namespace ledger
