// ledgerctl: the role table (operators list|set) and who did what (history --operator NAME).
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/core/journal.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {
namespace {

// `operators list [--name NAME]`: each operator and its roles.
int OperatorsListCommand(LedgerConnection& stub, const Args& args) {
  v1::ListOperatorsRequest request;
  if (args.Has("name")) request.set_name(args.options.at("name"));
  v1::ListOperatorsReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().ListOperators(Context().get(), request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::OperatorRoles& op : reply.operators()) {
    std::string roles;
    for (const std::string& role : op.roles())
      absl::StrAppend(&roles, roles.empty() ? "" : ",", role);
    printf("%-24s %s\n", op.name().c_str(), roles.c_str());
  }
  return 0;
}

// `operators set NAME --roles=a,b` (or --roles=none: removed).
int OperatorsSetCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.size() != 2) UsageError("operators set NAME --roles=ROLE[,ROLE...]|none");
  v1::SetOperatorRolesRequest request;
  v1::OperatorRoles* op = request.add_operators();
  op->set_name(args.positional[1]);
  const std::string roles = Required(args, "roles");
  if (roles != "none") {
    for (absl::string_view role : absl::StrSplit(roles, ',')) op->add_roles(std::string(role));
  }
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().SetOperatorRoles(Context().get(), request, &reply);
  });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

}  // namespace

int OperatorsCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("operators: list or set");
  if (args.positional[0] == "list") return OperatorsListCommand(stub, args);
  if (args.positional[0] == "set") return OperatorsSetCommand(stub, args);
  UsageError(absl::StrCat("operators: unknown subcommand '", args.positional[0], "'"));
}

// `history --operator NAME [--from N]`: the operator's commands, from the journal (a scan of every
// entry from --from, a page of kJournalPageMax at a time, progress on stderr).
int OperatorHistoryCommand(LedgerConnection& stub, const Args& args) {
  const std::string name = Required(args, "operator");
  uint64_t next = static_cast<uint64_t>(std::max<int64_t>(IntOption(args, "from", 1), 1));
  uint64_t found = 0;
  for (;;) {
    v1::GetJournalRequest request;
    request.set_from_index(next);
    request.set_limit(1024);
    v1::GetJournalReply reply;
    grpc::Status status = stub.Call([&](LedgerConnection& c) {
      return c.ledger().GetJournal(Context().get(), request, &reply);
    });
    if (!status.ok()) return RpcFailed(status);
    if (reply.entries_size() == 0) break;
    for (const v1::JournalEntryBytes& stored : reply.entries()) {
      std::optional<JournalEntry> entry = DecodeJournalEntry(stored.data());
      if (!entry) {
        fprintf(stderr, "ledgerctl: journal entry %llu is undecodable\n",
                static_cast<unsigned long long>(stored.index()));
        return 4;
      }
      const std::vector<std::string> operators = CommandOperators(*entry);
      for (size_t i = 0; i < entry->commands.size(); ++i) {
        if (operators[i] != name) continue;
        ++found;
        printf("%llu %llu %s %s%s\n", static_cast<unsigned long long>(entry->index),
               static_cast<unsigned long long>(entry->outcomes[i].timestamp),
               std::string(CommandName(entry->commands[i])).c_str(),
               ResultName(entry->outcomes[i].result),
               entry->outcomes[i].duplicate ? " (duplicate)" : "");
      }
      next = stored.index() + 1;
    }
    if (next % 8192 < 1024)
      fprintf(stderr, "history: %llu entries scanned\r", static_cast<unsigned long long>(next - 1));
  }
  fprintf(stderr, "history: %llu entries scanned, %llu commands by %s\n",
          static_cast<unsigned long long>(next - 1), static_cast<unsigned long long>(found),
          name.c_str());
  return 0;
}

}  // namespace ledger::ctl
