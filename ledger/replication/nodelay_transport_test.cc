// NoDelayTransport: two of them on one libuv loop connect over loopback through libraft's TCP
// handshake; both the connected and the accepted stream have TCP_NODELAY set (libraft's own
// transport leaves it off), and the transports close cleanly.
#include "ledger/replication/nodelay_transport.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace ledger {
namespace {

// A loopback port that was free a moment ago.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

int NoDelayOf(uv_stream_t* stream) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(stream), &fd) != 0) return -1;
  int value = 0;
  socklen_t size = sizeof(value);
  if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &size) != 0) return -1;
  return value;
}

struct Seen {
  int accepted_nodelay = -1;
  raft_id accepted_id = 0;
  int connected_nodelay = -1;
  int connect_status = -1;
  int closed = 0;
};
Seen* seen = nullptr;

void CloseStream(uv_stream_t* stream) {
  uv_close(reinterpret_cast<uv_handle_t*>(stream), [](uv_handle_t* handle) { raft_free(handle); });
}

TEST(NoDelayTransportTest, ConnectedAndAcceptedStreamsHaveNoDelay) {
  Seen state;
  seen = &state;
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  const std::string server_address = "127.0.0.1:" + std::to_string(FreePort());
  NoDelayTransport server, client;
  ASSERT_EQ(server.Init(&loop, server_address), 0) << server.errmsg();
  ASSERT_EQ(client.Init(&loop, ""), 0) << client.errmsg();
  raft_uv_transport* s = server.transport();
  raft_uv_transport* c = client.transport();
  ASSERT_EQ(s->init(s, 1, server_address.c_str()), 0) << s->errmsg;
  ASSERT_EQ(c->init(c, 2, "127.0.0.1:1"), 0) << c->errmsg;
  ASSERT_EQ(s->listen(s,
                      [](raft_uv_transport*, raft_id id, const char*, uv_stream_t* stream) {
                        seen->accepted_nodelay = NoDelayOf(stream);
                        seen->accepted_id = id;
                        CloseStream(stream);
                      }),
            0)
      << s->errmsg;
  raft_uv_connect request{};
  ASSERT_EQ(c->connect(c, &request, 1, server_address.c_str(),
                       [](raft_uv_connect*, uv_stream_t* stream, int status) {
                         seen->connect_status = status;
                         if (status == 0) {
                           seen->connected_nodelay = NoDelayOf(stream);
                           CloseStream(stream);
                         }
                       }),
            0)
      << c->errmsg;
  // Run until both ends have their stream (or five seconds pass).
  uv_timer_t guard;
  uv_timer_init(&loop, &guard);
  uv_timer_start(
      &guard, [](uv_timer_t* timer) { uv_stop(timer->loop); }, 5000, 0);
  uv_idle_t check;
  uv_idle_init(&loop, &check);
  uv_idle_start(&check, [](uv_idle_t* idle) {
    if (seen->accepted_id != 0 && seen->connect_status != -1) uv_stop(idle->loop);
  });
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(state.connect_status, 0);
  EXPECT_EQ(state.connected_nodelay, 1);
  EXPECT_EQ(state.accepted_id, 2u);
  EXPECT_EQ(state.accepted_nodelay, 1);
  EXPECT_EQ(client.streams_set(), 1);
  EXPECT_EQ(server.streams_set(), 1);
  // Close both transports through the wrapper; each reports closed once.
  s->close(s, [](raft_uv_transport*) { ++seen->closed; });
  c->close(c, [](raft_uv_transport*) { ++seen->closed; });
  uv_idle_stop(&check);
  uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(state.closed, 2);
  server.Release();
  client.Release();
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace ledger
