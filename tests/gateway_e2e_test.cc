// The HTTP/JSON gateway (ledger/gateway) on a real ledgerd over TLS, driven with libcurl as a
// browser would: the city sets up a town through the operator listener (client certificate), a
// resident reads her balance with a signed request on the public listener (JSON both ways), a
// change stream and a shop's live payment view (Pos.WatchPayment) arrive as Server-Sent Events;
// and what is refused: bad JSON (400 naming the
// field), an unknown method and an operator method on the public listener (404), a wrong content
// type (415), a body over the limit (413), a role the operator lacks (403 naming it), no client
// certificate or one from another CA (no TLS session), the gateway's metadata from a network gRPC
// caller (UNAUTHENTICATED), static paths outside --web_root and the console on the public listener
// (404); every response carries the Content-Security-Policy.
#include <curl/curl.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "formats/keys.h"
#include "gtest/gtest.h"
#include "ledger/client/client.h"
#include "ledger/core/limits.h"
#include "merchant/pos_client.h"
#include "tests/ledger_process.h"
#include "tests/payments.h"
#include "wallet/wallet_client.h"

namespace ledger {
namespace {

using testing::LedgerProcess;
using testing::MakeTempDir;
using testing::TestPkiDir;

constexpr uint64_t kIssuer = 1, kAlice = 10;

struct Http {
  long status = 0;  // 0: no HTTP response (the TLS handshake failed, ...).
  CURLcode curl = CURLE_OK;
  std::string body;
  std::map<std::string, std::string> headers;  // Lower-case names.
};

struct Request {
  std::string method = "POST";
  std::string body;
  std::string content_type = "application/json";
  std::string accept;
  std::string cert, key;             // The client certificate, if any.
  std::string ca;                    // Default: the test CA.
  std::string stop_at;               // Streams: stop reading once the body holds this.
  std::vector<std::string> headers;  // Extra "Name: value" lines.
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* pair = static_cast<std::pair<Http*, const Request*>*>(user);
  pair->first->body.append(data, size * count);
  const std::string& stop = pair->second->stop_at;
  if (!stop.empty() && pair->first->body.find(stop) != std::string::npos) return 0;  // Abort.
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  }
  return size * count;
}

Http Fetch(const std::string& url, const Request& request) {
  Http http;
  CURL* curl = curl_easy_init();
  std::pair<Http*, const Request*> user = {&http, &request};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // Send "/../" as is.
  curl_easy_setopt(curl, CURLOPT_CAINFO,
                   (request.ca.empty() ? TestPkiDir() + "/ca.crt" : request.ca).c_str());
  if (!request.cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, request.cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, request.key.c_str());
  }
  struct curl_slist* headers = nullptr;
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    headers = curl_slist_append(headers, ("Content-Type: " + request.content_type).c_str());
  }
  if (!request.accept.empty())
    headers = curl_slist_append(headers, ("Accept: " + request.accept).c_str());
  for (const std::string& line : request.headers)
    headers = curl_slist_append(headers, line.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &user);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &http.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  http.curl = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return http;
}

std::string Json(const google::protobuf::Message& message) {
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &json).ok());
  return json;
}

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

class GatewayE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = MakeTempDir("gateway");
    web_ = dir + "/web";
    std::filesystem::create_directories(web_ + "/wallet");
    std::filesystem::create_directories(web_ + "/console");
    std::ofstream(web_ + "/wallet/index.html") << "<!doctype html><title>wallet</title>";
    std::ofstream(web_ + "/wallet/app.js") << "console.log(1);";
    std::ofstream(web_ + "/console/index.html") << "<!doctype html><title>console</title>";
    std::ofstream(dir + "/secret.txt") << "outside the root";
    server_.UseHttp();
    // The console's recalibration runs the simulator beside ledgerd in the runfiles.
    std::string circsim = testing::LedgerdPath();
    circsim.replace(circsim.rfind("ledger/ledgerd/ledgerd"), std::string::npos, "sim/circsim");
    circsim = std::filesystem::absolute(circsim).string();
    ASSERT_TRUE(server_
                    .StartNode(dir + "/ledger", "127.0.0.1:0",
                               {"--web_root=" + web_, "--circsim=" + circsim})
                    .ok())
        << server_.log_path();
    ASSERT_TRUE(WaitForLedger(v1::Ledger::NewStub(server_.operator_channel()).get(),
                              std::chrono::seconds(10))
                    .ok());
    ASSERT_GT(server_.http_port(), 0);
    ASSERT_GT(server_.http_operator_port(), 0);
    ASSERT_TRUE(testing::RunPki("operator " + TestPkiDir() + " auditor").ok());
  }

  std::string PublicUrl(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_.http_port()) + path;
  }
  std::string OperatorUrl(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_.http_operator_port()) + path;
  }
  // A request with operator `name`'s client certificate.
  static Request As(const std::string& name, std::string body) {
    Request request;
    request.body = std::move(body);
    request.cert = TestPkiDir() + "/operators/" + name + ".crt";
    request.key = TestPkiDir() + "/operators/" + name + ".key";
    return request;
  }
  // The operator call `path` with `message` as `demo`; its JSON reply (200 expected).
  std::string Operator(const std::string& path, const google::protobuf::Message& message) {
    const Http http = Fetch(OperatorUrl(path), As("demo", Json(message)));
    EXPECT_EQ(http.status, 200) << path << ": " << http.body;
    return http.body;
  }

  LedgerProcess server_;
  std::string web_;
};

TEST_F(GatewayE2eTest, ACityAndAResidentThroughJson) {
  const testing::Town town = testing::MakeTown(kIssuer, kAlice, 1, 1500);
  EXPECT_NE(Operator("/v1/Ledger/CreateAssets", town.assets).find(R"("result":"OK")"),
            std::string::npos);
  Operator("/v1/Ledger/CreateAccounts", town.accounts);
  Operator("/v1/Ledger/CreateTransfers", town.funding);
  const wallet::KeyPair alice = wallet::GenerateKeyPair();
  v1::RegisterKeysRequest keys;
  keys.add_keys()->set_account_id(IdBytes(kAlice));
  keys.mutable_keys(0)->set_public_key(alice.public_key);
  Operator("/v1/Ledger/RegisterKeys", keys);

  // The resident's signed request, as JSON, on the public listener; the reply parsed back.
  const v1::WalletRequest request =
      wallet::SignWalletRequest(alice, IdBytes(kAlice), "GetAccount", v1::WalletAccountRequest(),
                                NowMs(), wallet::RandomNonce());
  Request post;
  post.body = Json(request);
  Http http = Fetch(PublicUrl("/v1/Wallet/GetAccount"), post);
  ASSERT_EQ(http.status, 200) << http.body;
  EXPECT_EQ(http.headers["content-type"], "application/json");
  EXPECT_NE(http.body.find(R"("balance":"1500")"), std::string::npos)
      << http.body;  // int64: a string.
  v1::WalletAccountReply reply;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(http.body, &reply).ok());
  EXPECT_EQ(reply.account().balance(), 1500);
  EXPECT_EQ(reply.account().id(), IdBytes(kAlice));
  // A business refusal is not an HTTP error: an overdraft is 200 with its result.
  v1::CreateTransfersRequest overdraft;
  *overdraft.add_transfers() = testing::MakeTransfer(0, 99, kAlice, kIssuer, 1501);
  const Http refused =
      Fetch(OperatorUrl("/v1/Ledger/CreateTransfers"), As("demo", Json(overdraft)));
  EXPECT_EQ(refused.status, 200);
  EXPECT_NE(refused.body.find(R"("result":")"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.body.find(R"("result":"OK")"), std::string::npos) << refused.body;
}

TEST_F(GatewayE2eTest, TheChangeStreamArrivesAsServerSentEvents) {
  const testing::Town town = testing::MakeTown(kIssuer, kAlice, 1, 1500);
  Operator("/v1/Ledger/CreateAssets", town.assets);
  v1::SubscribeRequest subscribe;
  subscribe.set_from_index(1);
  Request stream = As("demo", Json(subscribe));
  stream.accept = "text/event-stream";
  stream.stop_at = "\"assetCreated\"";
  Http http = Fetch(OperatorUrl("/v1/Ledger/Subscribe"), stream);
  EXPECT_EQ(http.status, 200);
  EXPECT_EQ(http.headers["content-type"], "text/event-stream");
  EXPECT_EQ(http.body.rfind("data: {", 0), 0u) << http.body;
  EXPECT_NE(http.body.find(R"("code":"COIN")"), std::string::npos) << http.body;
  // A stream asked without Accept: text/event-stream is refused, saying so.
  const Http plain = Fetch(OperatorUrl("/v1/Ledger/Subscribe"), As("demo", Json(subscribe)));
  EXPECT_EQ(plain.status, 406);
  EXPECT_NE(plain.body.find("text/event-stream"), std::string::npos) << plain.body;
  // An error ends a stream with an error event: a signature that does not verify.
  Request watch;
  watch.body = R"({"accountId": "AAAAAAAAAAAAAAAAAAAAAA==", "timestampMs": "1", "nonce": "1"})";
  watch.accept = "text/event-stream";
  const Http refused = Fetch(PublicUrl("/v1/Health/WatchAlerts"), watch);
  EXPECT_EQ(refused.status, 200);
  EXPECT_NE(refused.body.find("event: error\ndata: {\"code\":"), std::string::npos) << refused.body;
}

// The shop page's live payment view: Pos.WatchPayment as Server-Sent Events. A code with a
// one-second lifetime streams "awaiting", then "expired", and the stream ends by itself; a request
// signed with another key ends with an error event naming the refusal.
TEST_F(GatewayE2eTest, AShopWatchesAPaymentAsServerSentEvents) {
  constexpr uint64_t kShop = 20;
  testing::Town town = testing::MakeTown(kIssuer, kAlice, 1, 1500);
  v1::Account* shop = town.accounts.add_accounts();
  shop->set_id(IdBytes(kShop));
  shop->set_asset(1);
  shop->set_kind(v1::MERCHANT);
  shop->set_flags(v1::NON_NEGATIVE);
  Operator("/v1/Ledger/CreateAssets", town.assets);
  Operator("/v1/Ledger/CreateAccounts", town.accounts);
  const merchant::Terminal till{IdBytes(kShop), "till-1", wallet::GenerateKeyPair()};
  v1::RegisterKeysRequest keys;
  v1::PublicKey* key = keys.add_keys();
  key->set_account_id(IdBytes(kShop));
  key->set_key_id("till-1");
  key->set_public_key(till.keys.public_key);
  Operator("/v1/Ledger/RegisterKeys", keys);
  v1::CreateMpmRequest order;
  order.set_payment_id("sse-1");
  order.set_amount(1200);
  order.set_merchant_name("Sakura Market");
  order.set_merchant_city("Tsuruoka");
  order.set_lifetime_seconds(1);
  Request post;
  post.body = Json(merchant::SignRequest(till, "CreateMpm", order, NowMs()));
  Http http = Fetch(PublicUrl("/v1/Pos/CreateMpm"), post);
  ASSERT_EQ(http.status, 200) << http.body;
  ASSERT_NE(http.body.find(R"("result":"OK")"), std::string::npos) << http.body.substr(0, 300);

  v1::PaymentIdRequest which;
  which.set_payment_id("sse-1");
  Request watch;
  watch.body = Json(merchant::SignRequest(till, "WatchPayment", which, NowMs()));
  watch.accept = "text/event-stream";
  const auto started = std::chrono::steady_clock::now();
  http = Fetch(PublicUrl("/v1/Pos/WatchPayment"), watch);  // Ends by itself: no stop_at.
  EXPECT_EQ(http.curl, CURLE_OK);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(http.status, 200);
  EXPECT_EQ(http.headers["content-type"], "text/event-stream");
  const size_t awaiting = http.body.find(R"("state":"awaiting")");
  const size_t expired = http.body.find(R"("state":"expired")");
  EXPECT_EQ(http.body.rfind("data: {", 0), 0u) << http.body;
  EXPECT_NE(awaiting, std::string::npos) << http.body;
  EXPECT_NE(expired, std::string::npos) << http.body;
  EXPECT_LT(awaiting, expired) << http.body;
  EXPECT_EQ(http.body.find("event: error"), std::string::npos) << http.body;

  const merchant::Terminal impostor{IdBytes(kShop), "till-1", wallet::GenerateKeyPair()};
  watch.body = Json(merchant::SignRequest(impostor, "WatchPayment", which, NowMs()));
  http = Fetch(PublicUrl("/v1/Pos/WatchPayment"), watch);
  EXPECT_EQ(http.status, 200);
  EXPECT_NE(http.body.find("event: error\ndata: {\"code\":7,\"status\":\"PERMISSION_DENIED\""),
            std::string::npos)
      << http.body;
  EXPECT_NE(http.body.find("signature mismatch"), std::string::npos) << http.body;
}

TEST_F(GatewayE2eTest, BadRequestsAreRefusedNamingTheProblem) {
  Request bad;
  bad.body = R"({"accountId": "AAAAAAAAAAAAAAAAAAAAAA==", "colour": "red"})";
  Http http = Fetch(PublicUrl("/v1/Wallet/GetAccount"), bad);
  EXPECT_EQ(http.status, 400);
  EXPECT_NE(http.body.find(R"("status":"INVALID_ARGUMENT")"), std::string::npos) << http.body;
  EXPECT_NE(http.body.find("colour"), std::string::npos) << http.body;
  bad.body = "{not json";
  EXPECT_EQ(Fetch(PublicUrl("/v1/Wallet/GetAccount"), bad).status, 400);

  Request empty;
  empty.body = "{}";
  http = Fetch(PublicUrl("/v1/Wallet/NoSuchMethod"), empty);
  EXPECT_EQ(http.status, 404);
  EXPECT_NE(http.body.find(R"("code":5)"), std::string::npos) << http.body;
  // The operator services do not exist on the public listener, even with a certificate.
  EXPECT_EQ(Fetch(PublicUrl("/v1/Ledger/GetDigest"), As("demo", "{}")).status, 404);
  EXPECT_EQ(Fetch(PublicUrl("/v1/Cluster/Status"), empty).status, 404);
  EXPECT_EQ(Fetch(OperatorUrl("/v1/Ledger/GetDigest"), As("demo", "{}")).status, 200);

  Request form = empty;
  form.content_type = "application/x-www-form-urlencoded";
  http = Fetch(PublicUrl("/v1/Wallet/GetAccount"), form);
  EXPECT_EQ(http.status, 415);
  EXPECT_NE(http.body.find("application/json"), std::string::npos) << http.body;

  Request huge;
  huge.body = "{\"body\": \"" + std::string(kHttpBodyBytesMax, 'A') + "\"}";
  http = Fetch(PublicUrl("/v1/Wallet/GetAccount"), huge);
  EXPECT_EQ(http.status, 413) << http.body.substr(0, 200);
  // Every response carries the policy, errors too.
  EXPECT_EQ(http.headers["content-security-policy"].find("default-src 'self'"), 0u);
}

// The console's "recalibrate" (POST /v1/Console/Recalibrate, operator listener only): the
// simulator calibrated from this ledger's own flows (12 wallets charged by the issuer, paying at 10
// food shops: enough for the privacy rule; the last entry without an event) and run; a role that
// may not gets 403, a second request
// while one runs gets 409 naming who started it, the public listener has no such path.
TEST_F(GatewayE2eTest, TheConsoleRecalibratesTheSimulatorOneAtATime) {
  testing::Town town = testing::MakeTown(kIssuer, kAlice, 12, 10000);
  v1::CreateTransfersRequest payments;
  for (int m = 0; m < 10; ++m) {
    v1::Account* shop = town.accounts.add_accounts();
    shop->set_id(IdBytes(100 + m));
    shop->set_asset(1);
    shop->set_kind(v1::MERCHANT);
    shop->set_category("food");
    for (int w = 0; w < 12; w += 4) {
      *payments.add_transfers() =
          testing::MakeTransfer(7, 100 * m + w, kAlice + (w + m) % 12, 100 + m, 300 + w);
    }
  }
  Operator("/v1/Ledger/CreateAssets", town.assets);
  Operator("/v1/Ledger/CreateAccounts", town.accounts);
  Operator("/v1/Ledger/CreateTransfers", town.funding);
  EXPECT_EQ(Operator("/v1/Ledger/CreateTransfers", payments).find(R"("result":"EXCEEDS)"),
            std::string::npos);
  // The last journal entry makes no change-stream event (as a shop's CloseDay does): the stream is
  // read until it has caught up all the same.
  v1::SetFourEyesRequest four_eyes;
  four_eyes.set_issuance_threshold(1'000'000'000);
  Operator("/v1/Ledger/SetFourEyes", four_eyes);

  EXPECT_EQ(Fetch(PublicUrl("/v1/Console/Recalibrate"), As("demo", "{}")).status, 404);
  Http http = Fetch(OperatorUrl("/v1/Console/Recalibrate"), As("auditor", "{}"));
  EXPECT_EQ(http.status, 403) << http.body;
  EXPECT_NE(http.body.find("needs the role treasurer or programme_admin"), std::string::npos)
      << http.body;

  Http first;
  std::thread running(
      [&] { first = Fetch(OperatorUrl("/v1/Console/Recalibrate"), As("demo", "{}")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // The run takes seconds.
  const Http second = Fetch(OperatorUrl("/v1/Console/Recalibrate"), As("demo", "{}"));
  running.join();
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_NE(second.body.find("already running (started by demo"), std::string::npos) << second.body;
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find(R"("operator":"demo")"), std::string::npos) << first.body;
  EXPECT_NE(first.body.find(R"("metrics":{)"), std::string::npos) << first.body.substr(0, 400);
  EXPECT_NE(first.body.find("food"), std::string::npos) << first.body.substr(0, 400);
  // Over: the next one runs.
  EXPECT_EQ(Fetch(OperatorUrl("/v1/Console/Recalibrate"), As("demo", "{}")).status, 200);
}

TEST_F(GatewayE2eTest, OperatorsAreTheirCertificates) {
  v1::CreateAssetsRequest asset = testing::MakeTown(kIssuer, kAlice, 1, 1).assets;
  Http http = Fetch(OperatorUrl("/v1/Ledger/CreateAssets"), As("auditor", Json(asset)));
  EXPECT_EQ(http.status, 403);
  EXPECT_NE(http.body.find("needs the role treasurer"), std::string::npos) << http.body;
  EXPECT_NE(http.body.find("operator auditor"), std::string::npos) << http.body;

  // No client certificate, or one from another CA: no TLS session, so no HTTP status at all.
  Request anonymous;
  anonymous.body = "{}";
  http = Fetch(OperatorUrl("/v1/Ledger/GetDigest"), anonymous);
  EXPECT_EQ(http.status, 0);
  EXPECT_NE(http.curl, CURLE_OK);
  const std::string other = MakeTempDir("otherca") + "/pki";
  ASSERT_TRUE(testing::RunPki("init " + other).ok());
  ASSERT_TRUE(testing::RunPki("operator " + other + " demo").ok());
  Request stranger = anonymous;
  stranger.cert = other + "/operators/demo.crt";
  stranger.key = other + "/operators/demo.key";
  http = Fetch(OperatorUrl("/v1/Ledger/GetDigest"), stranger);
  EXPECT_EQ(http.status, 0);
  EXPECT_NE(http.curl, CURLE_OK);
  // The public services still answer on the operator listener (with a certificate).
  EXPECT_EQ(Fetch(OperatorUrl("/v1/Wallet/GetAccount"), As("demo", "{}")).status, 400);
}

// ops/pki revoke: the revoked operator's next HTTPS connection is refused in the handshake (no
// session is resumed), without a restart; the other operators go on.
TEST_F(GatewayE2eTest, ARevokedOperatorCertificateIsRefused) {
  ASSERT_TRUE(testing::RunPki("operator " + TestPkiDir() + " deputy-registrar").ok());
  Http http = Fetch(OperatorUrl("/v1/Ledger/GetDigest"), As("deputy-registrar", "{}"));
  EXPECT_NE(http.status, 0) << "a TLS session before the revocation";
  ASSERT_TRUE(testing::RunPki("revoke " + TestPkiDir() + " " + TestPkiDir() +
                              "/operators/deputy-registrar.crt")
                  .ok());
  http = Fetch(OperatorUrl("/v1/Ledger/GetDigest"), As("deputy-registrar", "{}"));
  EXPECT_EQ(http.status, 0) << http.body;
  EXPECT_NE(http.curl, CURLE_OK);
  EXPECT_EQ(Fetch(OperatorUrl("/v1/Ledger/GetDigest"), As("demo", "{}")).status, 200);
}

// The gateway tells the services who the operator is with x-ledger-gateway (a per-process secret)
// and x-ledger-operator: a network gRPC caller sending them is refused, whatever it guesses, even
// with a valid operator certificate; the same call without them succeeds as the certificate's CN.
TEST_F(GatewayE2eTest, TheGatewayMetadataIsRefusedFromTheNetwork) {
  std::unique_ptr<v1::Ledger::Stub> ledger = v1::Ledger::NewStub(server_.operator_channel());
  v1::CreateAssetsRequest asset = testing::MakeTown(kIssuer, kAlice, 1, 1).assets;
  v1::CreateReply reply;
  for (const std::string& guess : {std::string(64, '0'), std::string("secret"), std::string()}) {
    grpc::ClientContext context;
    context.AddMetadata("x-ledger-gateway", guess);
    context.AddMetadata("x-ledger-operator", "city-treasurer");
    const grpc::Status status = ledger->CreateAssets(&context, asset, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << guess;
    EXPECT_NE(status.error_message().find("in-process HTTP gateway"), std::string::npos)
        << status.error_message();
  }
  grpc::ClientContext context;
  ASSERT_TRUE(ledger->CreateAssets(&context, asset, &reply).ok());
  EXPECT_EQ(reply.results(0).result(), v1::OK);
}

TEST_F(GatewayE2eTest, StaticFilesStayInsideTheRoot) {
  Request get;
  get.method = "GET";
  Http http = Fetch(PublicUrl("/wallet/"), get);
  EXPECT_EQ(http.status, 200);
  EXPECT_EQ(http.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(http.headers["content-security-policy"],
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'");
  EXPECT_EQ(http.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(Fetch(PublicUrl("/wallet/app.js"), get).headers["content-type"],
            "text/javascript; charset=utf-8");
  EXPECT_EQ(Fetch(PublicUrl("/wallet"), get).status, 301);
  for (const char* path : {"/../secret.txt", "/wallet/../../secret.txt", "/%2e%2e/secret.txt",
                           "/wallet/%2E%2E/%2E%2E/secret.txt", "/wallet/..%2f..%2fsecret.txt"}) {
    http = Fetch(PublicUrl(path), get);
    EXPECT_EQ(http.status, 404) << path;
    EXPECT_EQ(http.body.find("outside the root"), std::string::npos) << path;
  }
  // The console: on the operator listener only.
  EXPECT_EQ(Fetch(PublicUrl("/console/"), get).status, 404);
  Request operator_get = As("demo", "");
  operator_get.method = "GET";
  EXPECT_EQ(Fetch(OperatorUrl("/console/"), operator_get).status, 200);
}

// Requests per client address are bounded (kHttpRequestsPerSecondPerPeer, burst
// kHttpRequestBurstPerPeer): past the burst, 429 with Retry-After, on one kept-alive connection;
// static files are not limited.
TEST_F(GatewayE2eTest, ManyRequestsFromOneAddressAre429) {
  CURL* curl = curl_easy_init();
  const std::string url = PublicUrl("/v1/Wallet/GetAccount");
  const std::string ca = TestPkiDir() + "/ca.crt";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{}");
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t count, void*) { return size * count; });
  struct curl_slist* json = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, json);
  std::map<std::string, std::string> headers;
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
  int sent = 0;
  long status = 0;
  const int most = static_cast<int>(kHttpRequestBurstPerPeer) * 4;
  while (sent < most && status != 429) {
    ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    ++sent;
  }
  curl_easy_cleanup(curl);
  curl_slist_free_all(json);
  EXPECT_EQ(status, 429) << "after " << sent << " requests";
  // Static files are not counted.
  Request get;
  get.method = "GET";
  EXPECT_EQ(Fetch(PublicUrl("/wallet/"), get).status, 200);
  EXPECT_GT(sent, static_cast<int>(kHttpRequestBurstPerPeer));
  EXPECT_EQ(headers["retry-after"], "1");
}

// The TLS operator listener admits only verified operators: no per-address limit there, as on
// gRPC's operator port (ops/bench --gateway measures payments through it); the public one keeps it.
TEST_F(GatewayE2eTest, OperatorsAreNotLimitedPerAddress) {
  CURL* curl = curl_easy_init();
  const std::string url = OperatorUrl("/v1/Ledger/GetDigest");
  const std::string ca = TestPkiDir() + "/ca.crt", cert = TestPkiDir() + "/operators/demo.crt",
                    key = TestPkiDir() + "/operators/demo.key";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(curl, CURLOPT_SSLCERT, cert.c_str());
  curl_easy_setopt(curl, CURLOPT_SSLKEY, key.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{}");
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t count, void*) { return size * count; });
  struct curl_slist* json = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, json);
  const int requests = static_cast<int>(kHttpRequestBurstPerPeer) * 3;
  int ok = 0;
  for (int i = 0; i < requests; ++i) {
    long status = 0;
    ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    ok += status == 200;
  }
  curl_easy_cleanup(curl);
  curl_slist_free_all(json);
  EXPECT_EQ(ok, requests);
}

// --plaintext: plain HTTP on loopback; the operator listener passes the development token and
// X-Ledger-Operator to the services, which check them as on gRPC.
TEST(GatewayPlaintextE2eTest, TheOperatorListenerTakesTheToken) {
  testing::PlaintextLedgerProcess server;
  server.UseHttp();
  ASSERT_TRUE(server.Start(MakeTempDir("gateway-plain") + "/ledger").ok()) << server.log_path();
  const std::string base = "http://127.0.0.1:" + std::to_string(server.http_operator_port());
  Request request;
  request.body = "{}";
  Http http = Fetch(base + "/v1/Ledger/GetDigest", request);
  EXPECT_EQ(http.status, 401) << http.body;
  EXPECT_NE(http.body.find("UNAUTHENTICATED"), std::string::npos) << http.body;
  request.headers = {"Authorization: Bearer " + server.operator_token()};
  http = Fetch(base + "/v1/Ledger/GetDigest", request);
  EXPECT_EQ(http.status, 200) << http.body;
  Request auditor;
  auditor.body = Json(testing::MakeTown(kIssuer, kAlice, 1, 1).assets);
  auditor.headers = {"Authorization: Bearer " + server.operator_token(),
                     "X-Ledger-Operator: auditor"};
  http = Fetch(base + "/v1/Ledger/CreateAssets", auditor);
  EXPECT_EQ(http.status, 403) << http.body;
  // The public listener has no operator services, token or not.
  request.headers = {"Authorization: Bearer " + server.operator_token()};
  EXPECT_EQ(Fetch("http://127.0.0.1:" + std::to_string(server.http_port()) + "/v1/Ledger/GetDigest",
                  request)
                .status,
            404);
}

}  // namespace
}  // namespace ledger
