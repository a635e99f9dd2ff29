// ledgerctl: the calls commands share: the deadline, signed requests of residents, visitors and
// hosts, and the journal walk.
#include <cstdio>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "formats/keys.h"
#include "ledger/core/journal.h"
#include "ledger/core/pos.h"
#include "ledger/server/convert.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"
#include "merchant/pos_client.h"
#include "wallet/wallet_client.h"

namespace ledger::ctl {

std::unique_ptr<grpc::ClientContext> Context() {
  return ContextWithDeadline(std::chrono::seconds(30));
}

namespace {

uint64_t WallMs() { return static_cast<uint64_t>(absl::ToUnixMillis(absl::Now())); }

}  // namespace

v1::WalletRequest SignedWithKeyFile(const Args& args, const std::string& signer, const char* method,
                                    const google::protobuf::Message& body) {
  const wallet::KeyPair keys = OpenKey(args, "key", "WALLET_PASSPHRASE");
  return wallet::SignWalletRequest(keys, IdArg(Required(args, signer), "--" + signer), method, body,
                                   WallMs(), wallet::RandomNonce());
}

namespace {

// The host's terminal (merchant, terminal id, its sealed key from `pos init-terminal`,
// $POS_PASSPHRASE).
merchant::Terminal HostTerminal(const Args& args) {
  return merchant::Terminal{IdArg(Required(args, "host"), "--host"), Required(args, "terminal"),
                            OpenKey(args, "terminal-key", "POS_PASSPHRASE")};
}

}  // namespace

int HostCall(LedgerConnection& stub, const Args& args, const char* method,
             const google::protobuf::Message& body,
             grpc::Status (v1::Pos::Stub::*rpc)(grpc::ClientContext*, const v1::SignedRequest&,
                                                v1::PosReply*)) {
  const v1::SignedRequest request =
      merchant::SignRequest(HostTerminal(args), method, body, WallMs());
  v1::PosReply reply;
  grpc::Status status = stub.Call(
      [&](LedgerConnection& c) { return (c.pos().*rpc)(Context().get(), request, &reply); });
  return status.ok() ? PrintPosReply(reply) : RpcFailed(status);
}

int VisitorCall(LedgerConnection& stub, const Args& args, const char* method,
                const google::protobuf::Message& body,
                grpc::Status (v1::Wallet::Stub::*rpc)(grpc::ClientContext*,
                                                      const v1::WalletRequest&, v1::WalletReply*)) {
  const v1::WalletRequest request = SignedWithKeyFile(args, "visitor", method, body);
  v1::WalletReply reply;
  grpc::Status status = stub.Call(
      [&](LedgerConnection& c) { return (c.wallet().*rpc)(Context().get(), request, &reply); });
  return status.ok() ? PrintWalletReply(reply) : RpcFailed(status);
}

uint32_t TodayInJapan() {
  return BusinessDay(static_cast<Timestamp>(absl::ToUnixNanos(absl::Now())));
}

int ForEachJournalEvent(LedgerConnection& stub, uint64_t from, uint64_t to, int page,
                        const std::function<bool(const v1::Event&)>& visit) {
  uint64_t next = from;
  while (next <= to) {
    v1::GetJournalRequest request;
    request.set_from_index(next);
    request.set_limit(page);
    v1::GetJournalReply reply;
    grpc::Status status = stub.Call([&](LedgerConnection& c) {
      return c.ledger().GetJournal(Context().get(), request, &reply);
    });
    if (!status.ok()) return RpcFailed(status);
    if (reply.entries_size() == 0) break;
    for (const v1::JournalEntryBytes& stored : reply.entries()) {
      if (stored.index() > to) return 0;
      std::optional<JournalEntry> entry = DecodeJournalEntry(stored.data());
      if (!entry) {
        fprintf(stderr, "ledgerctl: journal entry %llu is undecodable\n",
                static_cast<unsigned long long>(stored.index()));
        return 4;
      }
      for (const v1::Event& event : EventsFromEntry(*entry)) {
        if (!visit(event)) return 0;
      }
      next = stored.index() + 1;
    }
  }
  return 0;
}

}  // namespace ledger::ctl
