// ledgerctl: the journal: digest, verification and audit (online, or offline on a data directory),
// tail.
#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/core/audit.h"
#include "ledger/core/journal.h"
#include "ledger/storage/rocks_store.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

int Digest(LedgerConnection& stub) {
  v1::GetDigestReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().GetDigest(Context().get(), v1::GetDigestRequest(), &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  std::string hash;
  for (unsigned char c : reply.head_hash()) absl::StrAppend(&hash, absl::Hex(c, absl::kZeroPad2));
  printf("journal index %llu\nhead hash %s\nclock %llu\n",
         static_cast<unsigned long long>(reply.journal_index()), hash.c_str(),
         static_cast<unsigned long long>(reply.timestamp()));
  return 0;
}

int VerifyOffline(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
  if (!store.ok()) {
    fprintf(stderr, "ledgerctl: %s (is ledgerd still running on it?)\n",
            store.status().ToString().c_str());
    return 1;
  }
  VerifyReport report = VerifyJournal(**store, [](uint64_t index) {
    fprintf(stderr, "verify: %llu entries checked\r", static_cast<unsigned long long>(index));
  });
  if (!report.ok) {
    printf("MISMATCH at entry %llu: %s\n", static_cast<unsigned long long>(report.first_bad_index),
           report.problem.c_str());
    return 4;
  }
  printf(
      "journal verifies: %llu entries, chain intact; %llu operator commands, each by an operator "
      "holding its role\n",
      static_cast<unsigned long long>(report.entries_checked),
      static_cast<unsigned long long>(report.operator_commands));
  return 0;
}

int AuditOffline(const std::string& dir, bool replay) {
  RocksStore::Options options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir, options);
  if (!store.ok()) {
    fprintf(stderr, "ledgerctl: %s\n", store.status().ToString().c_str());
    return 1;
  }
  AuditOptions audit;
  audit.replay = replay;
  audit.progress = [](const std::string& line) { fprintf(stderr, "audit: %s\r", line.c_str()); };
  fprintf(stderr, "audit: checking sums, lots and pendings\n");
  const AuditReport report = Audit(**store, audit);
  fprintf(stderr, "\n");
  printf("%s", report.Summary().c_str());
  return report.ok() ? 0 : 4;
}

int AuditOnline(LedgerConnection& stub, bool replay, int64_t timeout_seconds) {
  if (timeout_seconds <= 0) UsageError("--timeout-seconds: must be at least 1");
  v1::AuditRequest request;
  request.set_replay(replay);
  v1::AuditReply reply;
  fprintf(stderr, "audit: asking the node to check its state%s (at most %lld s)\n",
          replay ? " and replay its journal" : "", static_cast<long long>(timeout_seconds));
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().Audit(ContextWithDeadline(std::chrono::seconds(timeout_seconds)).get(),
                            request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  printf("audited state at journal entry %llu\n%s",
         static_cast<unsigned long long>(reply.journal_index()), reply.summary().c_str());
  return reply.ok() ? 0 : 4;
}

int VerifyOnline(LedgerConnection& stub) {
  v1::GetDigestReply digest;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().GetDigest(Context().get(), v1::GetDigestRequest(), &digest);
  });
  if (!status.ok()) return RpcFailed(status);
  std::string previous(32, '\0');
  uint64_t next = 1;
  OperatorJournalCheck operators;
  while (next <= digest.journal_index()) {
    v1::GetJournalRequest request;
    request.set_from_index(next);
    request.set_limit(1024);
    v1::GetJournalReply reply;
    status = stub.Call([&](LedgerConnection& c) {
      return c.ledger().GetJournal(Context().get(), request, &reply);
    });
    if (!status.ok()) return RpcFailed(status);
    if (reply.entries_size() == 0) break;
    for (const v1::JournalEntryBytes& stored : reply.entries()) {
      auto mismatch = [&](const std::string& what) {
        printf("MISMATCH at entry %llu: %s\n", static_cast<unsigned long long>(next), what.c_str());
        return 4;
      };
      if (stored.index() != next) return mismatch(absl::StrCat("entry ", next, " is missing"));
      if (!EntryHashMatches(stored.data())) return mismatch("stored hash does not match its bytes");
      std::optional<JournalEntry> entry = DecodeJournalEntry(stored.data());
      if (!entry || entry->index != next) return mismatch("undecodable or wrong index");
      if (entry->previous_hash != previous) return mismatch("previous-hash link does not match");
      if (std::string problem = operators.Check(*entry); !problem.empty()) return mismatch(problem);
      previous = std::string(StoredEntryHash(stored.data()));
      if (next % 4096 == 0)
        fprintf(stderr, "verify: %llu entries checked\r", static_cast<unsigned long long>(next));
      ++next;
      if (next > digest.journal_index()) break;
    }
  }
  if (next - 1 != digest.journal_index() ||
      (digest.journal_index() > 0 && previous != digest.head_hash())) {
    printf("MISMATCH: walked %llu entries, digest says %llu with a different head hash\n",
           static_cast<unsigned long long>(next - 1),
           static_cast<unsigned long long>(digest.journal_index()));
    return 4;
  }
  printf(
      "journal verifies: %llu entries, chain intact, head matches the digest; %llu operator "
      "commands, each by an operator holding its role\n",
      static_cast<unsigned long long>(digest.journal_index()),
      static_cast<unsigned long long>(operators.operator_commands()));
  return 0;
}

int Tail(LedgerConnection& stub, const Args& args) {
  const bool json = args.Has("json");
  const uint64_t from = static_cast<uint64_t>(std::max<int64_t>(IntOption(args, "from", 1), 1));
  if (args.Has("follow")) {
    grpc::ClientContext context;
    v1::SubscribeRequest request;
    request.set_from_index(from);
    std::unique_ptr<grpc::ClientReader<v1::Event>> reader =
        stub.ledger().Subscribe(&context, request);
    v1::Event event;
    while (reader->Read(&event)) {
      PrintEvent(event, json);
      fflush(stdout);
    }
    grpc::Status status = reader->Finish();
    return status.ok() ? 0 : RpcFailed(status);
  }
  // Without --follow: read the journal up to the current head, decode it here, and stop.
  v1::GetDigestReply digest;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().GetDigest(Context().get(), v1::GetDigestRequest(), &digest);
  });
  if (!status.ok()) return RpcFailed(status);
  return ForEachJournalEvent(stub, from, digest.journal_index(), 256, [&](const v1::Event& event) {
    PrintEvent(event, json);
    return true;
  });
}

}  // namespace ledger::ctl
