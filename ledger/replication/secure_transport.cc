// libraft's transport with authenticated, encrypted peer connections: see secure_transport.h.
#include "ledger/replication/secure_transport.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "ledger/core/limits.h"

namespace ledger {
namespace {

constexpr size_t kReadBytes = 64 * 1024;
constexpr size_t kHelloHead = 8 + 2;  // Raft id, address length.

// host:port (or [v6]:port) to a socket address; false when it does not resolve.
bool Resolve(const std::string& address, bool passive, sockaddr_storage* out) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found) != 0) {
    return false;
  }
  memcpy(out, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  return true;
}

std::string PeerName(uv_tcp_t* tcp) {
  sockaddr_storage address{};
  int size = sizeof(address);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&address), &size) != 0) return "?";
  char host[64] = "?";
  int port = 0;
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    uv_ip4_name(v4, host, sizeof(host));
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    uv_ip6_name(v6, host, sizeof(host));
    port = ntohs(v6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace

struct SecureTransport::Connection {
  Connection(SecureTransport* t, bool out)
      : transport(t),
        outbound(out),
        channel(out ? SecureChannel::Role::kClient : SecureChannel::Role::kServer, t->secret_) {}
  SecureTransport* transport;
  bool outbound;
  SecureChannel channel;
  uv_tcp_t tcp{};
  uv_timer_t timer{};
  uv_pipe_t local{};  // Our end of the socketpair; libraft has the other.
  uv_connect_t connect{};
  int handles = 0;  // Open handles; the connection is freed when the last one has closed.
  bool local_open = false;
  bool handshaking = true;
  bool closing = false;
  raft_uv_connect* request = nullptr;  // Outbound, until answered.
  raft_uv_connect_cb callback = nullptr;
  int status = RAFT_NOCONNECTION;
  std::string peer;   // For logs.
  std::string hello;  // Inbound: plaintext before the connecting side's id and address are in.
  size_t to_tcp = 0;  // Bytes queued for writing.
  size_t to_local = 0;
  bool tcp_paused = false;
  bool local_paused = false;
  char tcp_buffer[kReadBytes];
  char local_buffer[kReadBytes];
};

struct SecureTransport::Write {
  uv_write_t request;
  std::string bytes;
  Connection* connection;
  bool to_tcp;
};

int SecureTransport::Init(uv_loop_t* loop, const std::string& bind_address,
                          const RaftSecret& secret, unsigned handshake_timeout_ms) {
  if (sodium_init() < 0) return RAFT_INVALID;
  loop_ = loop;
  bind_address_ = bind_address;
  secret_ = secret;
  handshake_timeout_ms_ = handshake_timeout_ms;
  outer_ = raft_uv_transport{};
  outer_.version = 1;
  outer_.impl = this;
  outer_.init = DoInit;
  outer_.listen = DoListen;
  outer_.connect = DoConnect;
  outer_.close = DoClose;
  return 0;
}

int SecureTransport::DoInit(raft_uv_transport* t, raft_id id, const char* address) {
  SecureTransport* self = Of(t);
  self->id_ = id;
  self->address_ = address;
  if (self->address_.size() > kRaftAddressBytesMax) {
    snprintf(t->errmsg, sizeof(t->errmsg), "raft address longer than %zu bytes",
             kRaftAddressBytesMax);
    return RAFT_INVALID;
  }
  return 0;
}

int SecureTransport::DoListen(raft_uv_transport* t, raft_uv_accept_cb cb) {
  SecureTransport* self = Of(t);
  const std::string& bind = self->bind_address_.empty() ? self->address_ : self->bind_address_;
  sockaddr_storage address{};
  if (!Resolve(bind, true, &address)) {
    snprintf(t->errmsg, sizeof(t->errmsg), "cannot resolve %s", bind.c_str());
    return RAFT_IOERR;
  }
  uv_tcp_init(self->loop_, &self->listener_);
  self->listener_.data = self;
  self->listening_ = true;
  int rv = uv_tcp_bind(&self->listener_, reinterpret_cast<sockaddr*>(&address), 0);
  if (rv == 0) rv = uv_listen(reinterpret_cast<uv_stream_t*>(&self->listener_), 128, OnIncoming);
  if (rv != 0) {
    snprintf(t->errmsg, sizeof(t->errmsg), "listen on %s: %s", bind.c_str(), uv_strerror(rv));
    return RAFT_IOERR;
  }
  self->accept_cb_ = cb;
  return 0;
}

SecureTransport::Connection* SecureTransport::NewConnection(bool outbound) {
  auto* c = new Connection(this, outbound);
  uv_tcp_init(loop_, &c->tcp);
  uv_timer_init(loop_, &c->timer);
  c->tcp.data = c;
  c->timer.data = c;
  c->connect.data = c;
  c->handles = 2;
  connections_.insert(c);
  ++handshakes_;
  uv_timer_start(&c->timer, OnTimeout, handshake_timeout_ms_, 0);
  return c;
}

int SecureTransport::DoConnect(raft_uv_transport* t, raft_uv_connect* req, raft_id,
                               const char* address, raft_uv_connect_cb cb) {
  SecureTransport* self = Of(t);
  if (self->closing_) return RAFT_CANCELED;
  sockaddr_storage resolved{};
  if (!Resolve(address, false, &resolved)) {
    snprintf(t->errmsg, sizeof(t->errmsg), "cannot resolve %s", address);
    return RAFT_NOCONNECTION;
  }
  Connection* c = self->NewConnection(true);
  c->peer = address;
  const int rv =
      uv_tcp_connect(&c->connect, &c->tcp, reinterpret_cast<sockaddr*>(&resolved), OnConnected);
  if (rv != 0) {
    snprintf(t->errmsg, sizeof(t->errmsg), "connect to %s: %s", address, uv_strerror(rv));
    self->Drop(c, RAFT_NOCONNECTION);  // No callback: the error is returned.
    return RAFT_NOCONNECTION;
  }
  c->request = req;
  c->callback = cb;
  return 0;
}

void SecureTransport::OnConnected(uv_connect_t* request, int status) {
  auto* c = static_cast<Connection*>(request->data);
  if (c->closing) return;
  if (status != 0) return c->transport->Drop(c, RAFT_NOCONNECTION);
  c->transport->StartHandshake(c);
}

void SecureTransport::OnIncoming(uv_stream_t* server, int status) {
  auto* self = static_cast<SecureTransport*>(server->data);
  if (status < 0 || self->closing_) return;
  Connection* c = self->NewConnection(false);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    return self->Drop(c, RAFT_NOCONNECTION);
  }
  c->peer = PeerName(&c->tcp);
  if (self->handshakes_ > kPendingHandshakesMax) {
    return self->Refuse(c, "too many connections in the handshake", &self->counts_.refused);
  }
  self->StartHandshake(c);
}

void SecureTransport::StartHandshake(Connection* c) {
  if (uv_tcp_nodelay(&c->tcp, 1) == 0) ++counts_.nodelay;
  const auto alloc = [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
    *buf = uv_buf_init(static_cast<Connection*>(handle->data)->tcp_buffer, kReadBytes);
  };
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), alloc, OnTcpRead) != 0) {
    return Drop(c, RAFT_NOCONNECTION);
  }
  Send(c, true, c->channel.hello());
}

void SecureTransport::OnTcpRead(uv_stream_t* stream, ssize_t size, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  if (c->closing) return;
  if (size < 0) return c->transport->Drop(c, RAFT_NOCONNECTION);
  if (size > 0) c->transport->TakeCipher(c, buf->base, static_cast<size_t>(size));
}

void SecureTransport::TakeCipher(Connection* c, const char* data, size_t size) {
  std::string to_peer, plain;
  const absl::Status status = c->channel.Receive(data, size, &to_peer, &plain);
  if (!to_peer.empty()) Send(c, true, std::move(to_peer));
  if (!status.ok()) {
    if (c->handshaking) {
      return Refuse(c, SecureChannel::FailureName(c->channel.failure()), &counts_.refused);
    }
    ++counts_.broken;
    fprintf(stderr, "ledgerd: Raft peer %s: connection closed: %s\n", c->peer.c_str(),
            SecureChannel::FailureName(c->channel.failure()));
    return Drop(c, RAFT_NOCONNECTION);
  }
  if (c->closing || !c->channel.established()) return;
  if (c->handshaking && c->outbound) {
    // Name this node to the peer (libraft's own handshake, inside the encryption).
    std::string hello(kHelloHead, '\0');
    for (int i = 0; i < 8; ++i) hello[i] = static_cast<char>(id_ >> (56 - 8 * i));
    hello[8] = static_cast<char>(address_.size() >> 8);
    hello[9] = static_cast<char>(address_.size());
    hello += address_;
    std::string sealed;
    c->channel.Seal(hello.data(), hello.size(), &sealed);
    Send(c, true, std::move(sealed));
    uv_stream_t* theirs = nullptr;
    if (!OpenBridge(c, &theirs)) return Drop(c, RAFT_NOCONNECTION);
    Finished(c);
    const raft_uv_connect_cb callback = c->callback;
    c->callback = nullptr;
    callback(c->request, theirs, 0);
  }
  if (!plain.empty() && !c->closing) TakePlain(c, std::move(plain));
}

void SecureTransport::TakePlain(Connection* c, std::string plain) {
  if (!c->handshaking) return Send(c, false, std::move(plain));
  c->hello += plain;
  if (c->hello.size() < kHelloHead) return;
  const unsigned char* head = reinterpret_cast<const unsigned char*>(c->hello.data());
  const size_t length = (size_t{head[8]} << 8) | head[9];
  if (length == 0 || length > kRaftAddressBytesMax) {
    return Refuse(c, "first frame names no raft address or one that is too long", &counts_.refused);
  }
  if (c->hello.size() < kHelloHead + length) return;
  raft_id id = 0;
  for (int i = 0; i < 8; ++i) id = (id << 8) | head[i];
  const std::string address = c->hello.substr(kHelloHead, length);
  std::string rest = c->hello.substr(kHelloHead + length);
  c->hello.clear();
  uv_stream_t* theirs = nullptr;
  if (!OpenBridge(c, &theirs)) return Drop(c, RAFT_NOCONNECTION);
  Finished(c);
  accept_cb_(&outer_, id, address.c_str(), theirs);
  if (!rest.empty()) Send(c, false, std::move(rest));
}

bool SecureTransport::OpenBridge(Connection* c, uv_stream_t** theirs) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return false;
  auto* pipe = static_cast<uv_pipe_t*>(raft_malloc(sizeof(uv_pipe_t)));
  if (pipe == nullptr) {
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  uv_pipe_init(loop_, &c->local, 0);
  c->local.data = c;
  ++c->handles;
  c->local_open = true;
  uv_pipe_init(loop_, pipe, 0);
  if (uv_pipe_open(&c->local, fds[0]) != 0 || uv_pipe_open(pipe, fds[1]) != 0) {
    close(fds[0]);
    close(fds[1]);
    uv_close(reinterpret_cast<uv_handle_t*>(pipe), [](uv_handle_t* h) { raft_free(h); });
    return false;
  }
  const auto alloc = [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
    *buf = uv_buf_init(static_cast<Connection*>(handle->data)->local_buffer, kReadBytes);
  };
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c->local), alloc, OnLocalRead) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(pipe), [](uv_handle_t* h) { raft_free(h); });
    return false;
  }
  *theirs = reinterpret_cast<uv_stream_t*>(pipe);
  return true;
}

void SecureTransport::OnLocalRead(uv_stream_t* stream, ssize_t size, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  if (c->closing) return;
  if (size < 0) return c->transport->Drop(c, RAFT_NOCONNECTION);  // libraft closed its end.
  if (size == 0) return;
  std::string sealed;
  c->channel.Seal(buf->base, static_cast<size_t>(size), &sealed);
  c->transport->Send(c, true, std::move(sealed));
}

void SecureTransport::Send(Connection* c, bool to_tcp, std::string bytes) {
  if (c->closing || bytes.empty()) return;
  auto* write = new Write{uv_write_t{}, std::move(bytes), c, to_tcp};
  write->request.data = write;
  const uv_buf_t buf = uv_buf_init(write->bytes.data(), write->bytes.size());
  uv_stream_t* stream =
      to_tcp ? reinterpret_cast<uv_stream_t*>(&c->tcp) : reinterpret_cast<uv_stream_t*>(&c->local);
  if (uv_write(&write->request, stream, &buf, 1, OnWritten) != 0) {
    delete write;
    return Drop(c, RAFT_NOCONNECTION);
  }
  (to_tcp ? c->to_tcp : c->to_local) += buf.len;
  Pace(c);
}

void SecureTransport::OnWritten(uv_write_t* request, int status) {
  auto* write = static_cast<Write*>(request->data);
  Connection* c = write->connection;
  (write->to_tcp ? c->to_tcp : c->to_local) -= write->bytes.size();
  delete write;
  if (c->closing) return;
  if (status != 0) return c->transport->Drop(c, RAFT_NOCONNECTION);
  c->transport->Pace(c);
}

// Backpressure: stop reading a side while too much waits to be written to the other.
void SecureTransport::Pace(Connection* c) {
  if (c->closing || !c->local_open) return;
  auto* tcp = reinterpret_cast<uv_stream_t*>(&c->tcp);
  auto* local = reinterpret_cast<uv_stream_t*>(&c->local);
  const bool stop_local = c->to_tcp > kQueuedBytesMax;
  const bool stop_tcp = c->to_local > kQueuedBytesMax;
  if (stop_local != c->local_paused) {
    c->local_paused = stop_local;
    if (stop_local) {
      uv_read_stop(local);
    } else {
      uv_read_start(
          local,
          [](uv_handle_t* h, size_t, uv_buf_t* b) {
            *b = uv_buf_init(static_cast<Connection*>(h->data)->local_buffer, kReadBytes);
          },
          OnLocalRead);
    }
  }
  if (stop_tcp != c->tcp_paused) {
    c->tcp_paused = stop_tcp;
    if (stop_tcp) {
      uv_read_stop(tcp);
    } else {
      uv_read_start(
          tcp,
          [](uv_handle_t* h, size_t, uv_buf_t* b) {
            *b = uv_buf_init(static_cast<Connection*>(h->data)->tcp_buffer, kReadBytes);
          },
          OnTcpRead);
    }
  }
}

void SecureTransport::OnTimeout(uv_timer_t* timer) {
  auto* c = static_cast<Connection*>(timer->data);
  SecureTransport* self = c->transport;
  if (c->closing || !c->handshaking) return;
  self->Refuse(c, "handshake not completed in time", &self->counts_.timed_out);
}

void SecureTransport::Refuse(Connection* c, const char* why, int* counter) {
  ++*counter;
  const uint64_t now = uv_now(loop_);
  if (last_refusal_log_ms_ == 0 || now - last_refusal_log_ms_ >= kRefusalLogSeconds * 1000) {
    if (refusals_unlogged_ > 0) {
      fprintf(stderr, "ledgerd: Raft peer %s refused: %s (and %d more refused since the last)\n",
              c->peer.c_str(), why, refusals_unlogged_);
    } else {
      fprintf(stderr, "ledgerd: Raft peer %s refused: %s\n", c->peer.c_str(), why);
    }
    last_refusal_log_ms_ = now == 0 ? 1 : now;
    refusals_unlogged_ = 0;
  } else {
    ++refusals_unlogged_;
  }
  Drop(c, RAFT_NOCONNECTION);
}

void SecureTransport::Finished(Connection* c) {
  uv_timer_stop(&c->timer);
  c->handshaking = false;
  --handshakes_;
  ++counts_.established;
}

void SecureTransport::Drop(Connection* c, int status) {
  if (c->closing) return;
  c->closing = true;
  c->status = status;
  if (c->handshaking) {
    c->handshaking = false;
    --handshakes_;
  }
  uv_timer_stop(&c->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), OnHandleClosed);
  if (c->local_open) uv_close(reinterpret_cast<uv_handle_t*>(&c->local), OnHandleClosed);
}

void SecureTransport::OnHandleClosed(uv_handle_t* handle) {
  auto* c = static_cast<Connection*>(handle->data);
  if (--c->handles > 0) return;
  SecureTransport* self = c->transport;
  self->connections_.erase(c);
  if (c->callback != nullptr) {
    c->callback(c->request, nullptr, self->closing_ ? RAFT_CANCELED : c->status);
  }
  delete c;
  self->MaybeClosed();
}

void SecureTransport::DoClose(raft_uv_transport* t, raft_uv_transport_close_cb cb) {
  SecureTransport* self = Of(t);
  self->closing_ = true;
  self->close_cb_ = cb;
  if (self->listening_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&self->listener_), [](uv_handle_t* handle) {
      auto* transport = static_cast<SecureTransport*>(handle->data);
      transport->listener_closed_ = true;
      transport->MaybeClosed();
    });
  } else {
    self->listener_closed_ = true;
  }
  const std::vector<Connection*> open(self->connections_.begin(), self->connections_.end());
  for (Connection* c : open) self->Drop(c, RAFT_CANCELED);
  self->MaybeClosed();
}

void SecureTransport::MaybeClosed() {
  if (!closing_ || !listener_closed_ || !connections_.empty() || close_cb_ == nullptr) return;
  const raft_uv_transport_close_cb cb = close_cb_;
  close_cb_ = nullptr;
  cb(&outer_);
}

}  // namespace ledger
