// ledgerctl backup (online, Ledger.Backup) and restore (offline, into a new folder): the folder's
// layout is in ledger/client/backup_client.h.
#include <chrono>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "ledger/client/backup_client.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

int BackupCommand(LedgerConnection& stub, const Args& args) {
  const std::string dir = Required(args, "to");
  auto last = std::chrono::steady_clock::now();
  absl::StatusOr<BackupResult> result =
      BackupTo(stub, dir, [&last](uint64_t received, uint64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::seconds(1) && received != total) return;
        last = now;
        fprintf(stderr, "backup: %llu of %llu new bytes received\r",
                static_cast<unsigned long long>(received), static_cast<unsigned long long>(total));
      });
  if (!result.ok()) {
    fprintf(stderr, "\nledgerctl backup: %s\n", result.status().ToString().c_str());
    return 1;
  }
  printf("backup of journal index %llu (head %s): %llu files, %llu bytes, %llu of them new%s\n%s\n",
         static_cast<unsigned long long>(result->journal_index),
         absl::BytesToHexString(result->head_hash).c_str(),
         static_cast<unsigned long long>(result->files),
         static_cast<unsigned long long>(result->bytes_total),
         static_cast<unsigned long long>(result->bytes_sent),
         result->already_held ? " (this index was backed up already)" : "",
         result->manifest_path.c_str());
  return 0;
}

int RestoreCommand(const Args& args) {
  const std::string dir = Required(args, "from");
  if (args.Has("list")) {
    absl::StatusOr<std::vector<uint64_t>> indexes = ListBackups(dir);
    if (!indexes.ok()) {
      fprintf(stderr, "ledgerctl restore: %s\n", indexes.status().ToString().c_str());
      return 1;
    }
    for (uint64_t backup : *indexes) printf("%llu\n", static_cast<unsigned long long>(backup));
    return 0;
  }
  const std::string data_dir = Required(args, "data-dir");
  const int64_t index = IntOption(args, "index", 0);
  if (index < 0) UsageError("--index must be a journal index (0 or absent: the newest backup)");
  absl::StatusOr<RestoreResult> result = RestoreFrom(dir, static_cast<uint64_t>(index), data_dir);
  if (!result.ok()) {
    fprintf(stderr, "ledgerctl restore: %s\n", result.status().ToString().c_str());
    return result.status().code() == absl::StatusCode::kDataLoss ? 4 : 1;
  }
  printf(
      "restored journal index %llu (head %s) into %s: %llu files, %llu bytes; hash chain of "
      "%llu entries verified\n",
      static_cast<unsigned long long>(result->journal_index),
      absl::BytesToHexString(result->head_hash).c_str(), data_dir.c_str(),
      static_cast<unsigned long long>(result->files),
      static_cast<unsigned long long>(result->bytes),
      static_cast<unsigned long long>(result->entries_verified));
  return 0;
}

}  // namespace ledger::ctl
