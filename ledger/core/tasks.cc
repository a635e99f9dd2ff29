// Farm help and workcation tasks: records, codes, derived ids. See tasks.h; layouts in ledger/FORMAT.md.
#include "ledger/core/tasks.h"

#include "absl/strings/str_cat.h"
#include "ledger/core/command.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"

namespace ledger {
namespace {

constexpr uint8_t kVersion = 1;

}  // namespace

std::string TaskCodeSignedBytes(const AccountId& host, std::string_view task_id, const AccountId& visitor, uint32_t day,
                                bool out) {
  std::string bytes = "ledger-task-v1";
  bytes.push_back('\0');
  bytes += host.ToBytes();
  bytes.push_back(static_cast<char>(task_id.size()));
  bytes += task_id;
  bytes += visitor.ToBytes();
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(day >> (8 * i)));
  bytes.push_back(out ? 'O' : 'I');
  return bytes;
}

const char* TaskDayStateName(TaskDayState state) {
  switch (state) {
    case TaskDayState::kCheckedIn: return "checked_in";
    case TaskDayState::kCheckedOut: return "checked_out";
    case TaskDayState::kConfirmed: return "confirmed";
    case TaskDayState::kDisputed: return "disputed";
    case TaskDayState::kReleased: return "released";
    case TaskDayState::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string GrantSubsidyProblem(const GrantSubsidy& g) {
  if (g.budget.IsZero()) return "budget: required";
  if (g.host.IsZero() == g.category.empty()) return "exactly one of host and category";
  if (g.category.size() > static_cast<size_t>(kCategoryBytesMax)) {
    return absl::StrCat("category: at most ", kCategoryBytesMax, " bytes");
  }
  if (g.percent_max > 100) return "percent_max: at most 100";
  if (g.percent_max == 0) return g.monthly_max == 0 ? "" : "monthly_max: 0 when the grant is withdrawn";
  if (g.monthly_max < 1 || g.monthly_max > kAmountMax) return absl::StrCat("monthly_max: 1 to ", kAmountMax);
  return "";
}

template <>
struct FieldList<TaskDay> {
  template <class Io, class Self>
  static void Apply(Io& io, Self& d) { io(d.state, d.in_at, d.out_at); }
};

// Record field lists (codec.h); a task record starts with its PostTask's fields (command.h).
constexpr auto kSubsidyGrantRecordFields = [](auto& io, auto& r) { io(r.percent_max, r.monthly_max, r.timestamp); };
constexpr auto kTaskRecordFields = [](auto& io, auto& r) { io(r.request, r.accepted, r.cancelled, r.closed, r.timestamp); };
constexpr auto kTaskApplicationFields = [](auto& io, auto& a) {
  io(a.state, a.slot);
  io.Map(a.days, static_cast<uint32_t>(kTaskDaysMax + 1));  // One over the bound, as it always decoded.
  io(a.timestamp);
};
constexpr auto kTaskRulesFields = [](auto& io, auto& r) { io(r); };

std::string EncodeSubsidyGrantRecord(const SubsidyGrantRecord& r) {
  return EncodeRecord(kVersion, r, kSubsidyGrantRecordFields);
}
std::optional<SubsidyGrantRecord> DecodeSubsidyGrantRecord(std::string_view bytes) {
  return DecodeRecord<SubsidyGrantRecord>(bytes, kVersion, kSubsidyGrantRecordFields);
}

std::string EncodeTaskRecord(const TaskRecord& r) { return EncodeRecord(kVersion, r, kTaskRecordFields); }
std::optional<TaskRecord> DecodeTaskRecord(std::string_view bytes) {
  return DecodeRecord<TaskRecord>(bytes, kVersion, kTaskRecordFields);
}

std::string EncodeTaskApplication(const TaskApplication& a) {
  return EncodeRecord(kVersion, a, kTaskApplicationFields);
}
std::optional<TaskApplication> DecodeTaskApplication(std::string_view bytes) {
  return DecodeRecord<TaskApplication>(bytes, kVersion, kTaskApplicationFields);
}

std::string EncodeTaskRules(const TaskRules& r) { return EncodeRecord(kVersion, r, kTaskRulesFields); }
std::optional<TaskRules> DecodeTaskRules(std::string_view bytes) {
  return DecodeRecord<TaskRules>(bytes, kVersion, kTaskRulesFields);
}

TransferId TaskTransferId(char kind, const AccountId& host, std::string_view task_id, uint32_t slot, uint32_t day) {
  return PosTransferId(kind, host, absl::StrCat("task/", slot, "/", day, "/") + std::string(task_id));
}

TransferId TaskPayId(const AccountId& host, std::string_view task_id, const AccountId& visitor, uint32_t day) {
  return PosTransferId('V', host, absl::StrCat("task/", visitor.ToHex(), "/", day, "/") + std::string(task_id));
}

}  // namespace ledger
