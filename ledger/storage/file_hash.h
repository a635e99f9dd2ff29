// SHA-256 of a file's bytes, read in 64 KiB chunks (backups: ledger/server/backup.h and
// ledger/client/backup_client.h).
#ifndef LEDGER_STORAGE_FILE_HASH_H_
#define LEDGER_STORAGE_FILE_HASH_H_

#include <string>

#include "absl/status/statusor.h"

namespace ledger {

// 32 bytes; NOT_FOUND when the file cannot be opened, DATA_LOSS on a read error.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

}  // namespace ledger

#endif  // LEDGER_STORAGE_FILE_HASH_H_
