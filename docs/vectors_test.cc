// Checks the code against every signing test vector in docs/vectors/*.json: the checked-in files
// are exactly what the production functions make today (so a layout change fails here until the
// vectors and docs/signing.md are updated on purpose), and each vector, read back from its file, is
// recomputed with the production functions and accepted or refused by the production verifiers as
// its expectation says.
#include "docs/vectors.h"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "formats/emvco.h"
#include "formats/pos_auth.h"
#include "formats/wallet_auth.h"
#include "gtest/gtest.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/cpm.h"
#include "ledger/core/health.h"
#include "ledger/core/kv.h"
#include "ledger/core/pos.h"
#include "ledger/core/tasks.h"
#include "nlohmann/json.hpp"

namespace docs {
namespace {

using Json = nlohmann::json;
using ledger::AccountId;

const bool kSodiumReady = sodium_init() >= 0;
constexpr char kDir[] = "docs/vectors";
constexpr char kRegenerate[] =
    "; if the change is intended, regenerate with `bazel run //docs:make_vectors`, update "
    "docs/signing.md "
    "and run `node docs/vectors/check.mjs`";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Json Load(const std::string& name) { return Json::parse(ReadFile(std::string(kDir) + "/" + name)); }

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

uint64_t U64(const Json& value) { return std::stoull(value.get<std::string>()); }
AccountId Id(const Json& hex) { return *ledger::Id128::FromHex(hex.get<std::string>()); }

// The services' check: libsodium's Ed25519 verification of the exact bytes.
bool Verifies(const std::string& public_key, const std::string& message,
              const std::string& signature) {
  return signature.size() == crypto_sign_BYTES &&
         crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

std::string PublicKey(const std::string& key_name) {
  const Json file = Load("keys.json");
  for (const Json& key : file["keys"]) {
    if (key["name"] == key_name) return Unhex(key["public_key_hex"]);
  }
  ADD_FAILURE() << "no key " << key_name << " in keys.json";
  return "";
}

TEST(VectorsTest, CheckedInFilesAreWhatTheCodeMakes) {
  ASSERT_TRUE(kSodiumReady);
  std::set<std::string> made;
  for (const auto& [name, text] : MakeVectorFiles()) {
    made.insert(name);
    EXPECT_EQ(ReadFile(std::string(kDir) + "/" + name), text)
        << name << " differs from the code" << kRegenerate;
  }
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".json") {
      EXPECT_TRUE(made.count(name)) << name << " is not made by make_vectors";
    }
  }
}

TEST(VectorsTest, KeysDeriveFromTheirSeeds) {
  int checked = 0;
  const Json file = Load("keys.json");
  for (const Json& key : file["keys"]) {
    const std::string seed = Unhex(key["seed_hex"]);
    ASSERT_EQ(seed.size(), crypto_sign_SEEDBYTES);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.data()));
    EXPECT_EQ(Hex(std::string_view(reinterpret_cast<char*>(pk), sizeof pk)), key["public_key_hex"])
        << key["name"];
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

// Shared by the three envelopes: the signature is over the client's bytes, and the service's check
// over the bytes it computes passes exactly when the vector expects OK.
void ExpectSignature(const Json& v, const std::string& public_key, const std::string& server_bytes,
                     bool ok) {
  const std::string client_bytes =
      v.contains("client_signed_bytes_hex") ? Unhex(v["client_signed_bytes_hex"]) : server_bytes;
  EXPECT_TRUE(Verifies(public_key, client_bytes, Unhex(v["signature_hex"]))) << v["name"];
  EXPECT_EQ(Verifies(public_key, server_bytes, Unhex(v["signature_hex"])), ok) << v["name"];
}

TEST(VectorsTest, PosSignedRequests) {
  const Json file = Load("pos_request.json");
  const std::string public_key = PublicKey(file["key"]);
  int checked = 0, nonces = 0;
  for (const Json& v : file["vectors"]) {
    const std::string bytes = merchant::PosSignedBytes(
        v["method"].get<std::string>(), Unhex(v["merchant_id_hex"]),
        v["terminal_id"].get<std::string>(), U64(v["timestamp_ms"]), Unhex(v["body_hex"]));
    EXPECT_EQ(Hex(bytes), v["signed_bytes_hex"]) << v["name"];
    if (v.contains("client_signed_method")) {
      EXPECT_EQ(
          Hex(merchant::PosSignedBytes(
              v["client_signed_method"].get<std::string>(), Unhex(v["merchant_id_hex"]),
              v["terminal_id"].get<std::string>(), U64(v["timestamp_ms"]), Unhex(v["body_hex"]))),
          v["client_signed_bytes_hex"]);
    }
    ExpectSignature(v, public_key, bytes, v["expected_status"] == "OK");
    if (v.contains("request_nonce")) {
      EXPECT_EQ(merchant::PosRequestNonce(bytes), U64(v["request_nonce"])) << v["name"];
      ++nonces;
    }
    ++checked;
  }
  EXPECT_GE(checked, 5);
  EXPECT_EQ(nonces, 2);  // CardPayment and CancelSlots.
}

TEST(VectorsTest, WalletRequests) {
  const Json file = Load("wallet_request.json");
  const std::string public_key = PublicKey(file["key"]);
  int checked = 0;
  for (const Json& v : file["vectors"]) {
    const std::string bytes =
        wallet::WalletSignedBytes(v["method"].get<std::string>(), Unhex(v["account_id_hex"]),
                                  U64(v["timestamp_ms"]), U64(v["nonce"]), Unhex(v["body_hex"]));
    EXPECT_EQ(Hex(bytes), v["signed_bytes_hex"]) << v["name"];
    ExpectSignature(v, public_key, bytes, v["expected_status"] == "OK");
    ++checked;
  }
  EXPECT_GE(checked, 4);
}

TEST(VectorsTest, StepReports) {
  const Json file = Load("step_report.json");
  const std::string public_key = PublicKey(file["key"]);
  int checked = 0;
  for (const Json& v : file["vectors"]) {
    const std::string bytes = ledger::StepReportSignedBytes(v["program"], Id(v["resident_id_hex"]),
                                                            v["device_id"].get<std::string>(),
                                                            v["day"], v["steps"], U64(v["nonce"]));
    EXPECT_EQ(Hex(bytes), v["signed_bytes_hex"]) << v["name"];
    ExpectSignature(v, public_key, bytes, v["expected_result"] == "OK");
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(VectorsTest, TaskCheckInCodes) {
  const Json file = Load("task_code.json");
  const std::string public_key = PublicKey(file["key"]);
  int checked = 0;
  for (const Json& v : file["vectors"]) {
    const std::string bytes =
        ledger::TaskCodeSignedBytes(Id(v["host_account_id_hex"]), v["task_id"].get<std::string>(),
                                    Id(v["visitor_account_id_hex"]), v["day"], v["out"]);
    EXPECT_EQ(Hex(bytes), v["signed_bytes_hex"]) << v["name"];
    EXPECT_TRUE(Verifies(public_key, bytes, Unhex(v["host_signature_hex"]))) << v["name"];
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(VectorsTest, CustomerPresentedCodes) {
  const Json file = Load("cpm.json");
  const std::string public_key = PublicKey(file["key"]);
  for (const Json& b : file["base32"]) {
    EXPECT_EQ(ledger::Base32(Unhex(b["bytes_hex"])), b["base32"]);
    EXPECT_EQ(Hex(*ledger::FromBase32(b["base32"].get<std::string>())), b["bytes_hex"]);
  }
  int checked = 0, checks = 0;
  for (const Json& v : file["vectors"]) {
    ledger::CpmCode code;
    code.account = Unhex(v["account_id_hex"]);
    code.nonce = U64(v["nonce"]);
    code.issued_at_ms = U64(v["issued_at_ms"]);
    code.ttl_seconds = v["ttl_seconds"];
    code.signature = Unhex(v["signature_hex"]);
    EXPECT_EQ(Hex(ledger::CpmSignedBytes(code)), v["signed_bytes_hex"]) << v["name"];
    EXPECT_EQ(ledger::EncodeCpm(code), v["text"]) << v["name"];
    EXPECT_EQ(v["text"].get<std::string>().size(), ledger::kCpmTextLength);
    absl::StatusOr<ledger::CpmCode> decoded = ledger::DecodeCpm(v["text"].get<std::string>());
    if (v.contains("expected_result")) {
      EXPECT_EQ(v["expected_result"], "CPM_INVALID");
      EXPECT_FALSE(decoded.ok()) << v["name"];
      ++checked;
      continue;
    }
    ASSERT_TRUE(decoded.ok()) << v["name"] << ": " << decoded.status();
    EXPECT_EQ(decoded->account, code.account);
    EXPECT_EQ(decoded->nonce, code.nonce);
    EXPECT_EQ(decoded->issued_at_ms, code.issued_at_ms);
    EXPECT_EQ(decoded->ttl_seconds, code.ttl_seconds);
    EXPECT_EQ(decoded->signature, code.signature);
    for (const Json& c : v["checks"]) {
      const ledger::CpmCheck check =
          ledger::CheckCpm(*decoded, public_key, U64(c["ledger_now_ms"]));
      const std::string expected = c["expected_result"];
      EXPECT_EQ(check, expected == "OK"                  ? ledger::CpmCheck::kOk
                       : expected == "CPM_NOT_YET_VALID" ? ledger::CpmCheck::kNotYetValid
                       : expected == "CPM_EXPIRED"       ? ledger::CpmCheck::kExpired
                                                         : ledger::CpmCheck::kBadSignature)
          << v["name"] << " at " << c["ledger_now_ms"];
      ++checks;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 3);
  EXPECT_EQ(checks, 10);
}

TEST(VectorsTest, MerchantPresentedPayloads) {
  const Json file = Load("mpm.json");
  for (const Json& c : file["crc"]) {
    char hex[5];
    snprintf(hex, sizeof hex, "%04X", merchant::Crc16Ccitt(c["input"].get<std::string>()));
    EXPECT_EQ(hex, c["crc_hex"]);
  }
  int checked = 0;
  for (const Json& v : file["vectors"]) {
    const Json& f = v["fields"];
    merchant::MpmPayload p;
    p.dynamic = f["dynamic"];
    p.merchant_account = f["merchant_account"];
    p.asset = f["asset"];
    p.payment_id = f["payment_id"];
    p.amount = f["amount"];
    p.merchant_category = f["merchant_category"];
    p.merchant_name = f["merchant_name"];
    p.merchant_city = f["merchant_city"];
    p.terminal_label = f["terminal_label"];
    absl::StatusOr<std::string> built = merchant::BuildMpm(p);
    ASSERT_TRUE(built.ok()) << built.status();
    EXPECT_EQ(*built, v["payload"]) << v["name"];
    char crc[5];
    snprintf(crc, sizeof crc, "%04X", merchant::Crc16Ccitt(v["crc_input"].get<std::string>()));
    EXPECT_EQ(crc, v["crc_hex"]);
    absl::StatusOr<merchant::MpmPayload> parsed =
        merchant::ParseMpm(v["payload"].get<std::string>());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->dynamic, p.dynamic);
    EXPECT_EQ(parsed->merchant_account, p.merchant_account);
    EXPECT_EQ(parsed->asset, p.asset);
    EXPECT_EQ(parsed->payment_id, p.payment_id);
    EXPECT_EQ(parsed->amount, p.amount);
    EXPECT_EQ(parsed->merchant_name, p.merchant_name);
    EXPECT_EQ(parsed->terminal_label, p.terminal_label);
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(VectorsTest, DerivedIds) {
  int checked = 0;
  const Json file = Load("derived_ids.json");  // Kept alive for the loop.
  for (const Json& v : file["vectors"]) {
    const Json& a = v["arguments"];
    const std::string function = v["function"];
    const char kind = v["kind"].get<std::string>()[0];
    ledger::TransferId id;
    if (function == "PosTransferId") {
      id = ledger::PosTransferId(kind, Id(a["merchant_hex"]), a["id"].get<std::string>());
    } else if (function == "HealthTransferId") {
      id = ledger::HealthTransferId(kind, Id(a["resident_hex"]),
                                    a["exchange_id"].get<std::string>());
    } else if (function == "HealthAwardId") {
      ledger::StepReport report;
      report.resident = Id(a["resident_hex"]);
      report.program = a["program"];
      report.day = a["day"];
      report.nonce = U64(a["nonce"]);
      id = ledger::HealthAwardId(report);
    } else if (function == "TaskTransferId") {
      id = ledger::TaskTransferId(kind, Id(a["host_hex"]), a["task_id"].get<std::string>(),
                                  a["slot"], a["day"]);
    } else if (function == "TaskPayId") {
      id = ledger::TaskPayId(Id(a["host_hex"]), a["task_id"].get<std::string>(),
                             Id(a["visitor_hex"]), a["day"]);
    } else if (function == "CampaignTransferId") {
      id = ledger::CampaignTransferId(kind, Id(a["merchant_hex"]), a["campaign"],
                                      a["id"].get<std::string>());
    } else {
      ADD_FAILURE() << "unknown function " << function;
      continue;
    }
    EXPECT_EQ(id.ToHex(), v["transfer_id_hex"]) << function << " " << v["meaning"];
    // The general rule the document states, from the vector's own hash input.
    const std::string input = Unhex(v["hash_input_hex"]);
    EXPECT_EQ(input, "ledger-pos-v1" + std::string(1, kind) + Id(v["owner_hex"]).ToBytes() +
                         v["id"].get<std::string>());
    EXPECT_EQ(Hex(ledger::Blake2b256(input)), v["blake2b256_hex"]);
    EXPECT_EQ(ledger::PosTransferId(kind, Id(v["owner_hex"]), v["id"].get<std::string>()), id)
        << v["meaning"];
    EXPECT_TRUE(id.IsReserved());
    ++checked;
  }
  EXPECT_EQ(checked, 20);
}

}  // namespace
}  // namespace docs
