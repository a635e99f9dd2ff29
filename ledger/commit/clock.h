// The clock a committer (the single node, ledger/node/node.h, or the Raft node,
// ledger/replication/raft_node.h) stamps batches with.
#ifndef LEDGER_COMMIT_CLOCK_H_
#define LEDGER_COMMIT_CLOCK_H_

#include "absl/status/status.h"
#include "ledger/core/types.h"

namespace ledger {

// Where the node reads time from to stamp batches. The core never reads it: it only sees the stamp.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp NowNanos() = 0;
  // Whether a batch may be stamped now; a guarded clock refuses while the wall clock has jumped
  // (ledger/server/clock_guard.h). The node then fails the batch's requests with this status.
  virtual absl::Status CheckStamp() { return absl::OkStatus(); }
};
Clock* RealClock();

}  // namespace ledger

#endif  // LEDGER_COMMIT_CLOCK_H_
