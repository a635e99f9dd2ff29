// ledgerd's HTTP/JSON gateway (README "Web gateway"): each gRPC method of the public services (Pos,
// Wallet, Health) — and on the operator listener also of Ledger and Cluster — as
// POST /v1/<Service>/<Method> with protobuf's canonical JSON, server streams as Server-Sent Events,
// and the web apps' static files (--web_root) under a strict Content-Security-Policy. The operator
// listener also serves the console's POST /v1/Console/Recalibrate (recalibrate.h).
//
// Every call is forwarded to ledgerd's own gRPC services in-process (grpc::Server::
// InProcessChannel): the services decide everything exactly as for a gRPC client (signatures,
// bounds, per-wallet and per-terminal rate limits, roles); the gateway only converts JSON, maps
// statuses and says who an operator is. One Gateway serves one listener:
//  - public (--http_listen): HTTPS with the node's certificate, no client certificate;
//  - operator (--http_operator_listen): HTTPS requiring a client certificate signed by
//    --tls_client_ca; the operator is its subject CN (node-* refused), passed to the in-process
//    call with the process's gateway secret (ledger/server/operator_auth.h);
//  - with --plaintext (loopback only), plain HTTP; the operator listener then forwards the caller's
//    "Authorization: Bearer TOKEN" and "X-Ledger-Operator: NAME" for the services to check.
// Limits (ledger/core/limits.h, kHttp*): body size, headers, workers and queued connections,
// streams, requests per client address.
//
// Example:
//   GatewayOptions options{.listen = "127.0.0.1:7403", .listener = Listener::kPublic, ...};
//   absl::StatusOr<std::unique_ptr<Gateway>> gateway = Gateway::Start(std::move(options));
//   ... (*gateway)->port() ...; (*gateway)->Stop();
#ifndef LEDGER_GATEWAY_GATEWAY_H_
#define LEDGER_GATEWAY_GATEWAY_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "ledger/gateway/json_rpc.h"
#include "ledger/server/tls.h"

namespace httplib {
class Server;
}

namespace ledger::gateway {

class CertificateFiles;
class Handlers;

struct GatewayOptions {
  std::string listen;  // "HOST:PORT" (port 0: the kernel chooses; port() says which).
  Listener listener = Listener::kPublic;
  bool plaintext = false;  // Plain HTTP (loopback only; ledgerd checks the address).
  TlsFiles tls;            // The node's certificate and key; client_ca for the operator listener.
  // The certificate and key files are re-read at a handshake at most this often (a rotated pair
  // serves new connections without a restart; ledgerd --tls_reload_seconds).
  int tls_reload_seconds = 10;
  std::string web_root;  // Static files; empty: none.
  // The in-process channels: the services of --listen (Pos, Wallet, Health; with --plaintext all of
  // them) and, with TLS, those of --operator_listen (Ledger, Cluster).
  std::shared_ptr<grpc::Channel> public_channel;
  std::shared_ptr<grpc::Channel> operator_channel;
  std::string gateway_secret;  // OperatorAuth::gateway_secret(); TLS operator listener only.
  // The console's recalibration (operator listener; recalibrate.h): the circsim binary (empty:
  // off) and who may run it.
  std::string circsim;
  std::function<absl::Status(const std::string& operator_name)> may_recalibrate;
};

class Gateway {
 public:
  // Binds and serves on a thread of its own; INVALID_ARGUMENT / UNAVAILABLE naming the address or
  // the TLS file when it cannot.
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();  // Stops.

  int port() const { return port_; }
  // Stops accepting; streams end at their next message or heartbeat (or once gRPC cancels them).
  void BeginStop();
  // BeginStop, then waits for every connection's thread.
  void Stop();

 private:
  explicit Gateway(GatewayOptions options);
  absl::Status Bind();

  GatewayOptions options_;
  std::unique_ptr<CertificateFiles> certificate_;  // Outlives server_ (its SSL_CTX points to it).
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Handlers> handlers_;
  std::thread thread_;
  int port_ = 0;
  bool stopping_ = false;
};

// "HOST:PORT", "[V6]:PORT" → host and port; INVALID_ARGUMENT otherwise.
absl::Status SplitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace ledger::gateway

#endif  // LEDGER_GATEWAY_GATEWAY_H_
