// The client side of online backups (Ledger.Backup, ledger/server/backup.h): `ledgerctl backup`
// and `ledgerctl restore`, and the tests.
//
// A backup folder holds every backup taken into it:
//   DIR/files/<sha256 hex>          each file's bytes once, named by its SHA-256
//   (content-addressed:
//                                   a table file shared by many backups is stored once)
//   DIR/backups/<journal index>     one manifest per backup (20 digits, so names sort by index):
//                                     journal_index N / head_hash HEX / timestamp T
//                                     file NAME SIZE SHA256HEX   (one line per RocksDB file)
// A manifest is written (fsync, then rename) only after every file it names is in files/ and its
// hash checked, so a backup cut short leaves no manifest, and at most unused files.
//
// Example:
//   absl::StatusOr<BackupResult> taken = BackupTo(connection, "/backups/ledger", progress);
//   absl::StatusOr<RestoreResult> restored = RestoreFrom("/backups/ledger", 0, "var/restored");
#ifndef LEDGER_CLIENT_BACKUP_CLIENT_H_
#define LEDGER_CLIENT_BACKUP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/client/client.h"

namespace ledger {

struct BackupResult {
  uint64_t journal_index = 0;
  std::string head_hash;  // 32 bytes.
  uint64_t files = 0;
  uint64_t bytes_total = 0;  // The state's size.
  uint64_t bytes_sent = 0;   // What crossed the network (files this folder did not hold yet).
  std::string manifest_path;
  bool already_held = false;  // A backup of this journal index was in the folder already.
};

// Takes one backup of the node `connection` points at into `dir` (created if missing). `progress`
// (may be empty) is called with the bytes received so far and the bytes to receive.
absl::StatusOr<BackupResult> BackupTo(LedgerConnection& connection, const std::string& dir,
                                      const std::function<void(uint64_t, uint64_t)>& progress);

struct RestoreResult {
  uint64_t journal_index = 0;
  std::string head_hash;
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t entries_verified = 0;  // The journal's hash chain, re-walked in the restored store.
};

// The journal indexes of the backups in `dir`, oldest first.
absl::StatusOr<std::vector<uint64_t>> ListBackups(const std::string& dir);

// Restores the backup of `journal_index` (0: the newest) from `dir` into `data_dir`, which must
// not exist or be empty: copies each file, checking its SHA-256, into DATA_DIR.restoring, then
// opens it, checks that its journal head is the manifest's and re-walks the hash chain, and only
// then renames it to `data_dir`. An index with no backup is NOT_FOUND, naming the nearest ones.
absl::StatusOr<RestoreResult> RestoreFrom(const std::string& dir, uint64_t journal_index,
                                          const std::string& data_dir);

}  // namespace ledger

#endif  // LEDGER_CLIENT_BACKUP_CLIENT_H_
