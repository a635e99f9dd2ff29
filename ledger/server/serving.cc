#include "ledger/server/serving.h"

#include <cstdio>

namespace ledger {

std::vector<std::string> HealthServiceNames(bool replicated) {
  std::vector<std::string> names = {"", "ledger.v1.Ledger", "ledger.v1.Pos", "ledger.v1.Wallet",
                                    "ledger.v1.Health"};
  if (replicated) names.push_back("ledger.v1.Cluster");
  return names;
}

void HealthPublisher::Publish(const absl::Status& problem) {
  const bool serving = problem.ok();
  std::lock_guard<std::mutex> lock(mutex_);
  if (published_ && serving == serving_) return;
  if (published_ || !serving) {
    fprintf(stderr, "ledgerd: health: %s%s%s\n", serving ? "SERVING" : "NOT_SERVING",
            serving ? "" : ": ", serving ? "" : problem.ToString().c_str());
  }
  for (const std::string& name : names_) service_->SetServingStatus(name, serving);
  published_ = true;
  serving_ = serving;
}

bool HealthPublisher::serving() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return serving_;
}

}  // namespace ledger
