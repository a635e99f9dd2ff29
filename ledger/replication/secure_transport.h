// libraft's transport with authenticated, encrypted peer connections (secure_channel.h).
//
// A raft_uv_transport of its own (libraft 0.22's raft_uv_tcp cannot be wrapped below its stream):
// it listens and connects over TCP (TCP_NODELAY on every connection, as NoDelayTransport does),
// runs the SecureChannel handshake, and only then gives libraft a stream — one end of a Unix
// socketpair opened as a uv_pipe_t — while a bridge on the same loop pumps bytes between the other
// end and the TCP connection, sealing what libraft writes and opening what the peer sent. The
// connecting side names its raft id and address in its first frame (libraft's own plaintext
// handshake, inside the encryption). A peer that fails the handshake is closed at once and logged
// (at most one line per kRefusalLogSeconds, with the count since); a handshake that has not
// completed within handshake_timeout_ms is dropped; any decryption failure closes the connection.
//
// Memory is bounded: at most kPendingHandshakesMax connections in the handshake, and each bridge
// stops reading one side while more than kQueuedBytesMax wait to be written to the other.
//
// Host names in addresses are resolved with a blocking getaddrinfo (numeric addresses do not
// block).
//
// Thread safety: like libraft, loop thread only.
#ifndef LEDGER_REPLICATION_SECURE_TRANSPORT_H_
#define LEDGER_REPLICATION_SECURE_TRANSPORT_H_

#include <cstdint>
#include <set>
#include <string>

#include "ledger/replication/raft_api.h"
#include "ledger/replication/secure_channel.h"

namespace ledger {

class SecureTransport {
 public:
  static constexpr unsigned kHandshakeTimeoutMs = 5000;
  static constexpr size_t kPendingHandshakesMax = 64;
  static constexpr size_t kQueuedBytesMax = 4 * 1024 * 1024;
  static constexpr uint64_t kRefusalLogSeconds = 10;

  // What happened to connections so far (for tests and logs).
  struct Counts {
    int established = 0;  // Handshakes completed (both directions).
    int refused = 0;      // Handshakes failed: version, proof, or a bad first frame.
    int timed_out = 0;    // Handshakes not completed in time.
    int broken = 0;       // Established connections closed by a bad frame.
    int nodelay = 0;      // TCP connections with TCP_NODELAY set.
  };

  SecureTransport() = default;
  SecureTransport(const SecureTransport&) = delete;
  SecureTransport& operator=(const SecureTransport&) = delete;

  // Prepares the transport; bind_address is where to listen (empty: the address raft init gives).
  int Init(uv_loop_t* loop, const std::string& bind_address, const RaftSecret& secret,
           unsigned handshake_timeout_ms = kHandshakeTimeoutMs);
  raft_uv_transport* transport() { return &outer_; }
  const char* errmsg() const { return outer_.errmsg; }
  void Release() {}
  const Counts& counts() const { return counts_; }

 private:
  struct Connection;
  struct Write;
  static SecureTransport* Of(raft_uv_transport* outer) {
    return static_cast<SecureTransport*>(outer->impl);
  }

  static int DoInit(raft_uv_transport* t, raft_id id, const char* address);
  static int DoListen(raft_uv_transport* t, raft_uv_accept_cb cb);
  static int DoConnect(raft_uv_transport* t, raft_uv_connect* req, raft_id id, const char* address,
                       raft_uv_connect_cb cb);
  static void DoClose(raft_uv_transport* t, raft_uv_transport_close_cb cb);
  static void OnIncoming(uv_stream_t* server, int status);
  static void OnConnected(uv_connect_t* request, int status);
  static void OnTimeout(uv_timer_t* timer);
  static void OnTcpRead(uv_stream_t* stream, ssize_t size, const uv_buf_t* buf);
  static void OnLocalRead(uv_stream_t* stream, ssize_t size, const uv_buf_t* buf);
  static void OnWritten(uv_write_t* request, int status);
  static void OnHandleClosed(uv_handle_t* handle);

  Connection* NewConnection(bool outbound);
  void StartHandshake(Connection* c);
  void TakeCipher(Connection* c, const char* data, size_t size);
  void TakePlain(Connection* c, std::string plain);
  bool TakeHello(Connection* c, std::string* plain);
  bool OpenBridge(Connection* c, uv_stream_t** theirs);
  void Send(Connection* c, bool to_tcp, std::string bytes);
  void Pace(Connection* c);
  void Refuse(Connection* c, const char* why, int* counter);  // Closes and logs (rate-limited).
  void Drop(Connection* c, int status);
  void Finished(Connection* c);
  void MaybeClosed();

  uv_loop_t* loop_ = nullptr;
  std::string bind_address_;
  RaftSecret secret_{};
  unsigned handshake_timeout_ms_ = kHandshakeTimeoutMs;
  raft_uv_transport outer_{};
  raft_id id_ = 0;
  std::string address_;
  uv_tcp_t listener_{};
  bool listening_ = false;
  bool listener_closed_ = false;
  raft_uv_accept_cb accept_cb_ = nullptr;
  raft_uv_transport_close_cb close_cb_ = nullptr;
  bool closing_ = false;
  std::set<Connection*> connections_;
  size_t handshakes_ = 0;
  Counts counts_;
  uint64_t last_refusal_log_ms_ = 0;
  int refusals_unlogged_ = 0;
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_SECURE_TRANSPORT_H_
