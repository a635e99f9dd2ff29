// The gateway's pure parts: the method table and JSON mapping, the status mapping and error body,
// the static file rules (path traversal, symbolic links, MIME types).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ledger/gateway/http_status.h"
#include "ledger/gateway/json_rpc.h"
#include "ledger/gateway/static_files.h"
#include "proto/ledger.pb.h"

namespace ledger::gateway {
namespace {

TEST(JsonRpcTest, PublicListenerServesOnlyThePublicServices) {
  absl::StatusOr<GatewayMethod> wallet = FindMethod("/v1/Wallet/GetAccount", Listener::kPublic);
  ASSERT_TRUE(wallet.ok()) << wallet.status();
  EXPECT_EQ(wallet->grpc_path, "/ledger.v1.Wallet/GetAccount");
  EXPECT_FALSE(wallet->operator_service);
  EXPECT_TRUE(FindMethod("/v1/Health/WatchAlerts", Listener::kPublic)->server_streaming);
  EXPECT_TRUE(FindMethod("/v1/Pos/WatchPayment", Listener::kPublic)->server_streaming);
  EXPECT_TRUE(FindMethod("/v1/Pos/CreatePayment", Listener::kPublic).ok());
  for (const char* path :
       {"/v1/Ledger/GetDigest", "/v1/Cluster/Status", "/v1/Wallet/Nope", "/v1/Wallet",
        "/v2/Wallet/GetAccount", "/v1/Wallet/GetAccount/x",
        "/v1/ServerReflection/ServerReflectionInfo", "/v1/ledger.v1.Wallet/Send"}) {
    const absl::Status status = FindMethod(path, Listener::kPublic).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << path;
    EXPECT_NE(status.message().find(path), std::string::npos) << status;
  }
  absl::StatusOr<GatewayMethod> digest = FindMethod("/v1/Ledger/GetDigest", Listener::kOperator);
  ASSERT_TRUE(digest.ok());
  EXPECT_TRUE(digest->operator_service);
  EXPECT_TRUE(FindMethod("/v1/Wallet/Send", Listener::kOperator).ok());
}

TEST(JsonRpcTest, JsonRoundTripAndRefusals) {
  const GatewayMethod method = *FindMethod("/v1/Ledger/GetJournal", Listener::kOperator);
  absl::StatusOr<std::string> bytes = JsonToRequest(method, R"({"fromIndex": "7", "limit": 3})");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  v1::GetJournalRequest request;
  ASSERT_TRUE(request.ParseFromString(*bytes));
  EXPECT_EQ(request.from_index(), 7u);
  EXPECT_EQ(request.limit(), 3u);
  // The original field name is accepted too (protobuf's parser does).
  EXPECT_TRUE(JsonToRequest(method, R"({"from_index": 7})").ok());

  const absl::Status unknown = JsonToRequest(method, R"({"fromIndex": 1, "bogus": 2})").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("bogus"), std::string::npos) << unknown;
  const absl::Status type = JsonToRequest(method, R"({"limit": "many"})").status();
  EXPECT_EQ(type.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(type.message().find("limit"), std::string::npos) << type;
  EXPECT_EQ(JsonToRequest(method, "{not json").status().code(), absl::StatusCode::kInvalidArgument);

  v1::GetDigestReply reply;
  reply.set_journal_index(12345678901234);
  const GatewayMethod digest = *FindMethod("/v1/Ledger/GetDigest", Listener::kOperator);
  absl::StatusOr<std::string> json = ReplyToJson(digest, reply.SerializeAsString());
  ASSERT_TRUE(json.ok()) << json.status();
  // lowerCamelCase, 64-bit integers as strings, zero-valued fields printed.
  EXPECT_NE(json->find(R"("journalIndex":"12345678901234")"), std::string::npos) << *json;
  EXPECT_NE(json->find(R"("headHash":"")"), std::string::npos) << *json;
}

TEST(HttpStatusTest, MapsAsGrpcGatewayDoes) {
  const std::pair<int, int> kTable[] = {{0, 200},  {1, 499},  {2, 500},  {3, 400},  {4, 504},
                                        {5, 404},  {6, 409},  {7, 403},  {8, 429},  {9, 400},
                                        {10, 409}, {11, 400}, {12, 501}, {13, 500}, {14, 503},
                                        {15, 500}, {16, 401}, {99, 500}};
  for (const auto& [code, http] : kTable) EXPECT_EQ(HttpStatusOf(code), http) << code;
  EXPECT_EQ(
      ErrorJson(7, "needs the role \"treasurer\"\n"),
      R"({"code":7,"status":"PERMISSION_DENIED","message":"needs the role \"treasurer\"\n"})");
  EXPECT_EQ(JsonQuote(std::string("a\x01", 2)), "\"a\\u0001\"");
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::path(::testing::TempDir()) / ("static." + std::to_string(getpid()));
    std::filesystem::remove_all(base_);
    root_ = (base_ / "root").string();
    std::filesystem::create_directories(base_ / "root/wallet");
    Write(base_ / "root/index.html");
    Write(base_ / "root/wallet/index.html");
    Write(base_ / "root/wallet/app.js");
    Write(base_ / "root/.secret");
    Write(base_ / "outside.txt");
    std::filesystem::create_symlink(base_ / "outside.txt", base_ / "root/link.txt");
  }
  static void Write(const std::filesystem::path& path) { std::ofstream(path) << "x"; }

  std::filesystem::path base_;
  std::string root_;
};

TEST_F(StaticFilesTest, ServesFilesInsideTheRootOnly) {
  EXPECT_EQ(*StaticFilePath(root_, "/"), std::filesystem::canonical(root_ + "/index.html"));
  EXPECT_EQ(*StaticFilePath(root_, "/wallet/"),
            std::filesystem::canonical(root_ + "/wallet/index.html"));
  EXPECT_TRUE(StaticFilePath(root_, "/wallet/app.js").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(StaticFilePath(root_, "/wallet").status()));  // Redirect.
  for (const char* bad :
       {"/../outside.txt", "/wallet/../../outside.txt", "/wallet/../index.html", "/./index.html",
        "//index.html", "/.secret", "/link.txt", "/wallet\\..\\index.html", "/missing.js",
        "/wallet/app.js/", "index.html", ""}) {
    EXPECT_EQ(StaticFilePath(root_, bad).status().code(), absl::StatusCode::kNotFound) << bad;
  }
  EXPECT_FALSE(StaticFilePath("", "/").ok());  // No --web_root: no files.
}

TEST(MimeTypeTest, ByExtension) {
  EXPECT_EQ(MimeType("a/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(MimeType("app.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(MimeType("m.webmanifest"), "application/manifest+json");
  EXPECT_EQ(MimeType("i.svg"), "image/svg+xml");
  EXPECT_EQ(MimeType("f.woff2"), "font/woff2");
  EXPECT_EQ(MimeType("README"), "application/octet-stream");
  EXPECT_EQ(MimeType("dir.v2/README"), "application/octet-stream");
}

}  // namespace
}  // namespace ledger::gateway
