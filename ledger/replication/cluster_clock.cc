// The cluster's clock agreement: see cluster_clock.h.
#include "ledger/replication/cluster_clock.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace ledger {
namespace {

constexpr size_t kSamplesMax = 1024;  // Bound on kept samples (a few seconds of 8 peers need ~50).

// "+1.234 s", "-0.002 s" (milliseconds).
std::string SignedSeconds(int64_t nanos) {
  const int64_t millis = std::llabs(nanos) / 1'000'000;
  std::string fraction = std::to_string(millis % 1000);
  fraction.insert(0, 3 - fraction.size(), '0');
  return absl::StrCat(nanos < 0 ? "-" : "+", millis / 1000, ".", fraction, " s");
}

std::string Millis(int64_t nanos) { return absl::StrCat(nanos / 1'000'000, " ms"); }

// "0.213 ms" (microseconds): a measurement error, often below a millisecond.
std::string ErrorMillis(int64_t nanos) {
  const int64_t micros = nanos / 1000;
  std::string fraction = std::to_string(micros % 1000);
  fraction.insert(0, 3 - fraction.size(), '0');
  return absl::StrCat(micros / 1000, ".", fraction, " ms");
}

}  // namespace

ClockAgreement DecideClockAgreement(uint64_t self, const std::vector<uint64_t>& voters,
                                    const std::vector<ClockSample>& samples, int64_t now,
                                    const ClockAgreementOptions& options) {
  ClockAgreement decision;
  decision.voters = voters.size();
  decision.needed = voters.size() / 2 + 1;
  for (const ClockSample& sample : samples) {
    const int64_t age = now - sample.taken_at;
    if (sample.peer == self || age < 0 || age > options.sample_max_age_nanos ||
        sample.error_nanos < 0)
      continue;
    if (std::find(voters.begin(), voters.end(), sample.peer) == voters.end()) continue;
    auto [it, inserted] = decision.best.emplace(sample.peer, sample);
    if (!inserted && sample.error_nanos < it->second.error_nanos) it->second = sample;
  }
  std::string peers;
  for (uint64_t voter : voters) {
    if (voter == self) {
      ++decision.agreeing;
      continue;
    }
    auto it = decision.best.find(voter);
    if (it == decision.best.end()) {
      ++decision.unknown;
      absl::StrAppend(&peers, "; node ", voter, ": no answer in the last ",
                      Millis(options.sample_max_age_nanos));
      continue;
    }
    const ClockSample& best = it->second;
    const int64_t distance = std::llabs(best.offset_nanos);
    const bool agrees = distance + best.error_nanos <= options.tolerance_nanos;
    const bool disagrees = distance - best.error_nanos > options.tolerance_nanos;
    decision.agreeing += agrees;
    decision.unknown += !agrees && !disagrees;
    absl::StrAppend(&peers, "; node ", voter, ": ", SignedSeconds(best.offset_nanos), " ± ",
                    ErrorMillis(best.error_nanos),
                    agrees      ? ""
                    : disagrees ? " (disagrees)"
                                : " (too coarse to tell)");
  }
  decision.agree = !voters.empty() && decision.agreeing >= decision.needed;
  decision.undecided = !decision.agree &&
                       (voters.empty() || decision.agreeing + decision.unknown >= decision.needed);
  if (!decision.agree) {
    decision.problem =
        voters.empty() ? std::string(
                             "the cluster's voting members are not known yet: this node stamps no "
                             "batch; retry")
        : decision.undecided
            ? absl::StrCat(
                  "the cluster's clock agreement is not measured yet: ", decision.agreeing, " of ",
                  decision.voters,
                  " voting members (this node included) are known to have a clock within ",
                  Millis(options.tolerance_nanos), " of this node's, ", decision.needed, " needed",
                  peers,
                  ". This leader stamps no batch until they are measured (once a second); retry")
            : absl::StrCat(
                  "the cluster's clocks disagree: ", decision.agreeing, " of ", decision.voters,
                  " voting members (this node included) have a clock within ",
                  Millis(options.tolerance_nanos),
                  " (--cluster_clock_tolerance_ms) of this node's, ", decision.needed, " needed",
                  peers,
                  ". This leader stamps no batch until a majority agrees: set the clocks right, or "
                  "move leadership to a node whose clock agrees (ledgerctl cluster transfer)");
  }
  return decision;
}

ClusterClock::ClusterClock(Clock* local, Clock* monotonic, uint64_t self,
                           ClockAgreementOptions options)
    : local_(local), monotonic_(monotonic), self_(self), options_(options) {}

void ClusterClock::SetVoters(std::vector<uint64_t> voters) {
  absl::MutexLock lock(&mutex_);
  voters_ = std::move(voters);
}

void ClusterClock::AddSample(uint64_t peer, Timestamp local_send, Timestamp remote,
                             int64_t round_trip_nanos, int64_t monotonic_receive) {
  ClockSample sample;
  sample.peer = peer;
  sample.error_nanos =
      std::max<int64_t>(round_trip_nanos, 0) / 2 + std::max<int64_t>(round_trip_nanos, 0) % 2;
  sample.offset_nanos = static_cast<int64_t>(remote - local_send) - round_trip_nanos / 2;
  sample.taken_at = monotonic_receive;
  absl::MutexLock lock(&mutex_);
  while (!samples_.empty() &&
         (samples_.size() >= kSamplesMax ||
          monotonic_receive - samples_.front().taken_at > options_.sample_max_age_nanos)) {
    samples_.pop_front();
  }
  samples_.push_back(sample);
}

ClockAgreement ClusterClock::Decide() {
  const int64_t now = static_cast<int64_t>(monotonic_->NowNanos());
  absl::MutexLock lock(&mutex_);
  return DecideClockAgreement(
      self_, voters_, std::vector<ClockSample>(samples_.begin(), samples_.end()), now, options_);
}

absl::Status ClusterClock::CheckStamp() {
  if (absl::Status local = local_->CheckStamp(); !local.ok()) return local;
  const ClockAgreement decision = Decide();
  absl::MutexLock lock(&mutex_);
  if (decision.agree) {
    if (refusing_) fprintf(stderr, "ledgerd: the cluster's clocks agree again; stamping resumes\n");
    refusing_ = false;
    return absl::OkStatus();
  }
  refusals_.fetch_add(1, std::memory_order_relaxed);
  if (!refusing_) fprintf(stderr, "ledgerd: %s\n", decision.problem.c_str());
  refusing_ = true;
  return decision.undecided ? absl::UnavailableError(decision.problem)
                            : absl::FailedPreconditionError(decision.problem);
}

}  // namespace ledger
