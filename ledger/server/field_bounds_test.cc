// The bounds table: every string and bytes field of every request of the Ledger, Pos, Wallet and
// Health services (and of the bodies their signed envelopes carry) has a bound; the check names the
// field and the bound; the largest legitimate requests fit the message sizes limits.h computes; the
// README's "Limits" table is this table.
#include "ledger/server/field_bounds.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/health.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"
#include "proto/ledger.pb.h"

namespace ledger {
namespace {

namespace pb = google::protobuf;

const pb::FileDescriptor* File() { return v1::Asset::descriptor()->file(); }

// The request messages of the public and operator services, and the bodies signed envelopes carry
// (every message whose name ends in "Request", and the messages the Ledger service takes whole).
// The Cluster service's requests (membership, by the operator) are not in the table.
std::vector<const pb::Descriptor*> RequestTypes() {
  std::set<const pb::Descriptor*> cluster;
  const pb::ServiceDescriptor* cluster_service = File()->FindServiceByName("Cluster");
  for (int i = 0; i < cluster_service->method_count(); ++i)
    cluster.insert(cluster_service->method(i)->input_type());
  std::set<const pb::Descriptor*> types;
  for (const char* name : {"Ledger", "Pos", "Wallet", "Health"}) {
    const pb::ServiceDescriptor* service = File()->FindServiceByName(name);
    for (int i = 0; i < service->method_count(); ++i)
      types.insert(service->method(i)->input_type());
  }
  for (int i = 0; i < File()->message_type_count(); ++i) {
    const pb::Descriptor* type = File()->message_type(i);
    if (absl::EndsWith(type->name(), "Request") && cluster.count(type) == 0) types.insert(type);
  }
  return {types.begin(), types.end()};
}

// Every string and bytes field reachable from `type`, nested messages included.
void StringFields(const pb::Descriptor* type, std::set<const pb::Descriptor*>* seen,
                  std::vector<const pb::FieldDescriptor*>* out) {
  if (!seen->insert(type).second) return;
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* field = type->field(i);
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) out->push_back(field);
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE)
      StringFields(field->message_type(), seen, out);
  }
}

TEST(FieldBoundsTest, EveryStringAndBytesFieldOfEveryRequestHasABound) {
  std::set<const pb::Descriptor*> seen;
  std::vector<const pb::FieldDescriptor*> fields;
  for (const pb::Descriptor* type : RequestTypes()) StringFields(type, &seen, &fields);
  EXPECT_GT(fields.size(), 90u);
  for (const pb::FieldDescriptor* field : fields) {
    EXPECT_NE(FindFieldBound(field), nullptr)
        << field->full_name() << " has no bound in field_bounds.cc";
  }
  // And every entry names a string or bytes field that exists.
  for (const FieldBound& bound : FieldBounds()) {
    const pb::FieldDescriptor* field =
        pb::DescriptorPool::generated_pool()->FindFieldByName(bound.field);
    ASSERT_NE(field, nullptr) << bound.field;
    EXPECT_EQ(field->cpp_type(), pb::FieldDescriptor::CPPTYPE_STRING) << bound.field;
  }
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(FieldBoundsTest, MessagesNameTheFieldAndTheBound) {
  v1::CardPaymentRequest card;
  card.set_payment_id("c-1");
  card.set_card_number(std::string(10 << 20, '6'));
  EXPECT_EQ(Message(CheckFieldBounds(card)), "card_number: at most 19 characters, got 10485760");
  card.set_card_number(std::string(kCardNumberLengthMax, '6'));
  EXPECT_TRUE(CheckFieldBounds(card).ok());

  v1::RegisterCardsRequest cards;
  cards.add_cards()->set_card_number("6300111122223333");
  cards.add_cards()->set_card_number(std::string(20, '6'));
  for (v1::Card& each : *cards.mutable_cards()) each.set_account_id(std::string(16, '\1'));
  EXPECT_EQ(CheckFieldBounds(cards).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(CheckFieldBounds(cards)),
            "cards[1].card_number: at most 19 characters, got 20");

  v1::CloseAccountsRequest close;
  close.add_ids(std::string(16, '\1'));
  close.add_ids("abc");
  EXPECT_EQ(Message(CheckFieldBounds(close)), "ids[1]: must be 16 bytes, got 3");

  v1::CreateTransfersRequest transfers;
  v1::Transfer* post = transfers.add_transfers();
  post->set_id(std::string(16, '\1'));
  EXPECT_TRUE(CheckFieldBounds(transfers).ok()) << "empty optional ids pass";
  post->set_pending_id("12345");
  EXPECT_EQ(Message(CheckFieldBounds(transfers)),
            "transfers[0].pending_id: must be 16 bytes or empty, got 5");

  v1::RegisterKeysRequest keys;
  keys.add_keys()->set_account_id(std::string(16, '\1'));
  keys.mutable_keys(0)->set_public_key("short");
  EXPECT_EQ(Message(CheckFieldBounds(keys)),
            "keys[0].public_key: must be 32 bytes (Ed25519), got 5");

  v1::CreateAccountsRequest accounts;
  accounts.add_accounts()->set_id(std::string(16, '\1'));
  accounts.mutable_accounts(0)->set_category(std::string(kCategoryBytesMax + 1, 'x'));
  EXPECT_EQ(Message(CheckFieldBounds(accounts)), "accounts[0].category: at most 32 bytes, got 33");

  // An unset field is empty: a missing id or signature is outside its exact size.
  v1::SignedRequest envelope;
  EXPECT_EQ(Message(CheckFieldBounds(envelope)), "merchant_id: must be 16 bytes, got 0");
  envelope.set_merchant_id(std::string(16, '\1'));
  envelope.set_signature(std::string(kEd25519SignatureBytes, 's'));
  envelope.set_body(std::string(kSignedBodyBytesMax + 1, 'b'));
  EXPECT_EQ(Message(CheckFieldBounds(envelope)), "body: at most 1024 bytes, got 1025");
}

// How many elements the largest legitimate request puts in a repeated field (0: an output the
// server fills, which a client has no reason to send).
int RepeatedCountMax(const pb::FieldDescriptor* field) {
  static const std::map<std::string, int> counts = {
      {"ledger.v1.MerchantProfile.accepts_account_ids", static_cast<int>(kProfileAccountsMax)},
      {"ledger.v1.Campaign.merchant_ids", static_cast<int>(kCampaignMerchantsMax)},
      {"ledger.v1.HealthProgram.tiers", static_cast<int>(kStepTiersMax)},
      {"ledger.v1.WatchOverRequest.watcher_ids", static_cast<int>(kWatchersMax)},
      {"ledger.v1.Account.lots", 0},
  };
  auto it = counts.find(field->full_name());
  return it == counts.end() ? 1 : it->second;
}

// Sets every field of `message` to its largest encoding: strings and bytes at their bound, numbers
// at their widest varint, repeated fields at RepeatedCountMax.
void FillToBounds(pb::Message* message) {
  const pb::Reflection* reflection = message->GetReflection();
  const pb::Descriptor* type = message->GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* field = type->field(i);
    const int count = field->is_repeated() ? RepeatedCountMax(field) : 1;
    for (int n = 0; n < count; ++n) {
      switch (field->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING: {
          const FieldBound* bound = FindFieldBound(field);
          const std::string value(bound == nullptr ? 0 : bound->size, 'x');
          field->is_repeated() ? reflection->AddString(message, field, value)
                               : reflection->SetString(message, field, value);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
          FillToBounds(field->is_repeated() ? reflection->AddMessage(message, field)
                                            : reflection->MutableMessage(message, field));
          break;
        case pb::FieldDescriptor::CPPTYPE_INT64:
          field->is_repeated() ? reflection->AddInt64(message, field, -1)
                               : reflection->SetInt64(message, field, -1);
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
          field->is_repeated() ? reflection->AddUInt64(message, field, UINT64_MAX)
                               : reflection->SetUInt64(message, field, UINT64_MAX);
          break;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          field->is_repeated() ? reflection->AddUInt32(message, field, UINT32_MAX)
                               : reflection->SetUInt32(message, field, UINT32_MAX);
          break;
        case pb::FieldDescriptor::CPPTYPE_BOOL:
          reflection->SetBool(message, field, true);
          break;
        case pb::FieldDescriptor::CPPTYPE_ENUM:
          field->is_repeated() ? reflection->AddEnumValue(message, field, INT32_MAX)
                               : reflection->SetEnumValue(message, field, INT32_MAX);
          break;
        default:
          FAIL() << field->full_name() << ": a field type FillToBounds does not know";
      }
    }
  }
}

template <typename Message>
size_t LargestSize() {
  Message message;
  FillToBounds(&message);
  return message.ByteSizeLong();
}

TEST(FieldBoundsTest, TheLargestLegitimateRequestsFitTheMessageSizes) {
  // One item of each batch request, every field at its bound (outputs too), framing included.
  const std::map<std::string, size_t> items = {
      {"Transfer", LargestSize<v1::Transfer>() + 3},
      {"Account", LargestSize<v1::Account>() + 3},
      {"Asset", LargestSize<v1::Asset>() + 3},
      {"PublicKey", LargestSize<v1::PublicKey>() + 3},
      {"KeyRef", LargestSize<v1::KeyRef>() + 3},
      {"FeeSchedule", LargestSize<v1::FeeSchedule>() + 3},
      {"Card", LargestSize<v1::Card>() + 3},
      {"MerchantProfile", LargestSize<v1::MerchantProfile>() + 3},
      {"AccountLink", LargestSize<v1::AccountLink>() + 3},
  };
  for (const auto& [name, size] : items) {
    printf("largest %s item: %zu bytes\n", name.c_str(), size);
    EXPECT_LE(size, kRequestItemBytesMax) << name;
  }
  // A CreateTransfers of kBatchItemsMax transfers, every field set.
  v1::CreateTransfersRequest transfers;
  FillToBounds(transfers.add_transfers());
  for (int i = 1; i < kBatchItemsMax; ++i) *transfers.add_transfers() = transfers.transfers(0);
  printf("largest CreateTransfers: %zu bytes (receive limit %zu)\n", transfers.ByteSizeLong(),
         kRequestBytesMax);
  EXPECT_LE(transfers.ByteSizeLong(), kRequestBytesMax);
  // Every signed body fits kSignedBodyBytesMax, and its envelope the envelope allowance; the
  // largest single-message operator requests too.
  for (const pb::Descriptor* type : RequestTypes()) {
    std::unique_ptr<pb::Message> message(
        pb::MessageFactory::generated_factory()->GetPrototype(type)->New());
    FillToBounds(message.get());
    const bool batch = type->field_count() == 1 && type->field(0)->is_repeated();
    if (batch) continue;  // Its items are checked above.
    EXPECT_LE(message->ByteSizeLong(), kRequestEnvelopeBytesMax) << type->full_name();
    if (type->name() == "SignedRequest" || type->name() == "WalletRequest" ||
        type->name() == "StepReportRequest") {
      continue;
    }
    const bool body =
        File()->FindServiceByName("Ledger")->FindMethodByName(type->name()) == nullptr;
    if (body && type->name() != "HealthProgram" && type->name() != "Campaign" &&
        type->name() != "TaskRules" && type->name() != "ProposeRequest") {
      EXPECT_LE(message->ByteSizeLong(), kSignedBodyBytesMax) << type->full_name();
    }
  }
}

TEST(FieldBoundsTest, ReadmeLimitsTableMatchesTheTable) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  ASSERT_TRUE(srcdir != nullptr && workspace != nullptr);
  std::ifstream file(absl::StrCat(srcdir, "/", workspace, "/README.md"));
  ASSERT_TRUE(file) << "README.md not in the runfiles";
  std::stringstream readme;
  readme << file.rdbuf();
  const std::string text = readme.str();
  const std::string begin = "<!-- limits table: made by ledger/server/field_bounds_test -->\n";
  const size_t start = text.find(begin);
  ASSERT_NE(start, std::string::npos) << "README.md has no limits table; it should read:\n"
                                      << begin << FieldBoundsTable();
  const size_t end = text.find("\n\n", start);
  EXPECT_EQ(text.substr(start + begin.size(), end + 1 - start - begin.size()), FieldBoundsTable())
      << "README.md's limits table differs from field_bounds.cc; it should read:\n"
      << FieldBoundsTable();
}

}  // namespace
}  // namespace ledger
