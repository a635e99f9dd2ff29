// Online backups: see backup.h.
#include "ledger/server/backup.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ledger/core/journal.h"
#include "ledger/core/limits.h"
#include "ledger/storage/file_hash.h"
#include "ledger/storage/rocks_store.h"

namespace ledger {

absl::Status BackupStreamer::Stream(const v1::BackupRequest& request, grpc::ServerContext* context,
                                    grpc::ServerWriter<v1::BackupChunk>* writer) {
  if (static_cast<size_t>(request.have_size()) > kBackupFilesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("have: ", request.have_size(), " files; at most ", kBackupFilesMax));
  }
  if (running_.exchange(true)) {
    return absl::ResourceExhaustedError(
        "a backup of this node is already running; retry when it ends");
  }
  std::error_code error;
  std::filesystem::create_directories(source_.scratch_dir, error);
  const std::string dir =
      absl::StrCat(source_.scratch_dir, "/checkpoint-", getpid(), "-", sequence_.fetch_add(1));
  std::filesystem::remove_all(dir, error);
  absl::Status status = source_.checkpoint(dir);
  if (status.ok()) status = StreamCheckpoint(dir, request, context, writer);
  std::filesystem::remove_all(dir, error);
  running_.store(false);
  return status;
}

absl::Status BackupStreamer::StreamCheckpoint(const std::string& dir,
                                              const v1::BackupRequest& request,
                                              grpc::ServerContext* context,
                                              grpc::ServerWriter<v1::BackupChunk>* writer) {
  v1::BackupChunk first;
  v1::BackupManifest& manifest = *first.mutable_manifest();
  {
    RocksStore::Options options;
    options.read_only = true;
    options.block_cache_bytes = 8u << 20;
    absl::StatusOr<std::unique_ptr<RocksStore>> view = RocksStore::Open(dir, options);
    if (!view.ok()) return view.status();
    const JournalHead head = ReadHead(**view);
    manifest.set_journal_index(head.index);
    manifest.set_head_hash(head.hash);
    manifest.set_timestamp(head.clock);
  }
  std::set<std::tuple<std::string, uint64_t, std::string>> have;
  for (const v1::BackupFile& file : request.have()) {
    have.emplace(file.name(), file.size(), file.sha256());
  }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> to_send;
  uint64_t bytes_to_send = 0;
  for (const std::string& name : names) {
    if (context->IsCancelled()) return absl::CancelledError("the caller went away");
    const std::string path = dir + "/" + name;
    absl::StatusOr<std::string> sha = Sha256OfFile(path);
    if (!sha.ok()) return sha.status();
    v1::BackupFile& file = *manifest.add_files();
    file.set_name(name);
    file.set_size(std::filesystem::file_size(path));
    file.set_sha256(*sha);
    if (have.count({name, file.size(), *sha}) == 0) {
      to_send.push_back(name);
      bytes_to_send += file.size();
    }
  }
  manifest.set_bytes_to_send(bytes_to_send);
  if (!writer->Write(first)) return absl::CancelledError("the caller went away");
  std::vector<char> buffer(kBackupChunkBytes);
  for (const std::string& name : to_send) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    uint64_t offset = 0;
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      const std::streamsize got = in.gcount();
      if (got <= 0) break;
      v1::BackupChunk chunk;
      chunk.mutable_chunk()->set_name(name);
      chunk.mutable_chunk()->set_offset(offset);
      chunk.mutable_chunk()->set_data(buffer.data(), static_cast<size_t>(got));
      offset += static_cast<uint64_t>(got);
      if (!writer->Write(chunk)) return absl::CancelledError("the caller went away");
    }
    if (in.bad()) return absl::DataLossError(absl::StrCat("read error in ", name));
  }
  return absl::OkStatus();
}

}  // namespace ledger
