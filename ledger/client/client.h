// Small helpers shared by our gRPC clients (ledgerctl, the demo town, the benchmark): channel
// set-up (TLS, or the plaintext development mode with the operator token), status conversion, and
// id helpers.
//
// ledgerd serves over TLS by default (README "Security"): the public services (Pos, Wallet, Health)
// on --listen with server TLS (a client needs the CA, Transport::ca_file), the operator services
// (Ledger, Cluster) on --operator_listen with mutual TLS (a client also presents its certificate,
// whose CN names the operator: Transport::cert_file, key_file). A LedgerConnection keeps one
// channel to each:
//   Transport transport = DefaultTransport();   // var/pki/ca.crt, var/pki/operators/demo.*
//   if (absl::Status ok = LoadTransport(&transport); !ok.ok()) ...
//   LedgerConnection connection("127.0.0.1:7400", "127.0.0.1:7402", transport);
//
// In the plaintext development mode (ledgerd --plaintext, loopback only):
// The operator services (Ledger, Cluster) require the operator token
// (ledger/server/operator_token.h) on every call; the public services (Pos, Wallet, Health)
// authenticate each request by its signature and need none. A channel made here holds the token, if
// given one, and adds it to the operator calls only:
//   LedgerConnection connection("127.0.0.1:7400",
//   *ReadOperatorTokenFile("var/ledger/operator.token")); connection.Call([&](LedgerConnection& c)
//   { return c.ledger().GetDigest(...); });   // carries it connection.pos().CreatePayment(...); //
//   does not
#ifndef LEDGER_CLIENT_CLIENT_H_
#define LEDGER_CLIENT_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/core/operator_name.h"
#include "ledger/core/types.h"
#include "proto/ledger.grpc.pb.h"

namespace ledger {

// Where the operator tools look for the token unless told otherwise (--operator_token_file): the
// file ops/run's single node (ledgerd --data_dir=var/ledger) creates, relative to the repository
// root.
inline constexpr char kOperatorTokenFileDefault[] = "var/ledger/operator.token";

// Where the tools look for certificates unless told otherwise: the directory ops/run's ops/pki
// makes.
inline constexpr char kPkiDirDefault[] = "var/pki";
// The operator the tools act as by default (ops/run's operator with every role).
inline constexpr char kDefaultOperator[] = "demo";

// How a client reaches ledgerd.
struct Transport {
  bool plaintext = false;      // The development mode (ledgerd --plaintext, loopback only).
  std::string ca_file;         // TLS: PEM CA that signed the nodes' certificates.
  std::string cert_file;       // TLS: this client's certificate for the operator services ("":
  std::string key_file;        // public services only) and its key.
  std::string operator_token;  // Plaintext: the development operator token ("": public only).
  std::string operator_name;   // Plaintext: "x-ledger-operator" (under TLS the certificate names).
  // The PEM contents, read by LoadTransport.
  std::string ca_pem, cert_pem, key_pem;
};

// TLS with var/pki's CA and the `demo` operator's certificate (kPkiDirDefault).
Transport DefaultTransport();
// The plaintext development mode with an operator token (and name).
Transport PlaintextTransport(std::string operator_token, std::string operator_name = "");
// Reads the PEM files of a TLS transport (those named); NOT_FOUND naming the file otherwise.
absl::Status LoadTransport(Transport* transport);
// The transport a command-line tool's options describe: "plaintext" present: PlaintextTransport
// (`operator_token`); otherwise TLS with "tls_ca" (default var/pki/ca.crt) and, for `operator_api`,
// "tls_cert" and "tls_key" (default the `demo` operator's), the files read (LoadTransport).
absl::StatusOr<Transport> TransportFromOptions(const std::map<std::string, std::string>& options,
                                               bool operator_api,
                                               const std::string& operator_token = "");
// "operator_addr" of the options, or DefaultOperatorAddresses(addresses); "" when plaintext.
std::string OperatorAddressesFromOptions(const std::map<std::string, std::string>& options,
                                         const std::string& addresses);

// The operator listeners by ledgerd's convention when not given: each "HOST:PORT" of `addresses`
// with PORT+2 (ops/run: 7400 -> 7402; ops/cluster: 7410 -> 7412, ...).
std::string DefaultOperatorAddresses(const std::string& addresses);

// A channel to the public services at `address`.
std::shared_ptr<grpc::Channel> PublicChannel(const std::string& address,
                                             const Transport& transport);
// A channel to the operator services at `address`: mutual TLS with the transport's certificate, or
// (plaintext) LedgerChannel with its token and name.
std::shared_ptr<grpc::Channel> OperatorChannel(const std::string& address,
                                               const Transport& transport);

// A plaintext channel (loopback or a private network; see the README on TLS). With a non-empty
// `operator_token`, every call on it to the Ledger and Cluster services carries the metadata
// "authorization: Bearer TOKEN"; calls to the other services never do. "" for a client of the
// public services only.
// With a non-empty `operator_name`, operator calls also carry "x-ledger-operator: NAME": the
// operator the token's holder acts as (see ledger/server/operator_auth.h).
std::shared_ptr<grpc::Channel> LedgerChannel(const std::string& address,
                                             const std::string& operator_token,
                                             const std::string& operator_name = "");

// A Ledger stub on LedgerChannel(address, operator_token).
std::unique_ptr<v1::Ledger::Stub> ConnectLedger(const std::string& address,
                                                const std::string& operator_token);

absl::Status FromGrpcStatus(const grpc::Status& status);

// A context with a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> ContextWithDeadline(std::chrono::milliseconds timeout);

// 16-byte id from a small integer (high half zero), and from hex.
inline std::string IdBytes(uint64_t low) { return Id128{0, low}.ToBytes(); }
inline std::string IdBytes(uint64_t high, uint64_t low) { return Id128{high, low}.ToBytes(); }

// A connection to a ledger that may be a Raft cluster: given one or more addresses ("a:1,b:2,c:3"),
// Call runs an RPC against the current node and, when it answers UNAVAILABLE, follows the leader
// hint in the message ("not the leader; leader=HOST:PORT") or, without one (election running, node
// down), moves on to the next address with a growing pause, until the RPC gets any other answer or
// `total` passes. Retrying is safe for every Ledger write because ids are decided once (a
// resubmitted transfer returns its original outcome); "outcome unknown" answers are retried the
// same way. Every node it connects to gets the same operator token (see LedgerChannel; "" for the
// public services only).
class LedgerConnection {
 public:
  // Plaintext development mode (PlaintextTransport): operator and public services on `addresses`.
  LedgerConnection(const std::string& addresses, std::string operator_token,
                   std::string operator_name = "");
  // `addresses` serve the public services, `operator_addresses` ("" for a client of the public
  // services only, or in plaintext mode) the operator services, in the same order (the same nodes).
  LedgerConnection(const std::string& addresses, const std::string& operator_addresses,
                   Transport transport);
  // `call` must build a fresh ClientContext each time it is invoked.
  grpc::Status Call(const std::function<grpc::Status(LedgerConnection&)>& call,
                    std::chrono::milliseconds total = std::chrono::seconds(30));
  v1::Ledger::Stub& ledger() { return *ledger_; }
  v1::Cluster::Stub& cluster() { return *cluster_; }
  v1::Health::Stub& health() { return *health_; }
  v1::Pos::Stub& pos() { return *pos_; }
  v1::Wallet::Stub& wallet() { return *wallet_; }
  const std::string& address() const { return address_; }
  const std::vector<std::string>& addresses() const { return addresses_; }
  const std::vector<std::string>& operator_addresses() const { return operator_addresses_; }
  const std::string& operator_token() const { return transport_.operator_token; }
  const Transport& transport() const { return transport_; }
  // Connects to addresses()[i] (and its operator address).
  void Connect(size_t i);
  // Connects to the node at public `address` (operator: `operator_address`, or the one beside
  // `address` in the lists).
  void Connect(const std::string& address, const std::string& operator_address = "");
  // UNAVAILABLE answers retried so far (not the leader, no leader yet, outcome unknown, node down).
  uint64_t retries() const { return retries_; }

  static constexpr int kHopsMax = 64;  // Bound on hint-following and address rotation per Call.

 private:
  std::vector<std::string> addresses_;
  std::vector<std::string> operator_addresses_;  // Empty: plaintext, or public services only.
  Transport transport_;
  size_t next_ = 0;
  uint64_t retries_ = 0;
  std::string address_;
  std::unique_ptr<v1::Ledger::Stub> ledger_;
  std::unique_ptr<v1::Cluster::Stub> cluster_;
  std::unique_ptr<v1::Health::Stub> health_;
  std::unique_ptr<v1::Pos::Stub> pos_;
  std::unique_ptr<v1::Wallet::Stub> wallet_;
};

// The "leader=HOST:PORT" hint in a status message, or "". With `key` "operator_leader=": the
// leader's operator listener.
std::string LeaderHint(const std::string& message, const std::string& key = "leader=");

// Waits until the server answers GetDigest, up to `timeout`.
absl::Status WaitForLedger(v1::Ledger::Stub* stub, std::chrono::milliseconds timeout);

}  // namespace ledger

#endif  // LEDGER_CLIENT_CLIENT_H_
