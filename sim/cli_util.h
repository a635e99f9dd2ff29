// Argument parsing and file helpers for the circsim command line.
#ifndef SIM_CLI_UTIL_H_
#define SIM_CLI_UTIL_H_

#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"

namespace sim {

struct Args {
  std::vector<std::string> positional;
  absl::btree_map<std::string, std::string> options;  // "--name value" or "--name=value".
  bool help = false;
};

// Rejects a repeated option and an option without a value (NOT --help / -h).
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& words);

absl::StatusOr<std::string> ReadFile(const std::string& path);
absl::Status WriteFile(const std::string& path, const std::string& contents);

}  // namespace sim

#endif  // SIM_CLI_UTIL_H_
