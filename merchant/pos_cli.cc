// pos: the shop's counter tool. Offline: show a merchant-presented QR code for an amount
// (JPQR/EMVCo payload), read a customer's payment code, create the terminal's key. Online, over the
// Pos service with requests signed by the terminal's key: charge a scanned code, look a payment up,
// cancel, refund, close the day, cash out, pay a supplier; on a manager terminal, add and revoke
// the shop's terminals. The terminal key's passphrase comes from $POS_PASSPHRASE or is asked for
// without echo.
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/emvco.h"
#include "formats/keys.h"
#include "formats/qr.h"
#include "ledger/client/client.h"
#include "ledger/core/cpm.h"
#include "ledger/core/records.h"
#include "ledger/core/types.h"
#include "merchant/pos_client.h"
#include "wallet/prompt.h"

namespace merchant {
namespace {

using merchant::SignRequest;

constexpr char kUsage[] = R"(pos: the shop's counter tool.

Usage: pos COMMAND [OPTIONS]
Offline:
  mpm --account HEX --name NAME --city CITY [--asset N] [--terminal LABEL] [--category MCC] [--png FILE]
        print a static merchant-presented QR code (and its payload text) to put on the counter: the
        customer enters the amount
  read-code CODE    decode a customer-presented code: whose wallet, nonce, issued, expires (the signature
                    and the one-time use are checked by the ledger when charging)
  init-terminal --key FILE   create this terminal's key (sealed under a passphrase); register the printed
                    public key: ledgerctl register-key --account MERCHANT --terminal ID --public-key HEX
Online (common options: --addr HOST:PORT[,...] --key FILE --merchant HEX --terminal ID; TLS checked
against --tls_ca FILE, default var/pki/ca.crt; --plaintext for a ledgerd --plaintext on loopback):
  charge --payment-id ID --amount N --code LC1...      charge a scanned customer code
  mpm --payment-id ID --amount N --name NAME --city CITY [--lifetime SECONDS] [--category MCC] [--png FILE]
                    register a one-payment code with the ledger and show it (QR and payload text); the
                    customer's wallet must pay exactly N before it expires (default 300 s, at most
                    3600); poll with status
  status --payment-id ID                               look a payment up
  cancel --payment-id ID                               same day, before the close, nothing refunded
  refund --payment-id ID --refund-id ID --amount N     partial or full; never more than paid in total
  close-day --day YYYYMMDD                             freeze the day and print its report
  cash-out --id ID --amount N [--member]               coin back to the city, yen to the shop, minus the fee
                    (chamber members, as the city's register lists them, get the member rate; --member
                    insists on it and is refused otherwise)
  pay-supplier --id ID --supplier HEX --amount N       pay a local supplier in coin (B2B fee on top)
  card-charge --card DIGITS --amount N --payment-id ID --staff NAME
                    staff charge a resident's custodial card; the resident types the PIN (asked without
                    echo, or $CARD_PIN); a wrong PIN may be retried with the same payment id; too many
                    wrong PINs in a row lock the card
Online, run on a manager terminal (ledgerctl register-key ... --manager) with its common options:
  add-terminal --terminal-id ID --public-key HEX       register another terminal of this shop (an ordinary
                    one; its key from pos init-terminal on that terminal); after revoke-terminal, the
                    same with a new key replaces the revoked one
  revoke-terminal --terminal-id ID                     stop a lost or stolen terminal at once: its requests
                    are refused from now on, and its key is never accepted for this shop again
  help              this text
Exit codes: 0 ok, 1 failed or refused (the message says why), 2 usage.
)";

[[noreturn]] void Usage(const std::string& message) {
  std::fprintf(stderr, "pos: %s\nRun `pos help` for usage.\n", message.c_str());
  std::exit(2);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "pos: %s\n", std::string(status.message()).c_str());
  return 1;
}

// Prints the payload as a terminal QR code and as text, and writes a PNG when `png_path` is not
// empty: `png` when given (the ledger's image of a registered code), else one made here.
int ShowQr(const std::string& payload, const std::string& png_path,
           std::optional<std::string> png = std::nullopt) {
  absl::StatusOr<std::string> qr = wallet::QrTerminal(payload);
  if (!qr.ok()) return Fail(qr.status());
  std::printf("%s\n%s\n", qr->c_str(), payload.c_str());
  if (!png_path.empty()) {
    if (!png) {
      absl::StatusOr<std::string> made = wallet::QrPng(payload);
      if (!made.ok()) return Fail(made.status());
      png = *std::move(made);
    }
    std::ofstream out(png_path, std::ios::binary);
    out << *png;
    if (!out) return Fail(absl::UnavailableError("cannot write " + png_path));
    std::printf("QR code written to %s\n", png_path.c_str());
  }
  return 0;
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
  if (o.count("asset"))
    p.asset = static_cast<uint32_t>(std::strtoul(get("asset").c_str(), nullptr, 10));
  p.dynamic = false;
  if (o.count("payment-id"))
    Usage("--payment-id: a static code has none (for one payment, see mpm --amount)");
  absl::StatusOr<std::string> payload = BuildMpm(p);
  if (!payload.ok()) return Fail(payload.status());
  return ShowQr(*payload, get("png"));
}

int ReadCode(const std::vector<std::string>& positional) {
  if (positional.size() != 1) Usage("read-code needs the code text");
  absl::StatusOr<ledger::CpmCode> code = ledger::DecodeCpm(positional[0]);
  if (!code.ok()) return Fail(code.status());
  const uint64_t now_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  const uint64_t expires_ms = code->issued_at_ms + uint64_t{code->ttl_seconds} * 1000;
  std::printf("wallet    %s\nnonce     %llu\nissued    %llu ms\nexpires   %llu ms (%s)\n",
              ledger::Id128::FromBytes(code->account)->ToHex().c_str(),
              static_cast<unsigned long long>(code->nonce),
              static_cast<unsigned long long>(code->issued_at_ms),
              static_cast<unsigned long long>(expires_ms),
              now_ms < expires_ms ? "still valid by this clock" : "expired by this clock");
  return 0;
}

std::string Passphrase() {
  return wallet::ReadSecret("POS_PASSPHRASE", "Terminal key passphrase: ");
}

int InitTerminal(const std::map<std::string, std::string>& o) {
  if (!o.count("key")) Usage("missing --key");
  if (std::ifstream(o.at("key")).good())
    Usage("--key " + o.at("key") + " exists: refusing to overwrite a terminal key");
  const wallet::KeyPair keys = wallet::GenerateKeyPair();
  absl::StatusOr<std::string> sealed = wallet::Seal(keys, Passphrase());
  if (!sealed.ok()) return Fail(sealed.status());
  absl::Status written = wallet::WriteKeyFile(o.at("key"), *sealed);
  if (!written.ok()) return Fail(written);
  std::printf("terminal key written to %s (mode 0600)\npublic key %s\n", o.at("key").c_str(),
              wallet::Hex(keys.public_key).c_str());
  return 0;
}

std::string Need(const std::map<std::string, std::string>& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || it->second.empty()) Usage(std::string("missing --") + name);
  return it->second;
}

int64_t Number(const std::map<std::string, std::string>& o, const char* name) {
  const std::string text = Need(o, name);
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0') Usage(std::string("--") + name + ": not a number");
  return value;
}

// A public key as `pos init-terminal` prints it: 64 hex digits.
std::string PublicKeyBytes(const std::string& hex) {
  if (hex.size() != 64)
    Usage("--public-key: 64 hex digits (32 bytes, as pos init-terminal prints it)");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const std::string pair = hex.substr(i, 2);
    if (!std::isxdigit(static_cast<unsigned char>(pair[0])) ||
        !std::isxdigit(static_cast<unsigned char>(pair[1]))) {
      Usage("--public-key: not hex");
    }
    out.push_back(static_cast<char>(std::stoi(pair, nullptr, 16)));
  }
  return out;
}

void PrintReply(const ledger::v1::PosReply& reply) {
  std::printf("result    %s%s\n", ledger::ResultName(static_cast<ledger::Result>(reply.result())),
              reply.duplicate() ? " (already decided: the original outcome)" : "");
  if (reply.has_payment()) {
    const auto& p = reply.payment();
    std::printf("payment   %s  %lld  %s  refunded %lld  day %u  terminal %s\n",
                p.payment_id().c_str(), static_cast<long long>(p.amount()), p.state().c_str(),
                static_cast<long long>(p.refunded()), p.business_day(), p.terminal_id().c_str());
  }
  if (reply.expires_at() != 0) {
    const uint64_t now_ns = WallClockMs() * 1'000'000;
    const uint64_t left =
        reply.expires_at() > now_ns ? (reply.expires_at() - now_ns) / 1'000'000'000 : 0;
    std::printf("expires   in %llu s (ledger clock %llu ns)\n",
                static_cast<unsigned long long>(left),
                static_cast<unsigned long long>(reply.expires_at()));
  }
  if (reply.result() == ledger::v1::EXCEEDS_BALANCE) {
    std::printf("available %lld\n", static_cast<long long>(reply.available()));
  }
  for (const auto& day : reply.day()) {
    if (day.terminal_id().empty() && reply.day(0).asset() != day.asset())
      std::printf("asset %u\n", day.asset());
    std::printf("%-10s payments %llu  gross %lld  cancels %llu (%lld)  refunds %lld  net %lld\n",
                day.terminal_id().empty() ? "total" : day.terminal_id().c_str(),
                static_cast<unsigned long long>(day.payments()),
                static_cast<long long>(day.gross()), static_cast<unsigned long long>(day.cancels()),
                static_cast<long long>(day.cancelled()), static_cast<long long>(day.refunded()),
                static_cast<long long>(day.net()));
  }
  if (reply.fee() != 0) std::printf("fee       %lld\n", static_cast<long long>(reply.fee()));
}

// The terminal of --merchant, --terminal and its sealed key --key (passphrase from $POS_PASSPHRASE
// or a prompt).
absl::StatusOr<Terminal> OpenTerminal(const std::map<std::string, std::string>& o) {
  std::optional<ledger::Id128> merchant_id = ledger::Id128::FromHex(Need(o, "merchant"));
  if (!merchant_id) Usage("--merchant: up to 32 hex digits");
  absl::StatusOr<std::string> sealed = wallet::ReadKeyFile(Need(o, "key"));
  if (!sealed.ok()) return sealed.status();
  absl::StatusOr<wallet::KeyPair> keys = wallet::Open(*sealed, Passphrase());
  if (!keys.ok()) return keys.status();
  return Terminal{merchant_id->ToBytes(), Need(o, "terminal"), *keys};
}

// The payment commands: charge, mpm, status, cancel, refund.
template <typename Call>
grpc::Status PaymentCommand(const std::string& command, const std::map<std::string, std::string>& o,
                            const Call& call) {
  using S = ledger::v1::Pos::Stub;
  if (command == "charge") {
    ledger::v1::CreatePaymentRequest body;
    body.set_payment_id(Need(o, "payment-id"));
    body.set_amount(Number(o, "amount"));
    body.set_cpm(Need(o, "code"));
    return call("CreatePayment", body, &S::CreatePayment);
  } else if (command == "mpm") {
    ledger::v1::CreateMpmRequest body;
    body.set_payment_id(Need(o, "payment-id"));
    body.set_amount(Number(o, "amount"));
    body.set_merchant_name(Need(o, "name"));
    body.set_merchant_city(Need(o, "city"));
    if (o.count("category")) body.set_merchant_category(o.at("category"));
    if (o.count("lifetime"))
      body.set_lifetime_seconds(static_cast<uint32_t>(Number(o, "lifetime")));
    return call("CreateMpm", body, &S::CreateMpm);
  } else if (command == "status" || command == "cancel") {
    ledger::v1::PaymentIdRequest body;
    body.set_payment_id(Need(o, "payment-id"));
    return command == "status" ? call("GetPayment", body, &S::GetPayment)
                               : call("CancelPayment", body, &S::CancelPayment);
  } else if (command == "refund") {
    ledger::v1::RefundPaymentRequest body;
    body.set_payment_id(Need(o, "payment-id"));
    body.set_refund_id(Need(o, "refund-id"));
    body.set_amount(Number(o, "amount"));
    return call("RefundPayment", body, &S::RefundPayment);
  }
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, command);
}

// The shop's other commands: close-day, cash-out, card-charge, add-terminal, revoke-terminal,
// pay-supplier.
template <typename Call>
grpc::Status ShopCommand(const std::string& command, const std::map<std::string, std::string>& o,
                         const Call& call) {
  using S = ledger::v1::Pos::Stub;
  if (command == "close-day") {
    ledger::v1::CloseDayRequest body;
    body.set_business_day(static_cast<uint32_t>(Number(o, "day")));
    return call("CloseDay", body, &S::CloseDay);
  } else if (command == "cash-out") {
    ledger::v1::CashOutRequest body;
    body.set_cashout_id(Need(o, "id"));
    body.set_amount(Number(o, "amount"));
    body.set_member(o.count("member") > 0);
    return call("CashOut", body, &S::CashOut);
  } else if (command == "card-charge") {
    ledger::v1::CardPaymentRequest body;
    body.set_payment_id(Need(o, "payment-id"));
    body.set_amount(Number(o, "amount"));
    body.set_card_number(Need(o, "card"));
    body.set_staff_id(Need(o, "staff"));
    body.set_pin(wallet::ReadSecret("CARD_PIN", "Card PIN (the resident types it): "));
    return call("CardPayment", body, &S::CardPayment);
  } else if (command == "add-terminal") {
    ledger::v1::RegisterTerminalRequest body;
    body.set_terminal_id(Need(o, "terminal-id"));
    body.set_public_key(PublicKeyBytes(Need(o, "public-key")));
    return call("RegisterTerminal", body, &S::RegisterTerminal);
  } else if (command == "revoke-terminal") {
    ledger::v1::RevokeTerminalRequest body;
    body.set_terminal_id(Need(o, "terminal-id"));
    return call("RevokeTerminal", body, &S::RevokeTerminal);
  } else {
    std::optional<ledger::Id128> supplier = ledger::Id128::FromHex(Need(o, "supplier"));
    if (!supplier) Usage("--supplier: up to 32 hex digits");
    ledger::v1::SupplierPaymentRequest body;
    body.set_payment_id(Need(o, "id"));
    body.set_supplier_account_id(supplier->ToBytes());
    body.set_amount(Number(o, "amount"));
    return call("PaySupplier", body, &S::PaySupplier);
  }
}

int Online(const std::string& command, const std::map<std::string, std::string>& o) {
  absl::StatusOr<Terminal> opened = OpenTerminal(o);
  if (!opened.ok()) return Fail(opened.status());
  const Terminal& terminal = *opened;
  // The Pos service only, each request signed by the terminal: no operator token.
  absl::StatusOr<ledger::Transport> transport =
      ledger::TransportFromOptions(o, /*operator_api=*/false);
  if (!transport.ok()) return Fail(transport.status());
  ledger::LedgerConnection connection(o.count("addr") ? o.at("addr") : "127.0.0.1:7400", "",
                                      *transport);
  ledger::v1::PosReply reply;
  auto call = [&](const char* method, const google::protobuf::Message& body, auto rpc) {
    return connection.Call([&](ledger::LedgerConnection& c) {
      const ledger::v1::SignedRequest request = SignRequest(terminal, method, body, WallClockMs());
      return (c.pos().*rpc)(ledger::ContextWithDeadline(std::chrono::seconds(10)).get(), request,
                            &reply);
    });
  };
  const bool payment = command == "charge" || command == "mpm" || command == "status" ||
                       command == "cancel" || command == "refund";
  const grpc::Status status =
      payment ? PaymentCommand(command, o, call) : ShopCommand(command, o, call);
  if (!status.ok()) {
    std::fprintf(stderr, "pos: %s\n", status.error_message().c_str());
    return 1;
  }
  if (!reply.mpm_payload().empty()) {
    if (int shown =
            ShowQr(reply.mpm_payload(), o.count("png") ? o.at("png") : "", reply.mpm_qr_png());
        shown != 0) {
      return shown;
    }
  }
  PrintReply(reply);
  return reply.result() == ledger::v1::OK ? 0 : 1;
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
    } else if (word == "--member" || word == "--plaintext") {
      options[word.substr(2)] = "1";
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
  if (command == "mpm" && !options.count("amount")) return Mpm(options);
  if (command == "read-code") return ReadCode(positional);
  if (command == "init-terminal") return InitTerminal(options);
  if (command == "charge" || command == "mpm" || command == "status" || command == "cancel" ||
      command == "refund" || command == "close-day" || command == "cash-out" ||
      command == "pay-supplier" || command == "card-charge" || command == "add-terminal" ||
      command == "revoke-terminal") {
    return Online(command, options);
  }
  Usage("unknown command '" + command + "'");
}

}  // namespace
}  // namespace merchant

int main(int argc, char** argv) { return merchant::Run(argc, argv); }
