// A Raft leader stamps batches only while its clock agrees with a majority of the cluster's clocks.
//
// Only the leader stamps (replica.h); followers apply its stamp as it is, since a committed entry
// cannot be refused by one replica without the replicas diverging. So the check sits before the
// stamp, on the leader, as TigerBeetle does it ("trust but verify": replicas measure each other's
// clocks and the cluster stops taking requests rather than stamping with a clock the others
// disagree with). Every node samples every other voting member's clock about once a second (the
// Cluster service's Clock call, clock_sampler.h): from its own clock at the send and receive of one
// call and the remote's reading in between,
//   offset = remote - (t_send + t_receive) / 2,   error = round trip / 2,
// so the remote's clock lies within [offset - error, offset + error] of its own. The leader may
// stamp while a majority of the voting members, itself included, have a clock within the tolerance
// of its own; each peer counts with its best recent sample (the smallest error among those taken in
// the last few seconds) and only if the whole interval lies within the tolerance (|offset| + error
// <= tolerance): a peer with no recent sample, or whose answer took so long that its interval does
// not fit, does not count.
//
// TigerBeetle runs Marzullo's algorithm over the intervals to find the time a quorum agrees on and
// clamps its stamps into it. We need less: the leader stamps its own clock, and the question is
// only whether that clock is within the tolerance of a majority — for which counting intervals that
// fit around the leader's clock is enough, and is what the unit tests pin down
// (DecideClockAgreement is a pure function).
//
// Without agreement CheckStamp() is FAILED_PRECONDITION naming the disagreement, logged once per
// episode, and counted; the leader proposes nothing until the clocks agree again (someone fixes the
// clock), or another node whose clock agrees leads (an operator moves leadership: ledgerctl cluster
// transfer). While the majority is missed only for want of a measurement (peers not sampled yet, as
// right after the cluster starts, or measured too coarsely to tell), the refusal is UNAVAILABLE
// instead: clients retry.
#ifndef LEDGER_REPLICATION_CLUSTER_CLOCK_H_
#define LEDGER_REPLICATION_CLUSTER_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "ledger/commit/clock.h"

namespace ledger {

// One measurement of a peer's clock relative to this node's.
struct ClockSample {
  uint64_t peer = 0;
  int64_t offset_nanos =
      0;  // Peer's clock minus this node's (estimated at the midpoint of the call).
  int64_t error_nanos = 0;  // Half the round trip: the peer's clock was within offset ± error.
  int64_t taken_at = 0;     // When (this node's monotonic clock, nanoseconds).
};

struct ClockAgreementOptions {
  int64_t tolerance_nanos = int64_t{1000} * 1'000'000;        // --cluster_clock_tolerance_ms.
  int64_t sample_max_age_nanos = int64_t{5} * 1'000'000'000;  // Older samples are ignored.
};

struct ClockAgreement {
  bool agree = false;
  size_t voters = 0;  // Voting members, this node included if it votes.
  size_t agreeing =
      0;  // Of them, those whose clocks agree with this node's (this node counts if it votes).
  size_t needed = 0;  // A majority of the voters.
  size_t unknown =
      0;  // Peer voters without a recent sample, or whose interval straddles the tolerance.
  // Not agreeing, but only for want of measurements: with the unknown peers agreeing, a majority
  // would.
  bool undecided = false;
  std::map<uint64_t, ClockSample>
      best;             // Per peer voter with a recent sample: the one with the least error.
  std::string problem;  // When !agree: what disagrees, for the error and the log.
};

// Pure: whether node `self`'s clock agrees with a majority of `voters` (ids; `self` counts if
// listed), given every sample taken (any peer, any age) and the monotonic time `now`.
ClockAgreement DecideClockAgreement(uint64_t self, const std::vector<uint64_t>& voters,
                                    const std::vector<ClockSample>& samples, int64_t now,
                                    const ClockAgreementOptions& options);

// The clock a Raft node stamps with: the node's own (guarded) clock, whose CheckStamp() also
// requires the cluster's agreement. Thread-safe.
class ClusterClock final : public Clock {
 public:
  // Both clocks must outlive this one; `monotonic` times the samples (ledger::BootTimeClock()).
  ClusterClock(Clock* local, Clock* monotonic, uint64_t self, ClockAgreementOptions options);

  Timestamp NowNanos() override { return local_->NowNanos(); }
  // The local clock's own check first, then the agreement.
  absl::Status CheckStamp() override;

  // The voting members as the Raft configuration has them now.
  void SetVoters(std::vector<uint64_t> voters);
  // A sample of `peer`'s clock: this node's clock read `local_send` at the send, the peer answered
  // `remote`, and the call took `round_trip_nanos` (monotonic) until `monotonic_receive`.
  void AddSample(uint64_t peer, Timestamp local_send, Timestamp remote, int64_t round_trip_nanos,
                 int64_t monotonic_receive);
  // The decision as of now (for metrics; logs and counts nothing).
  ClockAgreement Decide();
  uint64_t refusals() const { return refusals_.load(std::memory_order_relaxed); }

  Clock* local() const { return local_; }
  Clock* monotonic() const { return monotonic_; }
  uint64_t self() const { return self_; }

 private:
  Clock* local_;
  Clock* monotonic_;
  const uint64_t self_;
  const ClockAgreementOptions options_;
  absl::Mutex mutex_;
  std::vector<uint64_t> voters_ ABSL_GUARDED_BY(mutex_);
  std::deque<ClockSample> samples_ ABSL_GUARDED_BY(mutex_);
  bool refusing_ ABSL_GUARDED_BY(mutex_) = false;  // In a disagreement episode (logged once).
  std::atomic<uint64_t> refusals_{0};
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_CLUSTER_CLOCK_H_
