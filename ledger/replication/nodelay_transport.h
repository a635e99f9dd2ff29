// libraft's TCP transport with Nagle's algorithm turned off on every peer connection.
//
// libraft 0.22's raft_uv_tcp leaves TCP_NODELAY unset. A follower's small AppendEntries result, or
// a small entry behind an unacknowledged one, then waits for the peer's delayed ACK (40 ms on
// Linux): in a 3-node cluster under single-transfer load about 3 % of requests took 45–50 ms. This
// wrapper is a raft_uv_transport that delegates every call to raft_uv_tcp and sets TCP_NODELAY on
// each stream it accepts or connects, before libraft sees it.
//
// Thread safety: like libraft, loop thread only.
#ifndef LEDGER_REPLICATION_NODELAY_TRANSPORT_H_
#define LEDGER_REPLICATION_NODELAY_TRANSPORT_H_

#include <string>

#include "ledger/replication/raft_api.h"

namespace ledger {

class NoDelayTransport {
 public:
  NoDelayTransport() = default;
  NoDelayTransport(const NoDelayTransport&) = delete;
  NoDelayTransport& operator=(const NoDelayTransport&) = delete;

  // raft_uv_tcp_init and raft_uv_tcp_set_bind_address (empty: libraft's default); 0 or a RAFT_*
  // code, with errmsg() saying why.
  int Init(uv_loop_t* loop, const std::string& bind_address);
  // What to give raft_uv_init.
  raft_uv_transport* transport() { return &outer_; }
  const char* errmsg() const { return inner_.errmsg; }
  // raft_uv_tcp_close, after libraft has closed the transport (when the loop has stopped).
  void Release();

  // Number of streams this transport set TCP_NODELAY on (for tests).
  int streams_set() const { return streams_set_; }

 private:
  struct Connect {
    raft_uv_connect inner;
    raft_uv_connect* outer;
    raft_uv_connect_cb cb;
    NoDelayTransport* self;
  };
  static NoDelayTransport* Of(raft_uv_transport* outer) {
    return static_cast<NoDelayTransport*>(outer->impl);
  }
  void SetNoDelay(uv_stream_t* stream);

  static int DoInit(raft_uv_transport* t, raft_id id, const char* address);
  static int DoListen(raft_uv_transport* t, raft_uv_accept_cb cb);
  static void OnAccept(raft_uv_transport* inner, raft_id id, const char* address,
                       uv_stream_t* stream);
  static int DoConnect(raft_uv_transport* t, raft_uv_connect* req, raft_id id, const char* address,
                       raft_uv_connect_cb cb);
  static void OnConnect(raft_uv_connect* req, uv_stream_t* stream, int status);
  static void DoClose(raft_uv_transport* t, raft_uv_transport_close_cb cb);
  static void OnClosed(raft_uv_transport* inner);

  raft_uv_transport inner_{};  // libraft's TCP transport; inner_.data points here.
  raft_uv_transport outer_{};  // What libraft's I/O uses; outer_.impl points here.
  raft_uv_accept_cb accept_cb_ = nullptr;
  raft_uv_transport_close_cb close_cb_ = nullptr;
  bool initialized_ = false;
  int streams_set_ = 0;
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_NODELAY_TRANSPORT_H_
