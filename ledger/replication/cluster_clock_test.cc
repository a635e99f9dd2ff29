// The leader's clock agreement (cluster_clock.h): samples in, decision out.
#include "ledger/replication/cluster_clock.h"

#include "gtest/gtest.h"

namespace ledger {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSecond = 1000 * kMs;
constexpr int64_t kNow = 100 * kSecond;  // Monotonic "now" of the decisions below.

const ClockAgreementOptions kOptions{.tolerance_nanos = 1000 * kMs,
                                     .sample_max_age_nanos = 5 * kSecond};

ClockSample Sample(uint64_t peer, int64_t offset, int64_t error = 1 * kMs,
                   int64_t age = 1 * kSecond) {
  return ClockSample{
      .peer = peer, .offset_nanos = offset, .error_nanos = error, .taken_at = kNow - age};
}

ClockAgreement Decide(uint64_t self, std::vector<uint64_t> voters,
                      std::vector<ClockSample> samples) {
  return DecideClockAgreement(self, voters, samples, kNow, kOptions);
}

TEST(ClusterClockTest, ALeaderAloneAgreesWithItself) {
  const ClockAgreement decision = Decide(1, {1}, {});
  EXPECT_TRUE(decision.agree);
  EXPECT_EQ(decision.agreeing, 1u);
  EXPECT_EQ(decision.needed, 1u);
  EXPECT_EQ(decision.problem, "");
}

TEST(ClusterClockTest, ThreeMembers) {
  // Both followers agree; one agrees (the other is 30 s off); neither agrees.
  ClockAgreement decision = Decide(1, {1, 2, 3}, {Sample(2, 3 * kMs), Sample(3, -20 * kMs)});
  EXPECT_TRUE(decision.agree);
  EXPECT_EQ(decision.agreeing, 3u);
  EXPECT_EQ(decision.needed, 2u);
  decision = Decide(1, {1, 2, 3}, {Sample(2, 3 * kMs), Sample(3, 30 * kSecond)});
  EXPECT_TRUE(decision.agree);
  EXPECT_EQ(decision.agreeing, 2u);
  decision = Decide(1, {1, 2, 3}, {Sample(2, -30 * kSecond), Sample(3, -30 * kSecond - 4 * kMs)});
  EXPECT_FALSE(decision.agree);
  EXPECT_FALSE(decision.undecided);
  EXPECT_EQ(decision.agreeing, 1u);
  EXPECT_EQ(
      decision.problem,
      "the cluster's clocks disagree: 1 of 3 voting members (this node included) have a clock "
      "within 1000 ms "
      "(--cluster_clock_tolerance_ms) of this node's, 2 needed; node 2: -30.000 s ± 1.000 ms "
      "(disagrees); "
      "node 3: -30.004 s ± 1.000 ms (disagrees). This leader stamps no batch until a majority "
      "agrees: set the "
      "clocks right, or move leadership to a node whose clock agrees (ledgerctl cluster transfer)");
  // Without any sample the leader cannot know: it does not stamp, but this is not a disagreement.
  decision = Decide(1, {1, 2, 3}, {});
  EXPECT_FALSE(decision.agree);
  EXPECT_TRUE(decision.undecided);
  EXPECT_EQ(decision.unknown, 2u);
  EXPECT_EQ(decision.problem,
            "the cluster's clock agreement is not measured yet: 1 of 3 voting members (this node "
            "included) are "
            "known to have a clock within 1000 ms of this node's, 2 needed; node 2: no answer in "
            "the last 5000 ms; "
            "node 3: no answer in the last 5000 ms. This leader stamps no batch until they are "
            "measured (once a "
            "second); retry");
  // One peer disagrees and the other is unknown: undecided (the unknown one may agree).
  EXPECT_TRUE(Decide(1, {1, 2, 3}, {Sample(2, 30 * kSecond)}).undecided);
  // Five members, two disagree and two are unknown: undecided; three disagree: decided.
  EXPECT_TRUE(
      Decide(1, {1, 2, 3, 4, 5}, {Sample(2, 30 * kSecond), Sample(3, 30 * kSecond)}).undecided);
  EXPECT_FALSE(Decide(1, {1, 2, 3, 4, 5},
                      {Sample(2, 30 * kSecond), Sample(3, 30 * kSecond), Sample(4, 30 * kSecond)})
                   .undecided);
}

TEST(ClusterClockTest, FiveMembersNeedTwoAgreeingPeers) {
  const std::vector<uint64_t> voters = {1, 2, 3, 4, 5};
  ClockAgreement decision = Decide(
      1, voters,
      {Sample(2, 5 * kMs), Sample(3, -5 * kMs), Sample(4, 9 * kSecond), Sample(5, 9 * kSecond)});
  EXPECT_TRUE(decision.agree);
  EXPECT_EQ(decision.agreeing, 3u);
  EXPECT_EQ(decision.needed, 3u);
  decision =
      Decide(1, voters, {Sample(2, 5 * kMs), Sample(4, 9 * kSecond), Sample(5, 9 * kSecond)});
  EXPECT_FALSE(decision.agree);
  EXPECT_EQ(decision.agreeing, 2u);
}

TEST(ClusterClockTest, StaleAndFutureSamplesDoNotCount) {
  // Taken 6 s ago (the window is 5 s): as if none.
  EXPECT_FALSE(
      Decide(1, {1, 2, 3}, {Sample(2, 0, kMs, 6 * kSecond), Sample(3, 0, kMs, 6 * kSecond)}).agree);
  // At the edge of the window it still counts.
  EXPECT_TRUE(Decide(1, {1, 2, 3}, {Sample(2, 0, kMs, 5 * kSecond)}).agree);
  // A sample stamped after "now" is not trusted.
  EXPECT_FALSE(Decide(1, {1, 2, 3}, {Sample(2, 0, kMs, -kSecond)}).agree);
  // A newer sample does not replace an older one: the best in the window (least error) decides.
  EXPECT_TRUE(
      Decide(1, {1, 2, 3}, {Sample(2, 0, kMs, 4 * kSecond), Sample(2, 0, 1500 * kMs, 0)}).agree);
}

TEST(ClusterClockTest, TheRoundTripBoundsTheOffset) {
  // 900 ms off with ±200 ms: it may be 1.1 s off, so it does not count; nor does it disagree.
  ClockAgreement coarse =
      Decide(1, {1, 2, 3}, {Sample(2, 900 * kMs, 200 * kMs), Sample(3, 5 * kSecond)});
  EXPECT_FALSE(coarse.agree);
  EXPECT_TRUE(coarse.undecided);
  EXPECT_NE(coarse.problem.find("node 2: +0.900 s ± 200.000 ms (too coarse to tell); node 3: "
                                "+5.000 s ± 1.000 ms (disagrees)"),
            std::string::npos)
      << coarse.problem;
  // 1.3 s off with ±200 ms: at least 1.1 s off, a disagreement.
  EXPECT_FALSE(
      Decide(1, {1, 2, 3}, {Sample(2, -1300 * kMs, 200 * kMs), Sample(3, 5 * kSecond)}).undecided);
  // The best of the window (least error) decides: the same peer measured within ±50 ms.
  ClockAgreement decision =
      Decide(1, {1, 2, 3}, {Sample(2, 900 * kMs, 200 * kMs), Sample(2, 920 * kMs, 50 * kMs)});
  EXPECT_TRUE(decision.agree);
  EXPECT_EQ(decision.best.at(2).error_nanos, 50 * kMs);
  // The bound is inclusive: |offset| + error == tolerance counts, one nanosecond more does not.
  EXPECT_TRUE(Decide(1, {1, 2, 3}, {Sample(2, -900 * kMs, 100 * kMs)}).agree);
  EXPECT_FALSE(Decide(1, {1, 2, 3}, {Sample(2, -900 * kMs, 100 * kMs + 1)}).agree);
}

TEST(ClusterClockTest, OnlyVotersCount) {
  // Node 4 is a standby (no vote) and node 1 was sampled by itself: neither counts.
  EXPECT_FALSE(Decide(1, {1, 2, 3}, {Sample(4, 0), Sample(1, 0), Sample(2, 9 * kSecond)}).agree);
  // A node that is not a voter (being removed) does not count itself.
  ClockAgreement decision = Decide(1, {2, 3, 4}, {Sample(2, 0), Sample(3, 9 * kSecond)});
  EXPECT_FALSE(decision.agree);
  EXPECT_EQ(decision.agreeing, 1u);
  EXPECT_TRUE(Decide(1, {2, 3, 4}, {Sample(2, 0), Sample(3, 0)}).agree);
  // No configuration known yet.
  decision = Decide(1, {}, {Sample(2, 0)});
  EXPECT_FALSE(decision.agree);
  EXPECT_NE(decision.problem.find("not known yet"), std::string::npos);
}

class SetClock final : public Clock {
 public:
  Timestamp NowNanos() override { return now; }
  absl::Status CheckStamp() override {
    return refuse ? absl::FailedPreconditionError("jumped") : absl::OkStatus();
  }
  Timestamp now = 0;
  bool refuse = false;
};

TEST(ClusterClockTest, ClusterClockMeasuresAndRefusesUntilTheClocksAgree) {
  SetClock local, monotonic;
  local.now = 1'700'000'000 * kSecond;
  monotonic.now = kNow;
  ClusterClock clock(&local, &monotonic, 1, kOptions);
  EXPECT_EQ(clock.NowNanos(), local.now);
  // Before the configuration is known, nothing is stamped (retryable: nothing is known to
  // disagree).
  EXPECT_EQ(clock.CheckStamp().code(), absl::StatusCode::kUnavailable);
  clock.SetVoters({1, 2, 3});
  // Sent at local time T, answered T + 10 s + 50 ms by node 2 after a 100 ms round trip: node 2's
  // clock is 10 s ahead (remote - (send + receive) / 2), ± 50.000 ms.
  clock.AddSample(2, local.now, local.now + 10 * kSecond + 50 * kMs, 100 * kMs, kNow);
  ClockAgreement decision = clock.Decide();
  ASSERT_EQ(decision.best.count(2), 1u);
  EXPECT_EQ(decision.best.at(2).offset_nanos, 10 * kSecond);
  EXPECT_EQ(decision.best.at(2).error_nanos, 50 * kMs);
  // Node 3 not measured yet: undecided.
  EXPECT_EQ(clock.CheckStamp().code(), absl::StatusCode::kUnavailable);
  // Node 3 measured 2 s behind (± 50.000 ms): a disagreement.
  clock.AddSample(3, local.now, local.now - 2 * kSecond + 50 * kMs, 100 * kMs, kNow);
  absl::Status refused = clock.CheckStamp();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("node 2: +10.000 s ± 50.000 ms (disagrees)"), std::string::npos)
      << refused;
  EXPECT_EQ(clock.refusals(), 3u);
  // Node 3 measured again, better (± 1.000 ms) and agreeing: a majority (1 and 3).
  clock.AddSample(3, local.now, local.now + 3 * kMs, 2 * kMs, kNow);
  EXPECT_TRUE(clock.CheckStamp().ok());
  // The local guard's refusal comes first.
  local.refuse = true;
  EXPECT_EQ(clock.CheckStamp().message(), "jumped");
  local.refuse = false;
  // Six seconds later the samples are stale: refused again until new ones arrive.
  monotonic.now += 6 * kSecond;
  EXPECT_EQ(clock.CheckStamp().code(), absl::StatusCode::kUnavailable);
  clock.AddSample(3, local.now, local.now, 2 * kMs, monotonic.now);
  EXPECT_TRUE(clock.CheckStamp().ok());
  EXPECT_EQ(clock.refusals(), 4u);
}

}  // namespace
}  // namespace ledger
