// Per-service health, reflection v1 beside v1alpha, and unreadable requests, on real ledgerd
// processes (ledger/server/serving.h, reflection_v1.h, unreadable_request.h):
//  - EveryServiceReportsServing: "" and each ledger.v1 service SERVING on a single node; Cluster
//  unknown.
//  - AFullDiskTurnsEveryServiceNotServing: --fault_fail_writes_after_bytes makes RocksDB writes
//  fail as on
//    a full disk; the node refuses writes (UNAVAILABLE naming the disk), keeps running, and a
//    Health/Watch stream opened before sees SERVING turn NOT_SERVING.
//  - ReflectionV1AndV1alphaAgree: list_services and file_containing_symbol ledger.v1.Pos through
//  both.
//  - UnreadableBytesToEveryMethodAreInvalidArgument: every method of every service in
//  proto/ledger.proto
//    (from the descriptor pool) answers bytes that are not its request INVALID_ARGUMENT naming the
//    type.
//  - ClusterWithoutMajorityIsNotServing: on a 3-node Raft cluster every node reports every service
//    (Cluster too) SERVING; two nodes killed, the survivor turns NOT_SERVING within seconds; the
//    two restarted, it serves again.
//  - AReplicaWithAFullDiskStopsAndTheClusterGoesOn: node 3's RocksDB writes fail as on a full disk;
//  it
//    stops applying, reports NOT_SERVING, refuses calls naming the failure and keeps running; the
//    other two go on serving and committing.
//  - ASkewedLeaderIsNotServing: node 1's clock is 30 s ahead (--fault_clock_offset_ms); leading, it
//  cannot
//    stamp (the voters' clocks disagree) and reports NOT_SERVING; the followers, which know it
//    leads, report SERVING (they answer with the leader's address); once node 2 leads, node 1
//    serves again.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>

#include <chrono>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "proto/ledger.grpc.pb.h"
#include "proto/reflection_v1.grpc.pb.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "tests/raft_key.h"

namespace ledger {
namespace {

using testing::LedgerProcess;
using testing::MakeTempDir;
namespace refl = grpc::reflection::v1;

constexpr auto kTimeout = std::chrono::seconds(10);
const char* const kNames[] = {"", "ledger.v1.Ledger", "ledger.v1.Pos", "ledger.v1.Wallet",
                              "ledger.v1.Health"};

std::string ToString(const grpc::ByteBuffer& buffer) {
  grpc::Slice slice;
  if (buffer.Length() == 0 || !buffer.DumpToSingleSlice(&slice).ok()) return "";
  return std::string(reinterpret_cast<const char*>(slice.begin()), slice.size());
}

// One unary call of raw bytes: the status and the reply's bytes.
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& path,
                     const std::string& bytes, std::string* reply, const std::string& token = "") {
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kTimeout);
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                    [&](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  if (reply != nullptr) *reply = ToString(response);
  return status;
}

// HealthCheckRequest{service}: field 1, length-delimited.
std::string HealthRequest(const std::string& service) {
  return service.empty()
             ? ""
             : absl::StrCat("\x0a", std::string(1, static_cast<char>(service.size())), service);
}

// grpc.health.v1.Health/Check: "SERVING", "NOT_SERVING", or the call's error ("NOT_FOUND ...").
std::string HealthOf(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  std::string reply;
  grpc::Status status =
      RawCall(channel, "/grpc.health.v1.Health/Check", HealthRequest(service), &reply);
  if (!status.ok())
    return absl::StrCat(
        status.error_code() == grpc::StatusCode::NOT_FOUND ? "NOT_FOUND " : "ERROR ",
        status.error_message());
  if (reply == std::string("\x08\x01", 2)) return "SERVING";
  if (reply == std::string("\x08\x02", 2)) return "NOT_SERVING";
  return "UNEXPECTED " + reply;
}

// The public services of the node at `address`, over TLS with the test CA.
std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return PublicChannel(address, testing::TestTransport());
}

// Polls every name on `address` until all read `want` or `timeout` passes; the last readings.
std::string WaitForAll(const std::string& address, const std::vector<std::string>& names,
                       const std::string& want, std::chrono::milliseconds timeout) {
  auto channel = Channel(address);
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  std::string seen;
  do {
    seen.clear();
    bool all = true;
    for (const std::string& name : names) {
      const std::string health = HealthOf(channel, name);
      absl::StrAppend(&seen, "\"", name, "\": ", health, "; ");
      all = all && health == want;
    }
    if (all) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < give_up);
  return seen;
}

class ServingE2eTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    dir_ = MakeTempDir("serving");
    absl::Status started =
        flags.empty()
            ? server_.Start(dir_ + "/node")
            : server_.StartNode(dir_ + "/node",
                                absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort()), flags);
    ASSERT_TRUE(started.ok()) << started;
    channel_ = Channel(server_.address());
  }
  std::string dir_;
  LedgerProcess server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ServingE2eTest, EveryServiceReportsServing) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (const char* name : kNames)
    EXPECT_EQ(HealthOf(channel_, name), "SERVING") << "\"" << name << "\"";
  EXPECT_EQ(HealthOf(channel_, "ledger.v1.Cluster").rfind("NOT_FOUND", 0), 0u)
      << "single node: no Cluster service";
}

TEST_F(ServingE2eTest, AFullDiskTurnsEveryServiceNotServing) {
  // Start-up writes a few hundred bytes; each batch of transfers below writes a few hundred more.
  ASSERT_NO_FATAL_FAILURE(Start({"--fault_fail_writes_after_bytes=20000"}));
  for (const char* name : kNames)
    ASSERT_EQ(HealthOf(channel_, name), "SERVING") << "\"" << name << "\"";
  // A Watch stream opened while serving: it sees the change without asking again.
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  grpc::internal::RpcMethod watch_method("/grpc.health.v1.Health/Watch",
                                         grpc::internal::RpcMethod::SERVER_STREAMING, channel_);
  grpc::Slice watch_slice(HealthRequest("ledger.v1.Pos"));
  grpc::ByteBuffer watch_request(&watch_slice, 1);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> watch(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(channel_.get(), watch_method,
                                                                    &watch_context, watch_request));
  grpc::ByteBuffer update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(ToString(update), std::string("\x08\x01", 2)) << "Watch starts SERVING";

  std::unique_ptr<v1::Ledger::Stub> stub = v1::Ledger::NewStub(server_.operator_channel());
  grpc::Status refused;
  for (uint64_t batch = 0; batch < 1000 && refused.ok(); ++batch) {
    v1::CreateTransfersRequest request;
    for (uint64_t i = 0; i < 20; ++i)
      *request.add_transfers() = testing::MakeTransfer(1, 1 + batch * 20 + i, 1, 2, 5);
    v1::CreateReply reply;
    refused = stub->CreateTransfers(ContextWithDeadline(kTimeout).get(), request, &reply);
  }
  ASSERT_FALSE(refused.ok()) << "the disk never filled";
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  EXPECT_NE(refused.error_message().find("No space left on device"), std::string::npos)
      << refused.error_message();
  // Every later write is refused the same way, naming the failure; the process goes on answering.
  v1::CreateTransfersRequest again;
  *again.add_transfers() = testing::MakeTransfer(1, 999'999, 1, 2, 5);
  v1::CreateReply reply;
  grpc::Status later = stub->CreateTransfers(ContextWithDeadline(kTimeout).get(), again, &reply);
  EXPECT_EQ(later.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(later.error_message().find("storage write failed; restart the node"), std::string::npos)
      << later.error_message();
  const std::vector<std::string> names(std::begin(kNames), std::end(kNames));
  EXPECT_EQ(WaitForAll(server_.address(), names, "NOT_SERVING", std::chrono::seconds(5)), "");
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(ToString(update), std::string("\x08\x02", 2)) << "Watch sees NOT_SERVING";
  watch_context.TryCancel();
  EXPECT_TRUE(server_.running()) << server_.ExitedHow();
  EXPECT_EQ(server_.Stop(), 0);
}

// One request on a reflection stream of either version (the messages are the same).
refl::ServerReflectionResponse Reflect(const std::shared_ptr<grpc::Channel>& channel,
                                       const std::string& version,
                                       const refl::ServerReflectionRequest& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kTimeout);
  grpc::internal::RpcMethod method(
      ("/grpc.reflection." + version + ".ServerReflection/ServerReflectionInfo").c_str(),
      grpc::internal::RpcMethod::BIDI_STREAMING, channel);
  std::unique_ptr<
      grpc::ClientReaderWriter<refl::ServerReflectionRequest, refl::ServerReflectionResponse>>
      stream(grpc::internal::ClientReaderWriterFactory<
             refl::ServerReflectionRequest, refl::ServerReflectionResponse>::Create(channel.get(),
                                                                                    method,
                                                                                    &context));
  refl::ServerReflectionResponse response;
  EXPECT_TRUE(stream->Write(request));
  stream->WritesDone();
  EXPECT_TRUE(stream->Read(&response)) << version;
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << version << ": " << status.error_code() << " "
                           << status.error_message();
  return response;
}

TEST_F(ServingE2eTest, ReflectionV1AndV1alphaAgree) {
  ASSERT_NO_FATAL_FAILURE(Start());
  refl::ServerReflectionRequest list;
  list.set_list_services("");
  std::map<std::string, std::set<std::string>> services;
  for (const std::string version : {"v1", "v1alpha"}) {
    refl::ServerReflectionResponse response = Reflect(channel_, version, list);
    for (const auto& service : response.list_services_response().service())
      services[version].insert(service.name());
    EXPECT_EQ(services[version].count("ledger.v1.Pos"), 1u) << version;
    EXPECT_EQ(services[version].count("grpc.reflection.v1.ServerReflection"), 1u) << version;
    EXPECT_EQ(services[version].count("grpc.reflection.v1alpha.ServerReflection"), 1u) << version;
  }
  EXPECT_EQ(services["v1"], services["v1alpha"]);

  refl::ServerReflectionRequest symbol;
  symbol.set_file_containing_symbol("ledger.v1.Pos");
  std::map<std::string, std::string> first_file;
  for (const std::string version : {"v1", "v1alpha"}) {
    refl::ServerReflectionResponse response = Reflect(channel_, version, symbol);
    ASSERT_TRUE(response.has_file_descriptor_response())
        << version << " " << response.DebugString();
    ASSERT_GE(response.file_descriptor_response().file_descriptor_proto_size(), 1);
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
    EXPECT_EQ(file.name(), "proto/ledger.proto") << version;
    bool has_pos = false;
    for (const auto& service : file.service()) has_pos = has_pos || service.name() == "Pos";
    EXPECT_TRUE(has_pos) << version;
    first_file[version] = file.SerializeAsString();
  }
  EXPECT_EQ(first_file["v1"], first_file["v1alpha"]);

  // The other kinds of request: the same answers from both versions.
  std::vector<refl::ServerReflectionRequest> others(3);
  others[0].set_file_by_filename("proto/ledger.proto");
  others[1].set_all_extension_numbers_of_type("ledger.v1.Transfer");
  others[2].mutable_file_containing_extension()->set_containing_type("ledger.v1.Transfer");
  others[2].mutable_file_containing_extension()->set_extension_number(100);
  for (const refl::ServerReflectionRequest& request : others) {
    const refl::ServerReflectionResponse v1 = Reflect(channel_, "v1", request);
    const refl::ServerReflectionResponse v1alpha = Reflect(channel_, "v1alpha", request);
    EXPECT_EQ(v1.message_response_case(), v1alpha.message_response_case()) << request.DebugString();
    if (v1.has_error_response()) {
      EXPECT_EQ(v1.error_response().error_code(), v1alpha.error_response().error_code())
          << request.DebugString();
    } else {
      EXPECT_EQ(v1.SerializeAsString(), v1alpha.SerializeAsString()) << request.DebugString();
    }
  }
  EXPECT_EQ(
      Reflect(channel_, "v1", others[0]).file_descriptor_response().file_descriptor_proto_size(),
      Reflect(channel_, "v1", symbol).file_descriptor_response().file_descriptor_proto_size());
  EXPECT_EQ(Reflect(channel_, "v1", others[1]).all_extension_numbers_response().base_type_name(),
            "ledger.v1.Transfer");
  EXPECT_EQ(Reflect(channel_, "v1", others[2]).error_response().error_code(),
            static_cast<int>(grpc::StatusCode::NOT_FOUND));

  refl::ServerReflectionRequest missing;
  missing.set_file_containing_symbol("ledger.v1.NoSuchService");
  refl::ServerReflectionResponse response = Reflect(channel_, "v1", missing);
  EXPECT_EQ(response.error_response().error_code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

TEST_F(ServingE2eTest, UnreadableBytesToEveryMethodAreInvalidArgument) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const google::protobuf::FileDescriptor* file =
      google::protobuf::DescriptorPool::generated_pool()->FindFileByName("proto/ledger.proto");
  ASSERT_NE(file, nullptr);
  const std::string garbage("\x0a\xff\xff\xff\xff\x0f", 6);  // Field 1, a length far past the end.
  int methods = 0;
  for (int s = 0; s < file->service_count(); ++s) {
    const google::protobuf::ServiceDescriptor* service = file->service(s);
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::MethodDescriptor* method = service->method(m);
      const std::string path = absl::StrCat("/", service->full_name(), "/", method->name());
      if (service->name() == "Cluster") continue;  // Served only by a Raft replica.
      ++methods;
      // The operator services on the operator listener, with the operator's certificate.
      const bool operator_service = service->name() == "Ledger";
      grpc::Status status =
          RawCall(operator_service ? server_.operator_channel() : channel_, path, garbage, nullptr);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << path << ": " << status.error_message();
      EXPECT_NE(status.error_message().find(method->input_type()->name()), std::string::npos)
          << path << ": " << status.error_message();
      EXPECT_EQ(status.error_message().rfind("request: ", 0), 0u)
          << path << ": " << status.error_message();
    }
  }
  EXPECT_GT(methods, 30);
}

// Three Raft nodes on loopback over TLS (operator listeners in --peers), started one by one
// (`extra`: a node's fault-injection flags); Names() is every service a replica serves.
struct ThreeNodes {
  explicit ThreeNodes(const std::string& name) : root(MakeTempDir(name)) {
    std::string raft[3];
    for (int i = 0; i < 3; ++i) {
      grpc[i] = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
      raft[i] = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
      operators[i] = absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort());
      absl::StrAppend(&peers, i ? "," : "", i + 1, "=", raft[i], "/", grpc[i], "/", operators[i]);
      absl::StrAppend(&addresses, i ? "," : "", grpc[i]);
      absl::StrAppend(&operator_addresses, i ? "," : "", operators[i]);
    }
    raft_key_flag = testing::RaftKeyFlag(root);
  }
  absl::Status Start(int i, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = {absl::StrCat("--raft_id=", i + 1), "--peers=" + peers,
                                      "--operator_listen=" + operators[i], raft_key_flag};
    flags.insert(flags.end(), extra.begin(), extra.end());
    return nodes[i].StartNode(absl::StrCat(root, "/node", i + 1), grpc[i], flags);
  }
  static std::vector<std::string> Names() {
    std::vector<std::string> names(std::begin(kNames), std::end(kNames));
    names.push_back("ledger.v1.Cluster");
    return names;
  }
  // A leader-following connection as the test's `demo` operator (`ids`: 1-based, default all).
  std::unique_ptr<LedgerConnection> Connect(std::vector<int> ids = {1, 2, 3}) const {
    std::string public_addresses, operator_list;
    for (int id : ids) {
      absl::StrAppend(&public_addresses, public_addresses.empty() ? "" : ",", grpc[id - 1]);
      absl::StrAppend(&operator_list, operator_list.empty() ? "" : ",", operators[id - 1]);
    }
    return std::make_unique<LedgerConnection>(public_addresses, operator_list,
                                              testing::TestTransport());
  }
  std::string root, grpc[3], operators[3], peers, addresses, operator_addresses, raft_key_flag;
  LedgerProcess nodes[3];
};

TEST(ServingClusterTest, ClusterWithoutMajorityIsNotServing) {
  ThreeNodes three("serving_cluster");
  auto& grpc = three.grpc;
  auto& nodes = three.nodes;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(three.Start(i).ok()) << i;
  const std::vector<std::string> names = ThreeNodes::Names();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(WaitForAll(grpc[i], names, "SERVING", std::chrono::seconds(30)), "")
        << "node " << i + 1;
  }
  // Two of three gone: the survivor (leader or follower) cannot reach a quorum.
  nodes[0].Kill();
  nodes[1].Kill();
  const auto killed = std::chrono::steady_clock::now();
  EXPECT_EQ(WaitForAll(grpc[2], names, "NOT_SERVING", std::chrono::seconds(8)), "");
  printf("survivor NOT_SERVING %lld ms after the kill\n",
         static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - killed)
                                    .count()));
  ASSERT_TRUE(three.Start(0).ok());
  ASSERT_TRUE(three.Start(1).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(WaitForAll(grpc[i], names, "SERVING", std::chrono::seconds(30)), "")
        << "node " << i + 1;
  }
  for (LedgerProcess& node : nodes) EXPECT_EQ(node.Stop(), 0);
}

TEST(ServingClusterTest, AReplicaWithAFullDiskStopsAndTheClusterGoesOn) {
  ThreeNodes three("serving_disk");
  auto& grpc = three.grpc;
  auto& nodes = three.nodes;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> fault;
    if (i == 2) fault.push_back("--fault_fail_writes_after_bytes=20000");
    ASSERT_TRUE(three.Start(i, fault).ok()) << i;
  }
  const std::vector<std::string> names = ThreeNodes::Names();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(WaitForAll(grpc[i], names, "SERVING", std::chrono::seconds(30)), "")
        << "node " << i + 1;
  }
  const std::unique_ptr<LedgerConnection> owned = three.Connect();
  LedgerConnection& cluster = *owned;
  auto third = Channel(grpc[2]);
  uint64_t next = 1;
  auto write = [&]() {
    v1::CreateTransfersRequest request;
    for (int i = 0; i < 20; ++i)
      *request.add_transfers() = testing::MakeTransfer(1, next++, 1, 2, 5);
    return cluster.Call([&](LedgerConnection& c) {
      v1::CreateReply reply;
      return c.ledger().CreateTransfers(ContextWithDeadline(kTimeout).get(), request, &reply);
    });
  };
  bool stopped = false;
  for (int batch = 0; batch < 1000 && !stopped; ++batch) {
    grpc::Status written = write();
    ASSERT_TRUE(written.ok()) << batch << ": " << written.error_message();
    stopped = HealthOf(third, "") == "NOT_SERVING";
  }
  ASSERT_TRUE(stopped) << "node 3's disk never filled";
  EXPECT_EQ(WaitForAll(grpc[2], names, "NOT_SERVING", std::chrono::seconds(5)), "");
  EXPECT_TRUE(nodes[2].running()) << nodes[2].ExitedHow();
  std::unique_ptr<v1::Ledger::Stub> direct =
      v1::Ledger::NewStub(OperatorChannel(three.operators[2], testing::TestTransport()));
  v1::CreateTransfersRequest one;
  *one.add_transfers() = testing::MakeTransfer(2, 1, 1, 2, 5);
  v1::CreateReply reply;
  grpc::Status refused = direct->CreateTransfers(ContextWithDeadline(kTimeout).get(), one, &reply);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(refused.error_message().find("storage write failed"), std::string::npos)
      << refused.error_message();
  EXPECT_NE(refused.error_message().find("No space left on device"), std::string::npos)
      << refused.error_message();
  // The other two elect a leader among themselves if needed and go on.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(WaitForAll(grpc[i], names, "SERVING", std::chrono::seconds(30)), "")
        << "node " << i + 1;
  }
  grpc::Status after = write();
  EXPECT_TRUE(after.ok()) << after.error_message();
  for (LedgerProcess& node : nodes) EXPECT_EQ(node.Stop(), 0);
}

TEST(ServingClusterTest, ASkewedLeaderIsNotServing) {
  ThreeNodes three("serving_skew");
  auto& grpc = three.grpc;
  auto& nodes = three.nodes;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> fault;
    if (i == 0) fault.push_back("--fault_clock_offset_ms=30000");
    ASSERT_TRUE(three.Start(i, fault).ok()) << i;
  }
  const std::vector<std::string> names = ThreeNodes::Names();
  for (int i = 1; i < 3; ++i) {
    ASSERT_EQ(WaitForAll(grpc[i], names, "SERVING", std::chrono::seconds(30)), "")
        << "node " << i + 1;
  }
  const std::unique_ptr<LedgerConnection> owned = three.Connect();
  LedgerConnection& cluster = *owned;
  auto leads = [&](uint64_t id) {
    const std::unique_ptr<LedgerConnection> node = three.Connect({static_cast<int>(id)});
    v1::ClusterStatusReply status;
    return node->cluster()
               .Status(ContextWithDeadline(std::chrono::seconds(2)).get(),
                       v1::ClusterStatusRequest(), &status)
               .ok() &&
           status.role() == "leader";
  };
  auto leader_is = [&](uint64_t id) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (leads(id)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  auto transfer_to = [&](uint64_t id) {
    if (leads(id)) return true;  // Elected already (a transfer to the leader itself is refused).
    v1::MemberRequest request;
    request.set_id(id);
    v1::ClusterReply reply;
    const grpc::Status status = cluster.Call([&](LedgerConnection& c) {
      return c.cluster().TransferLeadership(ContextWithDeadline(std::chrono::seconds(20)).get(),
                                            request, &reply);
    });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return leader_is(id);
  };
  ASSERT_TRUE(transfer_to(1)) << "node 1 did not become the leader";
  EXPECT_EQ(WaitForAll(grpc[0], names, "NOT_SERVING", std::chrono::seconds(5)), "")
      << "the skewed leader";
  for (int i = 1; i < 3; ++i)
    EXPECT_EQ(WaitForAll(grpc[i], names, "SERVING", std::chrono::seconds(1)), "") << i + 1;
  ASSERT_TRUE(transfer_to(2)) << "node 2 did not become the leader";
  EXPECT_EQ(WaitForAll(grpc[0], names, "SERVING", std::chrono::seconds(5)), "")
      << "node 1 follows node 2";
  for (LedgerProcess& node : nodes) EXPECT_EQ(node.Stop(), 0);
}

}  // namespace
}  // namespace ledger
