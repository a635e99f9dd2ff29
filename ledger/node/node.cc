// Group-committing, pipelined single node: see node.h.
#include "ledger/node/node.h"

#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "ledger/core/audit.h"
#include "ledger/core/limits.h"

namespace ledger {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Node::Node(RocksStore* store, Clock* clock, Options options, NodeObserver observer)
    : store_(store),
      hot_(*store),
      clock_(clock),
      options_(options),
      observer_(std::move(observer)) {
  const JournalHead head = ReadHead(*store_);
  committed_index_ = head.index;
  clock_floor_ = head.clock + 1;
  if (std::string broken = AssetSumsProblem(*store_); !broken.empty())
    StopForInvariant("at start: " + broken);
  applier_ = std::thread([this] { ApplyLoop(); });
  writer_ = std::thread([this] { WriteLoop(); });
}

Node::~Node() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queue_changed_.notify_all();
  applied_changed_.notify_all();
  applier_.join();
  writer_.join();
}

absl::Status Node::Health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_ ? absl::UnavailableError("node is stopping") : failed_;
}

void Node::SubmitAsync(std::vector<Command> commands, SubmitDone done, std::string operator_name) {
  if (commands.empty() || commands.size() > static_cast<size_t>(kBatchItemsMax)) {
    done(absl::InvalidArgumentError("request: 1 to 8190 items"));
    return;
  }
  auto request = std::make_unique<Request>();
  request->commands = std::move(commands);
  request->done = std::move(done);
  request->operator_name = std::move(operator_name);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    absl::Status refused = stopping_ ? absl::UnavailableError("node is stopping") : failed_;
    if (!refused.ok()) {
      lock.unlock();
      request->done(std::move(refused));
      return;
    }
    queue_.push_back(std::move(request));
  }
  queue_changed_.notify_one();
}

uint64_t Node::committed_index() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return committed_index_;
}

uint64_t Node::WaitForIndexAfter(uint64_t index, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  committed_changed_.wait_for(lock, timeout, [&] { return committed_index_ > index || stopping_; });
  return committed_index_;
}

void Node::FailAll(std::vector<std::unique_ptr<Request>>& requests, const absl::Status& status) {
  for (auto& request : requests) request->done(status);
  requests.clear();
}

std::vector<std::unique_ptr<Node::Request>> Node::TakeRequests() {
  std::unique_lock<std::mutex> lock(mutex_);
  // Wait for work and for room in the pipeline.
  applied_changed_.wait(lock, [&] { return applied_.size() < kPipelineDepth || stopping_; });
  queue_changed_.wait(lock, [&] { return !queue_.empty() || stopping_; });
  std::vector<std::unique_ptr<Request>> requests;
  size_t commands = 0;
  // Whole requests while they fit in one batch.
  while (!queue_.empty() &&
         commands + queue_.front()->commands.size() <= static_cast<size_t>(kBatchItemsMax)) {
    commands += queue_.front()->commands.size();
    requests.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  if (!failed_.ok()) FailAll(requests, failed_);
  return requests;
}

void Node::ApplyLoop() {
  for (;;) {
    std::vector<std::unique_ptr<Request>> requests = TakeRequests();
    std::vector<std::shared_ptr<const WriteSet>> in_flight;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (requests.empty() && stopping_ && queue_.empty()) {
        applier_done_ = true;
        applied_changed_.notify_all();
        return;
      }
      in_flight = in_flight_;
    }
    if (requests.empty()) continue;
    Applied applied;
    applied.start = std::chrono::steady_clock::now();
    for (const auto& request : requests) {
      applied.batch.request_sizes.push_back(static_cast<uint32_t>(request->commands.size()));
      applied.batch.commands.insert(applied.batch.commands.end(), request->commands.begin(),
                                    request->commands.end());
    }
    applied.batch.request_operators = RequestOperators(requests);
    // The stamp: wall time when it moves forward, else one past the clock, so it always increases;
    // none at all while the clock guard refuses (a jumped wall clock).
    if (absl::Status stamp = clock_->CheckStamp(); !stamp.ok()) {
      FailAll(requests, stamp);
      continue;
    }
    const Timestamp timestamp = std::max(clock_->NowNanos(), clock_floor_);
    // Hot records come straight from hot_ (it already holds the in-flight batches); the rest from
    // the in-flight write sets, then the store.
    OverlayKv view(hot_, std::move(in_flight),
                   [this](std::string_view key) { return hot_.Current(key); });
    absl::StatusOr<ApplyOutput> output =
        ApplyBatch(view, timestamp, applied.batch, &applied.counters);
    if (!output.ok()) {
      FailAll(requests, output.status());
      continue;
    }
    if (!output->invariant_violation.empty()) {  // A core bug: nothing of this batch is stored.
      StopForInvariant(output->invariant_violation);
      FailAll(requests, InvariantStatus(output->invariant_violation));
      continue;
    }
    applied.apply_seconds = SecondsSince(applied.start);
    clock_floor_ = output->head.clock + 1;
    applied.writes = std::make_shared<const WriteSet>(std::move(output->writes));
    hot_.Remember(*applied.writes);
    applied.output = std::move(*output);
    applied.requests = std::move(requests);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      in_flight_.push_back(applied.writes);
      applied_.push_back(std::move(applied));
    }
    applied_changed_.notify_all();
  }
}

absl::Status Node::InvariantStatus(const std::string& violation) {
  return absl::DataLossError(
      absl::StrCat("ledger invariant broken (", violation,
                   "); this node accepts no writes: stop it and run ledgerctl audit"));
}

void Node::StopForInvariant(const std::string& violation) {
  fprintf(stderr, "ledgerd: LEDGER INVARIANT BROKEN: %s; no more writes are accepted\n",
          violation.c_str());
  if (observer_.on_invariant_violation) observer_.on_invariant_violation(violation);
  std::lock_guard<std::mutex> lock(mutex_);
  if (failed_.ok()) failed_ = InvariantStatus(violation);
}

void Node::WriteLoop() {
  for (;;) {
    Applied applied;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      applied_changed_.wait(lock, [&] { return !applied_.empty() || applier_done_; });
      if (applied_.empty()) return;
      applied = std::move(applied_.front());
      applied_.pop_front();
    }
    applied_changed_.notify_all();  // Room in the pipeline.
    Store(std::move(applied));
  }
}

void Node::Store(Applied applied) {
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    status = failed_;
  }
  if (status.ok()) {
    const auto write_start = std::chrono::steady_clock::now();
    status = store_->Write(*applied.writes, options_.sync);
    if (status.ok() && observer_.on_store_write)
      observer_.on_store_write(SecondsSince(write_start));
  }
  if (!status.ok()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (failed_.ok()) {
        failed_ = absl::UnavailableError("storage write failed; restart the node: " +
                                         std::string(status.message()));
      }
      status = failed_;
    }
    FailAll(applied.requests, status);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_.erase(in_flight_.begin());
    committed_index_ = applied.output.head.index;
  }
  committed_changed_.notify_all();
  const Batch& batch = applied.batch;
  if (observer_.on_stored_batch) {
    observer_.on_stored_batch(applied.output.entry.batch_timestamp, batch,
                              applied.output.entry_bytes);
  }
  if (observer_.on_batch) {
    observer_.on_batch(applied.requests.size(), batch.commands.size(), applied.apply_seconds,
                       SecondsSince(applied.start));
  }
  if (observer_.on_sweep && (applied.counters.expired_lots || applied.counters.expired_pendings ||
                             applied.counters.pruned_nonces)) {
    observer_.on_sweep(applied.counters);
  }
  const std::vector<Outcome>& outcomes = applied.output.entry.outcomes;
  size_t offset = 0;
  for (auto& request : applied.requests) {
    SubmitResult result;
    result.journal_index = applied.output.head.index;
    const size_t size = request->commands.size();
    result.outcomes.assign(outcomes.begin() + offset, outcomes.begin() + offset + size);
    if (observer_.on_outcome) {
      for (size_t i = 0; i < size; ++i)
        observer_.on_outcome(result.outcomes[i], batch.commands[offset + i]);
    }
    offset += size;
    request->done(std::move(result));
  }
}

}  // namespace ledger
