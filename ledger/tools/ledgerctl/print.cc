// ledgerctl: how results are printed: item results, replies of the signed services, Japan time,
// amounts, events.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ledger/core/pos.h"
#include "ledger/core/records.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

std::string Hex(const std::string& bytes) {
  std::optional<Id128> id = Id128::FromBytes(bytes);
  return id ? id->ToHex() : "-";
}

std::string ShortHex(const std::string& bytes) {
  std::string hex = Hex(bytes);
  const size_t first = hex.find_first_not_of('0');
  return first == std::string::npos ? "0" : hex.substr(first);
}

int RpcFailed(const grpc::Status& status) {
  fprintf(stderr, "ledgerctl: request failed: %s: %s\n",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
          status.error_message().c_str());
  return 1;
}

int PrintResults(const v1::CreateReply& reply) {
  int refused = 0;
  for (const v1::ItemResult& item : reply.results()) {
    const char* name = ResultName(static_cast<Result>(item.result()));
    printf("item %u: %s%s\n", item.index(), name,
           item.duplicate() ? " (duplicate: original outcome)" : "");
    refused += item.result() != v1::OK;
  }
  printf("journal index %llu\n", static_cast<unsigned long long>(reply.journal_index()));
  return refused ? 3 : 0;
}

const absl::TimeZone& Japan() {
  static const absl::TimeZone zone =
      absl::FixedTimeZone(static_cast<int>(kJapanOffsetSeconds));  // Business days.
  return zone;
}

std::string JapanTime(uint64_t timestamp) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixNanos(static_cast<int64_t>(timestamp)),
                          Japan());
}

namespace {

// A signed request's reply (WalletReply and PosReply carry the same fields): its result, whether it
// is the original outcome, when, and what was available if the balance fell short; exit 0 only for
// OK.
template <class Reply>
int PrintSignedReply(const Reply& reply) {
  printf("%s%s at %s (journal index %llu)\n", ResultName(static_cast<Result>(reply.result())),
         reply.duplicate() ? " (duplicate: original outcome)" : "",
         JapanTime(reply.timestamp()).c_str(),
         static_cast<unsigned long long>(reply.journal_index()));
  if (reply.result() == v1::EXCEEDS_BALANCE)
    printf("available: %lld\n", static_cast<long long>(reply.available()));
  return reply.result() == v1::OK ? 0 : 3;
}

}  // namespace

int PrintWalletReply(const v1::WalletReply& reply) { return PrintSignedReply(reply); }

int PrintPosReply(const v1::PosReply& reply) { return PrintSignedReply(reply); }

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string Yen(int64_t amount) {  // 12345 -> "12,345"
  std::string digits = std::to_string(amount < 0 ? -amount : amount);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(static_cast<size_t>(i), ",");
  return amount < 0 ? "-" + digits : digits;
}

std::string Decimal(int64_t amount, uint32_t scale) {
  if (scale == 0) return Yen(amount);
  unsigned __int128 magnitude =
      amount < 0 ? static_cast<unsigned __int128>(-(amount + 1)) + 1 : amount;
  unsigned __int128 unit = 1;
  for (uint32_t i = 0; i < scale; ++i) unit *= 10;
  std::string fraction = std::to_string(static_cast<uint64_t>(magnitude % unit));
  fraction.insert(0, scale - fraction.size(), '0');
  const std::string whole = Yen(static_cast<int64_t>(magnitude / unit));
  return absl::StrCat(amount < 0 ? "-" : "", whole, ".", fraction);
}

namespace {

std::string FlagNames(uint32_t flags) {
  std::vector<std::string> names;
  if (flags & v1::LINKED) names.push_back("\"linked\"");
  if (flags & v1::PENDING) names.push_back("\"pending\"");
  if (flags & v1::POST_PENDING) names.push_back("\"post_pending\"");
  if (flags & v1::VOID_PENDING) names.push_back("\"void_pending\"");
  return absl::StrCat("[", absl::StrJoin(names, ","), "]");
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

void PrintEvent(const v1::Event& e, bool json) {
  const auto index = static_cast<unsigned long long>(e.journal_index());
  const auto at = static_cast<unsigned long long>(e.timestamp());
  // Who sent the request the event came from (Ledger service calls), at the end of the line.
  const std::string by = e.operator_name().empty() ? "" : " by " + e.operator_name();
  const std::string by_json =
      e.operator_name().empty() ? "" : ",\"operator\":" + JsonString(e.operator_name());
  if (e.has_asset_created()) {
    const v1::Asset& a = e.asset_created();
    if (json) {
      printf(
          "{\"type\":\"asset\",\"index\":%llu,\"timestamp\":%llu,\"asset\":%u,\"code\":%s,\"expiry_"
          "seconds\":%lld%s}\n",
          index, at, a.id(), JsonString(a.code()).c_str(),
          static_cast<long long>(a.expiry_seconds()), by_json.c_str());
    } else {
      printf("%llu %llu asset %u %s created%s\n", index, at, a.id(), a.code().c_str(), by.c_str());
    }
  } else if (e.has_account_created()) {
    const v1::Account& a = e.account_created();
    const char* kind = AccountKindName(static_cast<AccountKind>(a.kind()));
    if (json) {
      printf(
          "{\"type\":\"account\",\"index\":%llu,\"timestamp\":%llu,\"id\":\"%s\",\"asset\":%u,"
          "\"kind\":\"%s\",\"category\":%s%s}\n",
          index, at, Hex(a.id()).c_str(), a.asset(), kind, JsonString(a.category()).c_str(),
          by_json.c_str());
    } else {
      printf("%llu %llu account %s asset %u %s %s created%s\n", index, at, ShortHex(a.id()).c_str(),
             a.asset(), kind, a.category().c_str(), by.c_str());
    }
  } else if (e.has_account_closed()) {
    if (json) {
      printf("{\"type\":\"account_closed\",\"index\":%llu,\"timestamp\":%llu,\"id\":\"%s\"%s}\n",
             index, at, Hex(e.account_closed()).c_str(), by_json.c_str());
    } else {
      printf("%llu %llu account %s closed%s\n", index, at, ShortHex(e.account_closed()).c_str(),
             by.c_str());
    }
  } else {
    const bool expired = e.has_pending_expired();
    const v1::Transfer& t = expired ? e.pending_expired() : e.transfer();
    if (json) {
      printf(
          "{\"type\":\"%s\",\"index\":%llu,\"timestamp\":%llu,\"id\":\"%s\",\"debit_account\":\"%"
          "s\","
          "\"credit_account\":\"%s\",\"amount\":%lld,\"asset\":%u,\"code\":%u,\"flags\":%s%s}\n",
          expired ? "pending_expired" : "transfer", index, at, Hex(t.id()).c_str(),
          Hex(t.debit_account_id()).c_str(), Hex(t.credit_account_id()).c_str(),
          static_cast<long long>(t.amount()), t.asset(), t.code(), FlagNames(t.flags()).c_str(),
          by_json.c_str());
    } else {
      printf("%llu %llu %s %s %s -> %s %lld (asset %u, code %u)%s%s\n", index, at,
             expired ? "pending-expired" : "transfer", ShortHex(t.id()).c_str(),
             ShortHex(t.debit_account_id()).c_str(), ShortHex(t.credit_account_id()).c_str(),
             static_cast<long long>(t.amount()), t.asset(), t.code(),
             t.flags() ? (" " + FlagNames(t.flags())).c_str() : "", by.c_str());
    }
  }
}

void PrintClusterStatus(const std::string& address, const v1::ClusterStatusReply& reply,
                        bool members) {
  printf("%s: node %llu %s term %llu leader %s commit %llu applied %llu last %llu journal %llu\n",
         address.c_str(), static_cast<unsigned long long>(reply.id()), reply.role().c_str(),
         static_cast<unsigned long long>(reply.term()),
         reply.leader_id() == 0
             ? "unknown"
             : absl::StrCat(reply.leader_id(), reply.leader_address().empty() ? "" : " at ",
                            reply.leader_address())
                   .c_str(),
         static_cast<unsigned long long>(reply.commit_index()),
         static_cast<unsigned long long>(reply.applied_index()),
         static_cast<unsigned long long>(reply.last_index()),
         static_cast<unsigned long long>(reply.journal_index()));
  if (!members) return;
  for (const v1::ClusterMember& member : reply.members()) {
    printf("  member %llu %s raft %s grpc %s%s%s\n", static_cast<unsigned long long>(member.id()),
           member.role().c_str(), member.raft_address().c_str(),
           member.grpc_address().empty() ? "?" : member.grpc_address().c_str(),
           member.operator_address().empty() ? "" : " operator ",
           member.operator_address().c_str());
  }
}

}  // namespace ledger::ctl
