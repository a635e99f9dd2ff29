// ledgerctl: commands on assets, accounts and transfers, and their lookups.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/core/records.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

int CreateAsset(LedgerConnection& stub, const Args& args) {
  v1::CreateAssetsRequest request;
  v1::Asset* asset = request.add_assets();
  asset->set_id(static_cast<uint32_t>(Int(Required(args, "id"), "id")));
  asset->set_code(Required(args, "code"));
  asset->set_breakage_account_id(IdArg(Required(args, "breakage"), "--breakage"));
  asset->set_expiry_seconds(IntOption(args, "expiry-seconds", 0));
  asset->set_expiry_granularity_seconds(IntOption(args, "granularity-seconds", 86400));
  asset->set_scale(static_cast<uint32_t>(IntOption(args, "scale", 0)));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().CreateAssets(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int CreateAccount(LedgerConnection& stub, const Args& args) {
  v1::CreateAccountsRequest request;
  v1::Account* account = request.add_accounts();
  account->set_id(IdArg(Required(args, "id"), "--id"));
  account->set_asset(static_cast<uint32_t>(Int(Required(args, "asset"), "asset")));
  std::optional<AccountKind> kind = AccountKindFromName(Required(args, "kind"));
  if (!kind)
    UsageError("--kind: one of issuer wallet merchant escrow breakage fee budget external");
  account->set_kind(static_cast<v1::AccountKind>(*kind));
  account->set_flags(args.Has("non-negative") ? v1::NON_NEGATIVE : 0);
  account->set_category(args.Has("category") ? args.options.at("category") : "");
  account->set_user_data(static_cast<uint64_t>(IntOption(args, "user-data", 0)));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().CreateAccounts(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int CloseAccountCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("close-account needs an account id");
  v1::CloseAccountsRequest request;
  for (const std::string& id : args.positional) request.add_ids(IdArg(id, "account id"));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().CloseAccounts(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int TransferCommand(LedgerConnection& stub, const Args& args, uint32_t phase) {
  v1::CreateTransfersRequest request;
  v1::Transfer* t = request.add_transfers();
  t->set_id(IdArg(Required(args, "id"), "--id"));
  uint32_t flags = phase;
  if (phase == 0) {
    t->set_debit_account_id(IdArg(Required(args, "debit"), "--debit"));
    t->set_credit_account_id(IdArg(Required(args, "credit"), "--credit"));
    t->set_amount(Int(Required(args, "amount"), "amount"));
    if (args.Has("pending")) flags |= v1::PENDING;
    t->set_timeout_seconds(IntOption(args, "timeout", 0));
  } else {
    t->set_pending_id(IdArg(Required(args, "pending-id"), "--pending-id"));
    t->set_amount(IntOption(args, "amount", 0));
  }
  if (args.Has("linked")) flags |= v1::LINKED;
  t->set_flags(flags);
  t->set_code(static_cast<uint32_t>(IntOption(args, "code", 1)));
  t->set_user_data(static_cast<uint64_t>(IntOption(args, "user-data", 0)));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().CreateTransfers(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int LookupAccounts(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("account needs at least one id");
  v1::LookupAccountsRequest request;
  for (const std::string& id : args.positional) request.add_ids(IdArg(id, "account id"));
  v1::LookupAccountsReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().LookupAccounts(Context().get(), request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::Account& a : reply.accounts()) {
    printf(
        "account %s  asset %u  kind %s%s%s  balance %lld  pending debits %lld  pending credits "
        "%lld%s\n",
        ShortHex(a.id()).c_str(), a.asset(), AccountKindName(static_cast<AccountKind>(a.kind())),
        a.category().empty() ? "" : " category ", a.category().c_str(),
        static_cast<long long>(a.balance()), static_cast<long long>(a.debits_pending()),
        static_cast<long long>(a.credits_pending()), (a.flags() & v1::CLOSED) ? "  CLOSED" : "");
  }
  const int missing = request.ids_size() - reply.accounts_size();
  if (missing > 0) fprintf(stderr, "ledgerctl: %d id(s) not found\n", missing);
  return missing > 0 ? 3 : 0;
}

int LookupTransfers(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("lookup-transfer needs at least one id");
  v1::LookupTransfersRequest request;
  for (const std::string& id : args.positional) request.add_ids(IdArg(id, "transfer id"));
  v1::LookupTransfersReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().LookupTransfers(Context().get(), request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  static const char* kStates[] = {"", "pending", "posted", "voided", "expired"};
  for (const v1::Transfer& t : reply.transfers()) {
    printf("transfer %s  %s -> %s  amount %lld  asset %u  code %u  result %s%s%s  at %llu\n",
           ShortHex(t.id()).c_str(), ShortHex(t.debit_account_id()).c_str(),
           ShortHex(t.credit_account_id()).c_str(), static_cast<long long>(t.amount()), t.asset(),
           t.code(), ResultName(static_cast<Result>(t.result())),
           t.pending_state() ? "  state " : "", kStates[t.pending_state() % 5],
           static_cast<unsigned long long>(t.timestamp()));
  }
  const int missing = request.ids_size() - reply.transfers_size();
  if (missing > 0) fprintf(stderr, "ledgerctl: %d id(s) not found\n", missing);
  return missing > 0 ? 3 : 0;
}

int LookupAssets(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("asset needs at least one asset id");
  v1::LookupAssetsRequest request;
  for (const std::string& id : args.positional)
    request.add_ids(static_cast<uint32_t>(Int(id, "asset id")));
  v1::LookupAssetsReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().LookupAssets(Context().get(), request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::Asset& a : reply.assets()) {
    printf("asset %u  %s  scale %u  expiry %lld s (granularity %lld s)  breakage %s\n", a.id(),
           a.code().c_str(), a.scale(), static_cast<long long>(a.expiry_seconds()),
           static_cast<long long>(a.expiry_granularity_seconds()),
           ShortHex(a.breakage_account_id()).c_str());
  }
  return reply.assets_size() == request.ids_size() ? 0 : 3;
}

int History(LedgerConnection& stub, const Args& args) {
  if (args.positional.size() != 1) UsageError("history needs one account id");
  v1::GetAccountHistoryRequest request;
  request.set_account_id(IdArg(args.positional[0], "account id"));
  request.set_from_timestamp(static_cast<uint64_t>(IntOption(args, "from", 0)));
  request.set_to_timestamp(static_cast<uint64_t>(IntOption(args, "to", 0)));
  request.set_limit(static_cast<uint32_t>(IntOption(args, "limit", 20)));
  request.set_reverse(args.Has("reverse"));
  v1::GetAccountHistoryReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().GetAccountHistory(Context().get(), request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::HistoryEntry& e : reply.entries()) {
    printf("%llu  transfer %s  %+lld  balance %lld\n",
           static_cast<unsigned long long>(e.timestamp()), ShortHex(e.transfer_id()).c_str(),
           static_cast<long long>(e.delta()), static_cast<long long>(e.balance_after()));
  }
  if (reply.next_timestamp() != 0) {
    printf("more: --%s %llu\n", args.Has("reverse") ? "to" : "from",
           static_cast<unsigned long long>(reply.next_timestamp()));
  }
  return 0;
}

int BalanceAtCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.size() != 1) UsageError("balance-at needs one account id");
  v1::GetBalanceAtRequest request;
  request.set_account_id(IdArg(args.positional[0], "account id"));
  request.set_timestamp(static_cast<uint64_t>(Int(Required(args, "at"), "at")));
  v1::GetBalanceAtReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().GetBalanceAt(Context().get(), request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  printf("balance %lld (as of change at %llu)\n", static_cast<long long>(reply.balance()),
         static_cast<unsigned long long>(reply.as_of_timestamp()));
  return 0;
}

int LinkCommand(LedgerConnection& stub, const Args& args) {
  v1::LinkAccountsRequest request;
  v1::AccountLink* link = request.add_links();
  link->set_wallet_id(IdArg(Required(args, "wallet"), "--wallet"));
  link->set_linked_id(IdArg(Required(args, "to"), "--to"));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& conn) {
    return conn.ledger().LinkAccounts(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

}  // namespace ledger::ctl
