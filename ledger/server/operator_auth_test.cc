// OperatorAuth lets through only "authorization: Bearer <the token>" and says what is wrong
// otherwise.
#include "ledger/server/operator_auth.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ledger {
namespace {

const std::string kToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

absl::Status CheckWith(const OperatorAuth& auth,
                       const std::vector<std::pair<std::string, std::string>>& entries) {
  std::multimap<grpc::string_ref, grpc::string_ref> metadata;
  for (const auto& [key, value] : entries) metadata.emplace(key, value);
  return auth.Check(metadata);
}

TEST(OperatorAuthTest, TheRightTokenPasses) {
  const OperatorAuth auth(kToken);
  EXPECT_TRUE(CheckWith(auth, {{"authorization", "Bearer " + kToken}}).ok());
  EXPECT_TRUE(
      CheckWith(auth, {{"authorization", "bearer " + kToken}}).ok());  // The scheme in any case.
  EXPECT_TRUE(
      CheckWith(auth, {{"authorization", "Bearer   " + kToken}, {"user-agent", "grpc-c++"}}).ok());
}

TEST(OperatorAuthTest, NoTokenSaysWhereItLives) {
  const OperatorAuth auth(kToken);
  const absl::Status missing = CheckWith(auth, {{"user-agent", "grpc-c++"}});
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(missing.message().find("missing 'authorization: Bearer' token"), std::string::npos)
      << missing;
  EXPECT_NE(missing.message().find("ledgerd --operator_token_file"), std::string::npos) << missing;
  EXPECT_NE(missing.message().find("ledgerctl --operator_token_file"), std::string::npos)
      << missing;
  // The token under another name does not count.
  EXPECT_EQ(CheckWith(auth, {{"x-operator-token", kToken}}).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(OperatorAuthTest, AWrongTokenIsAMismatch) {
  const OperatorAuth auth(kToken);
  std::string near = kToken;
  near.back() = 'e';
  for (const std::string& wrong :
       {near, kToken.substr(0, 63), kToken + "0", std::string("x"), kToken + kToken}) {
    const absl::Status status = CheckWith(auth, {{"authorization", "Bearer " + wrong}});
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << wrong;
    EXPECT_EQ(status.message(), "operator token mismatch") << wrong;
  }
}

TEST(OperatorAuthTest, MalformedAuthorizationIsRefused) {
  const OperatorAuth auth(kToken);
  for (const std::string& value : std::vector<std::string>{kToken, "Basic " + kToken, "Bearer",
                                                           "Bearer ", "Bearer" + kToken, ""}) {
    const absl::Status status = CheckWith(auth, {{"authorization", value}});
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << value;
    EXPECT_NE(status.message().find("must be 'Bearer TOKEN'"), std::string::npos)
        << value << ": " << status;
  }
  // Two entries, even if one is right: which one a proxy passed on is not ours to guess.
  const absl::Status twice =
      CheckWith(auth, {{"authorization", "Bearer " + kToken}, {"authorization", "Bearer x"}});
  EXPECT_EQ(twice.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(twice.message(), "operator API: more than one 'authorization' metadata entry");
}

absl::StatusOr<std::string> WhoWith(
    const OperatorAuth& auth, const std::vector<std::pair<std::string, std::string>>& entries) {
  std::multimap<grpc::string_ref, grpc::string_ref> metadata;
  for (const auto& [key, value] : entries) metadata.emplace(key, value);
  return auth.Authenticate(metadata);
}

TEST(OperatorAuthTest, AuthenticateNamesTheOperator) {
  const OperatorAuth auth(kToken);
  const std::pair<std::string, std::string> token = {"authorization", "Bearer " + kToken};
  EXPECT_EQ(*WhoWith(auth, {token}), "dev");
  EXPECT_EQ(*WhoWith(auth, {token, {"x-ledger-operator", "city-treasurer"}}), "city-treasurer");
  // The name does not replace the token.
  EXPECT_EQ(WhoWith(auth, {{"x-ledger-operator", "city-treasurer"}}).status().code(),
            absl::StatusCode::kUnauthenticated);
  for (const std::string& bad : {std::string(""), std::string("Alice"), std::string("-x"),
                                 std::string("a b"), std::string(65, 'a')}) {
    const absl::Status status = WhoWith(auth, {token, {"x-ledger-operator", bad}}).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << bad;
    EXPECT_NE(status.message().find("1 to 64 characters"), std::string::npos) << status;
  }
  EXPECT_EQ(WhoWith(auth, {token, {"x-ledger-operator", "a"}, {"x-ledger-operator", "b"}})
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(*WhoWith(auth, {token, {"x-ledger-operator", std::string(64, 'a')}}),
            std::string(64, 'a'));
}

absl::StatusOr<std::string> GatewayWith(
    const OperatorAuth& auth, const std::vector<std::pair<std::string, std::string>>& entries,
    const std::string& peer) {
  std::multimap<grpc::string_ref, grpc::string_ref> metadata;
  for (const auto& [key, value] : entries) metadata.emplace(key, value);
  return auth.GatewayOperator(metadata, peer);
}

TEST(OperatorAuthTest, TheGatewaySecretCountsOnlyInProcess) {
  for (const OperatorAuth* auth : {new OperatorAuth(), new OperatorAuth(kToken)}) {
    const std::string secret = auth->gateway_secret();
    ASSERT_EQ(secret.size(), 64u);
    const std::pair<std::string, std::string> who = {"x-ledger-operator", "city-treasurer"};
    for (const std::string& in_process : {"unknown", "inproc"}) {  // gRPC 1.51's; others'.
      EXPECT_EQ(*GatewayWith(*auth, {{"x-ledger-gateway", secret}, who}, in_process),
                "city-treasurer");
    }
    // The right secret from the network is refused, as is a wrong one in-process.
    for (const std::string& peer : {"ipv4:127.0.0.1:5555", "ipv6:[::1]:5555", "unix:/x", ""}) {
      EXPECT_EQ(GatewayWith(*auth, {{"x-ledger-gateway", secret}, who}, peer).status().code(),
                absl::StatusCode::kUnauthenticated)
          << peer;
    }
    std::string near = secret;
    near.back() = near.back() == '0' ? '1' : '0';
    for (const std::string& wrong : {near, secret.substr(0, 63), secret + "0", std::string()}) {
      const absl::Status status =
          GatewayWith(*auth, {{"x-ledger-gateway", wrong}, who}, "inproc").status();
      EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << wrong;
      EXPECT_EQ(status.message().find(secret), std::string::npos);
    }
    // Two secrets, no name, a node's name, a bad name.
    EXPECT_FALSE(GatewayWith(*auth,
                             {{"x-ledger-gateway", secret}, {"x-ledger-gateway", secret}, who},
                             "inproc")
                     .ok());
    EXPECT_FALSE(GatewayWith(*auth, {{"x-ledger-gateway", secret}}, "inproc").ok());
    EXPECT_FALSE(GatewayWith(*auth, {{"x-ledger-gateway", secret}, {"x-ledger-operator", "node-1"}},
                             "inproc")
                     .ok());
    EXPECT_FALSE(
        GatewayWith(*auth, {{"x-ledger-gateway", secret}, {"x-ledger-operator", "Bad"}}, "inproc")
            .ok());
    delete auth;
  }
  // Each OperatorAuth (each ledgerd) has its own secret.
  EXPECT_NE(OperatorAuth().gateway_secret(), OperatorAuth().gateway_secret());
}

TEST(OperatorAuthDeathTest, AShortTokenStopsTheProcess) {
  EXPECT_DEATH(OperatorAuth("too short"), "at least 32");
}

}  // namespace
}  // namespace ledger
