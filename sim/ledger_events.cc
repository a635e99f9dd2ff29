// Change stream → calibration events. See ledger_events.h.
#include "sim/ledger_events.h"

#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/client/client.h"
#include "nlohmann/json.hpp"

namespace sim {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::chrono::milliseconds kEntryTailWait{500};

std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

std::string TransferLine(uint64_t timestamp_ns, const std::string& debit, const std::string& credit,
                         int64_t amount) {
  nlohmann::ordered_json j = {{"type", "transfer"},
                              {"timestamp_s", static_cast<int64_t>(timestamp_ns / kNanosPerSecond)},
                              {"debit", Hex(debit)},
                              {"credit", Hex(credit)},
                              {"amount", amount}};
  return j.dump() + "\n";
}

}  // namespace

std::optional<std::string> EventConverter::ToJsonLine(const ledger::v1::Event& event) {
  if (event.has_account_created()) {
    const ledger::v1::Account& a = event.account_created();
    if (asset_ != 0 && a.asset() != asset_) return std::nullopt;
    nlohmann::ordered_json j = {{"type", "account"},
                                {"id", Hex(a.id())},
                                {"kind", ledger::v1::AccountKind_Name(a.kind())},
                                {"category", a.category()}};
    return j.dump() + "\n";
  }
  if (!event.has_transfer())
    return std::nullopt;  // Assets, closes and expired pendings carry no flow.
  const ledger::v1::Transfer& t = event.transfer();
  if (asset_ != 0 && t.asset() != asset_) return std::nullopt;
  const uint32_t flags = t.flags();
  if (flags & ledger::v1::PENDING) {
    pending_[t.id()] = Pending{t.debit_account_id(), t.credit_account_id(), t.amount()};
    return std::nullopt;
  }
  if (flags & ledger::v1::VOID_PENDING) {
    pending_.erase(t.pending_id());
    return std::nullopt;
  }
  if (flags & ledger::v1::POST_PENDING) {
    auto it = pending_.find(t.pending_id());
    if (it == pending_.end()) return std::nullopt;  // Its pending came before the stream start.
    const Pending p = it->second;
    pending_.erase(it);
    const std::string debit = t.debit_account_id().empty() ? p.debit : t.debit_account_id();
    const std::string credit = t.credit_account_id().empty() ? p.credit : t.credit_account_id();
    const int64_t amount = t.amount() > 0 ? t.amount() : p.amount;
    return TransferLine(t.timestamp(), debit, credit, amount);
  }
  if (t.amount() <= 0 || t.debit_account_id().empty() || t.credit_account_id().empty())
    return std::nullopt;
  return TransferLine(t.timestamp(), t.debit_account_id(), t.credit_account_id(), t.amount());
}

absl::StatusOr<std::string> EventsFromSubscribeJson(const std::string& text, uint32_t asset) {
  EventConverter converter(asset);
  std::string lines;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (line.empty()) continue;
    ledger::v1::Event event;
    const auto parsed = google::protobuf::util::JsonStringToMessage(std::string(line), &event);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", number, ": not a ledger.v1.Event in JSON: ", std::string(parsed.message())));
    }
    if (std::optional<std::string> converted = converter.ToJsonLine(event)) lines += *converted;
  }
  return lines;
}

absl::StatusOr<std::string> FetchLedgerEvents(const std::string& address,
                                              const ledger::Transport& transport, uint32_t asset,
                                              std::chrono::milliseconds timeout) {
  std::unique_ptr<ledger::v1::Ledger::Stub> stub =
      ledger::v1::Ledger::NewStub(ledger::OperatorChannel(address, transport));
  ledger::v1::GetDigestReply digest;
  {
    auto context = ledger::ContextWithDeadline(timeout);
    grpc::Status status = stub->GetDigest(context.get(), ledger::v1::GetDigestRequest(), &digest);
    if (!status.ok()) return ledger::FromGrpcStatus(status);
  }
  if (digest.journal_index() == 0)
    return absl::FailedPreconditionError("the ledger's journal is empty");
  auto context = ledger::ContextWithDeadline(timeout);
  ledger::v1::SubscribeRequest request;
  request.set_from_index(1);
  std::unique_ptr<grpc::ClientReader<ledger::v1::Event>> reader =
      stub->Subscribe(context.get(), request);
  EventConverter converter(asset);
  std::string lines;
  ledger::v1::Event event;
  std::thread watchdog;
  // One journal entry can yield several events, and a caught-up stream blocks instead of ending. So
  // once the digest's index shows up, the rest of that entry (written back to back by the server)
  // is read for kEntryTailWait, then the stream is cancelled; events of later entries are dropped.
  while (reader->Read(&event)) {
    if (event.journal_index() > digest.journal_index()) continue;
    if (std::optional<std::string> line = converter.ToJsonLine(event)) lines += *line;
    if (event.journal_index() == digest.journal_index() && !watchdog.joinable()) {
      watchdog = std::thread([&context] {
        std::this_thread::sleep_for(kEntryTailWait);
        context->TryCancel();
      });
    }
  }
  grpc::Status status = reader->Finish();
  if (!watchdog.joinable()) {
    if (!status.ok()) return ledger::FromGrpcStatus(status);
    return absl::UnavailableError("change stream ended before the digest's journal index");
  }
  watchdog.join();
  return lines;
}

}  // namespace sim
