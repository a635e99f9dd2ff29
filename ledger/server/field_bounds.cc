// The bounds table and the check: see field_bounds.h.
#include "ledger/server/field_bounds.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/core/limits.h"

namespace ledger {
namespace {

using Kind = FieldBound::Kind;

constexpr FieldBound Id(const char* field) {
  return {field, kIdBytes, Kind::kExactly, "bytes", ""};
}
constexpr FieldBound IdOrEmpty(const char* field) {
  return {field, kIdBytes, Kind::kExactlyOrEmpty, "bytes", ""};
}
constexpr FieldBound Key(const char* field) {
  return {field, kEd25519PublicKeyBytes, Kind::kExactly, "bytes", "Ed25519"};
}
constexpr FieldBound Signature(const char* field) {
  return {field, kEd25519SignatureBytes, Kind::kExactly, "bytes", "Ed25519"};
}
constexpr FieldBound Text(const char* field, size_t max) {
  return {field, max, Kind::kAtMost, "characters", ""};
}
constexpr FieldBound Utf8(const char* field, size_t max) {
  return {field, max, Kind::kAtMost, "bytes", ""};
}

// In the order of proto/ledger.proto. Request messages only: replies are the server's own output.
const FieldBound kBounds[] = {
    // Ledger (operator).
    Text("ledger.v1.Asset.code", kAssetCodeBytesMax),
    Id("ledger.v1.Asset.breakage_account_id"),
    Id("ledger.v1.Account.id"),
    Utf8("ledger.v1.Account.category", kCategoryBytesMax),
    Id("ledger.v1.Transfer.id"),
    IdOrEmpty("ledger.v1.Transfer.debit_account_id"),
    IdOrEmpty("ledger.v1.Transfer.credit_account_id"),
    IdOrEmpty("ledger.v1.Transfer.pending_id"),
    Id("ledger.v1.CloseAccountsRequest.ids"),
    Id("ledger.v1.PublicKey.account_id"),
    Text("ledger.v1.PublicKey.key_id", kTerminalIdLengthMax),
    Key("ledger.v1.PublicKey.public_key"),
    Id("ledger.v1.KeyRef.account_id"),
    Text("ledger.v1.KeyRef.key_id", kTerminalIdLengthMax),
    Id("ledger.v1.FeeSchedule.issuer_account_id"),
    Id("ledger.v1.FeeSchedule.fee_account_id"),
    Id("ledger.v1.MerchantProfile.merchant_id"),
    Id("ledger.v1.MerchantProfile.accepts_account_ids"),
    Text("ledger.v1.Card.card_number", kCardNumberLengthMax),
    Id("ledger.v1.Card.account_id"),
    Text("ledger.v1.Card.pin", kPinLengthMax),
    Text("ledger.v1.CardUnlock.card_number", kCardNumberLengthMax),
    Text("ledger.v1.CardUnlock.operator_name", kStaffIdLengthMax),
    Text("ledger.v1.CardReissue.card_number", kCardNumberLengthMax),
    Text("ledger.v1.CardReissue.new_card_number", kCardNumberLengthMax),
    Text("ledger.v1.CardReissue.pin", kPinLengthMax),
    Text("ledger.v1.CardReissue.operator_name", kStaffIdLengthMax),
    Id("ledger.v1.SubsidyGrant.budget_account_id"),
    IdOrEmpty("ledger.v1.SubsidyGrant.host_account_id"),
    Utf8("ledger.v1.SubsidyGrant.category", kCategoryBytesMax),
    Id("ledger.v1.HealthProgram.funding_account_id"),
    IdOrEmpty("ledger.v1.HealthProgram.exchange_retire_account_id"),
    IdOrEmpty("ledger.v1.HealthProgram.coin_funding_account_id"),
    Id("ledger.v1.ListStaffOperationsRequest.account_id"),
    IdOrEmpty("ledger.v1.ListCashOutsRequest.merchant_id"),
    Id("ledger.v1.LookupAccountsRequest.ids"),
    Id("ledger.v1.LookupTransfersRequest.ids"),
    Id("ledger.v1.GetAccountHistoryRequest.account_id"),
    Id("ledger.v1.GetBalanceAtRequest.account_id"),
    Text("ledger.v1.BackupFile.name", kBackupFileNameLengthMax),
    {"ledger.v1.BackupFile.sha256", kSha256Bytes, Kind::kExactly, "bytes", "SHA-256"},
    // Pos (shop terminals): the envelope, then the bodies.
    Id("ledger.v1.SignedRequest.merchant_id"),
    Text("ledger.v1.SignedRequest.terminal_id", kTerminalIdLengthMax),
    {"ledger.v1.SignedRequest.body", kSignedBodyBytesMax, Kind::kAtMost, "bytes", ""},
    Signature("ledger.v1.SignedRequest.signature"),
    Text("ledger.v1.CreatePaymentRequest.payment_id", kPosIdLengthMax),
    Text("ledger.v1.CreatePaymentRequest.cpm", kCpmTextLengthMax),
    Text("ledger.v1.CreateMpmRequest.payment_id", kPosIdLengthMax),
    Text("ledger.v1.CreateMpmRequest.merchant_name", kMerchantNameLengthMax),
    Text("ledger.v1.CreateMpmRequest.merchant_city", kMerchantCityLengthMax),
    Text("ledger.v1.CreateMpmRequest.merchant_category", kMerchantCategoryLength),
    Text("ledger.v1.PaymentIdRequest.payment_id", kPosIdLengthMax),
    Text("ledger.v1.RegisterTerminalRequest.terminal_id", kTerminalIdLengthMax),
    Key("ledger.v1.RegisterTerminalRequest.public_key"),
    Text("ledger.v1.RevokeTerminalRequest.terminal_id", kTerminalIdLengthMax),
    Text("ledger.v1.RefundPaymentRequest.payment_id", kPosIdLengthMax),
    Text("ledger.v1.RefundPaymentRequest.refund_id", kPosIdLengthMax),
    Text("ledger.v1.CashOutRequest.cashout_id", kPosIdLengthMax),
    Text("ledger.v1.CardPaymentRequest.payment_id", kPosIdLengthMax),
    Text("ledger.v1.CardPaymentRequest.card_number", kCardNumberLengthMax),
    Text("ledger.v1.CardPaymentRequest.pin", kPinLengthMax),
    Text("ledger.v1.CardPaymentRequest.staff_id", kStaffIdLengthMax),
    Text("ledger.v1.SupplierPaymentRequest.payment_id", kPosIdLengthMax),
    Id("ledger.v1.SupplierPaymentRequest.supplier_account_id"),
    Text("ledger.v1.PostTaskRequest.task_id", kPosIdLengthMax),
    Utf8("ledger.v1.PostTaskRequest.title", kTaskTitleBytesMax),
    Id("ledger.v1.PostTaskRequest.escrow_account_id"),
    IdOrEmpty("ledger.v1.PostTaskRequest.subsidy_account_id"),
    Key("ledger.v1.PostTaskRequest.host_key"),
    Utf8("ledger.v1.PostTaskRequest.wage_reference", kWageReferenceBytesMax),
    Text("ledger.v1.DecideApplicationRequest.task_id", kPosIdLengthMax),
    Id("ledger.v1.DecideApplicationRequest.visitor_account_id"),
    Text("ledger.v1.CancelSlotsRequest.task_id", kPosIdLengthMax),
    Text("ledger.v1.ConfirmDayRequest.task_id", kPosIdLengthMax),
    Id("ledger.v1.ConfirmDayRequest.visitor_account_id"),
    Text("ledger.v1.ConfirmDayRequest.action", kDayActionLengthMax),
    // Wallet (tasks, the visitor's side).
    Id("ledger.v1.ApplyTaskRequest.host_account_id"),
    Text("ledger.v1.ApplyTaskRequest.task_id", kPosIdLengthMax),
    Id("ledger.v1.CheckInRequest.host_account_id"),
    Text("ledger.v1.CheckInRequest.task_id", kPosIdLengthMax),
    Signature("ledger.v1.CheckInRequest.host_signature"),
    // Ledger (operator): campaigns and tasks.
    Utf8("ledger.v1.Campaign.name", kCampaignNameBytesMax),
    Id("ledger.v1.Campaign.funding_account_id"),
    Utf8("ledger.v1.Campaign.category", kCategoryBytesMax),
    Id("ledger.v1.Campaign.merchant_ids"),
    Id("ledger.v1.AccountLink.wallet_id"),
    Id("ledger.v1.AccountLink.linked_id"),
    Id("ledger.v1.GetTaskRequest.host_account_id"),
    Text("ledger.v1.GetTaskRequest.task_id", kPosIdLengthMax),
    // Ledger (operator): the role table.
    Text("ledger.v1.OperatorRoles.name", kOperatorNameLengthMax),
    Text("ledger.v1.OperatorRoles.roles", kRoleNameLengthMax),
    Text("ledger.v1.ListOperatorsRequest.name", kOperatorNameLengthMax),
    // Wallet (residents): the envelope, then the bodies.
    Id("ledger.v1.WalletRequest.account_id"),
    {"ledger.v1.WalletRequest.body", kSignedBodyBytesMax, Kind::kAtMost, "bytes", ""},
    Signature("ledger.v1.WalletRequest.signature"),
    Id("ledger.v1.SendRequest.transfer_id"),
    Id("ledger.v1.SendRequest.to_account_id"),
    Text("ledger.v1.PayMpmRequest.payload", kMpmPayloadLengthMax),
    Text("ledger.v1.PayMpmRequest.payment_id", kPosIdLengthMax),
    // Health: the device's report, then the resident's bodies.
    Id("ledger.v1.StepReportRequest.resident_id"),
    Text("ledger.v1.StepReportRequest.device_id", kDeviceIdLengthMax),
    Signature("ledger.v1.StepReportRequest.signature"),
    Text("ledger.v1.RegisterDeviceRequest.device_id", kDeviceIdLengthMax),
    Key("ledger.v1.RegisterDeviceRequest.public_key"),
    Text("ledger.v1.RevokeDeviceRequest.device_id", kDeviceIdLengthMax),
    Id("ledger.v1.ExchangePointsRequest.coin_wallet_id"),
    Text("ledger.v1.ExchangePointsRequest.exchange_id", kPosIdLengthMax),
    Id("ledger.v1.WatchOverRequest.watcher_ids"),
    Id("ledger.v1.AckAlertRequest.resident_id"),
    // Ledger (operator): four-eyes proposals. The proposed request is checked as its own method's.
    Id("ledger.v1.ProposeRequest.proposal_id"),
    Text("ledger.v1.ProposeRequest.method", kProposalMethodLengthMax),
    {"ledger.v1.ProposeRequest.request", kProposalRequestBytesMax, Kind::kAtMost, "bytes", ""},
    Id("ledger.v1.ApproveRequest.proposal_id"),
    Id("ledger.v1.RejectProposalRequest.proposal_id"),
};

const absl::flat_hash_map<std::string, const FieldBound*>& BoundsByName() {
  static const auto* by_name = [] {
    auto* map = new absl::flat_hash_map<std::string, const FieldBound*>();
    for (const FieldBound& bound : kBounds) map->emplace(bound.field, &bound);
    return map;
  }();
  return *by_name;
}

// One value of a string or bytes field; `index` is its position in a repeated field, or -1.
absl::Status CheckValue(const std::string& path, int index, size_t size, const FieldBound& bound) {
  if (index < 0) return CheckLength(path, size, bound);
  return CheckLength(absl::StrCat(path, "[", index, "]"), size, bound);
}

absl::Status CheckMessage(const google::protobuf::Message& message, const std::string& prefix);

// Checks one set field of `message` (its values, or the messages it holds).
absl::Status CheckField(const google::protobuf::Message& message,
                        const google::protobuf::FieldDescriptor* field, const std::string& path) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
    if (!field->is_repeated())
      return CheckMessage(reflection->GetMessage(message, field), path + ".");
    for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
      absl::Status status = CheckMessage(reflection->GetRepeatedMessage(message, field, i),
                                         absl::StrCat(path, "[", i, "]."));
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }
  if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING)
    return absl::OkStatus();
  const FieldBound* bound = FindFieldBound(field);
  if (bound == nullptr) return absl::OkStatus();
  std::string scratch;
  if (!field->is_repeated()) {
    return CheckValue(path, -1, reflection->GetStringReference(message, field, &scratch).size(),
                      *bound);
  }
  for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
    const size_t size = reflection->GetRepeatedStringReference(message, field, i, &scratch).size();
    if (absl::Status status = CheckValue(path, i, size, *bound); !status.ok()) return status;
  }
  return absl::OkStatus();
}

// Every field, set or not: an empty id, key or signature is outside its exact size too.
absl::Status CheckMessage(const google::protobuf::Message& message, const std::string& prefix) {
  const google::protobuf::Descriptor* type = message.GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = type->field(i);
    const bool unset_message =
        field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
        !field->is_repeated() && !message.GetReflection()->HasField(message, field);
    if (unset_message) continue;
    if (absl::Status status = CheckField(message, field, prefix + field->name()); !status.ok())
      return status;
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<FieldBound>& FieldBounds() {
  static const auto* bounds = new std::vector<FieldBound>(std::begin(kBounds), std::end(kBounds));
  return *bounds;
}

const FieldBound* FindFieldBound(const google::protobuf::FieldDescriptor* field) {
  const auto& by_name = BoundsByName();
  auto it = by_name.find(field->full_name());
  return it == by_name.end() ? nullptr : it->second;
}

absl::Status CheckLength(const std::string& path, size_t size, const FieldBound& bound) {
  const std::string note = *bound.note == '\0' ? "" : absl::StrCat(" (", bound.note, ")");
  switch (bound.kind) {
    case Kind::kAtMost:
      if (size <= bound.size) return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": at most ", bound.size, " ", bound.unit, note, ", got ", size));
    case Kind::kExactly:
      if (size == bound.size) return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": must be ", bound.size, " bytes", note, ", got ", size));
    case Kind::kExactlyOrEmpty:
      if (size == bound.size || size == 0) return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": must be ", bound.size, " bytes", note, " or empty, got ", size));
  }
  return absl::OkStatus();
}

absl::Status CheckFieldBounds(const google::protobuf::Message& message) {
  return CheckMessage(message, "");
}

std::string FieldBoundsTable() {
  const std::string package = "ledger.v1.";
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  for (const FieldBound& bound : FieldBounds()) {
    const std::string full(bound.field);
    const size_t dot = full.rfind('.');
    const std::string message = full.substr(package.size(), dot - package.size());
    const std::string field = full.substr(dot + 1);
    std::string limit;
    switch (bound.kind) {
      case Kind::kAtMost:
        limit = absl::StrCat("`", field, "` ≤ ", bound.size,
                             std::string(bound.unit) == "bytes" ? " bytes" : "");
        break;
      case Kind::kExactly:
        limit = absl::StrCat("`", field, "` ", bound.size, " bytes");
        break;
      case Kind::kExactlyOrEmpty:
        limit = absl::StrCat("`", field, "` ", bound.size, " bytes or empty");
        break;
    }
    if (rows.empty() || rows.back().first != message) rows.push_back({message, {}});
    rows.back().second.push_back(limit);
  }
  std::string table = "| message | string and bytes fields |\n|---|---|\n";
  for (const auto& [message, limits] : rows) {
    absl::StrAppend(&table, "| `", message, "` | ", absl::StrJoin(limits, ", "), " |\n");
  }
  return table;
}

}  // namespace ledger
