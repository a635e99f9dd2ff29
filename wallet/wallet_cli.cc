// wallet: a resident's wallet at the command line. Offline: create an identity (an Ed25519 key
// sealed under a passphrase), show its public key, show a customer-presented payment code as a QR
// code, read a shop's merchant-presented payload. Online: register the key with the ledger,
// balances with what expires when, history, staff operations on a card, send coin, pay a shop's
// code — every request signed by the wallet's key through the public Wallet service (reads only
// ever return the signer's own account).
//
// The passphrase is read from $WALLET_PASSPHRASE if set, else asked for on the terminal (not
// echoed).
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "formats/emvco.h"
#include "formats/keys.h"
#include "formats/qr.h"
#include "ledger/client/client.h"
#include "ledger/core/pos.h"
#include "ledger/core/types.h"
#include "ledger/server/operator_token.h"
#include "wallet/cpm.h"
#include "wallet/prompt.h"
#include "wallet/wallet_client.h"

namespace wallet {
namespace {

constexpr char kUsage[] = R"(wallet: a resident's regional-coin wallet.

Usage: wallet COMMAND [OPTIONS]
Offline:
  init --key FILE                      create an identity: a new Ed25519 key sealed under a passphrase
                                       (at least 8 characters; Argon2id), written with mode 0600
  pubkey --key FILE                    print the public key (hex) the ledger registers for your wallet
  code --key FILE --account HEX [--ttl SECONDS] [--png FILE]
                                       a one-time payment code for the shop to scan, as a QR code in the
                                       terminal (and a PNG); valid --ttl seconds (default 60, at most 600)
  scan PAYLOAD                         read a shop's QR payload (EMVCo/JPQR text) and show what it asks
Online (--addr HOST:PORT[,...], default 127.0.0.1:7400; TLS checked against --tls_ca FILE, default
var/pki/ca.crt; --plaintext for a ledgerd --plaintext on loopback):
  register --key FILE --account HEX [--tls_cert FILE --tls_key FILE] [--operator_addr HOST:PORT]
                                       register the key for your wallet account: at the city's desk,
                                       with an operator's certificate (default var/pki/operators/demo.*)
                                       on the operator listener (default: --addr's port + 2); with
                                       --plaintext, the operator token of --operator_token_file
                                       (default var/ledger/operator.token); nothing else here needs it
  balance --key FILE --account HEX[,HEX...]
                                       balance per asset, what is available, and what expires when
                                       (each account must have the key registered)
  history --key FILE --account HEX [--limit N]
                                       the latest balance changes, newest first
  staff-ops --key FILE --account HEX [--limit N]
                                       what staff did with your card (who, where, when, outcome)
  send --key FILE --account HEX --to HEX --amount N [--id HEX]
                                       send coin (a signed request; --id to retry the same transfer)
  pay --key FILE --account HEX PAYLOAD [--amount N] [--yes]
                                       pay a shop's QR code (--amount for a static shop code): shows
                                       the shop and amount first and, at a terminal, asks to confirm
                                       (--yes skips the question)
  help                                 this text
The passphrase comes from $WALLET_PASSPHRASE, or is asked for without echo.
Exit codes: 0 ok, 1 failed, 2 usage.
)";

[[noreturn]] void Usage(const std::string& message) {
  std::fprintf(stderr, "wallet: %s\nRun `wallet help` for usage.\n", message.c_str());
  std::exit(2);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "wallet: %s\n", std::string(status.message()).c_str());
  return 1;
}

std::map<std::string, std::string> Options(int argc, char** argv, int first,
                                           std::vector<std::string>* positional) {
  std::map<std::string, std::string> options;
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0) {
      positional->push_back(word);
      continue;
    }
    word = word.substr(2);
    const size_t equals = word.find('=');
    if (equals != std::string::npos) {
      options[word.substr(0, equals)] = word.substr(equals + 1);
    } else if (word == "yes" || word == "plaintext") {
      options[word] = "1";
    } else if (i + 1 < argc) {
      options[word] = argv[++i];
    } else {
      Usage("--" + word + " needs a value");
    }
  }
  return options;
}

std::string Required(const std::map<std::string, std::string>& options, const std::string& name) {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty()) Usage("missing --" + name);
  return it->second;
}

std::string Passphrase(const char* prompt) { return ReadSecret("WALLET_PASSPHRASE", prompt); }

int Init(const std::map<std::string, std::string>& options) {
  const std::string path = Required(options, "key");
  if (std::ifstream(path).good())
    Usage("--key " + path + " exists: refusing to overwrite an identity");
  const std::string passphrase = Passphrase("New passphrase (at least 8 characters): ");
  if (!std::getenv("WALLET_PASSPHRASE") && Passphrase("Repeat it: ") != passphrase) {
    return Fail(absl::InvalidArgumentError("passphrases differ"));
  }
  const KeyPair keys = GenerateKeyPair();
  absl::StatusOr<std::string> sealed = Seal(keys, passphrase);
  if (!sealed.ok()) return Fail(sealed.status());
  absl::Status written = WriteKeyFile(path, *sealed);
  if (!written.ok()) return Fail(written);
  std::printf("identity written to %s (mode 0600)\npublic key %s\n", path.c_str(),
              Hex(keys.public_key).c_str());
  return 0;
}

int PublicKey(const std::map<std::string, std::string>& options) {
  absl::StatusOr<std::string> sealed = ReadKeyFile(Required(options, "key"));
  if (!sealed.ok()) return Fail(sealed.status());
  absl::StatusOr<std::string> key = SealedPublicKey(*sealed);
  if (!key.ok()) return Fail(key.status());
  std::printf("%s\n", Hex(*key).c_str());
  return 0;
}

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The wallet key of --key, opened with the passphrase.
absl::StatusOr<KeyPair> OpenKey(const std::map<std::string, std::string>& o) {
  absl::StatusOr<std::string> sealed = ReadKeyFile(Required(o, "key"));
  if (!sealed.ok()) return sealed.status();
  return Open(*sealed, Passphrase("Passphrase: "));
}

int Code(const std::map<std::string, std::string>& options) {
  std::optional<ledger::Id128> account = ledger::Id128::FromHex(Required(options, "account"));
  if (!account) Usage("--account: up to 32 hex digits");
  int ttl = kCpmTtlSecondsDefault;
  if (options.count("ttl")) ttl = std::atoi(options.at("ttl").c_str());
  absl::StatusOr<KeyPair> keys = OpenKey(options);
  if (!keys.ok()) return Fail(keys.status());
  const uint64_t now_ms = NowMs();
  uint64_t nonce;
  randombytes_buf(&nonce, sizeof nonce);
  absl::StatusOr<std::string> code =
      IssueCpm(*keys, account->ToBytes(), nonce, now_ms, static_cast<uint32_t>(ttl));
  if (!code.ok()) return Fail(code.status());
  absl::StatusOr<std::string> qr = QrTerminal(*code);
  if (!qr.ok()) return Fail(qr.status());
  std::printf("%s\n%s\nvalid for %d s, once\n", qr->c_str(), code->c_str(), ttl);
  if (options.count("png")) {
    absl::StatusOr<std::string> png = QrPng(*code);
    if (!png.ok()) return Fail(png.status());
    std::ofstream out(options.at("png"), std::ios::binary);
    out << *png;
    if (!out) return Fail(absl::UnavailableError("cannot write " + options.at("png")));
    std::printf("QR code written to %s\n", options.at("png").c_str());
  }
  return 0;
}

int Scan(const std::vector<std::string>& positional) {
  if (positional.size() != 1) Usage("scan needs the payload text");
  absl::StatusOr<merchant::MpmPayload> payload = merchant::ParseMpm(positional[0]);
  if (!payload.ok()) return Fail(payload.status());
  std::printf("shop      %s (%s)\naccount   %s\nasset     %u\n", payload->merchant_name.c_str(),
              payload->merchant_city.c_str(), payload->merchant_account.c_str(), payload->asset);
  if (payload->dynamic) {
    std::printf("amount    %lld\npayment   %s\n", static_cast<long long>(payload->amount),
                payload->payment_id.c_str());
  } else {
    std::printf("amount    (you enter it: a static shop code)\n");
  }
  if (!payload->terminal_label.empty())
    std::printf("terminal  %s\n", payload->terminal_label.c_str());
  return 0;
}

std::string Address(const std::map<std::string, std::string>& o) {
  return o.count("addr") ? o.at("addr") : "127.0.0.1:7400";
}

// The public services' transport: TLS checked against --tls_ca (or --plaintext); exits on an
// unreadable CA file.
ledger::Transport PublicTransport(const std::map<std::string, std::string>& o) {
  absl::StatusOr<ledger::Transport> transport =
      ledger::TransportFromOptions(o, /*operator_api=*/false);
  if (!transport.ok()) {
    std::fprintf(stderr, "wallet: %s\n", std::string(transport.status().message()).c_str());
    std::exit(2);
  }
  return *transport;
}

int Register(const std::map<std::string, std::string>& o) {
  std::optional<ledger::Id128> account = ledger::Id128::FromHex(Required(o, "account"));
  if (!account) Usage("--account: up to 32 hex digits");
  absl::StatusOr<std::string> sealed = ReadKeyFile(Required(o, "key"));
  if (!sealed.ok()) return Fail(sealed.status());
  absl::StatusOr<std::string> key = SealedPublicKey(*sealed);
  if (!key.ok()) return Fail(key.status());
  ledger::v1::RegisterKeysRequest request;
  ledger::v1::PublicKey* entry = request.add_keys();
  entry->set_account_id(account->ToBytes());
  entry->set_public_key(*key);
  // Registering a key is the city's act (the operator API), done at its desk: it needs an
  // operator's certificate (or, with --plaintext, the development operator token).
  std::string operator_token;
  if (o.count("plaintext")) {
    const std::string token_file = o.count("operator_token_file")
                                       ? o.at("operator_token_file")
                                       : ledger::kOperatorTokenFileDefault;
    absl::StatusOr<std::string> read = ledger::ReadOperatorTokenFile(token_file);
    if (!read.ok()) {
      std::fprintf(stderr,
                   "wallet: --operator_token_file %s\n(register is the city's desk: it needs the "
                   "operator token)\n",
                   std::string(read.status().message()).c_str());
      return 2;
    }
    operator_token = *read;
  }
  absl::StatusOr<ledger::Transport> transport =
      ledger::TransportFromOptions(o, /*operator_api=*/true, operator_token);
  if (!transport.ok()) return Fail(transport.status());
  ledger::v1::CreateReply reply;
  ledger::LedgerConnection connection(
      Address(o), ledger::OperatorAddressesFromOptions(o, Address(o)), *transport);
  grpc::Status status = connection.Call([&](ledger::LedgerConnection& c) {
    return c.ledger().RegisterKeys(ledger::ContextWithDeadline(std::chrono::seconds(10)).get(),
                                   request, &reply);
  });
  if (!status.ok()) return Fail(absl::UnavailableError(status.error_message()));
  const auto result = static_cast<ledger::Result>(reply.results(0).result());
  std::printf("register: %s%s\n", ledger::ResultName(result),
              reply.results(0).duplicate() ? " (already registered)" : "");
  return result == ledger::Result::kOk ? 0 : 1;
}

// A signed read of the wallet's own data (Wallet.GetAccount, GetHistory, ListStaffOperations): no
// operator token, and no nonce spent, so every attempt is signed afresh with a new timestamp and
// nonce.
template <typename Reply>
grpc::Status SignedRead(ledger::LedgerConnection& connection, const KeyPair& keys,
                        const ledger::Id128& account, const char* method,
                        const google::protobuf::Message& body,
                        grpc::Status (ledger::v1::Wallet::Stub::*rpc)(
                            grpc::ClientContext*, const ledger::v1::WalletRequest&, Reply*),
                        Reply* reply) {
  return connection.Call([&](ledger::LedgerConnection& c) {
    const auto request =
        SignWalletRequest(keys, account.ToBytes(), method, body, NowMs(), RandomNonce());
    return (c.wallet().*rpc)(ledger::ContextWithDeadline(std::chrono::seconds(10)).get(), request,
                             reply);
  });
}

int ReadFailed(const ledger::Id128& account, const grpc::Status& status) {
  return Fail(absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                           "account " + account.ToHex() + ": " + status.error_message()));
}

int Balance(const std::map<std::string, std::string>& o) {
  std::vector<ledger::Id128> accounts;
  const std::string list = Required(o, "account");
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::optional<ledger::Id128> id = ledger::Id128::FromHex(list.substr(start, comma - start));
    if (!id) Usage("--account: up to 32 hex digits each, comma-separated");
    accounts.push_back(*id);
    start = comma + 1;
  }
  absl::StatusOr<KeyPair> keys = OpenKey(o);
  if (!keys.ok()) return Fail(keys.status());
  ledger::LedgerConnection connection(Address(o), "", PublicTransport(o));
  for (const ledger::Id128& id : accounts) {
    ledger::v1::WalletAccountReply reply;
    grpc::Status status =
        SignedRead(connection, *keys, id, "GetAccount", ledger::v1::WalletAccountRequest(),
                   &ledger::v1::Wallet::Stub::GetAccount, &reply);
    if (!status.ok()) return ReadFailed(id, status);
    const ledger::v1::Account& account = reply.account();
    std::printf("asset %u  balance %lld  available %lld\n", account.asset(),
                static_cast<long long>(account.balance()),
                static_cast<long long>(account.balance() - account.debits_pending()));
    for (const auto& lot : account.lots()) {
      std::printf("  %lld expires on %u (Japan time)\n", static_cast<long long>(lot.amount()),
                  ledger::BusinessDay(lot.expiry()));
    }
  }
  return 0;
}

int History(const std::map<std::string, std::string>& o) {
  std::optional<ledger::Id128> account = ledger::Id128::FromHex(Required(o, "account"));
  if (!account) Usage("--account: up to 32 hex digits");
  ledger::v1::WalletHistoryRequest body;
  body.set_limit(o.count("limit") ? static_cast<uint32_t>(std::atoi(o.at("limit").c_str())) : 20);
  body.set_reverse(true);
  absl::StatusOr<KeyPair> keys = OpenKey(o);
  if (!keys.ok()) return Fail(keys.status());
  ledger::v1::GetAccountHistoryReply reply;
  ledger::LedgerConnection connection(Address(o), "", PublicTransport(o));
  grpc::Status status = SignedRead(connection, *keys, *account, "GetHistory", body,
                                   &ledger::v1::Wallet::Stub::GetHistory, &reply);
  if (!status.ok()) return ReadFailed(*account, status);
  for (const auto& entry : reply.entries()) {
    std::printf("%u  %+lld  balance %lld  transfer %s\n", ledger::BusinessDay(entry.timestamp()),
                static_cast<long long>(entry.delta()),
                static_cast<long long>(entry.balance_after()),
                ledger::Id128::FromBytes(entry.transfer_id())->ToHex().c_str());
  }
  return 0;
}

int StaffOperations(const std::map<std::string, std::string>& o) {
  std::optional<ledger::Id128> account = ledger::Id128::FromHex(Required(o, "account"));
  if (!account) Usage("--account: up to 32 hex digits");
  ledger::v1::WalletStaffOperationsRequest body;
  if (o.count("limit")) body.set_limit(static_cast<uint32_t>(std::atoi(o.at("limit").c_str())));
  absl::StatusOr<KeyPair> keys = OpenKey(o);
  if (!keys.ok()) return Fail(keys.status());
  ledger::v1::ListStaffOperationsReply reply;
  ledger::LedgerConnection connection(Address(o), "", PublicTransport(o));
  grpc::Status status = SignedRead(connection, *keys, *account, "ListStaffOperations", body,
                                   &ledger::v1::Wallet::Stub::ListStaffOperations, &reply);
  if (!status.ok()) return ReadFailed(*account, status);
  for (const ledger::v1::StaffOperation& op : reply.operations()) {
    const absl::TimeZone japan = absl::FixedTimeZone(static_cast<int>(ledger::kJapanOffsetSeconds));
    const absl::Time when = absl::FromUnixNanos(static_cast<int64_t>(op.timestamp()));
    std::printf("%s JST  %-12s  staff %s  shop %s terminal %s  payment %s  amount %lld  %s\n",
                absl::FormatTime("%Y-%m-%d %H:%M:%S", when, japan).c_str(), op.operation().c_str(),
                op.staff_id().c_str(), ledger::Id128::FromBytes(op.merchant_id())->ToHex().c_str(),
                op.terminal_id().c_str(), op.payment_id().c_str(),
                static_cast<long long>(op.amount()),
                ledger::ResultName(static_cast<ledger::Result>(op.result())));
  }
  if (reply.operations().empty()) std::printf("no staff operations\n");
  return 0;
}

// Signs `body` for `method` with the wallet's key and calls it; prints the outcome.
int SignedCall(const std::map<std::string, std::string>& o, const char* method,
               const google::protobuf::Message& body) {
  std::optional<ledger::Id128> account = ledger::Id128::FromHex(Required(o, "account"));
  if (!account) Usage("--account: up to 32 hex digits");
  absl::StatusOr<KeyPair> keys = OpenKey(o);
  if (!keys.ok()) return Fail(keys.status());
  const uint64_t nonce = RandomNonce();
  ledger::v1::WalletReply reply;
  ledger::LedgerConnection connection(Address(o), "", PublicTransport(o));
  grpc::Status status = connection.Call([&](ledger::LedgerConnection& c) {
    // The same nonce on retries: a lost reply's request is answered with its original outcome.
    const auto request = SignWalletRequest(*keys, account->ToBytes(), method, body, NowMs(), nonce);
    auto context = ledger::ContextWithDeadline(std::chrono::seconds(10));
    return std::string(method) == "Send" ? c.wallet().Send(context.get(), request, &reply)
                                         : c.wallet().PayMpm(context.get(), request, &reply);
  });
  if (!status.ok()) return Fail(absl::UnavailableError(status.error_message()));
  std::printf("result %s%s\n", ledger::ResultName(static_cast<ledger::Result>(reply.result())),
              reply.duplicate() ? " (already decided: the original outcome)" : "");
  if (reply.result() == ledger::v1::EXCEEDS_BALANCE) {
    std::printf("available %lld\n", static_cast<long long>(reply.available()));
  }
  return reply.result() == ledger::v1::OK ? 0 : 1;
}

int SendCommand(const std::map<std::string, std::string>& o) {
  std::optional<ledger::Id128> to = ledger::Id128::FromHex(Required(o, "to"));
  if (!to) Usage("--to: up to 32 hex digits");
  ledger::v1::SendRequest body;
  std::string id;
  if (o.count("id")) {
    std::optional<ledger::Id128> given = ledger::Id128::FromHex(o.at("id"));
    if (!given) Usage("--id: up to 32 hex digits");
    id = given->ToBytes();
  } else {
    id = ledger::Id128{RandomNonce() >> 1, RandomNonce()}
             .ToBytes();  // Top bit clear: never reserved.
  }
  body.set_transfer_id(id);
  body.set_to_account_id(to->ToBytes());
  body.set_amount(std::atoll(Required(o, "amount").c_str()));
  std::printf("transfer %s\n", ledger::Id128::FromBytes(id)->ToHex().c_str());
  return SignedCall(o, "Send", body);
}

int PayCommand(const std::map<std::string, std::string>& o,
               const std::vector<std::string>& positional) {
  if (positional.size() != 1) Usage("pay needs the shop's payload text");
  // Show what is about to be paid before anything is signed.
  absl::StatusOr<merchant::MpmPayload> payload = merchant::ParseMpm(positional[0]);
  if (!payload.ok()) return Fail(payload.status());
  if (payload->dynamic && o.count("amount"))
    Usage("--amount: this shop code already fixes the amount");
  if (!payload->dynamic && !o.count("amount"))
    Usage("--amount is required: a static shop code leaves it to you");
  const long long amount = payload->dynamic ? payload->amount : std::atoll(o.at("amount").c_str());
  if (amount <= 0) Usage("--amount: must be a positive integer");
  std::printf("paying    %lld (asset %u) to %s, %s%s%s\n", amount, payload->asset,
              payload->merchant_name.c_str(), payload->merchant_city.c_str(),
              payload->dynamic ? ", payment " : "",
              payload->dynamic ? payload->payment_id.c_str() : "");
  std::fflush(stdout);
  if (!o.count("yes") && isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "Pay? [y/N] ");
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::printf("not paid\n");
      return 1;
    }
  }
  ledger::v1::PayMpmRequest body;
  body.set_payload(positional[0]);
  if (o.count("amount")) {
    body.set_amount(std::atoll(o.at("amount").c_str()));
    body.set_payment_id("w-" + ledger::Id128{0, RandomNonce()}.ToHex().substr(16));
  }
  return SignedCall(o, "PayMpm", body);
}

int Run(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
  }
  const std::string command = argv[1];
  std::vector<std::string> positional;
  const std::map<std::string, std::string> options = Options(argc, argv, 2, &positional);
  if (command == "help") {
    std::printf("%s", kUsage);
    return 0;
  }
  if (command == "init") return Init(options);
  if (command == "pubkey") return PublicKey(options);
  if (command == "code") return Code(options);
  if (command == "scan") return Scan(positional);
  if (command == "register") return Register(options);
  if (command == "balance") return Balance(options);
  if (command == "history") return History(options);
  if (command == "staff-ops") return StaffOperations(options);
  if (command == "send") return SendCommand(options);
  if (command == "pay") return PayCommand(options, positional);
  Usage("unknown command '" + command + "'");
}

}  // namespace
}  // namespace wallet

int main(int argc, char** argv) { return wallet::Run(argc, argv); }
