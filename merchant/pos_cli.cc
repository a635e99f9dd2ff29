// pos: the shop's counter tool — the parts that need no ledger service yet: show a merchant-presented
// QR code for an amount (JPQR/EMVCo payload) and read a customer's payment code to see whose wallet it
// names and until when it is valid. Charging, refunds, the daily close and cash-out go through the
// ledger once the POS service exists (the rules are already in the core: ledger/core/pos.h).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "ledger/core/cpm.h"
#include "ledger/core/types.h"
#include "merchant/emvco.h"
#include "wallet/qr.h"

namespace merchant {
namespace {

constexpr char kUsage[] = R"(pos: the shop's counter tool (offline parts; charging through the ledger comes with the POS service).

Usage: pos COMMAND [OPTIONS]
  mpm --account HEX --name NAME --city CITY [--amount N --payment-id ID] [--asset N] [--terminal LABEL]
      [--category MCC] [--png FILE]
        print a merchant-presented QR code (and its payload text): dynamic with --amount and --payment-id
        (one payment), static without (the customer enters the amount)
  read-code CODE    decode a customer-presented code: whose wallet, nonce, issued, expires (the signature
                    and the one-time use are checked by the ledger when charging)
  help              this text
Exit codes: 0 ok, 1 refused (the message says why), 2 usage.
)";

[[noreturn]] void Usage(const std::string& message) {
  std::fprintf(stderr, "pos: %s\nRun `pos help` for usage.\n", message.c_str());
  std::exit(2);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "pos: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Mpm(const std::map<std::string, std::string>& o) {
  auto get = [&](const char* name) { return o.count(name) ? o.at(name) : std::string(); };
  std::optional<ledger::Id128> account = ledger::Id128::FromHex(get("account"));
  if (!account) Usage("--account: up to 32 hex digits");
  MpmPayload p;
  p.merchant_account = account->ToHex();
  p.merchant_name = get("name");
  p.merchant_city = get("city");
  p.terminal_label = get("terminal");
  if (o.count("category")) p.merchant_category = get("category");
  if (o.count("asset")) p.asset = static_cast<uint32_t>(std::strtoul(get("asset").c_str(), nullptr, 10));
  p.dynamic = o.count("amount") > 0;
  if (p.dynamic) {
    p.amount = std::strtoll(get("amount").c_str(), nullptr, 10);
    p.payment_id = get("payment-id");
  } else if (o.count("payment-id")) {
    Usage("--payment-id needs --amount (a static code has neither)");
  }
  absl::StatusOr<std::string> payload = BuildMpm(p);
  if (!payload.ok()) return Fail(payload.status());
  absl::StatusOr<std::string> qr = wallet::QrTerminal(*payload);
  if (!qr.ok()) return Fail(qr.status());
  std::printf("%s\n%s\n", qr->c_str(), payload->c_str());
  if (o.count("png")) {
    absl::StatusOr<std::string> png = wallet::QrPng(*payload);
    if (!png.ok()) return Fail(png.status());
    std::ofstream out(get("png"), std::ios::binary);
    out << *png;
    if (!out) return Fail(absl::UnavailableError("cannot write " + get("png")));
    std::printf("QR code written to %s\n", get("png").c_str());
  }
  return 0;
}

int ReadCode(const std::vector<std::string>& positional) {
  if (positional.size() != 1) Usage("read-code needs the code text");
  absl::StatusOr<ledger::CpmCode> code = ledger::DecodeCpm(positional[0]);
  if (!code.ok()) return Fail(code.status());
  const uint64_t now_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const uint64_t expires_ms = code->issued_at_ms + uint64_t{code->ttl_seconds} * 1000;
  std::printf("wallet    %s\nnonce     %llu\nissued    %llu ms\nexpires   %llu ms (%s)\n",
              ledger::Id128::FromBytes(code->account)->ToHex().c_str(), static_cast<unsigned long long>(code->nonce),
              static_cast<unsigned long long>(code->issued_at_ms), static_cast<unsigned long long>(expires_ms),
              now_ms < expires_ms ? "still valid by this clock" : "expired by this clock");
  return 0;
}

int Run(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
  }
  if (argc < 2) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const std::string command = argv[1];
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;
  for (int i = 2; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0) {
      positional.push_back(word);
    } else if (word.find('=') != std::string::npos) {
      options[word.substr(2, word.find('=') - 2)] = word.substr(word.find('=') + 1);
    } else if (i + 1 < argc) {
      options[word.substr(2)] = argv[++i];
    } else {
      Usage(word + " needs a value");
    }
  }
  if (command == "help") {
    std::printf("%s", kUsage);
    return 0;
  }
  if (command == "mpm") return Mpm(options);
  if (command == "read-code") return ReadCode(positional);
  Usage("unknown command '" + command + "'");
}

}  // namespace
}  // namespace merchant

int main(int argc, char** argv) { return merchant::Run(argc, argv); }
