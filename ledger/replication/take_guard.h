// A guard between libraft and its I/O against a defect of libraft 0.22.1 (the version Debian
// ships): a node that receives an InstallSnapshot while its own snapshot is being written crashes.
//
// libraft's legacy layer (legacy.c) parks such an install as "pending" until the snapshot write
// completes; the completion (takeSnapshotCb) then clears the pending pointer before reading it and
// starts the install from a null pointer (SIGSEGV). It happens to a follower that takes a snapshot
// while the leader decides to send it one: under load, a follower that lagged or restarted.
//
// TakeGuard wraps a raft_io's start and snapshot_put. While a snapshot take is being written (a
// snapshot_put with trailing > 0; an install's put has trailing 0), an InstallSnapshot message
// received is held, with every message received after it, in order; once the take's completion has
// run, they are handed to libraft, which then starts the install at once. No message is dropped or
// reordered; held ones wait at most one snapshot write.
//
// Loop thread only (the one running the raft_io), except the constructor and destructor.
#ifndef LEDGER_REPLICATION_TAKE_GUARD_H_
#define LEDGER_REPLICATION_TAKE_GUARD_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "ledger/replication/raft_api.h"

namespace ledger {

class TakeGuard {
 public:
  // `fault_write_delay_ms` (tests only: ledgerd --fault_snapshot_write_delay_ms): each take's
  // completion reaches libraft this much later, which widens the window the defect needs.
  explicit TakeGuard(uv_loop_t* loop, unsigned fault_write_delay_ms = 0);
  ~TakeGuard();  // Frees the held messages' payloads (libraft is closed by then).
  TakeGuard(const TakeGuard&) = delete;
  TakeGuard& operator=(const TakeGuard&) = delete;

  // Wraps an initialised raft_io (raft_uv_init, or a test fixture's) before libraft starts it. The
  // guard must outlive the io's use.
  void Wrap(raft_io* io);
  // Closes the delay timer (with a fault delay); call once, when libraft has closed.
  void Close();

  // Optional: runs when libraft hands over a snapshot it took, before it is written. `prepare` may
  // fill in the snapshot's buffer (bufs[0]: free the old base with raft_free, put a raft_malloc'ed
  // one) on another thread, and must call `ready` on the loop thread once; the write starts then
  // (raft_node.h: the RocksDB checkpoint is taken off the loop thread this way). Installs received
  // meanwhile are held as during the write.
  using Prepare = std::function<void(const raft_snapshot* snapshot, std::function<void()> ready)>;
  void SetPrepare(Prepare prepare) { prepare_ = std::move(prepare); }

  uint64_t held_total() const { return held_total_; }  // Messages held so far.
  bool taking() const { return taking_; }

 private:
  struct Held {
    raft_message message;
    std::string address;  // message.server_address points here while delivered.
  };
  static TakeGuard* Of(raft_io* io);
  static int Start(raft_io* io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv);
  static void Recv(raft_io* io, raft_message* message);
  static int SnapshotPut(raft_io* io, unsigned trailing, raft_io_snapshot_put* req,
                         const raft_snapshot* snapshot, raft_io_snapshot_put_cb cb);
  static void TakeWritten(raft_io_snapshot_put* req, int status);
  void WriteTake();  // The prepared take: to raft_uv.
  static void DelayOver(uv_timer_t* timer);
  void Complete(raft_io_snapshot_put* req, int status);
  void Release();
  static void Free(raft_message& message);

  uv_loop_t* loop_;
  unsigned fault_write_delay_ms_;
  uv_timer_t delay_;
  bool delay_started_ = false;
  raft_io* io_ = nullptr;
  int (*start_)(raft_io*, unsigned, raft_io_tick_cb, raft_io_recv_cb) = nullptr;
  int (*snapshot_put_)(raft_io*, unsigned, raft_io_snapshot_put*, const raft_snapshot*,
                       raft_io_snapshot_put_cb) = nullptr;
  raft_io_recv_cb recv_ = nullptr;
  // The take being written: libraft's completion and its request's data (the request's data points
  // at this guard meanwhile).
  bool taking_ = false;
  raft_io_snapshot_put_cb take_done_ = nullptr;
  void* take_data_ = nullptr;
  raft_io_snapshot_put* delayed_req_ = nullptr;
  Prepare prepare_;
  // The take being prepared.
  unsigned take_trailing_ = 0;
  raft_io_snapshot_put* take_req_ = nullptr;
  const raft_snapshot* take_snapshot_ = nullptr;
  int delayed_status_ = 0;
  std::deque<Held> held_;
  uint64_t held_total_ = 0;
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_TAKE_GUARD_H_
