// The signing test vectors: see vectors.h. Every byte string here comes from the production
// function that the services use (PosSignedBytes, WalletSignedBytes, StepReportSignedBytes,
// TaskCodeSignedBytes, CpmSignedBytes/EncodeCpm, BuildMpm/Crc16Ccitt, the *TransferId derivations,
// PosRequestNonce); the inputs are fixed here. 64-bit integers are written as decimal strings (JSON
// readers lose precision above 2^53), everything else as JSON numbers; bytes as lower-case hex.
#include "docs/vectors.h"

#include <sodium.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "formats/emvco.h"
#include "formats/keys.h"
#include "formats/pos_auth.h"
#include "formats/wallet_auth.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/cpm.h"
#include "ledger/core/health.h"
#include "ledger/core/kv.h"
#include "ledger/core/pos.h"
#include "ledger/core/tasks.h"
#include "ledger/core/types.h"
#include "nlohmann/json.hpp"
#include "proto/ledger.pb.h"

namespace docs {
namespace {

using Json = nlohmann::ordered_json;
using ledger::AccountId;
using ledger::Id128;

// ----- fixed inputs -----

// The terminal's seed is RFC 8032's first Ed25519 test key, so a reader can check the key
// derivation against the RFC too.
constexpr std::string_view kTerminalSeedHex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kWalletSeedHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kDeviceSeedHex =
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
constexpr std::string_view kHostDeviceSeedHex =
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";

const AccountId kMerchant{0x000000000000000aULL,
                          0x0000000000000001ULL};  // A shop's MERCHANT account.
const AccountId kWallet{0x0000000000000002ULL, 0x0000000000000007ULL};  // A resident's coin WALLET.
const AccountId kResident{0x0000000000000003ULL, 0x0000000000000007ULL};  // Her points WALLET.
constexpr char kTerminalId[] = "till-1";
constexpr char kDeviceId[] = "band-1";
constexpr char kTaskId[] = "rice-2026";
constexpr uint64_t kTimestampMs = 1767225600000;  // 2026-01-01 00:00:00 UTC (09:00 in Japan).
constexpr uint32_t kDay = 20260101;

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string Hex(std::string_view bytes) { return wallet::Hex(bytes); }

wallet::KeyPair FromSeed(std::string_view seed_hex) {
  const std::string seed = Unhex(seed_hex);
  wallet::KeyPair keys;
  keys.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  keys.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(keys.public_key.data()),
                           reinterpret_cast<unsigned char*>(keys.secret_key.data()),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return keys;
}

std::string Dump(const Json& json) { return json.dump(2) + "\n"; }

// ----- keys -----

Json Keys() {
  Json keys = Json::array();
  auto add = [&](const char* name, std::string_view seed, const char* role) {
    keys.push_back({{"name", name},
                    {"role", role},
                    {"seed_hex", seed},
                    {"public_key_hex", Hex(FromSeed(seed).public_key)}});
  };
  add("terminal", kTerminalSeedHex,
      "a shop terminal's key (Pos SignedRequest); RFC 8032 section 7.1 TEST 1");
  add("wallet", kWalletSeedHex,
      "a resident's wallet key (WalletRequest, customer-presented codes)");
  add("device", kDeviceSeedHex, "a resident's step-counting device (StepReportRequest)");
  add("host_device", kHostDeviceSeedHex,
      "a task host's device that shows check-in codes (CheckInRequest)");
  return Json{{"description",
               "Ed25519 (RFC 8032, pure Ed25519) key pairs used by every other vector file: the "
               "32-byte seed "
               "is the private key, the public key is derived from it."},
              {"keys", keys}};
}

// ----- Pos SignedRequest -----

struct PosCase {
  const char* name;
  const char* method;
  std::string body;
  std::string body_message;
  Json body_fields;
  const char* client_method = nullptr;  // Set when the client signed a different method string.
  bool request_nonce = false;           // The service derives a nonce from this request.
};

// The Pos requests of the vectors, with the fields a reader needs to rebuild each body. Long
// because it is a table: one block of data per published vector, read top to bottom beside
// docs/signing.md.
std::vector<PosCase> PosCases() {
  std::vector<PosCase> cases;
  {
    ledger::v1::CreatePaymentRequest body;
    body.set_payment_id("order-1001");
    body.set_amount(1200);
    // The code of cpm.json's first vector, so that a reader can follow one payment through.
    ledger::CpmCode code;
    code.account = kWallet.ToBytes();
    code.nonce = 7;
    code.issued_at_ms = kTimestampMs - 10'000;
    code.ttl_seconds = 60;
    code.signature = wallet::Sign(FromSeed(kWalletSeedHex), ledger::CpmSignedBytes(code));
    body.set_cpm(ledger::EncodeCpm(code));
    const Json fields = {
        {"payment_id", body.payment_id()}, {"amount", body.amount()}, {"cpm", body.cpm()}};
    cases.push_back({"CreatePayment", "CreatePayment", body.SerializeAsString(),
                     body.GetDescriptor()->name(), fields});
    cases.push_back({"CreatePayment signed with the full gRPC path", "CreatePayment",
                     body.SerializeAsString(), body.GetDescriptor()->name(), fields,
                     "/ledger.v1.Pos/CreatePayment"});
  }
  {
    ledger::v1::PaymentIdRequest body;
    body.set_payment_id("order-1001");
    cases.push_back({"GetPayment",
                     "GetPayment",
                     body.SerializeAsString(),
                     body.GetDescriptor()->name(),
                     {{"payment_id", body.payment_id()}}});
  }
  {
    ledger::v1::CardPaymentRequest body;
    body.set_payment_id("card-7");
    body.set_amount(500);
    body.set_card_number("1234567890");
    body.set_pin("1234");
    body.set_staff_id("staff-3");
    cases.push_back({"CardPayment",
                     "CardPayment",
                     body.SerializeAsString(),
                     body.GetDescriptor()->name(),
                     {{"payment_id", body.payment_id()},
                      {"amount", body.amount()},
                      {"card_number", body.card_number()},
                      {"pin", body.pin()},
                      {"staff_id", body.staff_id()}},
                     nullptr,
                     true});
  }
  {
    ledger::v1::CancelSlotsRequest body;
    body.set_task_id(kTaskId);
    body.set_count(1);
    cases.push_back({"CancelSlots",
                     "CancelSlots",
                     body.SerializeAsString(),
                     body.GetDescriptor()->name(),
                     {{"task_id", body.task_id()}, {"count", body.count()}},
                     nullptr,
                     true});
  }
  {
    ledger::v1::CloseDayRequest body;  // business_day 0 is not sent: an empty body is possible too.
    body.set_business_day(kDay);
    cases.push_back({"CloseDay",
                     "CloseDay",
                     body.SerializeAsString(),
                     body.GetDescriptor()->name(),
                     {{"business_day", body.business_day()}}});
  }
  return cases;
}

// One Pos vector: the signed bytes the ledger verifies, the terminal's signature, what the ledger
// answers.
Json PosVector(const PosCase& c, const wallet::KeyPair& terminal) {
  const std::string merchant_id = kMerchant.ToBytes();
  const std::string server_bytes =
      merchant::PosSignedBytes(c.method, merchant_id, kTerminalId, kTimestampMs, c.body);
  const std::string client_bytes =
      c.client_method == nullptr ? server_bytes
                                 : merchant::PosSignedBytes(c.client_method, merchant_id,
                                                            kTerminalId, kTimestampMs, c.body);
  Json v = {{"name", c.name},
            {"rpc", std::string("/ledger.v1.Pos/") + c.method},
            {"method", c.method},
            {"merchant_id_hex", Hex(merchant_id)},
            {"terminal_id", kTerminalId},
            {"timestamp_ms", std::to_string(kTimestampMs)},
            {"body_message", c.body_message},
            {"body_fields", c.body_fields},
            {"body_hex", Hex(c.body)},
            {"signed_bytes_hex", Hex(server_bytes)}};
  if (c.client_method != nullptr) {
    v["client_signed_method"] = c.client_method;
    v["client_signed_bytes_hex"] = Hex(client_bytes);
  }
  v["signature_hex"] = Hex(wallet::Sign(terminal, client_bytes));
  if (c.client_method == nullptr) {
    v["expected_status"] = "OK";
  } else {
    v["expected_status"] = "PERMISSION_DENIED";
    v["expected_message"] = "signature mismatch (not this terminal's key, or altered)";
  }
  if (c.request_nonce) {
    const uint64_t nonce = merchant::PosRequestNonce(server_bytes);
    v["request_nonce"] = std::to_string(nonce);
  }
  return v;
}

Json PosRequests() {
  const wallet::KeyPair terminal = FromSeed(kTerminalSeedHex);
  Json vectors = Json::array();
  for (const PosCase& c : PosCases()) vectors.push_back(PosVector(c, terminal));
  return Json{
      {"description",
       "Pos SignedRequest envelopes signed by the 'terminal' key of keys.json. signed_bytes_hex is "
       "what "
       "the ledger verifies; signature_hex is what the client sent (over client_signed_bytes_hex "
       "when "
       "that is given). expected_status assumes the key is registered for (merchant, terminal), "
       "not "
       "revoked, and timestamp_ms is within 5 minutes of the ledger's clock. request_nonce: the "
       "nonce the "
       "ledger derives for CardPayment and CancelSlots (BLAKE2b-256 of signed_bytes, first 8 bytes "
       "big-endian)."},
      {"key", "terminal"},
      {"vectors", vectors}};
}

// ----- WalletRequest (Wallet and Health services) -----

// Long because it is a table: one block of data per published vector (wallet_request.json).
Json WalletRequests() {
  const wallet::KeyPair wallet_keys = FromSeed(kWalletSeedHex);
  struct Case {
    const char* name;
    const char* service;
    const char* method;
    AccountId account;
    uint64_t nonce;
    std::string body;
    Json fields;
    const char* body_message;
    const char* client_method = nullptr;
  };
  std::vector<Case> cases;
  ledger::v1::SendRequest send;
  send.set_transfer_id(Id128{0x0123456789abcdefULL, 0x0123456789abcdefULL}.ToBytes());
  send.set_to_account_id(kMerchant.ToBytes());
  send.set_amount(300);
  const Json send_fields = {{"transfer_id_hex", Hex(send.transfer_id())},
                            {"to_account_id_hex", Hex(send.to_account_id())},
                            {"amount", send.amount()}};
  cases.push_back({"Send", "Wallet", "Send", kWallet, 0x0102030405060708ULL,
                   send.SerializeAsString(), send_fields, "SendRequest"});
  cases.push_back({"Send signed with the full gRPC path", "Wallet", "Send", kWallet,
                   0x0102030405060708ULL, send.SerializeAsString(), send_fields, "SendRequest",
                   "/ledger.v1.Wallet/Send"});
  cases.push_back({"GetAccount (an empty body)", "Wallet", "GetAccount", kWallet, 99, "",
                   Json::object(), "WalletAccountRequest"});
  ledger::v1::RegisterDeviceRequest device;
  device.set_device_id(kDeviceId);
  device.set_public_key(FromSeed(kDeviceSeedHex).public_key);
  cases.push_back(
      {"Health RegisterDevice",
       "Health",
       "RegisterDevice",
       kResident,
       1,
       device.SerializeAsString(),
       {{"device_id", device.device_id()}, {"public_key_hex", Hex(device.public_key())}},
       "RegisterDeviceRequest"});
  Json vectors = Json::array();
  for (const Case& c : cases) {
    const std::string account = c.account.ToBytes();
    const std::string server_bytes =
        wallet::WalletSignedBytes(c.method, account, kTimestampMs, c.nonce, c.body);
    const std::string client_bytes =
        c.client_method == nullptr
            ? server_bytes
            : wallet::WalletSignedBytes(c.client_method, account, kTimestampMs, c.nonce, c.body);
    Json v = {{"name", c.name},
              {"rpc", std::string("/ledger.v1.") + c.service + "/" + c.method},
              {"method", c.method},
              {"account_id_hex", Hex(account)},
              {"timestamp_ms", std::to_string(kTimestampMs)},
              {"nonce", std::to_string(c.nonce)},
              {"body_message", c.body_message},
              {"body_fields", c.fields},
              {"body_hex", Hex(c.body)},
              {"signed_bytes_hex", Hex(server_bytes)}};
    if (c.client_method != nullptr) {
      v["client_signed_method"] = c.client_method;
      v["client_signed_bytes_hex"] = Hex(client_bytes);
    }
    v["signature_hex"] = Hex(wallet::Sign(wallet_keys, client_bytes));
    if (c.client_method == nullptr) {
      v["expected_status"] = "OK";
    } else {
      v["expected_status"] = "PERMISSION_DENIED";
      v["expected_message"] = "signature mismatch (not this wallet's key, or altered)";
    }
    vectors.push_back(v);
  }
  return Json{
      {"description",
       "WalletRequest envelopes (services Wallet and Health) signed by the 'wallet' key of "
       "keys.json. "
       "expected_status assumes that key is registered for account_id and timestamp_ms is within 5 "
       "minutes of the ledger's clock."},
      {"key", "wallet"},
      {"vectors", vectors}};
}

// ----- the device's step report -----

Json StepReports() {
  const wallet::KeyPair device = FromSeed(kDeviceSeedHex);
  Json vectors = Json::array();
  struct Case {
    const char* name;
    uint32_t steps;         // As sent.
    uint32_t signed_steps;  // As the device signed.
  };
  for (const Case& c : {Case{"ReportSteps", 8000, 8000},
                        Case{"ReportSteps with steps altered after signing", 9000, 8000}}) {
    const uint32_t program = 1;
    const uint64_t nonce = 42;
    const std::string server_bytes =
        ledger::StepReportSignedBytes(program, kResident, kDeviceId, kDay, c.steps, nonce);
    const std::string client_bytes =
        ledger::StepReportSignedBytes(program, kResident, kDeviceId, kDay, c.signed_steps, nonce);
    Json v = {{"name", c.name},
              {"rpc", "/ledger.v1.Health/ReportSteps"},
              {"program", program},
              {"resident_id_hex", Hex(kResident.ToBytes())},
              {"device_id", kDeviceId},
              {"day", kDay},
              {"steps", c.steps},
              {"nonce", std::to_string(nonce)},
              {"signed_bytes_hex", Hex(server_bytes)}};
    if (c.steps != c.signed_steps) {
      v["client_signed_steps"] = c.signed_steps;
      v["client_signed_bytes_hex"] = Hex(client_bytes);
    }
    v["signature_hex"] = Hex(wallet::Sign(device, client_bytes));
    v["expected_result"] = c.steps == c.signed_steps ? "OK" : "SIGNATURE_INVALID";
    vectors.push_back(v);
  }
  return Json{{"description",
               "StepReportRequest signatures by the 'device' key of keys.json. expected_result (in "
               "StepReportReply.result) assumes the device is registered for the resident and not "
               "revoked; an "
               "accepted report still needs consent, a program and a fresh nonce to earn points."},
              {"key", "device"},
              {"vectors", vectors}};
}

// ----- the host's check-in code -----

Json TaskCodes() {
  const wallet::KeyPair host_device = FromSeed(kHostDeviceSeedHex);
  Json vectors = Json::array();
  for (const bool out : {false, true}) {
    const std::string bytes = ledger::TaskCodeSignedBytes(kMerchant, kTaskId, kWallet, kDay, out);
    vectors.push_back({{"name", out ? "check-out" : "check-in"},
                       {"host_account_id_hex", Hex(kMerchant.ToBytes())},
                       {"task_id", kTaskId},
                       {"visitor_account_id_hex", Hex(kWallet.ToBytes())},
                       {"day", kDay},
                       {"out", out},
                       {"signed_bytes_hex", Hex(bytes)},
                       {"host_signature_hex", Hex(wallet::Sign(host_device, bytes))}});
  }
  return Json{{"description",
               "The check-in code a task host's device signs with the 'host_device' key of "
               "keys.json (its public "
               "key is PostTaskRequest.host_key); the visitor's wallet sends the signature as "
               "CheckInRequest.host_signature inside its own signed WalletRequest (method "
               "\"CheckIn\"). day is "
               "today in Japan on the ledger's clock when the ledger applies the check-in; a code "
               "for another day "
               "is SIGNATURE_INVALID."},
              {"key", "host_device"},
              {"vectors", vectors}};
}

// ----- customer-presented code -----

Json Cpm() {
  const wallet::KeyPair wallet_keys = FromSeed(kWalletSeedHex);
  Json base32 = Json::array();
  for (std::string_view text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    base32.push_back({{"bytes_hex", Hex(text)}, {"base32", ledger::Base32(text)}});
  }
  struct Case {
    const char* name;
    uint64_t nonce;
    uint64_t issued_at_ms;
    uint32_t ttl_seconds;
  };
  Json vectors = Json::array();
  for (const Case& c :
       {Case{"a 60-second code", 7, kTimestampMs - 10'000, 60},
        Case{"a code of the maximum lifetime (600 s)", 0xfedcba9876543210ULL, kTimestampMs, 600},
        Case{"a lifetime over 600 s", 8, kTimestampMs, 601}}) {
    ledger::CpmCode code;
    code.account = kWallet.ToBytes();
    code.nonce = c.nonce;
    code.issued_at_ms = c.issued_at_ms;
    code.ttl_seconds = c.ttl_seconds;
    const std::string signed_bytes = ledger::CpmSignedBytes(code);
    code.signature = wallet::Sign(wallet_keys, signed_bytes);
    const std::string text = ledger::EncodeCpm(code);
    const std::string body = signed_bytes.substr(std::string_view("ledger-cpm-v1").size());
    Json v = {{"name", c.name},
              {"version", 1},
              {"account_id_hex", Hex(code.account)},
              {"nonce", std::to_string(c.nonce)},
              {"issued_at_ms", std::to_string(c.issued_at_ms)},
              {"ttl_seconds", c.ttl_seconds},
              {"body_hex", Hex(body)},
              {"signed_bytes_hex", Hex(signed_bytes)},
              {"signature_hex", Hex(code.signature)},
              {"code_bytes_hex", Hex(body + code.signature)},
              {"text", text}};
    absl::StatusOr<ledger::CpmCode> decoded = ledger::DecodeCpm(text);
    if (!decoded.ok()) {
      v["expected_result"] = "CPM_INVALID";
    } else {
      // The ledger's clock in milliseconds when it applies the payment, and what it answers (a code
      // accepted once is CPM_REPLAYED the second time).
      const uint64_t issued = c.issued_at_ms, ttl_ms = uint64_t{c.ttl_seconds} * 1000;
      Json checks = Json::array();
      for (const uint64_t now_ms :
           {issued - ledger::kClockSkewMsMax - 1, issued - ledger::kClockSkewMsMax, issued,
            issued + ttl_ms - 1, issued + ttl_ms}) {
        const ledger::CpmCheck check = ledger::CheckCpm(*decoded, wallet_keys.public_key, now_ms);
        const char* result = check == ledger::CpmCheck::kOk            ? "OK"
                             : check == ledger::CpmCheck::kNotYetValid ? "CPM_NOT_YET_VALID"
                             : check == ledger::CpmCheck::kExpired     ? "CPM_EXPIRED"
                                                                       : "SIGNATURE_INVALID";
        checks.push_back({{"ledger_now_ms", std::to_string(now_ms)}, {"expected_result", result}});
      }
      v["checks"] = checks;
    }
    vectors.push_back(v);
  }
  return Json{
      {"description",
       "Customer-presented codes (LC1...) signed by the 'wallet' key of keys.json for the wallet "
       "account_id_hex. checks: the ledger's answer when it applies the payment at ledger_now_ms "
       "(the "
       "first use; a second use of the same account and nonce is CPM_REPLAYED). base32: RFC 4648 "
       "section 10's examples without padding, the alphabet the codes use."},
      {"key", "wallet"},
      {"base32", base32},
      {"vectors", vectors}};
}

// ----- EMVCo merchant-presented payload -----

Json Mpm() {
  Json crc = Json::array();
  for (std::string_view text : {"123456789", ""}) {
    char hex[5];
    snprintf(hex, sizeof hex, "%04X", merchant::Crc16Ccitt(text));
    crc.push_back({{"input", text}, {"crc_hex", hex}});
  }
  std::vector<std::pair<const char*, merchant::MpmPayload>> cases;
  merchant::MpmPayload dynamic;
  dynamic.dynamic = true;
  dynamic.merchant_account = kMerchant.ToHex();
  dynamic.asset = 1;
  dynamic.payment_id = "order-1002";
  dynamic.amount = 1200;
  dynamic.merchant_name = "Sakura Market";
  dynamic.merchant_city = "Tsuruoka";
  dynamic.terminal_label = kTerminalId;
  cases.push_back({"dynamic (Pos.CreateMpm)", dynamic});
  merchant::MpmPayload fixed = dynamic;
  fixed.dynamic = false;
  fixed.payment_id = "";
  fixed.amount = 0;
  fixed.terminal_label = "";
  fixed.asset = 2;
  fixed.merchant_category = "5812";
  cases.push_back({"static, points asset, no terminal label", fixed});
  Json vectors = Json::array();
  for (const auto& [name, p] : cases) {
    absl::StatusOr<std::string> payload = merchant::BuildMpm(p);
    if (!payload.ok())
      return Json{{"error", std::string(payload.status().message())}};  // The test fails on it.
    vectors.push_back({{"name", name},
                       {"fields",
                        {{"dynamic", p.dynamic},
                         {"merchant_account", p.merchant_account},
                         {"asset", p.asset},
                         {"payment_id", p.payment_id},
                         {"amount", p.amount},
                         {"merchant_category", p.merchant_category},
                         {"merchant_name", p.merchant_name},
                         {"merchant_city", p.merchant_city},
                         {"terminal_label", p.terminal_label}}},
                       {"crc_input", payload->substr(0, payload->size() - 4)},
                       {"crc_hex", payload->substr(payload->size() - 4)},
                       {"payload", *payload}});
  }
  return Json{{"description",
               "EMVCo merchant-presented payloads (Pos.CreateMpm answers the dynamic kind; "
               "Wallet.PayMpm takes "
               "either) and CRC-16/CCITT-FALSE checks."},
              {"crc", crc},
              {"vectors", vectors}};
}

// ----- derived ids -----

Json DerivedId(const char* function, char kind, const AccountId& owner, const std::string& id,
               const ledger::TransferId& from_function, const char* meaning, Json arguments) {
  std::string input = "ledger-pos-v1";
  input.push_back(kind);
  input += owner.ToBytes();
  input += id;
  return Json{{"function", function},
              {"meaning", meaning},
              {"arguments", arguments},
              {"kind", std::string(1, kind)},
              {"owner_hex", owner.ToHex()},
              {"id", id},
              {"hash_input_hex", Hex(input)},
              {"blake2b256_hex", Hex(ledger::Blake2b256(input))},
              {"transfer_id_hex", from_function.ToHex()}};
}

// Long because it is a table: one block of data per published derived id (derived_ids.json).
Json DerivedIds() {
  Json vectors = Json::array();
  const AccountId& m = kMerchant;
  auto pos = [&](char kind, const char* id, const char* meaning) {
    vectors.push_back(
        DerivedId("PosTransferId", kind, m, id, ledger::PosTransferId(kind, m, id), meaning,
                  {{"kind", std::string(1, kind)}, {"merchant_hex", m.ToHex()}, {"id", id}}));
  };
  pos('P', "order-1001", "the payment order-1001 (CreatePayment, CardPayment, PayMpm)");
  pos('R', "refund-1", "the refund refund-1 (RefundPayment: by refund_id)");
  pos('C', "order-1001", "the cancel of payment order-1001 (CancelPayment)");
  pos('O', "cash-1", "the cash-out cash-1 (CashOut)");
  pos('o', "cash-1", "the fee of cash-out cash-1");
  pos('S', "sup-1", "the supplier payment sup-1 (PaySupplier)");
  pos('s', "sup-1", "the fee of supplier payment sup-1");
  auto health = [&](char kind, const std::string& id, const char* meaning, Json arguments) {
    vectors.push_back(DerivedId("HealthTransferId", kind, kResident, "health/" + id,
                                ledger::HealthTransferId(kind, kResident, id), meaning, arguments));
  };
  health('X', "ex-1", "ExchangePoints ex-1: the points leg",
         {{"kind", "X"}, {"resident_hex", kResident.ToHex()}, {"exchange_id", "ex-1"}});
  health('Y', "ex-1", "ExchangePoints ex-1: the coin leg",
         {{"kind", "Y"}, {"resident_hex", kResident.ToHex()}, {"exchange_id", "ex-1"}});
  ledger::StepReport report;
  report.program = 1;
  report.resident = kResident;
  report.day = kDay;
  report.nonce = 42;
  vectors.push_back(DerivedId(
      "HealthAwardId", 'A', kResident, "health/1/20260101/42", ledger::HealthAwardId(report),
      "the points award of a step report (program 1, day 20260101, nonce 42)",
      {{"resident_hex", kResident.ToHex()}, {"program", 1}, {"day", kDay}, {"nonce", "42"}}));
  for (const char kind : {'H', 'J', 'h', 'j', 'x', 'y'}) {
    const std::string id = "task/1/20260101/" + std::string(kTaskId);
    vectors.push_back(
        DerivedId("TaskTransferId", kind, m, id, ledger::TaskTransferId(kind, m, kTaskId, 1, kDay),
                  "a task's reservation of (slot 1, day 20260101): H/J reserve (host/subsidy), h/j "
                  "post, x/y void",
                  {{"kind", std::string(1, kind)},
                   {"host_hex", m.ToHex()},
                   {"task_id", kTaskId},
                   {"slot", 1},
                   {"day", kDay}}));
  }
  vectors.push_back(DerivedId("TaskPayId", 'V', m,
                              "task/" + kWallet.ToHex() + "/20260101/" + kTaskId,
                              ledger::TaskPayId(m, kTaskId, kWallet, kDay),
                              "the payment of a confirmed task day to the visitor",
                              {{"host_hex", m.ToHex()},
                               {"task_id", kTaskId},
                               {"visitor_hex", kWallet.ToHex()},
                               {"day", kDay}}));
  vectors.push_back(DerivedId(
      "CampaignTransferId", 'W', m, "campaign/3/order-1001",
      ledger::CampaignTransferId('W', m, 3, "order-1001"),
      "campaign 3's award for payment order-1001",
      {{"kind", "W"}, {"merchant_hex", m.ToHex()}, {"campaign", 3}, {"id", "order-1001"}}));
  const std::string refund_suffix = ledger::ClawbackIdSuffix("refund-1", "order-1001");
  vectors.push_back(DerivedId(
      "CampaignTransferId", 'K', m, "campaign/3/" + refund_suffix,
      ledger::CampaignTransferId('K', m, 3, refund_suffix),
      "campaign 3's clawback when refund-1 refunds order-1001",
      {{"kind", "K"}, {"merchant_hex", m.ToHex()}, {"campaign", 3}, {"id", refund_suffix}}));
  const std::string cancel_suffix = ledger::ClawbackIdSuffix("", "order-1001");
  vectors.push_back(DerivedId(
      "CampaignTransferId", 'K', m, "campaign/3/" + cancel_suffix,
      ledger::CampaignTransferId('K', m, 3, cancel_suffix),
      "campaign 3's clawback when order-1001 is cancelled",
      {{"kind", "K"}, {"merchant_hex", m.ToHex()}, {"campaign", 3}, {"id", cancel_suffix}}));
  return Json{
      {"description",
       "Transfer ids the ledger derives (they appear in account history, journal entries and the "
       "change "
       "stream): BLAKE2b-256 (unkeyed, 32-byte output) of hash_input = \"ledger-pos-v1\" | kind (1 "
       "byte) | "
       "owner (16 bytes) | id; transfer id = first 16 bytes as two big-endian 64-bit halves, with "
       "the "
       "high half's top 17 bits forced to 1 (high = 0xffff800000000000 | (high & "
       "0x00007fffffffffff)). "
       "Every id whose top 16 bits are 0xffff is reserved: clients may not use one (ID_RESERVED)."},
      {"vectors", vectors}};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> MakeVectorFiles() {
  return {
      {"keys.json", Dump(Keys())},
      {"pos_request.json", Dump(PosRequests())},
      {"wallet_request.json", Dump(WalletRequests())},
      {"step_report.json", Dump(StepReports())},
      {"task_code.json", Dump(TaskCodes())},
      {"cpm.json", Dump(Cpm())},
      {"mpm.json", Dump(Mpm())},
      {"derived_ids.json", Dump(DerivedIds())},
  };
}

}  // namespace docs
