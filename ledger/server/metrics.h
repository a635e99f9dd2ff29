// Prometheus metrics for ledgerd, served over HTTP on their own port (/metrics). Metrics live only in
// the shell: the core exposes plain counters (ApplyCounters) and the node calls NodeObserver hooks.
#ifndef LEDGER_SERVER_METRICS_H_
#define LEDGER_SERVER_METRICS_H_

#include <array>
#include <memory>
#include <string>

#include "ledger/core/records.h"
#include "ledger/server/node.h"

namespace prometheus {
class Counter;
class Exposer;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace ledger {

class Metrics {
 public:
  // listen_address like "127.0.0.1:7401"; empty serves nothing (metrics are still counted).
  explicit Metrics(const std::string& listen_address);
  ~Metrics();

  NodeObserver Observer();
  void OnRequest(const std::string& method, int grpc_code);
  void SetJournalIndex(uint64_t index);
  // The port /metrics is served on (useful with port 0); 0 when not serving.
  int ListeningPort() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* requests_;
  std::array<prometheus::Counter*, kResultCount> transfers_by_result_{};
  std::array<prometheus::Counter*, kResultCount> accounts_by_result_{};
  prometheus::Histogram* batch_commands_;
  prometheus::Histogram* batch_requests_;
  prometheus::Histogram* commit_seconds_;
  prometheus::Histogram* apply_seconds_;
  prometheus::Counter* fsyncs_;
  prometheus::Counter* expired_lots_;
  prometheus::Counter* expired_pendings_;
  prometheus::Gauge* journal_index_;
};

}  // namespace ledger

#endif  // LEDGER_SERVER_METRICS_H_
