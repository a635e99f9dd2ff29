// SecureTransport on one libuv loop, driven as libraft drives a transport: a node with the cluster
// secret connects and the bytes its stream writes come out of the accepted stream (with its raft id
// and address); a node with another secret, libraft's own plaintext handshake, a tampered frame
// after a good handshake and a handshake that stalls are each closed, and libraft never sees them.
#include "ledger/replication/secure_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace ledger {
namespace {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

RaftSecret Secret(unsigned char fill) {
  RaftSecret secret;
  secret.fill(fill);
  return secret;
}

// What libraft saw.
struct Seen {
  raft_id accepted_id = 0;
  std::string accepted_address;
  uv_stream_t* accepted = nullptr;
  std::string received;
  bool accepted_eof = false;
  int connect_status = -1;
  uv_stream_t* connected = nullptr;
  int closed = 0;
};
Seen* seen = nullptr;

void ReadAccepted(uv_stream_t* stream) {
  uv_read_start(
      stream,
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static char buffer[65536];
        *buf = uv_buf_init(buffer, sizeof(buffer));
      },
      [](uv_stream_t*, ssize_t size, const uv_buf_t* buf) {
        if (size < 0) seen->accepted_eof = true;
        if (size > 0) seen->received.append(buf->base, static_cast<size_t>(size));
      });
}

void CloseStream(uv_stream_t* stream) {
  uv_close(reinterpret_cast<uv_handle_t*>(stream), [](uv_handle_t* handle) { raft_free(handle); });
}

class SecureTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    seen = &seen_;
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    address_ = "127.0.0.1:" + std::to_string(FreePort());
  }

  // A listening server transport with `secret`.
  void Listen(const RaftSecret& secret,
              unsigned timeout_ms = SecureTransport::kHandshakeTimeoutMs) {
    ASSERT_EQ(server_.Init(&loop_, address_, secret, timeout_ms), 0);
    raft_uv_transport* s = server_.transport();
    ASSERT_EQ(s->init(s, 1, address_.c_str()), 0);
    ASSERT_EQ(
        s->listen(s,
                  [](raft_uv_transport*, raft_id id, const char* address, uv_stream_t* stream) {
                    seen->accepted_id = id;
                    seen->accepted_address = address;
                    seen->accepted = stream;
                    ReadAccepted(stream);
                  }),
        0)
        << s->errmsg;
  }

  void Connect(const RaftSecret& secret) {
    ASSERT_EQ(client_.Init(&loop_, "", secret), 0);
    raft_uv_transport* c = client_.transport();
    ASSERT_EQ(c->init(c, 2, "127.0.0.1:2"), 0);
    ASSERT_EQ(c->connect(c, &request_, 1, address_.c_str(),
                         [](raft_uv_connect*, uv_stream_t* stream, int status) {
                           seen->connect_status = status;
                           seen->connected = stream;
                         }),
              0);
  }

  bool RunUntil(const std::function<bool()>& done, int ms = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      usleep(500);
    }
    return done();
  }

  void TearDown() override {
    if (seen_.accepted != nullptr) CloseStream(seen_.accepted);
    if (seen_.connected != nullptr) CloseStream(seen_.connected);
    raft_uv_transport* s = server_.transport();
    raft_uv_transport* c = client_.transport();
    if (s->close != nullptr) s->close(s, [](raft_uv_transport*) { ++seen->closed; });
    if (c->close != nullptr) c->close(c, [](raft_uv_transport*) { ++seen->closed; });
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(seen_.closed, (s->close != nullptr) + (c->close != nullptr));
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  uv_loop_t loop_;
  std::string address_;
  SecureTransport server_, client_;
  raft_uv_connect request_{};
  Seen seen_;
};

TEST_F(SecureTransportTest, SameSecretConnectsAndCarriesBytes) {
  Listen(Secret(7));
  Connect(Secret(7));
  ASSERT_TRUE(RunUntil([&] { return seen_.connect_status != -1 && seen_.accepted != nullptr; }));
  ASSERT_EQ(seen_.connect_status, 0);
  EXPECT_EQ(seen_.accepted_id, 2u);
  EXPECT_EQ(seen_.accepted_address, "127.0.0.1:2");
  // A message bigger than a frame and than the socket buffers.
  static std::string message(1 << 20, '\0');
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>(i % 251);
  static uv_write_t write;
  uv_buf_t buf = uv_buf_init(message.data(), message.size());
  ASSERT_EQ(uv_write(&write, seen_.connected, &buf, 1, nullptr), 0);
  ASSERT_TRUE(RunUntil([&] { return seen_.received.size() >= message.size(); }));
  EXPECT_TRUE(seen_.received == message);
  EXPECT_EQ(server_.counts().established, 1);
  EXPECT_EQ(client_.counts().established, 1);
  EXPECT_EQ(server_.counts().nodelay, 1);
  EXPECT_EQ(client_.counts().nodelay, 1);
  // libraft closing its end closes the connection; the other side sees end of stream.
  CloseStream(seen_.connected);
  seen_.connected = nullptr;
  EXPECT_TRUE(RunUntil([&] { return seen_.accepted_eof; }));
}

TEST_F(SecureTransportTest, WrongSecretIsRefusedAndLibraftNeverSeesIt) {
  Listen(Secret(7));
  Connect(Secret(9));
  ASSERT_TRUE(RunUntil([&] { return seen_.connect_status != -1; }));
  EXPECT_EQ(seen_.connect_status, RAFT_NOCONNECTION);
  EXPECT_TRUE(RunUntil([&] { return server_.counts().refused == 1; }));
  EXPECT_EQ(seen_.accepted, nullptr);
  EXPECT_EQ(server_.counts().established, 0);
}

// A raw TCP client on a thread of its own: sends `first`, then (when `handshake`) finishes the
// handshake with `secret`, sends its hello frame, then `after` sealed (tampered when asked).
// Returns once the server closed the connection, or after 2 s of silence.
struct RawPeer {
  std::string first;
  bool handshake = false;
  RaftSecret secret{};
  std::string after;
  bool tamper = false;
  bool closed_by_server = false;

  void Run(const std::string& address) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) return;
    SecureChannel channel(SecureChannel::Role::kClient, secret);
    std::string out = handshake ? channel.hello() : first;
    send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    char buffer[4096];
    std::string plain;
    while (true) {
      const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
      if (got == 0 || (got < 0 && errno != EAGAIN)) {
        closed_by_server = true;
        break;
      }
      if (got < 0) break;  // Timed out: the server kept the connection.
      std::string reply;
      if (!handshake || !channel.Receive(buffer, static_cast<size_t>(got), &reply, &plain).ok())
        continue;
      if (!channel.established()) {
        send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        continue;
      }
      std::string hello =
          std::string(7, '\0') + "\x03" + std::string(1, '\0') + "\x0b" + "127.0.0.1:3";
      channel.Seal(hello.data(), hello.size(), &reply);
      std::string sealed;
      channel.Seal(after.data(), after.size(), &sealed);
      if (tamper) sealed[sealed.size() - 1] ^= 0x20;
      send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // After the handshake ends.
      send(fd, sealed.data(), sealed.size(), MSG_NOSIGNAL);
      handshake = false;  // Done: wait for the server's verdict.
    }
    close(fd);
  }
};

TEST_F(SecureTransportTest, LibraftPlaintextHandshakeIsRefused) {
  Listen(Secret(7));
  RawPeer peer;
  // libraft 0.22's own first message: protocol 1, id 3, address length 16, the address.
  peer.first = std::string("\x01\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0\x10\0\0\0\0\0\0\0", 24) +
               std::string("127.0.0.1:7503\0\0", 16) + std::string(100, 'P');
  std::thread thread([&] { peer.Run(address_); });
  RunUntil([&] { return server_.counts().refused == 1 && peer.closed_by_server; });
  thread.join();
  EXPECT_TRUE(peer.closed_by_server);
  EXPECT_EQ(server_.counts().refused, 1);
  EXPECT_EQ(seen_.accepted, nullptr);
}

TEST_F(SecureTransportTest, TamperedFrameClosesTheConnection) {
  Listen(Secret(7));
  RawPeer peer;
  peer.handshake = true;
  peer.secret = Secret(7);
  peer.after = "AppendEntries: transfer 100 to acct-raftsec";
  peer.tamper = true;
  std::thread thread([&] { peer.Run(address_); });
  RunUntil([&] { return server_.counts().broken == 1 && peer.closed_by_server; });
  thread.join();
  EXPECT_TRUE(peer.closed_by_server);
  EXPECT_EQ(server_.counts().broken, 1);
  // libraft saw the peer (a good handshake) but none of the tampered bytes, then end of stream.
  EXPECT_EQ(seen_.accepted_id, 3u);
  EXPECT_TRUE(RunUntil([&] { return seen_.accepted_eof; }));
  EXPECT_EQ(seen_.received, "");
}

TEST_F(SecureTransportTest, UntamperedFrameFromTheSameRawPeerArrives) {
  // The control for the test above: the same peer without the flipped bit is carried through.
  Listen(Secret(7));
  RawPeer peer;
  peer.handshake = true;
  peer.secret = Secret(7);
  peer.after = "AppendEntries: transfer 100 to acct-raftsec";
  std::thread thread([&] { peer.Run(address_); });
  EXPECT_TRUE(RunUntil([&] { return seen_.received == peer.after; }, 7000));
  thread.join();
  EXPECT_EQ(server_.counts().broken, 0);
}

TEST_F(SecureTransportTest, StalledHandshakeTimesOut) {
  Listen(Secret(7), 300);
  RawPeer peer;
  peer.first = std::string(1, static_cast<char>(SecureChannel::kVersion)) + "half a hello";
  std::thread thread([&] { peer.Run(address_); });
  RunUntil([&] { return server_.counts().timed_out == 1 && peer.closed_by_server; });
  thread.join();
  EXPECT_TRUE(peer.closed_by_server);
  EXPECT_EQ(server_.counts().timed_out, 1);
  EXPECT_EQ(seen_.accepted, nullptr);
}

}  // namespace
}  // namespace ledger
