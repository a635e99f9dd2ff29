// ledgerd: the ledger server (single node). Serves the Ledger gRPC API, the standard health service and
// server reflection, and Prometheus metrics on a separate HTTP port.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "ledger/core/journal.h"
#include "ledger/server/metrics.h"
#include "ledger/server/node.h"
#include "ledger/server/service.h"
#include "ledger/storage/rocks_store.h"

ABSL_FLAG(std::string, data_dir, "var/ledger", "Directory of the ledger's RocksDB state (created if missing)");
ABSL_FLAG(std::string, listen, "127.0.0.1:7400", "gRPC listen address");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:7401", "Prometheus /metrics listen address (empty: off)");
ABSL_FLAG(std::string, port_file, "",
          "If set, write the bound ports here once serving (\"grpc PORT\\nmetrics PORT\\n\"); for port 0 in tests");
ABSL_FLAG(bool, sync, true, "fsync every committed batch before replying (never turn off in production)");

namespace {

volatile std::sig_atomic_t stop_requested = 0;

// Written to a temporary name and renamed, so a reader never sees half a file.
bool WritePortFile(const std::string& path, int grpc_port, int metrics_port) {
  const std::string temporary = path + ".tmp";
  FILE* file = fopen(temporary.c_str(), "w");
  if (file == nullptr) return false;
  const bool written = fprintf(file, "grpc %d\nmetrics %d\n", grpc_port, metrics_port) > 0;
  if (fclose(file) != 0 || !written) return false;
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

void OnSignal(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ledgerd: the regional ledger server (single node).\n"
      "Usage: ledgerd [--data_dir=var/ledger] [--listen=127.0.0.1:7400] [--metrics_listen=127.0.0.1:7401]");
  absl::ParseCommandLine(argc, argv);
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    fprintf(stderr, "ledgerd: cannot create --data_dir %s: %s\n", data_dir.c_str(), error.message().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<ledger::RocksStore>> store = ledger::RocksStore::Open(data_dir);
  if (!store.ok()) {
    fprintf(stderr, "ledgerd: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const ledger::JournalHead head = ledger::ReadHead(**store);
  std::unique_ptr<ledger::Metrics> metrics;
  try {
    metrics = std::make_unique<ledger::Metrics>(absl::GetFlag(FLAGS_metrics_listen));
  } catch (const std::exception& e) {
    fprintf(stderr, "ledgerd: cannot serve metrics on --metrics_listen %s: %s\n",
            absl::GetFlag(FLAGS_metrics_listen).c_str(), e.what());
    return 1;
  }
  metrics->SetJournalIndex(head.index);
  ledger::Node node(store->get(), ledger::RealClock(), {.sync = absl::GetFlag(FLAGS_sync)}, metrics->Observer());
  ledger::LedgerService service(&node, metrics.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(64 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    fprintf(stderr, "ledgerd: cannot listen on --listen %s\n", absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  fprintf(stderr, "ledgerd: serving on %s (metrics on %s), data in %s, journal index %llu\n",
          absl::GetFlag(FLAGS_listen).c_str(), absl::GetFlag(FLAGS_metrics_listen).c_str(), data_dir.c_str(),
          static_cast<unsigned long long>(head.index));
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty() && !WritePortFile(port_file, port, metrics->ListeningPort())) {
    fprintf(stderr, "ledgerd: cannot write --port_file %s\n", port_file.c_str());
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!stop_requested) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  fprintf(stderr, "ledgerd: stopping\n");
  service.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
