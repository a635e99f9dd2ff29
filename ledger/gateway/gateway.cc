#include "ledger/gateway/gateway.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ledger/core/limits.h"
#include "ledger/core/operator_name.h"
#include "ledger/gateway/forward.h"
#include "ledger/gateway/http_status.h"
#include "ledger/gateway/recalibrate.h"
#include "ledger/gateway/static_files.h"
#include "ledger/server/operator_auth.h"
#include "ledger/server/rate_limiter.h"

namespace ledger::gateway {
namespace {

// Set on the thread that serves a connection beyond the queue: it only gets a 503.
thread_local bool overloaded_connection = false;

// kHttpWorkersMax threads; at most kHttpQueuedConnectionsMax connections wait for one. A connection
// beyond that is served on the accepting thread with overloaded_connection set (a 503, closed).
class BoundedQueue final : public httplib::TaskQueue {
 public:
  BoundedQueue() {
    for (size_t i = 0; i < kHttpWorkersMax; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~BoundedQueue() override = default;

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!stopping_ && jobs_.size() < kHttpQueuedConnectionsMax) {
        jobs_.push_back(std::move(fn));
        wake_.notify_one();
        return;
      }
    }
    overloaded_connection = true;
    fn();
    overloaded_connection = false;
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;  // Guarded by mutex_.
  bool stopping_ = false;                   // Guarded by mutex_.
  std::vector<std::thread> threads_;
};

uint64_t SteadyNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void Reply(httplib::Response& res, int grpc_code, const std::string& message) {
  res.status = HttpStatusOf(grpc_code);
  if (grpc_code == grpc::StatusCode::RESOURCE_EXHAUSTED) res.set_header("Retry-After", "1");
  res.set_content(ErrorJson(grpc_code, message), "application/json");
}

// The subject CN of the verified client certificate of `ssl`; UNAUTHENTICATED otherwise.
grpc::Status CertificateCommonName(const SSL* ssl, std::string* name) {
  const grpc::Status missing(grpc::StatusCode::UNAUTHENTICATED,
                             "operator API: no verified client certificate (the operator listener "
                             "needs one signed by ledgerd --tls_client_ca; ops/pki operator)");
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return missing;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return missing;
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "operator API: the client certificate must have exactly one subject CN");
  }
  unsigned char* utf8 = nullptr;
  const int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (length < 0) return missing;
  name->assign(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return grpc::Status::OK;
}

// OpenSSL's verdict, except that a CA without a revocation list in --tls_crl_dir is not an error
// (as gRPC's listener treats it); a revoked or otherwise bad certificate still is.
int VerifyAllowingNoCrl(int ok, X509_STORE_CTX* store) {
  if (!ok && X509_STORE_CTX_get_error(store) == X509_V_ERR_UNABLE_TO_GET_CRL) return 1;
  return ok;
}

}  // namespace

// The node's certificate (chain) and key as read from their files; re-read at a handshake once
// `reload_seconds` have passed since the last look, so that a rotated pair serves new connections
// without a restart, as on the gRPC listeners. A pair that does not match (a rotation half done)
// is ignored and the previous pair goes on serving until it does.
class CertificateFiles {
 public:
  CertificateFiles(std::string cert, std::string key, int reload_seconds)
      : cert_file_(std::move(cert)), key_file_(std::move(key)), reload_(reload_seconds) {}
  ~CertificateFiles() { Drop(); }

  // Reads the files; true when a matching pair is held (read now or before).
  bool Load() {
    BIO* in = BIO_new_file(cert_file_.c_str(), "r");
    X509* cert = in ? PEM_read_bio_X509_AUX(in, nullptr, nullptr, nullptr) : nullptr;
    STACK_OF(X509)* chain = sk_X509_new_null();
    while (cert != nullptr) {
      X509* next = PEM_read_bio_X509(in, nullptr, nullptr, nullptr);
      if (next == nullptr) break;
      sk_X509_push(chain, next);
    }
    ERR_clear_error();  // The end of the file reads as an error.
    BIO_free(in);
    in = BIO_new_file(key_file_.c_str(), "r");
    EVP_PKEY* key = in ? PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(in);
    if (cert == nullptr || key == nullptr || X509_check_private_key(cert, key) != 1) {
      X509_free(cert);
      EVP_PKEY_free(key);
      sk_X509_pop_free(chain, X509_free);
      ERR_clear_error();
      return cert_ != nullptr;
    }
    Drop();
    cert_ = cert, key_ = key, chain_ = chain;
    return true;
  }

  // SSL_CTX_set_cert_cb: the current pair for this connection.
  static int OnHandshake(SSL* ssl, void* self) {
    auto* files = static_cast<CertificateFiles*>(self);
    std::lock_guard<std::mutex> lock(files->mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now - files->checked_ >= std::chrono::seconds(files->reload_)) {
      files->checked_ = now;
      files->Load();
    }
    return files->cert_ != nullptr &&
           SSL_use_cert_and_key(ssl, files->cert_, files->key_, files->chain_, 1) == 1;
  }

 private:
  void Drop() {
    X509_free(cert_);
    EVP_PKEY_free(key_);
    if (chain_ != nullptr) sk_X509_pop_free(chain_, X509_free);
    cert_ = nullptr, key_ = nullptr, chain_ = nullptr;
  }

  const std::string cert_file_, key_file_;
  const int reload_;
  std::mutex mutex_;
  X509* cert_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  STACK_OF(X509) * chain_ = nullptr;
  std::chrono::steady_clock::time_point checked_ = std::chrono::steady_clock::now();
};

namespace {

bool SetUpTls(SSL_CTX& ctx, const TlsFiles& files, bool mutual, CertificateFiles* certificate) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(&ctx, files.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&ctx) != 1 || !certificate->Load()) {
    return false;
  }
  SSL_CTX_set_cert_cb(&ctx, &CertificateFiles::OnHandshake, certificate);
  if (!mutual) return true;
  if (SSL_CTX_load_verify_locations(&ctx, files.client_ca.c_str(), nullptr) != 1) return false;
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str());
  if (names == nullptr) return false;
  SSL_CTX_set_client_CA_list(&ctx, names);
  // Revocation (--tls_crl_dir, ops/pki revoke): OpenSSL reads the newest hashed list of the
  // directory at each handshake. No session is resumed (a resumed session skips the certificate
  // check, and so a revocation).
  if (!files.crl_dir.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(&ctx);
    if (X509_STORE_load_locations(store, nullptr, files.crl_dir.c_str()) != 1) return false;
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  }
  SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, VerifyAllowingNoCrl);
  static const unsigned char kContext[] = "ledgerd-http-operator";
  SSL_CTX_set_session_id_context(&ctx, kContext, sizeof(kContext) - 1);
  return true;
}

}  // namespace

// The request handlers of one listener.
class Handlers {
 public:
  explicit Handlers(const GatewayOptions& options)
      : options_(options),
        limiter_(kHttpRequestsPerSecondPerPeer, kHttpRequestBurstPerPeer),
        recalibrator_(RecalibrateOptions{.circsim = options.circsim,
                                         .may_run = options.may_recalibrate,
                                         .operator_channel = options.operator_channel
                                                                 ? options.operator_channel
                                                                 : options.public_channel}) {}

  httplib::Server::HandlerResponse PreRoute(const httplib::Request& req, httplib::Response& res);
  void Call(const httplib::Request& req, httplib::Response& res);
  void Static(const httplib::Request& req, httplib::Response& res);
  void Error(const httplib::Request& req, httplib::Response& res);
  void Stop() { stopping_ = true; }

 private:
  grpc::Status Identity(const httplib::Request& req, const GatewayMethod& method,
                        Metadata* metadata) const;
  void Stream(const GatewayMethod& method, Metadata metadata, std::string request,
              httplib::Response& res);
  void Recalibrate(const httplib::Request& req, httplib::Response& res);

  const GatewayOptions& options_;
  RateLimiter limiter_;
  std::atomic<int> streams_{0};
  std::atomic<bool> stopping_{false};
  Recalibrator recalibrator_;
};

httplib::Server::HandlerResponse Handlers::PreRoute(const httplib::Request& req,
                                                    httplib::Response& res) {
  if (overloaded_connection || stopping_) {
    res.set_header("Connection", "close");
    Reply(res, grpc::StatusCode::UNAVAILABLE,
          "the gateway is serving as many connections as it can (kHttpWorkersMax); retry");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (req.headers.size() > kHttpHeadersMax) {
    res.status = 431;
    res.set_content(ErrorJson(grpc::StatusCode::INVALID_ARGUMENT,
                              absl::StrCat("more than ", kHttpHeadersMax, " request headers")),
                    "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }
  // API calls only: static files are cheap, and a page loads many at once. Not on the TLS operator
  // listener, where every connection is an operator whose client certificate the handshake
  // verified: as on gRPC's operator port, which has no per-address limit (the public services'
  // per-wallet and per-terminal limits apply to everyone). With --plaintext the gateway checks no
  // token, so the limit stays.
  const bool verified_operator = options_.listener == Listener::kOperator && !options_.plaintext;
  if (req.path.rfind("/v1/", 0) == 0 && !verified_operator &&
      !limiter_.Take(req.remote_addr, SteadyNanos())) {
    Reply(res, grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("more than ", kHttpRequestsPerSecondPerPeer,
                       " requests per second from this address"));
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

grpc::Status Handlers::Identity(const httplib::Request& req, const GatewayMethod& method,
                                Metadata* metadata) const {
  if (!method.operator_service) return grpc::Status::OK;
  if (options_.plaintext) {
    // The services check the development token and the name themselves (OperatorAuth).
    for (const char* header : {"Authorization", "X-Ledger-Operator"}) {
      const size_t count = req.get_header_value_count(header);
      for (size_t i = 0; i < count; ++i) {
        metadata->emplace_back(absl::AsciiStrToLower(header), req.get_header_value(header, i));
      }
    }
    return grpc::Status::OK;
  }
  std::string name;
  if (grpc::Status cn = CertificateCommonName(req.ssl, &name); !cn.ok()) return cn;
  if (!ValidOperatorName(name) || name.rfind("node-", 0) == 0) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "operator API: the client certificate's CN is not an operator's name "
                        "(node certificates are not operators on the HTTP listener)");
  }
  metadata->emplace_back(kGatewayHeader, options_.gateway_secret);
  metadata->emplace_back(kOperatorNameHeader, name);
  return grpc::Status::OK;
}

void Handlers::Call(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  if (req.path == "/v1/Console/Recalibrate" && options_.listener == Listener::kOperator) {
    return Recalibrate(req, res);
  }
  absl::StatusOr<GatewayMethod> method = FindMethod(req.path, options_.listener);
  if (!method.ok())
    return Reply(res, grpc::StatusCode::NOT_FOUND, std::string(method.status().message()));
  const std::string type = req.get_header_value("Content-Type");
  if (absl::AsciiStrToLower(type.substr(0, type.find(';'))) != "application/json") {
    Reply(res, grpc::StatusCode::INVALID_ARGUMENT,
          "Content-Type must be application/json (the request message in protobuf's JSON)");
    res.status = 415;
    return;
  }
  Metadata metadata;
  if (grpc::Status who = Identity(req, *method, &metadata); !who.ok()) {
    return Reply(res, who.error_code(), who.error_message());
  }
  absl::StatusOr<std::string> request = JsonToRequest(*method, req.body);
  if (!request.ok()) {
    return Reply(res, grpc::StatusCode::INVALID_ARGUMENT, std::string(request.status().message()));
  }
  const bool sse = req.get_header_value("Accept").find("text/event-stream") != std::string::npos;
  if (method->server_streaming) {
    if (!sse) {
      Reply(res, grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat(method->grpc_path, " is a stream: send Accept: text/event-stream"));
      res.status = 406;
      return;
    }
    return Stream(*method, std::move(metadata), *std::move(request), res);
  }
  grpc::Channel* channel = method->operator_service && options_.operator_channel
                               ? options_.operator_channel.get()
                               : options_.public_channel.get();
  std::string reply;
  const grpc::Status status = ForwardUnary(channel, method->grpc_path, metadata, *request, &reply);
  if (!status.ok()) return Reply(res, status.error_code(), status.error_message());
  absl::StatusOr<std::string> json = ReplyToJson(*method, reply);
  if (!json.ok())
    return Reply(res, grpc::StatusCode::INTERNAL, std::string(json.status().message()));
  res.status = 200;
  res.set_content(*json, "application/json");
}

// The console's recalibration (recalibrate.h): the caller's identity as for an operator method; the
// operator's name is the certificate's CN, or in plaintext mode X-Ledger-Operator ("dev" without
// one, as OperatorAuth has it), which the in-process calls authenticate with the token first.
void Handlers::Recalibrate(const httplib::Request& req, httplib::Response& res) {
  GatewayMethod console;
  console.operator_service = true;
  Metadata metadata;
  if (grpc::Status who = Identity(req, console, &metadata); !who.ok()) {
    return Reply(res, who.error_code(), who.error_message());
  }
  std::string name = options_.plaintext ? "dev" : "";
  for (const auto& [key, value] : metadata) {
    if (key == kOperatorNameHeader) name = value;
  }
  const RecalibrateResult result = recalibrator_.Run(name, metadata);
  if (!result.status.ok()) {
    return Reply(res, result.status.error_code(), result.status.error_message());
  }
  res.status = 200;
  res.set_content(result.json, "application/json");
}

void Handlers::Stream(const GatewayMethod& method, Metadata metadata, std::string request,
                      httplib::Response& res) {
  if (streams_.fetch_add(1) >= kHttpStreamsMax) {
    streams_.fetch_sub(1);
    return Reply(res, grpc::StatusCode::UNAVAILABLE,
                 absl::StrCat("the gateway serves ", kHttpStreamsMax,
                              " streams at once (kHttpStreamsMax); retry later"));
  }
  std::shared_ptr<grpc::Channel> channel = method.operator_service && options_.operator_channel
                                               ? options_.operator_channel
                                               : options_.public_channel;
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, method, metadata = std::move(metadata), request = std::move(request), channel](
          size_t, httplib::DataSink& sink) {
        auto write = [&sink](const std::string& text) {
          return sink.write(text.data(), text.size());
        };
        const grpc::Status status = ForwardStream(
            channel.get(), method.grpc_path, metadata, request,
            [&](const std::string& bytes) {
              absl::StatusOr<std::string> json = ReplyToJson(method, bytes);
              return !stopping_ && json.ok() && write("data: " + *json + "\n\n");
            },
            [&] { return !stopping_ && write(": keep-alive\n\n"); });
        if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
          write("event: error\ndata: " + ErrorJson(status.error_code(), status.error_message()) +
                "\n\n");
        }
        sink.done();
        return true;
      },
      [this](bool) { streams_.fetch_sub(1); });
}

void Handlers::Static(const httplib::Request& req, httplib::Response& res) {
  const bool console = req.path == "/console" || req.path.rfind("/console/", 0) == 0;
  absl::StatusOr<std::string> path =
      console && options_.listener == Listener::kPublic
          ? absl::StatusOr<std::string>(absl::NotFoundError("no such file"))
          : StaticFilePath(options_.web_root, req.path);
  if (absl::IsFailedPrecondition(path.status())) {
    res.set_redirect(req.path + "/", 301);
    return;
  }
  if (!path.ok()) {
    res.status = 404;
    res.set_content("404 not found\n", "text/plain; charset=utf-8");
    return;
  }
  std::ifstream in(*path, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_content(body.str(), MimeType(*path).c_str());
}

void Handlers::Error(const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty()) return;
  if (res.status == 413) {
    res.set_content(ErrorJson(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              absl::StrCat("request body larger than ", kHttpBodyBytesMax,
                                           " bytes (kHttpBodyBytesMax)")),
                    "application/json");
  } else if (res.status == 404 || res.status == 405) {
    res.set_content(ErrorJson(grpc::StatusCode::NOT_FOUND,
                              absl::StrCat("no ", req.method, " ", req.path,
                                           " (API calls are POST /v1/<Service>/<Method>)")),
                    "application/json");
  }
}

Gateway::Gateway(GatewayOptions options) : options_(std::move(options)) {}

Gateway::~Gateway() { Stop(); }

absl::Status SplitHostPort(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  const absl::Status bad = absl::InvalidArgumentError(
      absl::StrCat("\"", address, "\" is not HOST:PORT (or [IPV6]:PORT)"));
  if (colon == std::string::npos || colon == 0) return bad;
  *host = address.substr(0, colon);
  if (host->front() == '[') {
    if (host->size() < 3 || host->back() != ']') return bad;
    *host = host->substr(1, host->size() - 2);
  }
  const std::string digits = address.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return bad;
  }
  *port = std::stoi(digits);
  return *port <= 65535 ? absl::OkStatus() : bad;
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  std::unique_ptr<Gateway> gateway(new Gateway(std::move(options)));
  if (absl::Status bound = gateway->Bind(); !bound.ok()) return bound;
  httplib::Server* server = gateway->server_.get();
  gateway->thread_ = std::thread([server] { server->listen_after_bind(); });
  return gateway;
}

absl::Status Gateway::Bind() {
  std::string host;
  int port = 0;
  if (absl::Status split = SplitHostPort(options_.listen, &host, &port); !split.ok()) return split;
  if (options_.plaintext) {
    server_ = std::make_unique<httplib::Server>();
  } else {
    const bool mutual = options_.listener == Listener::kOperator;
    const TlsFiles files = options_.tls;
    certificate_ = std::make_unique<CertificateFiles>(files.cert, files.key,
                                                      std::max(1, options_.tls_reload_seconds));
    CertificateFiles* certificate = certificate_.get();
    auto tls = std::make_unique<httplib::SSLServer>([files, mutual, certificate](SSL_CTX& ctx) {
      return SetUpTls(ctx, files, mutual, certificate);
    });
    if (!tls->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot set up HTTPS with --tls_cert ", files.cert, ", --tls_key ",
                       files.key, mutual ? ", --tls_client_ca " + files.client_ca : std::string()));
    }
    server_ = std::move(tls);
  }
  handlers_ = std::make_unique<Handlers>(options_);
  Handlers* h = handlers_.get();
  server_->new_task_queue = [] { return new BoundedQueue(); };
  server_->set_payload_max_length(kHttpBodyBytesMax);
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm holds the
  // body until the client's delayed ACK (about 40 ms per call on Linux; 52 ms measured per call).
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_max_count(100);
  server_->set_keep_alive_timeout(5);
  server_->set_read_timeout(10);
  server_->set_write_timeout(10);
  server_->set_default_headers({{"Content-Security-Policy", kContentSecurityPolicy},
                                {"X-Content-Type-Options", "nosniff"},
                                {"Referrer-Policy", "no-referrer"},
                                {"X-Frame-Options", "DENY"}});
  server_->set_pre_routing_handler(
      [h](const httplib::Request& req, httplib::Response& res) { return h->PreRoute(req, res); });
  server_->Post("/v1/.*",
                [h](const httplib::Request& req, httplib::Response& res) { h->Call(req, res); });
  server_->Get(".*",
               [h](const httplib::Request& req, httplib::Response& res) { h->Static(req, res); });
  server_->set_error_handler(
      [h](const httplib::Request& req, httplib::Response& res) { h->Error(req, res); });
  port_ =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen));
  }
  return absl::OkStatus();
}

void Gateway::BeginStop() {
  if (!server_ || stopping_) return;
  stopping_ = true;
  if (handlers_) handlers_->Stop();
  server_->stop();
}

void Gateway::Stop() {
  if (!server_) return;
  BeginStop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace ledger::gateway
