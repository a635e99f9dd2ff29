// SecureChannel: two ends with the same cluster secret finish the handshake and round-trip bytes
// both ways; a wrong secret, a plaintext libraft peer, a tampered, replayed or oversized frame each
// fail; ReadRaftKeyFile refuses missing, malformed and group/other-readable files.
#include "ledger/replication/secure_channel.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "ledger/core/limits.h"

namespace ledger {
namespace {

RaftSecret Secret(unsigned char fill) {
  RaftSecret secret;
  secret.fill(fill);
  return secret;
}

// Runs the handshake between two channels; true when both are established.
bool Handshake(SecureChannel& client, SecureChannel& server) {
  std::string to_server = client.hello(), to_client = server.hello(), plain;
  for (int round = 0; round < 3; ++round) {
    std::string back_to_client, back_to_server;
    if (!server.Receive(to_server.data(), to_server.size(), &back_to_client, &plain).ok())
      return false;
    if (!client.Receive(to_client.data(), to_client.size(), &back_to_server, &plain).ok())
      return false;
    to_server = back_to_server;
    to_client = back_to_client;
  }
  return client.established() && server.established() && plain.empty();
}

TEST(SecureChannelTest, SameSecretRoundTripsBytesBothWays) {
  SecureChannel client(SecureChannel::Role::kClient, Secret(7));
  SecureChannel server(SecureChannel::Role::kServer, Secret(7));
  ASSERT_TRUE(Handshake(client, server));
  std::string message(3 * kRaftFrameBytesMax + 17, 'x');
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>(i * 31);
  std::string wire, to_peer, plain;
  client.Seal(message.data(), message.size(), &wire);
  EXPECT_EQ(wire.find("\x1f\x3e\x5d"), std::string::npos) << "plaintext visible on the wire";
  // Byte by byte, as TCP may deliver it.
  for (char byte : wire) ASSERT_TRUE(server.Receive(&byte, 1, &to_peer, &plain).ok());
  EXPECT_EQ(plain, message);
  wire.clear();
  plain.clear();
  server.Seal("reply", 5, &wire);
  ASSERT_TRUE(client.Receive(wire.data(), wire.size(), &to_peer, &plain).ok());
  EXPECT_EQ(plain, "reply");
  EXPECT_TRUE(to_peer.empty());
}

TEST(SecureChannelTest, WrongSecretIsRefusedOnBothSides) {
  SecureChannel client(SecureChannel::Role::kClient, Secret(7));
  SecureChannel server(SecureChannel::Role::kServer, Secret(8));
  EXPECT_FALSE(Handshake(client, server));
  EXPECT_FALSE(server.established());
  EXPECT_EQ(server.failure(), SecureChannel::Failure::kProof);
}

TEST(SecureChannelTest, ReflectedProofIsRefused) {
  // A peer that echoes the server's own hello and proof back does not pass as a client.
  SecureChannel server(SecureChannel::Role::kServer, Secret(7));
  std::string to_client, plain;
  const std::string hello = server.hello();
  ASSERT_TRUE(server.Receive(hello.data(), hello.size(), &to_client, &plain).ok());
  EXPECT_FALSE(server.Receive(to_client.data(), to_client.size(), &to_client, &plain).ok());
  EXPECT_EQ(server.failure(), SecureChannel::Failure::kProof);
}

TEST(SecureChannelTest, LibraftPlaintextHandshakeIsRefused) {
  // What libraft 0.22's TCP transport sends first: protocol 1, server id, address length, address.
  std::string raw(24, '\0');
  raw[0] = 1;
  raw[8] = 4;
  raw[16] = 16;
  raw += std::string("127.0.0.1:7501\0\0", 16);
  raw += std::string(64, 'A');
  SecureChannel server(SecureChannel::Role::kServer, Secret(7));
  std::string to_peer, plain;
  EXPECT_FALSE(server.Receive(raw.data(), raw.size(), &to_peer, &plain).ok());
  EXPECT_FALSE(server.established());
  EXPECT_TRUE(plain.empty());
}

TEST(SecureChannelTest, TamperedFrameFailsAndStaysFailed) {
  SecureChannel client(SecureChannel::Role::kClient, Secret(7));
  SecureChannel server(SecureChannel::Role::kServer, Secret(7));
  ASSERT_TRUE(Handshake(client, server));
  std::string wire, to_peer, plain;
  client.Seal("transfer 100", 12, &wire);
  wire[wire.size() - 3] ^= 1;
  EXPECT_FALSE(server.Receive(wire.data(), wire.size(), &to_peer, &plain).ok());
  EXPECT_EQ(server.failure(), SecureChannel::Failure::kDecrypt);
  EXPECT_TRUE(plain.empty());
  std::string good;
  client.Seal("again", 5, &good);
  EXPECT_FALSE(server.Receive(good.data(), good.size(), &to_peer, &plain).ok());
  EXPECT_TRUE(plain.empty());
}

TEST(SecureChannelTest, ReplayedFrameFails) {
  SecureChannel client(SecureChannel::Role::kClient, Secret(7));
  SecureChannel server(SecureChannel::Role::kServer, Secret(7));
  ASSERT_TRUE(Handshake(client, server));
  std::string wire, to_peer, plain;
  client.Seal("once", 4, &wire);
  ASSERT_TRUE(server.Receive(wire.data(), wire.size(), &to_peer, &plain).ok());
  EXPECT_FALSE(server.Receive(wire.data(), wire.size(), &to_peer, &plain).ok());
  EXPECT_EQ(plain, "once");
}

TEST(SecureChannelTest, OversizedFrameIsRefusedBeforeItArrives) {
  SecureChannel client(SecureChannel::Role::kClient, Secret(7));
  SecureChannel server(SecureChannel::Role::kServer, Secret(7));
  ASSERT_TRUE(Handshake(client, server));
  const size_t length = kRaftFrameBytesMax + crypto_secretstream_xchacha20poly1305_ABYTES + 1;
  std::string head = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                      static_cast<char>(length >> 8), static_cast<char>(length)};
  std::string to_peer, plain;
  EXPECT_FALSE(server.Receive(head.data(), head.size(), &to_peer, &plain).ok());
  EXPECT_EQ(server.failure(), SecureChannel::Failure::kFrameLength);
}

std::string WriteFile(const std::string& name, const std::string& text, mode_t mode) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
  return path;
}

TEST(RaftKeyFileTest, ReadsAGoodFileAndRefusesBadOnes) {
  const std::string text = NewRaftKeyText();
  ASSERT_EQ(text.size(), 65u);
  absl::StatusOr<RaftSecret> good = ReadRaftKeyFile(WriteFile("good", text, 0600));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_NE(*good, Secret(0));
  absl::StatusOr<RaftSecret> open = ReadRaftKeyFile(WriteFile("open", text, 0640));
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("--raft_key_file"), std::string::npos);
  EXPECT_NE(open.status().message().find("0640"), std::string::npos);
  EXPECT_FALSE(ReadRaftKeyFile(WriteFile("short", text.substr(0, 40), 0600)).ok());
  EXPECT_FALSE(ReadRaftKeyFile(WriteFile("nothex", std::string(64, 'g'), 0600)).ok());
  EXPECT_FALSE(ReadRaftKeyFile(WriteFile("long", std::string(4096, 'a'), 0600)).ok());
  absl::StatusOr<RaftSecret> missing = ReadRaftKeyFile("/nonexistent/raft.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--raft_key_file"), std::string::npos);
}

TEST(RaftKeyFileTest, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackHostPort("127.0.0.1:7501"));
  EXPECT_TRUE(IsLoopbackHostPort("127.3.2.1:1"));
  EXPECT_TRUE(IsLoopbackHostPort("localhost:7501"));
  EXPECT_TRUE(IsLoopbackHostPort("[::1]:7501"));
  EXPECT_FALSE(IsLoopbackHostPort("10.0.0.1:7501"));
  EXPECT_FALSE(IsLoopbackHostPort("0.0.0.0:7501"));
  EXPECT_FALSE(IsLoopbackHostPort("127.0.0.1.evil.example:7501"));
  EXPECT_FALSE(IsLoopbackHostPort("node1:7501"));
  EXPECT_FALSE(IsLoopbackHostPort("7501"));
}

}  // namespace
}  // namespace ledger
