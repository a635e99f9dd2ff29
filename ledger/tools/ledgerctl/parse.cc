// ledgerctl: the command line: words and options, and the typed arguments commands read from them
// (ids, integers, dates, key files). A malformed argument is a usage error (exit 2).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "formats/keys.h"
#include "ledger/core/health.h"
#include "ledger/server/operator_token.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"
#include "wallet/prompt.h"

namespace ledger::ctl {

GlobalOptions ParseGlobalOptions(int argc, char** argv) {
  GlobalOptions global;
  global.address = "127.0.0.1:7400";
  global.token_file = kOperatorTokenFileDefault;
  int& first = global.command;
  while (first < argc && std::string(argv[first]).rfind("--", 0) == 0) {
    const std::string word = argv[first];
    if (word == "--help" || word == "-h") {
      global.help = true;
      return global;
    }
    if (word.rfind("--addr=", 0) == 0) {
      global.address = word.substr(7);
    } else if (word == "--addr" && first + 1 < argc) {
      global.address = argv[++first];
    } else if (word.rfind("--operator_token_file=", 0) == 0) {
      global.token_file = word.substr(22);
    } else if (word == "--operator_token_file" && first + 1 < argc) {
      global.token_file = argv[++first];
    } else if (word.rfind("--operator=", 0) == 0) {
      global.operator_name = word.substr(11);
    } else if (word == "--operator" && first + 1 < argc) {
      global.operator_name = argv[++first];
    } else {
      UsageError(absl::StrCat("unknown option before the command: ", word));
    }
    ++first;
  }
  return global;
}

[[noreturn]] void UsageError(const std::string& message) {
  fprintf(stderr, "ledgerctl: %s\nRun `ledgerctl help` for usage.\n", message.c_str());
  exit(2);
}

namespace {

// Options that take no value.
bool IsSwitch(const std::string& name) {
  return name == "non-negative" || name == "pending" || name == "linked" || name == "reverse" ||
         name == "json" || name == "follow" || name == "help" || name == "no-bonus" ||
         name == "grant" || name == "revoke" || name == "stop" || name == "all" ||
         name == "accept" || name == "decline" || name == "out" || name == "dispute" ||
         name == "cancel" || name == "manager" || name == "no-replay";
}

}  // namespace

Args Parse(int argc, char** argv, int first) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0) {
      args.positional.push_back(word);
      continue;
    }
    word = word.substr(2);
    const size_t equals = word.find('=');
    if (equals != std::string::npos) {
      args.options[word.substr(0, equals)] = word.substr(equals + 1);
    } else if (IsSwitch(word)) {
      args.options[word] = "true";
    } else if (i + 1 < argc) {
      args.options[word] = argv[++i];
    } else {
      UsageError(absl::StrCat("--", word, " needs a value"));
    }
  }
  return args;
}

std::string Required(const Args& args, const std::string& name) {
  auto it = args.options.find(name);
  if (it == args.options.end()) UsageError(absl::StrCat("--", name, " is required"));
  return it->second;
}

int64_t Int(const std::string& text, const std::string& name) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value))
    UsageError(absl::StrCat("--", name, ": not an integer: '", text, "'"));
  return value;
}

int64_t IntOption(const Args& args, const std::string& name, int64_t fallback) {
  return args.Has(name) ? Int(args.options.at(name), name) : fallback;
}

std::string IdArg(const std::string& text, const std::string& name) {
  std::optional<Id128> id = Id128::FromHex(text);
  if (!id) UsageError(absl::StrCat(name, ": not a hex id of up to 32 digits: '", text, "'"));
  return id->ToBytes();
}

std::string HexBytes(const std::string& hex, const char* field) {
  std::string out;
  if (hex.size() % 2 != 0) UsageError(absl::StrCat(field, ": an even number of hex digits"));
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = std::isxdigit(static_cast<unsigned char>(hex[i]))
                         ? std::stoi(hex.substr(i, 1), nullptr, 16)
                         : -1;
    const int low = std::isxdigit(static_cast<unsigned char>(hex[i + 1]))
                        ? std::stoi(hex.substr(i + 1, 1), nullptr, 16)
                        : -1;
    if (high < 0 || low < 0) UsageError(absl::StrCat(field, ": not hex"));
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

uint32_t DayArg(const std::string& text, const std::string& name) {
  std::string digits = text;
  digits.erase(std::remove(digits.begin(), digits.end(), '-'), digits.end());
  uint32_t day = 0;
  if (!absl::SimpleAtoi(digits, &day) || !DayIndexOf(day)) {
    UsageError(absl::StrCat("--", name, ": not a date (YYYY-MM-DD or YYYYMMDD): '", text, "'"));
  }
  return day;
}

std::vector<std::pair<int64_t, int64_t>> PairsArg(const std::string& text,
                                                  const std::string& name) {
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::vector<std::string> parts = absl::StrSplit(item, ':');
    int64_t a = 0, b = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &a) || !absl::SimpleAtoi(parts[1], &b) ||
        a < 0 || b < 0) {
      UsageError(absl::StrCat("--", name, ": expected N:M[,N:M...], got '", text, "'"));
    }
    pairs.emplace_back(a, b);
  }
  return pairs;
}

uint32_t MinuteArg(absl::string_view text, const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  uint32_t hours = 0, minutes = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &hours) ||
      !absl::SimpleAtoi(parts[1], &minutes) || hours > 24 || minutes > 59 ||
      hours * 60 + minutes > 1440) {
    UsageError(absl::StrCat("--", name, ": HH:MM-HH:MM (Japan time), got '", text, "'"));
  }
  return hours * 60 + minutes;
}

uint64_t DayStart(const std::string& text, const std::string& name) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day))
    UsageError(absl::StrCat("--", name, ": not a date YYYY-MM-DD: '", text, "'"));
  return static_cast<uint64_t>(absl::ToUnixNanos(absl::FromCivil(day, Japan())));
}

std::vector<uint32_t> AssetList(const Args& args, const std::string& name) {
  std::vector<uint32_t> ids;
  if (!args.Has(name)) return ids;
  const std::vector<std::string> parts = absl::StrSplit(args.options.at(name), ',');
  for (const std::string& part : parts) {
    const int64_t id = Int(part, name);
    if (id <= 0 || id > 0x7fffffff)
      UsageError(absl::StrCat("--", name, ": asset ids are 1..2^31-1"));
    ids.push_back(static_cast<uint32_t>(id));
  }
  return ids;
}

wallet::KeyPair OpenKey(const Args& args, const std::string& option, const char* env) {
  absl::StatusOr<std::string> sealed = wallet::ReadKeyFile(Required(args, option));
  if (!sealed.ok()) UsageError(absl::StrCat("--", option, ": ", sealed.status().message()));
  absl::StatusOr<wallet::KeyPair> keys = wallet::Open(
      *sealed,
      wallet::ReadSecret(env, absl::StrCat("Passphrase for ", args.options.at(option), ": ")));
  if (!keys.ok()) UsageError(absl::StrCat("--", option, ": ", keys.status().message()));
  return *keys;
}

}  // namespace ledger::ctl
