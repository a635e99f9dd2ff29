// Raft peers are authenticated and encrypted (--raft_key_file;
// ledger/replication/secure_transport.h).
//
// Three ledgerd on loopback share a cluster secret; node 3's Raft listener sits behind a relay in
// this test that records every byte the others send it. Then:
// - an injector speaks libraft 0.22's own plaintext protocol to every node: its handshake and a
//   RequestVote with a term 1000 higher that asks to disrupt the leader (on plaintext peers every
//   node takes the term and the leader steps down); each connection is closed at once;
// - a rogue ledgerd with another key and the same peers (plus itself) campaigns for a while; it is
//   refused, never becomes a member, and the cluster's term and leader do not move;
// - the cluster keeps taking writes, and a transfer id written while the relay records does not
//   appear in the recorded bytes, while the nodes converge.
// The control: node 3's own Raft log segments (the entries it was sent) hold the id in the clear.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/client/client.h"
#include "proto/ledger.pb.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "tests/raft_key.h"

namespace ledger {
namespace {

using testing::LedgerProcess;
using testing::MakeTempDir;

int Port(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

int Dial(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &to.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Forwards connections from `listen` to `target` (HOST:PORT), recording what flows towards the
// target.
class Relay {
 public:
  Relay(const std::string& listen, const std::string& target) : target_(target) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(Port(listen)));
    inet_pton(AF_INET, listen.substr(0, listen.rfind(':')).c_str(), &address.sin_addr);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ::listen(listener_, 16);
    thread_ = std::thread([this] { Run(); });
  }
  ~Relay() {
    stop_ = true;
    thread_.join();
    close(listener_);
  }
  std::string recorded() {
    std::lock_guard<std::mutex> lock(mutex_);
    return recorded_;
  }

 private:
  void Run() {
    std::vector<std::pair<int, int>> pairs;  // (from the dialler, to the target)
    while (!stop_) {
      std::vector<pollfd> fds = {{listener_, POLLIN, 0}};
      for (auto [a, b] : pairs) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), 100) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int in = accept(listener_, nullptr, nullptr);
        const int out = Dial(target_.substr(0, target_.rfind(':')), Port(target_));
        if (in >= 0 && out >= 0) pairs.push_back({in, out});
      }
      std::vector<std::pair<int, int>> open;
      for (size_t k = 0; k < pairs.size(); ++k) {
        bool alive = Pump(fds[1 + 2 * k], pairs[k].first, pairs[k].second, true) &&
                     Pump(fds[2 + 2 * k], pairs[k].second, pairs[k].first, false);
        if (alive) {
          open.push_back(pairs[k]);
        } else {
          close(pairs[k].first);
          close(pairs[k].second);
        }
      }
      pairs = open;
    }
    for (auto [a, b] : pairs) {
      close(a);
      close(b);
    }
  }
  bool Pump(const pollfd& polled, int from, int to, bool record) {
    if ((polled.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return true;
    char buffer[65536];
    const ssize_t got = read(from, buffer, sizeof(buffer));
    if (got <= 0) return false;
    if (record) {
      std::lock_guard<std::mutex> lock(mutex_);
      recorded_.append(buffer, static_cast<size_t>(got));
    }
    for (ssize_t sent = 0; sent < got;) {
      const ssize_t n = send(to, buffer + sent, static_cast<size_t>(got - sent), MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += n;
    }
    return true;
  }

  int listener_ = -1;
  std::string target_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::string recorded_;
};

// Three nodes; node 3 listens behind a relay at the address the peers dial: 127.0.0.3:P relays to
// its listener on 127.0.0.2:P.
class Cluster {
 public:
  explicit Cluster(const std::string& name, bool plaintext) : root_(MakeTempDir(name)) {
    for (int i = 0; i < 3; ++i) {
      grpc_[i] = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
      raft_[i] = absl::StrCat(i == 2 ? "127.0.0.3:" : "127.0.0.1:", testing::FreeLoopbackPort());
      operator_[i] = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
      absl::StrAppend(&peers_, i ? "," : "", i + 1, "=", raft_[i], "/", grpc_[i], "/",
                      operator_[i]);
      absl::StrAppend(&addresses_, i ? "," : "", grpc_[i]);
      absl::StrAppend(&operator_addresses_, i ? "," : "", operator_[i]);
    }
    hidden_ = absl::StrCat("127.0.0.2:", Port(raft_[2]));
    relay_ = std::make_unique<Relay>(raft_[2], hidden_);
    credentials_ = plaintext ? "--raft_plaintext" : testing::RaftKeyFlag(root_);
  }
  absl::Status Start() {
    for (int i = 0; i < 3; ++i) {
      std::vector<std::string> flags = {absl::StrCat("--raft_id=", i + 1), "--peers=" + peers_,
                                        "--operator_listen=" + operator_[i], credentials_};
      if (i == 2) flags.push_back("--raft_bind=" + hidden_);
      absl::Status started =
          nodes_[i].StartNode(absl::StrCat(root_, "/node", i + 1), grpc_[i], flags);
      if (!started.ok()) return started;
    }
    return absl::OkStatus();
  }
  std::optional<v1::ClusterStatusReply> Status(int i) {
    LedgerConnection node(grpc_[i], operator_[i], testing::TestTransport());
    v1::ClusterStatusReply reply;
    if (!node.cluster()
             .Status(ContextWithDeadline(std::chrono::seconds(2)).get(), v1::ClusterStatusRequest(),
                     &reply)
             .ok()) {
      return std::nullopt;
    }
    return reply;
  }
  // The leader's status once one is known, within 30 s.
  std::optional<v1::ClusterStatusReply> WaitForLeader() {
    for (int round = 0; round < 300; ++round) {
      for (int i = 0; i < 3; ++i) {
        std::optional<v1::ClusterStatusReply> status = Status(i);
        if (status && status->role() == "leader") return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
  }
  bool Converged() {
    for (int round = 0; round < 60; ++round) {
      std::set<uint64_t> journals;
      for (int i = 0; i < 3; ++i) {
        std::optional<v1::ClusterStatusReply> status = Status(i);
        journals.insert(status ? status->journal_index() : 1000000 + i);
      }
      if (journals.size() == 1) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    for (int i = 0; i < 3; ++i) {  // What a failed wait leaves behind.
      std::optional<v1::ClusterStatusReply> status = Status(i);
      std::printf("node %d: %s\n%s\n", i + 1,
                  status ? status->ShortDebugString().c_str() : "no status", Log(i).c_str());
    }
    return false;
  }
  // Writes the town (again: ids make it idempotent) and then a transfer with id (high, low); true
  // when every write was accepted.
  bool Write(uint64_t high, uint64_t low) {
    LedgerConnection connection(addresses_, operator_addresses_, testing::TestTransport());
    const testing::Town town = testing::MakeTown(1, 100, 4, 1000);
    v1::CreateReply reply;
    auto ok = [&](auto rpc) { return connection.Call(rpc).ok(); };
    if (!ok([&](LedgerConnection& c) {
          return c.ledger().CreateAssets(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                         town.assets, &reply);
        }) ||
        !ok([&](LedgerConnection& c) {
          return c.ledger().CreateAccounts(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                           town.accounts, &reply);
        }) ||
        !ok([&](LedgerConnection& c) {
          return c.ledger().CreateTransfers(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                            town.funding, &reply);
        })) {
      return false;
    }
    v1::CreateTransfersRequest marked;
    *marked.add_transfers() = testing::MakeTransfer(high, low, 100, 101, 7);
    return ok([&](LedgerConnection& c) {
             return c.ledger().CreateTransfers(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                               marked, &reply);
           }) &&
           reply.results_size() == 1 && reply.results(0).result() == v1::OK;
  }
  std::string Log(int i) {
    std::ifstream in(nodes_[i].log_path());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string root_, peers_, addresses_, operator_addresses_, hidden_, credentials_;
  std::string grpc_[3], raft_[3], operator_[3];
  std::unique_ptr<Relay> relay_;
  LedgerProcess nodes_[3];
};

constexpr uint64_t kMarkerHigh = 0x5241465453454321;  // "RAFTSEC!"
constexpr uint64_t kMarkerLow = 0x4D41524B45524944;   // "MARKERID"

// The id's high half in either byte order ("RAFTSEC!" or "!CESTFAR"), however an encoding lays out
// the id.
bool RecordedHoldsMarker(const std::string& recorded) {
  return recorded.find("RAFTSEC!") != std::string::npos ||
         recorded.find("!CESTFAR") != std::string::npos;
}

// libraft 0.22's plaintext handshake (protocol 1, id, padded address) and a RequestVote (type 3)
// for `term` that asks to disrupt the leader. Returns whether the node closed the connection
// within 3 s (it stays open on a plaintext peer).
bool InjectRequestVote(const std::string& raft_address, uint64_t term) {
  std::string bytes;
  auto put64 = [&](uint64_t value) {
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(value >> (8 * i)));
  };
  const std::string address("127.0.0.1:9\0\0\0\0\0", 16);
  put64(1);
  put64(9);
  put64(address.size());
  bytes += address;
  put64(3);        // RAFT_IO_REQUEST_VOTE
  put64(5 * 8);    // Its size.
  put64(term);     // Term.
  put64(9);        // Candidate id.
  put64(1 << 30);  // Last log index.
  put64(term);     // Last log term.
  put64(1);        // Flags: disrupt the leader.
  const int fd = Dial(raft_address.substr(0, raft_address.rfind(':')), Port(raft_address));
  if (fd < 0) return false;
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  char buffer[256];
  ssize_t got;
  while ((got = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
  }
  const bool closed = got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  close(fd);
  return closed;
}

TEST(RaftSecurityTest, RoguePeersAreRefusedAndTheWireIsUnreadable) {
  // LEDGER_RAFT_PLAINTEXT=1 runs the same test on --raft_plaintext nodes (libraft's own transport,
  // as before --raft_key_file existed), to see it fail there.
  Cluster cluster("raft_security", testing::EnvOr("LEDGER_RAFT_PLAINTEXT", 0) != 0);
  ASSERT_TRUE(cluster.Start().ok());
  std::optional<v1::ClusterStatusReply> before = cluster.WaitForLeader();
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE(cluster.Write(kMarkerHigh, kMarkerLow));

  // libraft's own protocol, with a term far ahead: refused by every node.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(InjectRequestVote(cluster.raft_[i], before->term() + 1000)) << "node " << i + 1;
  }
  // A ledgerd with another key, the same peers and itself, bootstrapping a 4-member configuration.
  const std::string rogue_dir = MakeTempDir("raft_rogue");
  const std::string rogue_grpc = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
  const std::string rogue_raft = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
  // It serves TLS with a node certificate of the cluster's own CA (node-4): only the Raft key is
  // missing.
  LedgerProcess rogue;
  ASSERT_TRUE(
      rogue
          .StartNode(rogue_dir + "/node", rogue_grpc,
                     {"--raft_id=4",
                      absl::StrCat("--peers=", cluster.peers_, ",4=", rogue_raft, "/", rogue_grpc),
                      "--initial_members=1,2,3,4", testing::RaftKeyFlag(rogue_dir)})
          .ok());
  std::this_thread::sleep_for(std::chrono::seconds(4));  // Several election timeouts.

  std::optional<v1::ClusterStatusReply> after = cluster.WaitForLeader();
  ASSERT_TRUE(after.has_value());
  EXPECT_LT(after->term(), before->term() + 1000) << "an injected term was taken";
  EXPECT_EQ(after->leader_id(), before->leader_id());
  std::set<uint64_t> members;
  for (const v1::ClusterMember& member : after->members()) members.insert(member.id());
  EXPECT_EQ(members, (std::set<uint64_t>{1, 2, 3}));
  int refusals = 0;
  for (int i = 0; i < 3; ++i) {
    refusals += cluster.Log(i).find("Raft peer") != std::string::npos &&
                cluster.Log(i).find("refused") != std::string::npos;
  }
  EXPECT_EQ(refusals, 3) << "every node logs a refused peer";
  rogue.Stop();

  // Still taking writes; the followers converge; node 3 got the log only in ciphertext.
  ASSERT_TRUE(cluster.Write(kMarkerHigh, kMarkerLow + 1));
  EXPECT_TRUE(cluster.Converged());
  const std::string recorded = cluster.relay_->recorded();
  EXPECT_GT(recorded.size(), 1000u);
  EXPECT_FALSE(RecordedHoldsMarker(recorded));
  EXPECT_EQ(recorded.find("COIN"), std::string::npos);  // The asset's code.
  // The control: the entries libraft sent node 3 hold the id in the clear (its log segments on
  // disk are those bytes), so the check above can fail.
  std::string segments;
  for (const auto& file : std::filesystem::directory_iterator(cluster.root_ + "/node3/raft")) {
    std::ifstream in(file.path(), std::ios::binary);
    segments.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_TRUE(RecordedHoldsMarker(segments));
}

// ledgerd refuses to start a Raft node without credentials, with a key file others may read, and
// plaintext on a non-loopback address.
TEST(RaftSecurityTest, RefusesToStartWithoutGoodCredentials) {
  const std::string dir = MakeTempDir("raft_flags");
  const std::string grpc = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
  const std::string peers =
      absl::StrCat("--peers=1=127.0.0.1:", testing::FreeLoopbackPort(), "/", grpc);
  const std::string open_key = testing::RaftKeyFlag(dir);
  chmod(open_key.substr(open_key.find('=') + 1).c_str(), 0644);
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--raft_id=1", peers}, "--raft_key_file"},
      {{"--raft_id=1", peers, open_key}, "group and others must have no access"},
      {{"--raft_id=1", peers, "--raft_key_file=" + dir + "/missing.key"}, "--raft_key_file"},
      {{"--raft_id=1", "--peers=1=127.0.0.1:7/" + grpc + ",2=10.1.2.3:7501/10.1.2.3:7400",
        "--raft_plaintext"},
       "is not loopback"},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    LedgerProcess node;
    const absl::Status started = node.StartNode(absl::StrCat(dir, "/case", k), grpc, cases[k].flags,
                                                std::chrono::seconds(10));
    EXPECT_FALSE(started.ok()) << "case " << k;
    std::ifstream in(absl::StrCat(dir, "/case", k, ".log"));
    std::stringstream log;
    log << in.rdbuf();
    EXPECT_NE(log.str().find(cases[k].message), std::string::npos)
        << "case " << k << ": " << log.str();
  }
}

}  // namespace
}  // namespace ledger
