// Backups into a folder and restores from it: see backup_client.h.
#include "ledger/client/backup_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/core/journal.h"
#include "ledger/core/limits.h"
#include "ledger/storage/atomic_file.h"
#include "ledger/storage/file_hash.h"
#include "ledger/storage/rocks_store.h"

namespace ledger {
namespace {

namespace fs = std::filesystem;

struct Manifest {
  uint64_t journal_index = 0;
  std::string head_hash;
  uint64_t timestamp = 0;
  std::vector<v1::BackupFile> files;
};

std::string ManifestName(uint64_t index) { return absl::StrFormat("%020u", index); }

std::string FormatManifest(const Manifest& manifest) {
  std::string text = absl::StrCat("journal_index ", manifest.journal_index, "\nhead_hash ",
                                  absl::BytesToHexString(manifest.head_hash), "\ntimestamp ",
                                  manifest.timestamp, "\n");
  for (const v1::BackupFile& file : manifest.files) {
    absl::StrAppend(&text, "file ", file.name(), " ", file.size(), " ",
                    absl::BytesToHexString(file.sha256()), "\n");
  }
  return text;
}

absl::StatusOr<Manifest> ReadManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  Manifest manifest;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::istringstream words(line);
    std::string key;
    words >> key;
    std::string hex;
    bool ok = true;
    if (key == "journal_index") {
      ok = static_cast<bool>(words >> manifest.journal_index);
    } else if (key == "head_hash") {
      ok = static_cast<bool>(words >> hex);
      manifest.head_hash = absl::HexStringToBytes(hex);
    } else if (key == "timestamp") {
      ok = static_cast<bool>(words >> manifest.timestamp);
    } else if (key == "file") {
      v1::BackupFile file;
      std::string name;
      uint64_t size = 0;
      ok = static_cast<bool>(words >> name >> size >> hex) && hex.size() == 2 * kSha256Bytes;
      file.set_name(name);
      file.set_size(size);
      file.set_sha256(absl::HexStringToBytes(hex));
      manifest.files.push_back(std::move(file));
    } else {
      ok = false;
    }
    if (!ok) {
      return absl::DataLossError(absl::StrCat(path, " line ", line_number, ": unreadable"));
    }
  }
  return manifest;
}

absl::Status SyncPath(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot open ", path));
  const int synced = fsync(fd);
  close(fd);
  if (synced != 0) return absl::UnavailableError(absl::StrCat("cannot fsync ", path));
  return absl::OkStatus();
}

// Every (name, size, hash) the folder's manifests name whose bytes are in files/: what the node
// need not send again.
std::vector<v1::BackupFile> HeldFiles(const std::string& dir) {
  std::map<std::string, v1::BackupFile> held;  // By name + hash.
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir + "/backups", error)) {
    absl::StatusOr<Manifest> manifest = ReadManifest(entry.path().string());
    if (!manifest.ok()) continue;
    for (const v1::BackupFile& file : manifest->files) {
      const std::string stored = dir + "/files/" + absl::BytesToHexString(file.sha256());
      if (fs::exists(stored, error) && fs::file_size(stored, error) == file.size()) {
        held[file.name() + file.sha256()] = file;
      }
    }
  }
  std::vector<v1::BackupFile> files;
  for (auto& [key, file] : held) {
    if (files.size() == kBackupFilesMax) break;
    files.push_back(std::move(file));
  }
  return files;
}

// Receives one file's chunks into files/<hash>.partial and, once complete and its hash checked,
// renames it into place.
class FileReceiver {
 public:
  explicit FileReceiver(std::string dir) : dir_(std::move(dir)) {}
  absl::Status Begin(const v1::BackupFile& file) {
    file_ = file;
    received_ = 0;
    partial_ = dir_ + "/files/" + absl::BytesToHexString(file.sha256()) + ".partial";
    out_.open(partial_, std::ios::binary | std::ios::trunc);
    if (!out_) return absl::UnavailableError(absl::StrCat("cannot write ", partial_));
    return absl::OkStatus();
  }
  absl::Status Add(const v1::BackupFileChunk& chunk) {
    if (chunk.offset() != received_) {
      return absl::DataLossError(absl::StrCat(file_.name(), ": chunk at offset ", chunk.offset(),
                                              ", expected ", received_));
    }
    out_.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    received_ += chunk.data().size();
    if (!out_) return absl::UnavailableError(absl::StrCat("cannot write ", partial_));
    return absl::OkStatus();
  }
  absl::Status Finish() {
    out_.close();
    if (received_ != file_.size()) {
      return absl::DataLossError(absl::StrCat(file_.name(), ": received ", received_,
                                              " bytes, the manifest says ", file_.size()));
    }
    absl::StatusOr<std::string> sha = Sha256OfFile(partial_);
    if (!sha.ok()) return sha.status();
    if (*sha != file_.sha256()) {
      return absl::DataLossError(absl::StrCat(file_.name(), ": SHA-256 differs from the manifest"));
    }
    if (absl::Status synced = SyncPath(partial_); !synced.ok()) return synced;
    std::error_code error;
    fs::rename(partial_, dir_ + "/files/" + absl::BytesToHexString(file_.sha256()), error);
    if (error)
      return absl::UnavailableError(absl::StrCat("rename ", partial_, ": ", error.message()));
    return absl::OkStatus();
  }

 private:
  std::string dir_;
  v1::BackupFile file_;
  std::string partial_;
  std::ofstream out_;
  uint64_t received_ = 0;
};

// Long because it follows the stream in order: the manifest, then each missing file's chunks
// (a file of zero bytes has none), checking each file as it completes.
absl::StatusOr<BackupResult> Receive(grpc::ClientReader<v1::BackupChunk>& reader,
                                     const std::string& dir, const v1::BackupRequest& request,
                                     const std::function<void(uint64_t, uint64_t)>& progress,
                                     Manifest* manifest) {
  v1::BackupChunk chunk;
  if (!reader.Read(&chunk) || !chunk.has_manifest()) {
    return absl::UnavailableError("the node sent no backup manifest");
  }
  const v1::BackupManifest& sent = chunk.manifest();
  manifest->journal_index = sent.journal_index();
  manifest->head_hash = sent.head_hash();
  manifest->timestamp = sent.timestamp();
  BackupResult result;
  std::map<std::string, v1::BackupFile> missing;  // By name, in the order the node sends them.
  for (const v1::BackupFile& file : sent.files()) {
    manifest->files.push_back(file);
    result.bytes_total += file.size();
    bool held = false;
    for (const v1::BackupFile& have : request.have()) {
      held = held || (have.name() == file.name() && have.size() == file.size() &&
                      have.sha256() == file.sha256());
    }
    if (!held) missing[file.name()] = file;
  }
  result.files = manifest->files.size();
  FileReceiver receiver(dir);
  std::string current;
  while (reader.Read(&chunk)) {
    if (!chunk.has_chunk()) return absl::DataLossError("a second manifest in one backup");
    const v1::BackupFileChunk& part = chunk.chunk();
    if (part.name() != current) {
      if (!current.empty()) {
        if (absl::Status done = receiver.Finish(); !done.ok()) return done;
        missing.erase(current);
      }
      auto file = missing.find(part.name());
      if (file == missing.end()) {
        return absl::DataLossError(absl::StrCat("the node sent ", part.name(), " unasked"));
      }
      if (absl::Status begun = receiver.Begin(file->second); !begun.ok()) return begun;
      current = part.name();
    }
    if (absl::Status added = receiver.Add(part); !added.ok()) return added;
    result.bytes_sent += part.data().size();
    if (progress) progress(result.bytes_sent, sent.bytes_to_send());
  }
  if (!current.empty()) {
    if (absl::Status done = receiver.Finish(); !done.ok()) return done;
    missing.erase(current);
  }
  for (const auto& [name, file] : missing) {  // Files of zero bytes come without chunks.
    if (file.size() != 0) return absl::DataLossError(absl::StrCat(name, " was never sent"));
    if (absl::Status begun = receiver.Begin(file); !begun.ok()) return begun;
    if (absl::Status done = receiver.Finish(); !done.ok()) return done;
  }
  return result;
}

}  // namespace

absl::StatusOr<BackupResult> BackupTo(LedgerConnection& connection, const std::string& dir,
                                      const std::function<void(uint64_t, uint64_t)>& progress) {
  std::error_code error;
  fs::create_directories(dir + "/files", error);
  fs::create_directories(dir + "/backups", error);
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  v1::BackupRequest request;
  for (v1::BackupFile& file : HeldFiles(dir)) *request.add_have() = std::move(file);
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::BackupChunk>> reader =
      connection.ledger().Backup(&context, request);
  Manifest manifest;
  absl::StatusOr<BackupResult> result = Receive(*reader, dir, request, progress, &manifest);
  if (!result.ok()) {
    context.TryCancel();
    reader->Finish();
    return result.status();
  }
  if (grpc::Status finished = reader->Finish(); !finished.ok()) return FromGrpcStatus(finished);
  result->journal_index = manifest.journal_index;
  result->head_hash = manifest.head_hash;
  result->manifest_path = dir + "/backups/" + ManifestName(manifest.journal_index);
  result->already_held = fs::exists(result->manifest_path, error);
  if (absl::Status synced = SyncPath(dir + "/files"); !synced.ok()) return synced;
  if (!result->already_held) {
    if (absl::Status written = WriteFileAtomically(result->manifest_path, FormatManifest(manifest));
        !written.ok()) {
      return written;
    }
    if (absl::Status synced = SyncPath(dir + "/backups"); !synced.ok()) return synced;
  }
  return result;
}

absl::StatusOr<std::vector<uint64_t>> ListBackups(const std::string& dir) {
  std::error_code error;
  std::vector<uint64_t> indexes;
  for (const auto& entry : fs::directory_iterator(dir + "/backups", error)) {
    uint64_t index = 0;
    const std::string name = entry.path().filename().string();
    if (name.size() == 20 && absl::SimpleAtoi(name, &index)) indexes.push_back(index);
  }
  if (error) return absl::NotFoundError(absl::StrCat("no backups in ", dir, ": ", error.message()));
  std::sort(indexes.begin(), indexes.end());
  return indexes;
}

namespace {

absl::StatusOr<uint64_t> ChooseBackup(const std::string& dir, uint64_t journal_index) {
  absl::StatusOr<std::vector<uint64_t>> indexes = ListBackups(dir);
  if (!indexes.ok()) return indexes.status();
  if (indexes->empty()) return absl::NotFoundError(absl::StrCat("no backups in ", dir));
  if (journal_index == 0) return indexes->back();
  if (std::binary_search(indexes->begin(), indexes->end(), journal_index)) return journal_index;
  auto after = std::upper_bound(indexes->begin(), indexes->end(), journal_index);
  std::string nearest;
  if (after != indexes->begin()) absl::StrAppend(&nearest, " ", *(after - 1), " (before)");
  if (after != indexes->end()) absl::StrAppend(&nearest, " ", *after, " (after)");
  return absl::NotFoundError(absl::StrCat("no backup of journal index ", journal_index, " in ", dir,
                                          "; nearest:", nearest));
}

// The restored store's journal head is the manifest's, and its hash chain holds.
absl::Status CheckRestored(const std::string& path, const Manifest& manifest,
                           RestoreResult* result) {
  RocksStore::Options options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(path, options);
  if (!store.ok()) return store.status();
  const JournalHead head = ReadHead(**store);
  if (head.index != manifest.journal_index || head.hash != manifest.head_hash) {
    return absl::DataLossError(absl::StrCat("the restored journal head is index ", head.index,
                                            ", the manifest says ", manifest.journal_index));
  }
  const VerifyReport report = VerifyJournal(**store);
  if (!report.ok) return absl::DataLossError(absl::StrCat("journal: ", report.problem));
  result->entries_verified = report.entries_checked;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RestoreResult> RestoreFrom(const std::string& dir, uint64_t journal_index,
                                          const std::string& data_dir) {
  std::error_code error;
  if (fs::exists(data_dir, error) && !fs::is_empty(data_dir, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--data-dir ", data_dir, " is not empty: restore only into a new folder"));
  }
  absl::StatusOr<uint64_t> chosen = ChooseBackup(dir, journal_index);
  if (!chosen.ok()) return chosen.status();
  absl::StatusOr<Manifest> manifest = ReadManifest(dir + "/backups/" + ManifestName(*chosen));
  if (!manifest.ok()) return manifest.status();
  const std::string staging = data_dir + ".restoring";
  fs::remove_all(staging, error);
  fs::create_directories(staging, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot create ", staging));
  RestoreResult result;
  for (const v1::BackupFile& file : manifest->files) {
    const std::string from = dir + "/files/" + absl::BytesToHexString(file.sha256());
    const std::string to = staging + "/" + file.name();
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
    if (error)
      return absl::DataLossError(absl::StrCat("cannot copy ", from, ": ", error.message()));
    absl::StatusOr<std::string> sha = Sha256OfFile(to);
    if (!sha.ok()) return sha.status();
    if (*sha != file.sha256()) {
      return absl::DataLossError(
          absl::StrCat(from, " (", file.name(), ") does not match its SHA-256 in the manifest"));
    }
    if (absl::Status synced = SyncPath(to); !synced.ok()) return synced;
    ++result.files;
    result.bytes += file.size();
  }
  if (absl::Status checked = CheckRestored(staging, *manifest, &result); !checked.ok()) {
    return checked;
  }
  fs::remove(data_dir, error);  // An empty folder, if any.
  fs::rename(staging, data_dir, error);
  if (error)
    return absl::UnavailableError(absl::StrCat("rename to ", data_dir, ": ", error.message()));
  result.journal_index = manifest->journal_index;
  result.head_hash = manifest->head_hash;
  return result;
}

}  // namespace ledger
