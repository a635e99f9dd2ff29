// Snapshots by reference at the storage level: the manifest, a verified fetch, the atomic swap,
// and a crash (a real one: a forked child that _exits) at every step of an install.
#include "ledger/storage/checkpoint_files.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "ledger/storage/rocks_store.h"

namespace ledger {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Writes `count` keys "A<prefix><i>" (and journal-family keys) with values of `value_bytes`.
void Fill(const std::string& dir, const std::string& prefix, int count, size_t value_bytes) {
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  WriteSet writes;
  for (int i = 0; i < count; ++i) {
    writes.entries.emplace_back(absl::StrCat("A", prefix, 100000 + i),
                                std::string(value_bytes, static_cast<char>('a' + i % 26)));
    writes.entries.emplace_back(absl::StrCat("J", prefix, 100000 + i), prefix);
  }
  std::sort(writes.entries.begin(), writes.entries.end());
  ASSERT_TRUE((*store)->Write(writes, /*sync=*/true).ok());
}

// Every key and value of the database in `dir`.
std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return out;
  (*store)->Scan("", std::string(1, '\xff'), false, [&](std::string_view k, std::string_view v) {
    out.emplace(std::string(k), std::string(v));
    return true;
  });
  return out;
}

// A checkpoint of a database holding `count` keys, described.
struct Source {
  std::string dir;
  CheckpointManifest manifest;
  std::map<std::string, std::string> contents;
};

Source MakeSource(const std::string& name, int count, size_t value_bytes) {
  Source source;
  const std::string db = TempDir(name + "_db");
  Fill(db, "new", count, value_bytes);
  source.contents = Contents(db);
  source.dir = TempDir(name + "_ckpt") + "/ckpt-7";
  {
    absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(db);
    EXPECT_TRUE(store.ok());
    EXPECT_TRUE((*store)->Checkpoint(source.dir).ok());
  }
  absl::StatusOr<CheckpointManifest> manifest =
      DescribeCheckpoint(source.dir, 7, 4242, 3, /*cache=*/nullptr);
  EXPECT_TRUE(manifest.ok()) << manifest.status();
  source.manifest = *manifest;
  return source;
}

ChunkSource FromDir(const std::string& dir, size_t chunk_bytes) {
  return [=](const std::string& name, uint64_t offset) {
    return ReadCheckpointChunk(dir, name, offset, chunk_bytes);
  };
}

// A node's data folder in the layout before snapshots by reference: RocksDB in ROOT, beside
// other files of ledgerd's.
std::string LegacyRoot(const std::string& name) {
  const std::string root = TempDir(name);
  Fill(root, "old", 300, 100);
  std::ofstream(root + "/operator.token") << "token";
  fs::create_directories(root + "/raft");
  std::ofstream(root + "/raft/metadata1") << "raft";
  return root;
}

bool OnlyCurrentStateLeft(const std::string& root, const std::string& current) {
  for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("snapshot.staging-", 0) == 0) return false;
    if (name.rfind("state-", 0) == 0 && entry.path().string() != current) return false;
    if (name == "state.current.tmp") return false;
  }
  return true;
}

TEST(CheckpointFilesTest, ManifestRoundTripsAndRefusesDamage) {
  CheckpointManifest manifest{
      9,
      123,
      2,
      {{"000012.sst", 4096, std::string(32, 'h')}, {"CURRENT", 16, std::string(32, 'c')}}};
  const std::string bytes = EncodeCheckpointManifest(manifest);
  absl::StatusOr<CheckpointManifest> decoded = DecodeCheckpointManifest(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, manifest);
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::string damaged = bytes;
    damaged[i] ^= 1;
    EXPECT_FALSE(DecodeCheckpointManifest(damaged).ok()) << "byte " << i;
  }
  for (const std::string& bad :
       std::vector<std::string>{"../CURRENT", ".hidden", "a/b", "", std::string(65, 'x')}) {
    CheckpointManifest evil = manifest;
    evil.files[0].name = bad;
    EXPECT_FALSE(DecodeCheckpointManifest(EncodeCheckpointManifest(evil)).ok()) << bad;
  }
}

TEST(CheckpointFilesTest, ManifestSizeDoesNotGrowWithTheState) {
  const Source small = MakeSource("ckpt_small", 1'000, 100);
  const Source large = MakeSource("ckpt_large", 40'000, 500);
  const size_t small_bytes = EncodeCheckpointManifest(small.manifest).size();
  const size_t large_bytes = EncodeCheckpointManifest(large.manifest).size();
  std::printf("state %llu bytes: manifest %zu bytes; state %llu bytes: manifest %zu bytes\n",
              static_cast<unsigned long long>(small.manifest.TotalBytes()), small_bytes,
              static_cast<unsigned long long>(large.manifest.TotalBytes()), large_bytes);
  EXPECT_GT(large.manifest.TotalBytes(), 10 * small.manifest.TotalBytes());
  EXPECT_LT(large_bytes, 4096u);
  EXPECT_LT(large_bytes, small_bytes + 1024);
}

TEST(CheckpointFilesTest, InstallSwapsInTheFetchedState) {
  const Source source = MakeSource("ckpt_install", 2'000, 300);
  const std::string root = LegacyRoot("ckpt_install_root");
  size_t largest_chunk = 0;
  ChunkSource chunks = [&](const std::string& name, uint64_t offset) {
    absl::StatusOr<std::string> chunk = ReadCheckpointChunk(source.dir, name, offset, 4096);
    if (chunk.ok()) largest_chunk = std::max(largest_chunk, chunk->size());
    return chunk;
  };
  absl::StatusOr<std::string> installed = InstallCheckpoint(root, source.manifest, chunks);
  ASSERT_TRUE(installed.ok()) << installed.status();
  EXPECT_EQ(*installed, root + "/state-3-7");
  EXPECT_LE(largest_chunk, 4096u);
  ASSERT_TRUE(RemoveOldState(root, root).ok());
  absl::StatusOr<std::string> recovered = RecoverInstall(root);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(*recovered, *installed);
  EXPECT_EQ(Contents(*recovered), source.contents);
  EXPECT_TRUE(fs::exists(root + "/operator.token"));
  EXPECT_TRUE(fs::exists(root + "/raft/metadata1"));
  EXPECT_FALSE(fs::exists(root + "/CURRENT"));  // The legacy state's files are gone.
  EXPECT_TRUE(OnlyCurrentStateLeft(root, *recovered));
}

TEST(CheckpointFilesTest, ACorruptedFileIsRefusedAndTheOldStateKept) {
  const Source source = MakeSource("ckpt_corrupt", 2'000, 300);
  const std::string root = LegacyRoot("ckpt_corrupt_root");
  const std::map<std::string, std::string> old_contents = Contents(root);
  // The peer sends one flipped byte in the largest file (its size unchanged).
  const CheckpointFile* largest = &source.manifest.files[0];
  for (const CheckpointFile& file : source.manifest.files) {
    if (file.size > largest->size) largest = &file;
  }
  ChunkSource corrupt = [&](const std::string& name, uint64_t offset) {
    absl::StatusOr<std::string> chunk = ReadCheckpointChunk(source.dir, name, offset, 4096);
    if (chunk.ok() && name == largest->name && offset == 0 && !chunk->empty()) (*chunk)[0] ^= 1;
    return chunk;
  };
  absl::StatusOr<std::string> installed = InstallCheckpoint(root, source.manifest, corrupt);
  ASSERT_FALSE(installed.ok());
  EXPECT_EQ(installed.status().code(), absl::StatusCode::kDataLoss) << installed.status();
  EXPECT_NE(installed.status().message().find(largest->name), std::string::npos);
  // A file longer than the manifest says is refused too.
  CheckpointManifest shorter = source.manifest;
  for (CheckpointFile& file : shorter.files) {
    if (file.name == largest->name) file.size -= 1;
  }
  installed = InstallCheckpoint(root, shorter, FromDir(source.dir, 4096));
  EXPECT_EQ(installed.status().code(), absl::StatusCode::kDataLoss) << installed.status();
  EXPECT_EQ(*CurrentStateDir(root), root);
  EXPECT_TRUE(OnlyCurrentStateLeft(root, root));
  absl::StatusOr<std::string> recovered = RecoverInstall(root);
  ASSERT_TRUE(recovered.ok());
  EXPECT_EQ(*recovered, root);
  EXPECT_EQ(Contents(root), old_contents);
}

// Runs an install in a child process that dies (_exit, no clean-up) right after hook call number
// `crash_at` (1-based); returns how many hook calls the install makes when it is not stopped.
int InstallInChild(const std::string& root, const Source& source, int crash_at) {
  const pid_t child = fork();
  if (child == 0) {
    int calls = 0;
    InstallHook hook = [&](InstallStep) {
      if (++calls == crash_at) _exit(0);
    };
    absl::StatusOr<std::string> installed =
        InstallCheckpoint(root, source.manifest, FromDir(source.dir, 4096), hook);
    _exit(installed.ok() ? 100 + calls : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CheckpointFilesTest, ACrashAtAnyStepOfAnInstallLeavesTheOldOrTheNewState) {
  const Source source = MakeSource("ckpt_crash", 2'000, 300);
  // Steps: staging created, one per file, staging synced, renamed, committed.
  const int steps = static_cast<int>(source.manifest.files.size()) + 4;
  for (int crash_at = 1; crash_at <= steps + 1; ++crash_at) {
    SCOPED_TRACE(absl::StrCat("crash after step ", crash_at, " of ", steps));
    const std::string root = LegacyRoot("ckpt_crash_root");
    const std::map<std::string, std::string> old_contents = Contents(root);
    const int exit_code = InstallInChild(root, source, crash_at);
    if (crash_at <= steps) {
      ASSERT_EQ(exit_code, 0);
    } else {
      ASSERT_EQ(exit_code, 100 + steps);  // Not stopped: a whole install.
    }
    absl::StatusOr<std::string> recovered = RecoverInstall(root);
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    const bool committed = crash_at >= steps;
    EXPECT_EQ(*recovered, committed ? root + "/state-3-7" : root);
    EXPECT_EQ(Contents(*recovered), committed ? source.contents : old_contents);
    EXPECT_TRUE(OnlyCurrentStateLeft(root, *recovered));
    EXPECT_EQ(fs::exists(root + "/CURRENT"), !committed);
    EXPECT_TRUE(fs::exists(root + "/operator.token"));
    // A second recovery changes nothing, and a later install over the result works.
    EXPECT_EQ(*RecoverInstall(root), *recovered);
  }
}

TEST(CheckpointFilesTest, ACrashInTheMiddleOfAFileRollsBack) {
  const Source source = MakeSource("ckpt_midfile", 2'000, 300);
  const std::string root = LegacyRoot("ckpt_midfile_root");
  const std::map<std::string, std::string> old_contents = Contents(root);
  const pid_t child = fork();
  if (child == 0) {
    int chunks = 0;
    ChunkSource dying = [&](const std::string& name, uint64_t offset) {
      if (++chunks == 3) _exit(0);
      return ReadCheckpointChunk(source.dir, name, offset, 4096);
    };
    InstallCheckpoint(root, source.manifest, dying).status().IgnoreError();
    _exit(1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  absl::StatusOr<std::string> recovered = RecoverInstall(root);
  ASSERT_TRUE(recovered.ok());
  EXPECT_EQ(*recovered, root);
  EXPECT_EQ(Contents(root), old_contents);
  EXPECT_TRUE(OnlyCurrentStateLeft(root, root));
}

TEST(CheckpointFilesTest, AnInstallOverAnInstalledStateReplacesIt) {
  const Source first = MakeSource("ckpt_twice_a", 500, 100);
  Source second = MakeSource("ckpt_twice_b", 900, 100);
  const std::string root = LegacyRoot("ckpt_twice_root");
  absl::StatusOr<std::string> a = InstallCheckpoint(root, first.manifest, FromDir(first.dir, 4096));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(RemoveOldState(root, root).ok());
  second.manifest.checkpoint_id = 8;
  absl::StatusOr<std::string> b =
      InstallCheckpoint(root, second.manifest, FromDir(second.dir, 4096));
  ASSERT_TRUE(b.ok()) << b.status();
  // Not yet removed (a crash here): recovery removes the replaced folder.
  absl::StatusOr<std::string> recovered = RecoverInstall(root);
  ASSERT_TRUE(recovered.ok());
  EXPECT_EQ(*recovered, root + "/state-3-8");
  EXPECT_FALSE(fs::exists(*a));
  EXPECT_EQ(Contents(*recovered), second.contents);
  EXPECT_EQ(InstallCheckpoint(root, second.manifest, FromDir(second.dir, 4096)).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(CheckpointFilesTest, TableFilesAreHashedOncePerProcess) {
  const Source source = MakeSource("ckpt_cache", 2'000, 300);
  CheckpointHashCache cache;
  absl::StatusOr<CheckpointManifest> first = DescribeCheckpoint(source.dir, 7, 4242, 3, &cache);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, source.manifest);
  // A table file changed behind the cache's back (never happens to RocksDB's) keeps its cached
  // hash: proof that it was not read again. Other files are hashed afresh.
  for (const CheckpointFile& file : first->files) {
    if (file.name.find(".sst") == std::string::npos) continue;
    fs::remove(source.dir + "/" + file.name);
    std::ofstream(source.dir + "/" + file.name) << std::string(file.size, 'z');
  }
  absl::StatusOr<CheckpointManifest> second = DescribeCheckpoint(source.dir, 7, 4242, 3, &cache);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
}

}  // namespace
}  // namespace ledger
