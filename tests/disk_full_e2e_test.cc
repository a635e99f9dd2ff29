// A full disk, for real: ledgerd's data folder on a small tmpfs (tests/small_fs.h; needs root, else
// the test is reported skipped with the reason), filled by a ballast file while the node serves.
//  - ANodeStopsBeforeTheDiskFillsAndStartsOnceSpaceIsBack: below --min_free_disk_bytes the node
//    stops by itself (exit code 75, the log saying how much is free where), refuses to start while
//    the disk stays full (before RocksDB opens: RocksDB's own recovery on a full disk asserted),
//    and once the ballast is gone starts with exactly the journal it had and takes writes again.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "proto/ledger.grpc.pb.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "tests/small_fs.h"

namespace ledger {
namespace {

using testing::LedgerProcess;

constexpr std::chrono::seconds kTimeout(10);

grpc::Status WriteBatches(v1::Ledger::Stub& stub, uint64_t first, int batches) {
  for (int batch = 0; batch < batches; ++batch) {
    v1::CreateTransfersRequest request;
    for (uint64_t i = 0; i < 20; ++i)
      *request.add_transfers() = testing::MakeTransfer(1, first + batch * 20 + i, 1, 2, 5);
    v1::CreateReply reply;
    grpc::Status status =
        stub.CreateTransfers(ContextWithDeadline(kTimeout).get(), request, &reply);
    if (!status.ok()) return status;
  }
  return grpc::Status::OK;
}

TEST(DiskFullE2eTest, ANodeStopsBeforeTheDiskFillsAndStartsOnceSpaceIsBack) {
  constexpr uint64_t kDisk = 192ull << 20;
  constexpr uint64_t kReserve = 64ull << 20;
  const std::string dir = testing::MakeTempDir("disk_full");
  testing::SmallFilesystem disk;
  if (absl::Status mounted = disk.Mount(dir + "/fs", kDisk); !mounted.ok()) {
    GTEST_SKIP() << mounted;
  }
  const std::string data_dir = dir + "/fs/node";
  const std::string listen = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
  const std::vector<std::string> flags = {absl::StrCat("--min_free_disk_bytes=", kReserve)};
  LedgerProcess node;
  absl::Status started = node.StartNode(data_dir, listen, flags);
  ASSERT_TRUE(started.ok()) << started;
  std::unique_ptr<v1::Ledger::Stub> stub = v1::Ledger::NewStub(node.operator_channel());
  ASSERT_TRUE(WriteBatches(*stub, 1, 50).ok());
  v1::GetDigestReply before;
  ASSERT_TRUE(
      stub->GetDigest(ContextWithDeadline(kTimeout).get(), v1::GetDigestRequest(), &before).ok());
  ASSERT_GT(before.journal_index(), 0u);

  // The disk fills (something else on the machine writes): the node stops within seconds. (Well
  // below the reserve: a stopped node frees RocksDB's preallocated log, tens of MB.)
  ASSERT_TRUE(disk.FillLeaving(kReserve / 4).ok());
  std::string how;
  for (int i = 0; i < 100 && how.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    how = node.ExitedHow();
  }
  EXPECT_EQ(how, "exited with status 75");
  const std::string log = testing::ReadFileText(node.log_path());
  EXPECT_NE(log.find("ledgerd: stopping (exit code 75): only "), std::string::npos) << log;
  EXPECT_NE(log.find("under --min_free_disk_bytes (67108864)"), std::string::npos) << log;

  // Still full: it does not start, and says why.
  absl::Status refused = node.StartNode(data_dir, listen, flags, std::chrono::seconds(10));
  ASSERT_FALSE(refused.ok()) << disk.Available() << " bytes free; "
                             << testing::ReadFileText(node.log_path());
  EXPECT_NE(refused.ToString().find("not starting: only "), std::string::npos) << refused;

  // Space is back: it starts with the journal it had, and takes writes.
  disk.RemoveBallast();
  started = node.StartNode(data_dir, listen, flags);
  ASSERT_TRUE(started.ok()) << started;
  stub = v1::Ledger::NewStub(node.operator_channel());
  v1::GetDigestReply after;
  ASSERT_TRUE(
      stub->GetDigest(ContextWithDeadline(kTimeout).get(), v1::GetDigestRequest(), &after).ok());
  EXPECT_EQ(after.journal_index(), before.journal_index());
  EXPECT_EQ(after.head_hash(), before.head_hash());
  EXPECT_TRUE(WriteBatches(*stub, 100'000, 5).ok());
  EXPECT_EQ(node.Stop(), 0);
}

}  // namespace
}  // namespace ledger
