// Group-committing single node: see node.h.
#include "ledger/server/node.h"

#include <chrono>

#include "ledger/core/limits.h"

namespace ledger {
namespace {

class SystemClock final : public Clock {
 public:
  Timestamp NowNanos() override {
    return static_cast<Timestamp>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  }
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Clock* RealClock() {
  static SystemClock clock;
  return &clock;
}

Node::Node(RocksStore* store, Clock* clock, Options options, NodeObserver observer)
    : store_(store), hot_(*store), clock_(clock), options_(options), observer_(std::move(observer)) {
  const JournalHead head = ReadHead(*store_);
  committed_index_ = head.index;
  clock_floor_ = head.clock + 1;
  committer_ = std::thread([this] { CommitLoop(); });
}

Node::~Node() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queue_changed_.notify_all();
  committer_.join();
}

absl::StatusOr<SubmitResult> Node::Submit(std::vector<Command> commands) {
  if (commands.empty() || commands.size() > static_cast<size_t>(kBatchItemsMax)) {
    return absl::InvalidArgumentError("request: 1 to 8190 items");
  }
  auto request = std::make_unique<Request>();
  request->commands = std::move(commands);
  std::future<absl::StatusOr<SubmitResult>> reply = request->reply.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return absl::UnavailableError("node is stopping");
    queued_commands_ += request->commands.size();
    queue_.push_back(std::move(request));
  }
  queue_changed_.notify_one();
  return reply.get();
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

void Node::CommitLoop() {
  for (;;) {
    std::vector<std::unique_ptr<Request>> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queue_changed_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) return;
      size_t commands = 0;
      // Take whole requests while they fit in one batch; a request never splits.
      while (!queue_.empty() &&
             commands + queue_.front()->commands.size() <= static_cast<size_t>(kBatchItemsMax)) {
        commands += queue_.front()->commands.size();
        queued_commands_ -= queue_.front()->commands.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitBatch(std::move(batch));
  }
}

void Node::CommitBatch(std::vector<std::unique_ptr<Request>> requests) {
  const auto start = std::chrono::steady_clock::now();
  Batch batch;
  for (const auto& request : requests) {
    batch.request_sizes.push_back(static_cast<uint32_t>(request->commands.size()));
    batch.commands.insert(batch.commands.end(), request->commands.begin(), request->commands.end());
  }
  // The stamp: wall time when it moves forward, else one past the clock, so it always increases.
  const Timestamp timestamp = std::max(clock_->NowNanos(), clock_floor_);
  ApplyCounters counters;
  absl::StatusOr<ApplyOutput> output = ApplyBatch(hot_, timestamp, batch, &counters);
  const double apply_seconds = SecondsSince(start);
  absl::Status status = output.status();
  if (status.ok()) status = store_->Write(output->writes, options_.sync);
  if (!status.ok()) {
    for (auto& request : requests) request->reply.set_value(status);
    return;
  }
  hot_.Remember(output->writes);
  clock_floor_ = output->head.clock + 1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    committed_index_ = output->head.index;
  }
  committed_changed_.notify_all();
  if (observer_.on_batch) {
    observer_.on_batch(requests.size(), batch.commands.size(), apply_seconds, SecondsSince(start));
  }
  if (observer_.on_sweep && (counters.expired_lots || counters.expired_pendings)) observer_.on_sweep(counters);
  size_t offset = 0;
  for (auto& request : requests) {
    SubmitResult result;
    result.journal_index = output->head.index;
    const size_t size = request->commands.size();
    result.outcomes.assign(output->entry.outcomes.begin() + offset,
                           output->entry.outcomes.begin() + offset + size);
    if (observer_.on_outcome) {
      for (size_t i = 0; i < size; ++i) observer_.on_outcome(result.outcomes[i], batch.commands[offset + i]);
    }
    offset += size;
    request->reply.set_value(std::move(result));
  }
}

}  // namespace ledger
