// libraft's TCP transport with TCP_NODELAY: see nodelay_transport.h.
#include "ledger/replication/nodelay_transport.h"

#include <cstring>

namespace ledger {

int NoDelayTransport::Init(uv_loop_t* loop, const std::string& bind_address) {
  inner_ = raft_uv_transport{};
  inner_.version = 1;  // The transport API version this code is written against.
  int rv = raft_uv_tcp_init(&inner_, loop);
  if (rv != 0) return rv;
  initialized_ = true;
  inner_.data = this;
  if (!bind_address.empty()) {
    rv = raft_uv_tcp_set_bind_address(&inner_, bind_address.c_str());
    if (rv != 0) return rv;
  }
  outer_ = raft_uv_transport{};
  outer_.version = 1;
  outer_.impl = this;
  outer_.init = DoInit;
  outer_.listen = DoListen;
  outer_.connect = DoConnect;
  outer_.close = DoClose;
  return 0;
}

void NoDelayTransport::Release() {
  if (initialized_) raft_uv_tcp_close(&inner_);
  initialized_ = false;
}

void NoDelayTransport::SetNoDelay(uv_stream_t* stream) {
  if (stream != nullptr && stream->type == UV_TCP &&
      uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(stream), 1) == 0) {
    ++streams_set_;
  }
}

int NoDelayTransport::DoInit(raft_uv_transport* t, raft_id id, const char* address) {
  NoDelayTransport* self = Of(t);
  const int rv = self->inner_.init(&self->inner_, id, address);
  if (rv != 0) memcpy(t->errmsg, self->inner_.errmsg, sizeof(t->errmsg));
  return rv;
}

int NoDelayTransport::DoListen(raft_uv_transport* t, raft_uv_accept_cb cb) {
  NoDelayTransport* self = Of(t);
  self->accept_cb_ = cb;
  const int rv = self->inner_.listen(&self->inner_, OnAccept);
  if (rv != 0) memcpy(t->errmsg, self->inner_.errmsg, sizeof(t->errmsg));
  return rv;
}

void NoDelayTransport::OnAccept(raft_uv_transport* inner, raft_id id, const char* address,
                                uv_stream_t* stream) {
  NoDelayTransport* self = static_cast<NoDelayTransport*>(inner->data);
  self->SetNoDelay(stream);
  self->accept_cb_(&self->outer_, id, address, stream);
}

int NoDelayTransport::DoConnect(raft_uv_transport* t, raft_uv_connect* req, raft_id id,
                                const char* address, raft_uv_connect_cb cb) {
  NoDelayTransport* self = Of(t);
  auto* connect = new Connect{raft_uv_connect{}, req, cb, self};
  connect->inner.data = connect;
  const int rv = self->inner_.connect(&self->inner_, &connect->inner, id, address, OnConnect);
  if (rv != 0) {
    memcpy(t->errmsg, self->inner_.errmsg, sizeof(t->errmsg));
    delete connect;
  }
  return rv;
}

void NoDelayTransport::OnConnect(raft_uv_connect* req, uv_stream_t* stream, int status) {
  Connect* connect = static_cast<Connect*>(req->data);
  if (status == 0) connect->self->SetNoDelay(stream);
  raft_uv_connect* outer = connect->outer;
  const raft_uv_connect_cb cb = connect->cb;
  delete connect;
  cb(outer, stream, status);
}

void NoDelayTransport::DoClose(raft_uv_transport* t, raft_uv_transport_close_cb cb) {
  NoDelayTransport* self = Of(t);
  self->close_cb_ = cb;
  self->inner_.close(&self->inner_, OnClosed);
}

void NoDelayTransport::OnClosed(raft_uv_transport* inner) {
  NoDelayTransport* self = static_cast<NoDelayTransport*>(inner->data);
  if (self->close_cb_ != nullptr) self->close_cb_(&self->outer_);
}

}  // namespace ledger
