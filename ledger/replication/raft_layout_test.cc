// The C++ view of libraft's structs (raft_api.h compiles its ABI checks out) matches the C view.
#include "gtest/gtest.h"
#include "ledger/replication/raft_api.h"

namespace ledger {
namespace {

TEST(RaftLayoutTest, CAndCppAgreeOnEveryPublicStruct) {
  using namespace raft_layout;
  EXPECT_EQ(ledger_raft_sizeof(kRaft), sizeof(struct raft));
  EXPECT_EQ(ledger_raft_sizeof(kIo), sizeof(struct raft_io));
  EXPECT_EQ(ledger_raft_sizeof(kFsm), sizeof(struct raft_fsm));
  EXPECT_EQ(ledger_raft_sizeof(kApply), sizeof(struct raft_apply));
  EXPECT_EQ(ledger_raft_sizeof(kBarrier), sizeof(struct raft_barrier));
  EXPECT_EQ(ledger_raft_sizeof(kChange), sizeof(struct raft_change));
  EXPECT_EQ(ledger_raft_sizeof(kTransfer), sizeof(struct raft_transfer));
  EXPECT_EQ(ledger_raft_sizeof(kSnapshot), sizeof(struct raft_snapshot));
  EXPECT_EQ(ledger_raft_sizeof(kFixture), sizeof(struct raft_fixture));
  EXPECT_EQ(ledger_raft_sizeof(kTransport), sizeof(struct raft_uv_transport));
  EXPECT_EQ(RAFT_VERSION_NUMBER, 2201) << "libraft 0.22.1 from bookworm-backports is required";
}

}  // namespace
}  // namespace ledger
