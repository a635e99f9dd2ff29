#include "ledger/replication/take_guard.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

namespace ledger {
namespace {

// raft_io* -> its guard. libraft's callbacks carry only the io (whose data field is libraft's own).
std::mutex registry_mutex;
std::map<raft_io*, TakeGuard*>& Registry() {
  static auto* registry = new std::map<raft_io*, TakeGuard*>();
  return *registry;
}

}  // namespace

TakeGuard::TakeGuard(uv_loop_t* loop, unsigned fault_write_delay_ms)
    : loop_(loop), fault_write_delay_ms_(fault_write_delay_ms) {}

TakeGuard::~TakeGuard() {
  for (Held& held : held_) Free(held.message);
  if (io_ != nullptr) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    Registry().erase(io_);
  }
}

void TakeGuard::Wrap(raft_io* io) {
  io_ = io;
  start_ = io->start;
  snapshot_put_ = io->snapshot_put;
  io->start = &TakeGuard::Start;
  io->snapshot_put = &TakeGuard::SnapshotPut;
  if (fault_write_delay_ms_ > 0) {
    uv_timer_init(loop_, &delay_);
    delay_.data = this;
    delay_started_ = true;
  }
  std::lock_guard<std::mutex> lock(registry_mutex);
  Registry()[io] = this;
}

void TakeGuard::Close() {
  if (delay_started_) uv_close(reinterpret_cast<uv_handle_t*>(&delay_), nullptr);
  delay_started_ = false;
}

TakeGuard* TakeGuard::Of(raft_io* io) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  return Registry().at(io);
}

int TakeGuard::Start(raft_io* io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv) {
  TakeGuard* guard = Of(io);
  guard->recv_ = recv;
  return guard->start_(io, msecs, tick, &TakeGuard::Recv);
}

void TakeGuard::Recv(raft_io* io, raft_message* message) {
  TakeGuard* guard = Of(io);
  if (guard->taking_ && (!guard->held_.empty() || message->type == RAFT_INSTALL_SNAPSHOT)) {
    // The payload is owned by whoever receives the message: now the guard, then libraft.
    Held& held = guard->held_.emplace_back();
    held.message = *message;
    if (message->server_address != nullptr) held.address = message->server_address;
    guard->held_total_++;
    return;
  }
  guard->recv_(io, message);
}

int TakeGuard::SnapshotPut(raft_io* io, unsigned trailing, raft_io_snapshot_put* req,
                           const raft_snapshot* snapshot, raft_io_snapshot_put_cb cb) {
  TakeGuard* guard = Of(io);
  if (trailing == 0) return guard->snapshot_put_(io, trailing, req, snapshot, cb);  // An install.
  guard->take_done_ = cb;
  guard->take_data_ = req->data;
  req->data = guard;
  if (guard->prepare_) {
    guard->take_trailing_ = trailing;
    guard->take_req_ = req;
    guard->take_snapshot_ = snapshot;
    guard->taking_ = true;
    guard->prepare_(snapshot, [guard] { guard->WriteTake(); });
    return 0;
  }
  const int rv = guard->snapshot_put_(io, trailing, req, snapshot, &TakeGuard::TakeWritten);
  if (rv != 0) {
    req->data = guard->take_data_;
    return rv;
  }
  guard->taking_ = true;
  return 0;
}

void TakeGuard::WriteTake() {
  const int rv =
      snapshot_put_(io_, take_trailing_, take_req_, take_snapshot_, &TakeGuard::TakeWritten);
  if (rv != 0) {
    // raft_uv refuses a write only when out of memory or closing (RaftNode writes a prepared take
    // before it closes libraft), and libraft's take completion accepts no failure but a shutdown.
    std::fprintf(stderr, "ledgerd: libraft refused to write a snapshot it took: %s\n",
                 raft_strerror(rv));
    std::abort();
  }
}

void TakeGuard::TakeWritten(raft_io_snapshot_put* req, int status) {
  TakeGuard* guard = static_cast<TakeGuard*>(req->data);
  if (guard->delay_started_ && status == 0) {
    guard->delayed_req_ = req;
    guard->delayed_status_ = status;
    uv_timer_start(&guard->delay_, &TakeGuard::DelayOver, guard->fault_write_delay_ms_, 0);
    return;
  }
  guard->Complete(req, status);
}

void TakeGuard::DelayOver(uv_timer_t* timer) {
  TakeGuard* guard = static_cast<TakeGuard*>(timer->data);
  raft_io_snapshot_put* req = guard->delayed_req_;
  guard->delayed_req_ = nullptr;
  guard->Complete(req, guard->delayed_status_);
}

void TakeGuard::Complete(raft_io_snapshot_put* req, int status) {
  req->data = take_data_;
  taking_ = false;
  raft_io_snapshot_put_cb done = take_done_;
  take_done_ = nullptr;
  done(req, status);  // libraft frees req.
  Release();
}

// Hands the held messages to libraft in order; stops if one of them starts another take.
void TakeGuard::Release() {
  while (!taking_ && !held_.empty()) {
    Held held = std::move(held_.front());
    held_.pop_front();
    held.message.server_address = held.address.c_str();
    recv_(io_, &held.message);
  }
}

// What libraft would free had it received the message (only the kinds with a payload).
void TakeGuard::Free(raft_message& message) {
  if (message.type == RAFT_INSTALL_SNAPSHOT) {
    raft_configuration_close(&message.install_snapshot.conf);
    raft_free(message.install_snapshot.data.base);
  } else if (message.type == RAFT_APPEND_ENTRIES) {
    std::set<void*> batches;
    for (unsigned i = 0; i < message.append_entries.n_entries; ++i) {
      raft_entry& entry = message.append_entries.entries[i];
      if (entry.batch != nullptr) {
        batches.insert(entry.batch);
      } else {
        raft_free(entry.buf.base);
      }
    }
    for (void* batch : batches) raft_free(batch);
    raft_free(message.append_entries.entries);
  }
}

}  // namespace ledger
