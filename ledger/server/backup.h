// Ledger.Backup: an online backup of this node, streamed to the caller while the node goes on
// serving (`ledgerctl backup --to DIR`; the folder's layout and `ledgerctl restore` are in
// ledger/tools/ledgerctl/commands_backup.cc).
//
// The node takes a RocksDB checkpoint (hard links to its immutable table files plus a fresh
// MANIFEST; RocksDB flushes the memtables first, so the checkpoint is one consistent state holding
// whole batches) in a scratch folder beside its data, reads the journal head from it, hashes every
// file (SHA-256), and sends the manifest, then the bytes of each file the caller does not already
// hold (same name, size and hash), in chunks of kBackupChunkBytes. The checkpoint is removed when
// the call ends, whatever the outcome. One backup at a time per node.
//
// Cost: the checkpoint is O(files) (links, plus one memtable flush); hashing reads the whole state
// once (disk speed); only new files cross the network. Memory: one chunk.
#ifndef LEDGER_SERVER_BACKUP_H_
#define LEDGER_SERVER_BACKUP_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "proto/ledger.grpc.pb.h"

namespace ledger {

struct BackupSource {
  // Writes a checkpoint of the node's store into `dir` (which must not exist).
  std::function<absl::Status(const std::string& dir)> checkpoint;
  // Where checkpoints are made: on the data's filesystem (hard links), e.g. DATA_DIR/../backup.tmp.
  std::string scratch_dir;
};

class BackupStreamer {
 public:
  explicit BackupStreamer(BackupSource source) : source_(std::move(source)) {}

  // Streams one backup. RESOURCE_EXHAUSTED while another runs; INVALID_ARGUMENT for more than
  // kBackupFilesMax `have` entries; CANCELLED when the caller goes away (the checkpoint is
  // removed).
  absl::Status Stream(const v1::BackupRequest& request, grpc::ServerContext* context,
                      grpc::ServerWriter<v1::BackupChunk>* writer);

 private:
  absl::Status StreamCheckpoint(const std::string& dir, const v1::BackupRequest& request,
                                grpc::ServerContext* context,
                                grpc::ServerWriter<v1::BackupChunk>* writer);

  BackupSource source_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> sequence_{0};
};

}  // namespace ledger

#endif  // LEDGER_SERVER_BACKUP_H_
