// What the gRPC service needs from whatever orders and stores batches: the single node
// (ledger/node/node.h) or a Raft replica (ledger/replication/raft_node.h). The service never knows
// which one it talks to.
#ifndef LEDGER_COMMIT_COMMITTER_H_
#define LEDGER_COMMIT_COMMITTER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/core/journal.h"
#include "ledger/core/kv.h"

namespace ledger {

struct SubmitResult {
  std::vector<Outcome> outcomes;
  uint64_t journal_index = 0;
};

class Committer {
 public:
  virtual ~Committer() = default;

  // Called once with the outcome of SubmitAsync, on the committer's own thread (or on the caller's,
  // for a request refused at once): it must not block.
  using SubmitDone = std::function<void(absl::StatusOr<SubmitResult>)>;

  // Applies one request (1..kBatchItemsMax commands, validated in shape by the caller) and calls
  // `done` after it is durable (on a quorum, when replicated). Thread-safe. UNAVAILABLE when it may
  // be retried with the same ids: storage failed, stopping, not the leader (the message then
  // carries "leader=HOST:PORT" when the leader is known), or leadership was lost while the request
  // was in flight (outcome unknown). `operator_name`: the operator who sent the request (the
  // Ledger service's authenticated caller), journaled with it and checked by the core against the
  // role table (ledger/core/operators.h); "" for the public services.
  virtual void SubmitAsync(std::vector<Command> commands, SubmitDone done,
                           std::string operator_name = "") = 0;

  // SubmitAsync, waiting for the outcome.
  absl::StatusOr<SubmitResult> Submit(std::vector<Command> commands,
                                      std::string operator_name = "") {
    auto reply = std::make_shared<std::promise<absl::StatusOr<SubmitResult>>>();
    std::future<absl::StatusOr<SubmitResult>> outcome = reply->get_future();
    SubmitAsync(
        std::move(commands),
        [reply](absl::StatusOr<SubmitResult> result) { reply->set_value(std::move(result)); },
        std::move(operator_name));
    return outcome.get();
  }

  // Called before every read. OK when state() includes every write acknowledged before the call (or
  // the node serves possibly stale reads by choice); UNAVAILABLE with the leader as for Submit
  // otherwise.
  virtual absl::Status ReadBarrier() { return absl::OkStatus(); }

  // Whether this node can commit a request now, or (a Raft follower) name a leader that can: OK, or
  // why not (storage write failed, invariant broken, stopping, no leader known). The gRPC health
  // status reports it (ledger/server/serving.h). Thread-safe.
  virtual absl::Status Health() const { return absl::OkStatus(); }

  // The committed state. Thread-safe reads.
  virtual const KvReader& state() const = 0;
  // A consistent view of state() as it is now (whole batches only), unchanged by later writes: what
  // the online audit reads while the node goes on applying. Thread-safe.
  virtual std::unique_ptr<KvReader> StateSnapshot() const = 0;
  // The newest journal index in state().
  virtual uint64_t committed_index() const = 0;
  // Waits until committed_index() > index or the timeout passes; returns committed_index().
  virtual uint64_t WaitForIndexAfter(uint64_t index, std::chrono::milliseconds timeout) = 0;
};

// A batch's request_operators (ledger/core/state_machine.h) for its requests (pointers to structs
// with an operator_name): empty when no request has one, so such entries keep their old bytes.
template <class Requests>
std::vector<std::string> RequestOperators(const Requests& requests) {
  std::vector<std::string> names;
  bool any = false;
  for (const auto& request : requests) {
    names.push_back(request->operator_name);
    any = any || !request->operator_name.empty();
  }
  if (!any) names.clear();
  return names;
}

}  // namespace ledger

#endif  // LEDGER_COMMIT_COMMITTER_H_
