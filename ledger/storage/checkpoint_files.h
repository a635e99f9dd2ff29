// Raft snapshots by reference: a RocksDB checkpoint described by a small manifest, fetched file by
// file in bounded chunks, verified, and swapped in atomically.
//
// Taking. A checkpoint (RocksStore::Checkpoint: hard links to the immutable table files plus a
// fresh MANIFEST, one memtable flush) is described by DescribeCheckpoint: every file's name, size
// and BLAKE2b-256, the applied Raft index, the node that took it and a checkpoint id. The manifest
// (EncodeCheckpointManifest) is what travels in the Raft snapshot: its size grows with the number
// of files, not with the state. Table files never change once written and their numbers are never
// reused by a database, so CheckpointHashCache hashes each one once: a snapshot reads only the
// files written since the previous one.
//
// Installing. InstallCheckpoint builds the new state in ROOT/snapshot.staging-ID from chunks of at
// most kCheckpointChunkBytes given by a ChunkSource (a peer over the network, or a local folder),
// checks each file's size and hash as it is written (a mismatch refuses the install and removes
// the staging folder: the old state is untouched), makes the files and the folder durable (one
// syncfs of their filesystem rather than an fsync per file), renames it to
// ROOT/state-ID, and commits by writing the pointer ROOT/state.current ("state-ID") atomically.
// Memory: one chunk, whatever the state size.
//
// Crash safety. The pointer is the commit point. RecoverInstall, run at start before the database
// is opened, decides deterministically from what is on disk: a staging folder, a state-* folder
// the pointer does not name, or a half-written pointer (.tmp) is an install cut short before its
// commit and is removed (rolled back: the old state is served); once the pointer names the new
// folder, the folder it replaced is removed (rolled forward). So a crash at any step leaves the old
// state or the new one. Without a pointer the state is ROOT itself (the layout before snapshots by
// reference: ledger/FORMAT.md).
#ifndef LEDGER_STORAGE_CHECKPOINT_FILES_H_
#define LEDGER_STORAGE_CHECKPOINT_FILES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ledger {

inline constexpr size_t kCheckpointFilesMax = 65'536;
inline constexpr size_t kCheckpointFileNameBytesMax = 64;
inline constexpr size_t kCheckpointChunkBytes = 1u << 20;
inline constexpr size_t kCheckpointManifestBytesMax =
    64 + kCheckpointFilesMax * (4 + kCheckpointFileNameBytesMax + 8 + 4 + 32);

struct CheckpointFile {
  std::string name;  // A file of the RocksDB folder: [A-Za-z0-9._-], 1 to 64 bytes, no leading '.'.
  uint64_t size = 0;
  std::string blake2b;  // 32 bytes.
  bool operator==(const CheckpointFile&) const = default;
};

struct CheckpointManifest {
  uint64_t checkpoint_id = 0;  // Unique per node (ROOT/snapshots/ckpt-ID on the node that took it).
  uint64_t applied_index = 0;  // The Raft index the state holds.
  uint64_t origin = 0;         // Raft id of the node that took it (and serves its files).
  std::vector<CheckpointFile> files;  // Sorted by name, names unique.
  bool operator==(const CheckpointManifest&) const = default;
  uint64_t TotalBytes() const;
};

// True for a name a manifest may carry (no path separators, no "..", no hidden files).
bool ValidCheckpointFileName(std::string_view name);

std::string EncodeCheckpointManifest(const CheckpointManifest& manifest);
// INVALID_ARGUMENT naming what is wrong (magic, checksum, a bound, a file name, order).
absl::StatusOr<CheckpointManifest> DecodeCheckpointManifest(std::string_view bytes);

// BLAKE2b-256 of a file, read in 64 KiB chunks; NOT_FOUND when it cannot be opened.
absl::StatusOr<std::string> Blake2bOfFile(const std::string& path);

// Hashes of immutable table files (*.sst) by name and size, so that each is read once per process.
// Thread-safe.
class CheckpointHashCache {
 public:
  absl::StatusOr<std::string> Hash(const std::string& dir, const std::string& name, uint64_t size);
  // Forgets files no longer in `names` (called with each new checkpoint's files).
  void Retain(const std::vector<CheckpointFile>& files);

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, uint64_t>, std::string> hashes_;
};

// Describes the checkpoint in `dir` (every regular file in it). `cache` may be null.
absl::StatusOr<CheckpointManifest> DescribeCheckpoint(const std::string& dir,
                                                      uint64_t checkpoint_id,
                                                      uint64_t applied_index, uint64_t origin,
                                                      CheckpointHashCache* cache);

// At most `max_bytes` (capped at kCheckpointChunkBytes) of file `name` in `dir` from `offset`;
// empty at or past its end. INVALID_ARGUMENT for a bad name, NOT_FOUND for a missing file.
absl::StatusOr<std::string> ReadCheckpointChunk(const std::string& dir, const std::string& name,
                                                uint64_t offset, uint64_t max_bytes);

// Gives up to kCheckpointChunkBytes of file `name` from `offset`; empty at its end.
using ChunkSource =
    std::function<absl::StatusOr<std::string>(const std::string& name, uint64_t offset)>;

// The steps of an install, in order; a hook (tests) runs after each.
enum class InstallStep {
  kStagingCreated = 1,  // ROOT/snapshot.staging-ID exists, empty.
  kFileWritten,         // One more file fetched and verified (once per file).
  kStagingSynced,       // Every file in place; the files and the folder durable (syncfs).
  kRenamed,             // ROOT/state-ID; ROOT fsynced.
  kCommitted,           // ROOT/state.current names state-ID (the new state from here on).
};
using InstallHook = std::function<void(InstallStep step)>;

// The state folder RecoverInstall would open now: ROOT/state-ID named by the pointer, else ROOT.
absl::StatusOr<std::string> CurrentStateDir(const std::string& root);

// Builds, verifies and commits `manifest` under `root` (see above). Returns the new state folder.
// Before the commit, any failure leaves the old state (the staging folder removed); a mismatch of
// size or hash is DATA_LOSS naming the file. The caller must not hold the old state open for
// writing across the swap: it reopens the returned folder and then calls RemoveOldState.
absl::StatusOr<std::string> InstallCheckpoint(const std::string& root,
                                              const CheckpointManifest& manifest,
                                              const ChunkSource& source,
                                              const InstallHook& hook = nullptr);

// Keeps a copy of an installed checkpoint's files in `dir` (hard links to the table files, which
// RocksDB never changes; copies of the others), built in DIR.tmp and renamed, so that this node can
// serve the snapshot in turn once the state folder has moved on.
absl::Status CopyCheckpoint(const std::string& state_dir, const CheckpointManifest& manifest,
                            const std::string& dir);

// Removes the state folder `old_dir` replaced by an install (ROOT itself: its RocksDB files only).
absl::Status RemoveOldState(const std::string& root, const std::string& old_dir);

// At start, before opening the state: rolls a cut-short install back or a committed one forward
// (see above) and returns the state folder to open.
absl::StatusOr<std::string> RecoverInstall(const std::string& root);

}  // namespace ledger

#endif  // LEDGER_STORAGE_CHECKPOINT_FILES_H_
