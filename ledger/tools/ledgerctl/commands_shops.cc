// ledgerctl: commands of shops and cards: keys, fees, merchant profiles, cards, staff operations.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/core/records.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

int RegisterKeyCommand(LedgerConnection& stub, const Args& args) {
  v1::RegisterKeysRequest request;
  v1::PublicKey* key = request.add_keys();
  key->set_account_id(IdArg(Required(args, "account"), "--account"));
  key->set_public_key(HexBytes(Required(args, "public-key"), "--public-key"));
  if (args.Has("terminal")) key->set_key_id(args.options.at("terminal"));
  if (args.Has("manager")) {
    if (!args.Has("terminal"))
      UsageError("--manager: only a terminal's key (--terminal T) can be a manager");
    key->set_manager(true);
  }
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().RegisterKeys(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int RevokeKeyCommand(LedgerConnection& stub, const Args& args) {
  v1::RevokeKeysRequest request;
  v1::KeyRef* key = request.add_keys();
  key->set_account_id(IdArg(Required(args, "account"), "--account"));
  if (args.Has("terminal")) key->set_key_id(args.options.at("terminal"));
  v1::CreateReply reply;
  grpc::Status status = stub.Call(
      [&](LedgerConnection& c) { return c.ledger().RevokeKeys(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

v1::SetFeesRequest FeesRequest(const Args& args) {
  v1::SetFeesRequest request;
  v1::FeeSchedule* fees = request.add_schedules();
  fees->set_asset(static_cast<uint32_t>(Int(Required(args, "asset"), "asset")));
  fees->set_issuer_account_id(IdArg(Required(args, "issuer"), "--issuer"));
  fees->set_fee_account_id(IdArg(Required(args, "fee-account"), "--fee-account"));
  fees->set_cashout_bps(static_cast<uint32_t>(Int(Required(args, "cashout-bps"), "cashout-bps")));
  fees->set_member_cashout_bps(
      static_cast<uint32_t>(Int(Required(args, "member-bps"), "member-bps")));
  fees->set_supplier_bps(
      static_cast<uint32_t>(Int(Required(args, "supplier-bps"), "supplier-bps")));
  return request;
}

int SetFeesCommand(LedgerConnection& stub, const Args& args) {
  const v1::SetFeesRequest request = FeesRequest(args);
  v1::CreateReply reply;
  grpc::Status status = stub.Call(
      [&](LedgerConnection& c) { return c.ledger().SetFees(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int MerchantProfileCommand(LedgerConnection& stub, const Args& args) {
  v1::SetMerchantProfilesRequest request;
  v1::MerchantProfile* profile = request.add_profiles();
  profile->set_merchant_id(IdArg(Required(args, "account"), "--account"));
  const std::string member = Required(args, "member");
  if (member != "yes" && member != "no") UsageError("--member: yes or no");
  profile->set_chamber_member(member == "yes");
  if (args.Has("accepts")) {
    for (absl::string_view id :
         absl::StrSplit(args.options.at("accepts"), ',', absl::SkipEmpty())) {
      profile->add_accepts_account_ids(IdArg(std::string(id), "--accepts"));
    }
  }
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().SetMerchantProfiles(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int RegisterCardCommand(LedgerConnection& stub, const Args& args) {
  v1::RegisterCardsRequest request;
  v1::Card* card = request.add_cards();
  card->set_card_number(Required(args, "card"));
  card->set_account_id(IdArg(Required(args, "account"), "--account"));
  const char* pin = std::getenv("CARD_PIN");  // Keeps the PIN out of the process list.
  card->set_pin(args.Has("pin") ? args.options.at("pin") : pin ? pin : "");
  if (card->pin().empty()) UsageError("--pin (or $CARD_PIN) is required");
  card->set_attempts_max(static_cast<uint32_t>(IntOption(args, "attempts-max", 0)));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().RegisterCards(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int UnlockCardCommand(LedgerConnection& stub, const Args& args) {
  v1::UnlockCardsRequest request;
  v1::CardUnlock* card = request.add_cards();
  card->set_card_number(Required(args, "card"));
  card->set_operator_name(Required(args, "operator"));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().UnlockCards(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int ReissueCardCommand(LedgerConnection& stub, const Args& args) {
  v1::ReissueCardsRequest request;
  v1::CardReissue* card = request.add_cards();
  card->set_card_number(Required(args, "card"));
  card->set_new_card_number(Required(args, "new-card"));
  card->set_operator_name(Required(args, "operator"));
  const char* pin = std::getenv("CARD_PIN");  // Keeps the PIN out of the process list.
  card->set_pin(args.Has("pin") ? args.options.at("pin") : pin ? pin : "");
  if (card->pin().empty()) UsageError("--pin (or $CARD_PIN) is required: the new card's PIN");
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().ReissueCards(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int StaffOpsCommand(LedgerConnection& stub, const Args& args) {
  v1::ListStaffOperationsRequest request;
  request.set_account_id(IdArg(Required(args, "account"), "--account"));
  request.set_limit(static_cast<uint32_t>(IntOption(args, "limit", 100)));
  v1::ListStaffOperationsReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().ListStaffOperations(Context().get(), request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::StaffOperation& op : reply.operations()) {
    printf("%s JST  %-12s  staff %s  shop %s terminal %s  payment %s  amount %lld  %s\n",
           JapanTime(op.timestamp()).c_str(), op.operation().c_str(), op.staff_id().c_str(),
           ShortHex(op.merchant_id()).c_str(), op.terminal_id().c_str(), op.payment_id().c_str(),
           static_cast<long long>(op.amount()), ResultName(static_cast<Result>(op.result())));
  }
  if (reply.operations().empty()) printf("no staff operations\n");
  return 0;
}

}  // namespace ledger::ctl
