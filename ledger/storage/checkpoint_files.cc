// See checkpoint_files.h. Manifest layout: ledger/FORMAT.md.
#include "ledger/storage/checkpoint_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "ledger/core/codec.h"
#include "ledger/core/kv.h"
#include "ledger/storage/atomic_file.h"

namespace ledger {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifestMagic = "LCKPT001";
constexpr size_t kHashBytes = 32;
const char kPointer[] = "state.current";
const char kStatePrefix[] = "state-";
const char kStagingPrefix[] = "snapshot.staging-";

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return Errno("cannot open " + path + " to fsync it");
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced ? absl::OkStatus() : Errno("fsync " + path);
}

// A file RocksDB keeps in its folder (what RemoveOldState may delete from a legacy ROOT).
bool RocksDbFileName(const std::string& name) {
  // NNNNNN.sst, NNNNNN.log and the like: digits, then the suffix.
  auto ends = [&](std::string_view suffix) {
    if (name.size() <= suffix.size() ||
        std::string_view(name).substr(name.size() - suffix.size()) != suffix) {
      return false;
    }
    return std::all_of(name.begin(), name.end() - static_cast<long>(suffix.size()),
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  return name == "CURRENT" || name == "IDENTITY" || name == "LOCK" || name == "LOG" ||
         StartsWith(name, "LOG.old.") || StartsWith(name, "MANIFEST-") ||
         StartsWith(name, "OPTIONS-") || ends(".sst") || ends(".log") || ends(".blob") ||
         ends(".dbtmp");
}

// Makes every file written on the filesystem holding `path` durable with one syncfs(2), instead of
// an fsync per file (an install writes one file per table file: measured 1.3 s for 120 files of
// 1.9 MB with an fsync each).
absl::Status SyncFilesystem(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return Errno("cannot open " + path + " to sync it");
  const bool synced = ::syncfs(fd) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  return synced ? absl::OkStatus() : Errno("syncfs " + path);
}

absl::Status RemoveAll(const std::string& path) {
  std::error_code error;
  fs::remove_all(path, error);
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot remove ", path, ": ", error.message()));
  return absl::OkStatus();
}

// Fetches one file into `path`, checking size and hash as it goes (made durable later, all files
// at once: SyncFilesystem).
absl::Status FetchFile(const CheckpointFile& file, const ChunkSource& source,
                       const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return Errno("cannot create " + path);
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kHashBytes);
  uint64_t offset = 0;
  absl::Status status;
  while (status.ok()) {
    absl::StatusOr<std::string> chunk = source(file.name, offset);
    if (!chunk.ok()) {
      status = chunk.status();
      break;
    }
    if (chunk->empty()) break;
    if (chunk->size() > kCheckpointChunkBytes || offset + chunk->size() > file.size) {
      status = absl::DataLossError(
          absl::StrCat("snapshot file ", file.name, ": more than its ", file.size, " bytes sent"));
      break;
    }
    if (::write(fd, chunk->data(), chunk->size()) != static_cast<ssize_t>(chunk->size())) {
      status = Errno("write " + path);
      break;
    }
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(chunk->data()),
                              chunk->size());
    offset += chunk->size();
  }
  if (status.ok() && offset != file.size) {
    status = absl::DataLossError(absl::StrCat("snapshot file ", file.name, ": ", offset,
                                              " bytes received, the manifest says ", file.size));
  }
  std::string digest(kHashBytes, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(digest.data()), kHashBytes);
  if (status.ok() && digest != file.blake2b) {
    status = absl::DataLossError(
        absl::StrCat("snapshot file ", file.name, ": BLAKE2b mismatch; install refused"));
  }
  ::close(fd);
  return status;
}

}  // namespace

uint64_t CheckpointManifest::TotalBytes() const {
  uint64_t total = 0;
  for (const CheckpointFile& file : files) total += file.size;
  return total;
}

bool ValidCheckpointFileName(std::string_view name) {
  if (name.empty() || name.size() > kCheckpointFileNameBytesMax || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string EncodeCheckpointManifest(const CheckpointManifest& manifest) {
  std::string out(kManifestMagic);
  Encoder e(&out);
  e.U64(manifest.checkpoint_id);
  e.U64(manifest.applied_index);
  e.U64(manifest.origin);
  e.U32(static_cast<uint32_t>(manifest.files.size()));
  for (const CheckpointFile& file : manifest.files) {
    e.Bytes(file.name);
    e.U64(file.size);
    e.Bytes(file.blake2b);
  }
  out += Blake2b256(out);
  return out;
}

absl::StatusOr<CheckpointManifest> DecodeCheckpointManifest(std::string_view bytes) {
  if (bytes.size() < kManifestMagic.size() + 3 * 8 + 4 + kHashBytes ||
      bytes.size() > kCheckpointManifestBytesMax || !StartsWith(bytes, kManifestMagic)) {
    return absl::InvalidArgumentError("snapshot manifest: bad magic or size");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - kHashBytes);
  if (Blake2b256(body) != bytes.substr(body.size())) {
    return absl::InvalidArgumentError("snapshot manifest: checksum mismatch");
  }
  Decoder d(body.substr(kManifestMagic.size()));
  CheckpointManifest manifest;
  manifest.checkpoint_id = d.U64();
  manifest.applied_index = d.U64();
  manifest.origin = d.U64();
  const uint32_t count = d.U32();
  if (count > kCheckpointFilesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot manifest: ", count, " files; at most ", kCheckpointFilesMax));
  }
  for (uint32_t i = 0; i < count && d.ok(); ++i) {
    CheckpointFile file;
    file.name = d.Bytes();
    file.size = d.U64();
    file.blake2b = d.Bytes();
    if (d.ok() && file.blake2b.size() != kHashBytes) {
      return absl::InvalidArgumentError("snapshot manifest: a hash is not 32 bytes");
    }
    if (d.ok() && !ValidCheckpointFileName(file.name)) {
      return absl::InvalidArgumentError(
          "snapshot manifest: a file name is not 1 to 64 of "
          "[A-Za-z0-9._-] (or starts with '.')");
    }
    if (!manifest.files.empty() && manifest.files.back().name >= file.name) {
      return absl::InvalidArgumentError("snapshot manifest: file names not sorted and unique");
    }
    manifest.files.push_back(std::move(file));
  }
  if (!d.done()) return absl::InvalidArgumentError("snapshot manifest: malformed body");
  return manifest;
}

absl::StatusOr<std::string> Blake2bOfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kHashBytes);
  std::vector<char> buffer(1u << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) {
      crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(buffer.data()),
                                static_cast<unsigned long long>(got));
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("read error in ", path));
  std::string digest(kHashBytes, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(digest.data()), kHashBytes);
  return digest;
}

absl::StatusOr<std::string> CheckpointHashCache::Hash(const std::string& dir,
                                                      const std::string& name, uint64_t size) {
  const bool immutable = name.size() > 4 && name.substr(name.size() - 4) == ".sst";
  if (immutable) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = hashes_.find({name, size});
    if (it != hashes_.end()) return it->second;
  }
  absl::StatusOr<std::string> hash = Blake2bOfFile(dir + "/" + name);
  if (hash.ok() && immutable) {
    std::lock_guard<std::mutex> lock(mutex_);
    hashes_[{name, size}] = *hash;
  }
  return hash;
}

void CheckpointHashCache::Retain(const std::vector<CheckpointFile>& files) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = hashes_.begin(); it != hashes_.end();) {
    const bool kept = std::any_of(files.begin(), files.end(), [&](const CheckpointFile& file) {
      return file.name == it->first.first && file.size == it->first.second;
    });
    it = kept ? std::next(it) : hashes_.erase(it);
  }
}

absl::StatusOr<CheckpointManifest> DescribeCheckpoint(const std::string& dir,
                                                      uint64_t checkpoint_id,
                                                      uint64_t applied_index, uint64_t origin,
                                                      CheckpointHashCache* cache) {
  CheckpointManifest manifest{checkpoint_id, applied_index, origin, {}};
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (!entry.is_regular_file()) continue;
    CheckpointFile file;
    file.name = entry.path().filename().string();
    if (!ValidCheckpointFileName(file.name)) {
      return absl::InternalError(absl::StrCat("checkpoint ", dir, ": unexpected file ", file.name));
    }
    file.size = entry.file_size();
    absl::StatusOr<std::string> hash =
        cache ? cache->Hash(dir, file.name, file.size) : Blake2bOfFile(dir + "/" + file.name);
    if (!hash.ok()) return hash.status();
    file.blake2b = *std::move(hash);
    manifest.files.push_back(std::move(file));
  }
  if (error) return absl::UnavailableError(absl::StrCat("list ", dir, ": ", error.message()));
  if (manifest.files.size() > kCheckpointFilesMax) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "checkpoint ", dir, ": ", manifest.files.size(), " files; at most ", kCheckpointFilesMax));
  }
  std::sort(manifest.files.begin(), manifest.files.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  if (cache) cache->Retain(manifest.files);
  return manifest;
}

absl::StatusOr<std::string> ReadCheckpointChunk(const std::string& dir, const std::string& name,
                                                uint64_t offset, uint64_t max_bytes) {
  if (!ValidCheckpointFileName(name)) {
    return absl::InvalidArgumentError("name: not 1 to 64 of [A-Za-z0-9._-] (or starts with '.')");
  }
  const std::string path = dir + "/" + name;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("no snapshot file ", name));
  std::string chunk(std::min<uint64_t>(max_bytes, kCheckpointChunkBytes), '\0');
  const ssize_t got = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(offset));
  const int read_error = errno;
  ::close(fd);
  if (got < 0) {
    return absl::DataLossError(absl::StrCat("read ", path, ": ", std::strerror(read_error)));
  }
  chunk.resize(static_cast<size_t>(got));
  return chunk;
}

absl::StatusOr<std::string> CurrentStateDir(const std::string& root) {
  std::ifstream in(root + "/" + kPointer);
  if (!in) return root;
  std::string name;
  std::getline(in, name);
  const std::string id = name.substr(std::min(name.size(), std::strlen(kStatePrefix)));
  if (!StartsWith(name, kStatePrefix) || id.empty() ||
      !std::all_of(id.begin(), id.end(),
                   [](char c) { return (c >= '0' && c <= '9') || c == '-'; })) {
    return absl::DataLossError(absl::StrCat(root, "/", kPointer, ": \"", name,
                                            "\" is not state-ID; restore the node from a backup"));
  }
  return root + "/" + name;
}

absl::StatusOr<std::string> InstallCheckpoint(const std::string& root,
                                              const CheckpointManifest& manifest,
                                              const ChunkSource& source, const InstallHook& hook) {
  auto step = [&](InstallStep done) {
    if (hook) hook(done);
  };
  const std::string id = absl::StrCat(manifest.origin, "-", manifest.checkpoint_id);
  const std::string staging = absl::StrCat(root, "/", kStagingPrefix, id);
  const std::string target = absl::StrCat(root, "/", kStatePrefix, id);
  absl::StatusOr<std::string> current = CurrentStateDir(root);
  if (!current.ok()) return current.status();
  if (*current == target) {
    return absl::AlreadyExistsError(absl::StrCat("snapshot ", id, " is the current state"));
  }
  if (absl::Status removed = RemoveAll(staging); !removed.ok()) return removed;
  if (absl::Status removed = RemoveAll(target); !removed.ok()) return removed;
  std::error_code error;
  fs::create_directories(staging, error);
  if (error) return absl::UnavailableError(absl::StrCat("create ", staging, ": ", error.message()));
  step(InstallStep::kStagingCreated);
  absl::Status status;
  for (const CheckpointFile& file : manifest.files) {
    status = FetchFile(file, source, staging + "/" + file.name);
    if (!status.ok()) break;
    step(InstallStep::kFileWritten);
  }
  if (status.ok()) status = SyncFilesystem(staging);
  if (!status.ok()) {
    RemoveAll(staging).IgnoreError();  // The old state is untouched.
    return status;
  }
  step(InstallStep::kStagingSynced);
  if (std::rename(staging.c_str(), target.c_str()) != 0 || !SyncPath(root).ok()) {
    const absl::Status renamed = Errno("rename " + staging + " to " + target);
    RemoveAll(staging).IgnoreError();
    RemoveAll(target).IgnoreError();
    return renamed;
  }
  step(InstallStep::kRenamed);
  status =
      WriteFileAtomically(absl::StrCat(root, "/", kPointer), absl::StrCat(kStatePrefix, id, "\n"));
  if (status.ok()) status = SyncPath(root);
  if (!status.ok()) {
    // Whether the rename of the pointer reached the disk is unknown: leave the decision to
    // RecoverInstall at the next start rather than removing a folder the pointer may name.
    return status;
  }
  step(InstallStep::kCommitted);
  return target;
}

absl::Status CopyCheckpoint(const std::string& state_dir, const CheckpointManifest& manifest,
                            const std::string& dir) {
  const std::string partial = dir + ".tmp";
  if (absl::Status removed = RemoveAll(partial); !removed.ok()) return removed;
  if (absl::Status removed = RemoveAll(dir); !removed.ok()) return removed;
  std::error_code error;
  fs::create_directories(partial, error);
  for (const CheckpointFile& file : manifest.files) {
    if (error) break;
    const std::string from = state_dir + "/" + file.name;
    const std::string to = partial + "/" + file.name;
    const bool table = file.name.size() > 4 && file.name.substr(file.name.size() - 4) == ".sst";
    if (table) {
      fs::create_hard_link(from, to, error);
    } else {
      fs::copy_file(from, to, error);
    }
  }
  if (!error) fs::rename(partial, dir, error);
  if (error) {
    RemoveAll(partial).IgnoreError();
    return absl::UnavailableError(
        absl::StrCat("keep a copy of the snapshot in ", dir, ": ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status RemoveOldState(const std::string& root, const std::string& old_dir) {
  if (old_dir != root) return RemoveAll(old_dir);
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, error)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !RocksDbFileName(name)) continue;
    fs::remove(entry.path(), error);
    if (error) break;
  }
  if (error) return absl::UnavailableError(absl::StrCat("clean ", root, ": ", error.message()));
  return SyncPath(root);
}

absl::StatusOr<std::string> RecoverInstall(const std::string& root) {
  absl::StatusOr<std::string> current = CurrentStateDir(root);
  if (!current.ok()) return current.status();
  std::error_code error;
  std::remove((root + "/" + std::string(kPointer) + ".tmp").c_str());
  std::vector<std::string> stale;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, error)) {
    const std::string name = entry.path().filename().string();
    const std::string path = root + "/" + name;
    if (!entry.is_directory() || path == *current) continue;
    if (StartsWith(name, kStagingPrefix) || StartsWith(name, kStatePrefix)) stale.push_back(path);
  }
  if (error) return absl::UnavailableError(absl::StrCat("list ", root, ": ", error.message()));
  for (const std::string& path : stale) {
    if (absl::Status removed = RemoveAll(path); !removed.ok()) return removed;
  }
  if (*current != root) {
    // Committed: RocksDB files left in ROOT belong to the state the install replaced.
    if (absl::Status removed = RemoveOldState(root, root); !removed.ok()) return removed;
  }
  return *current;
}

}  // namespace ledger
