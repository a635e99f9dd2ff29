// Farm help and workcation tasks: records, codes, derived ids. See tasks.h; layouts in ledger/FORMAT.md.
#include "ledger/core/tasks.h"

#include "absl/strings/str_cat.h"
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

void EncodeGrantSubsidy(const GrantSubsidy& g, Encoder* e) {
  e->Id(g.budget);
  e->Id(g.host);
  e->Bytes(g.category);
  e->U32(g.percent_max);
  e->I64(g.monthly_max);
}

GrantSubsidy DecodeGrantSubsidy(Decoder* d) {
  GrantSubsidy g;
  g.budget = d->Id();
  g.host = d->Id();
  g.category = d->Bytes();
  g.percent_max = d->U32();
  g.monthly_max = d->I64();
  return g;
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

std::string EncodeSubsidyGrantRecord(const SubsidyGrantRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U32(r.percent_max);
  e.I64(r.monthly_max);
  e.U64(r.timestamp);
  return out;
}

std::optional<SubsidyGrantRecord> DecodeSubsidyGrantRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  SubsidyGrantRecord r;
  r.percent_max = d.U32();
  r.monthly_max = d.I64();
  r.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return r;
}

void EncodePostTask(const PostTask& t, Encoder* e) {
  e->Id(t.host);
  e->Bytes(t.task_id);
  e->Bytes(t.title);
  e->U32(t.first_day);
  e->U32(t.last_day);
  e->U32(t.slots);
  e->I64(t.per_day);
  e->Id(t.escrow);
  e->Id(t.subsidy);
  e->U32(t.subsidy_percent);
  e->U32(t.hours_per_day);
  e->Bytes(t.host_key);
  e->Bytes(t.wage_reference);
}

PostTask DecodePostTask(Decoder* d) {
  PostTask t;
  t.host = d->Id();
  t.task_id = d->Bytes();
  t.title = d->Bytes();
  t.first_day = d->U32();
  t.last_day = d->U32();
  t.slots = d->U32();
  t.per_day = d->I64();
  t.escrow = d->Id();
  t.subsidy = d->Id();
  t.subsidy_percent = d->U32();
  t.hours_per_day = d->U32();
  t.host_key = d->Bytes();
  t.wage_reference = d->Bytes();
  return t;
}

std::string EncodeTaskRecord(const TaskRecord& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  EncodePostTask(r.request, &e);
  e.U32(r.accepted);
  e.U32(r.cancelled);
  e.U8(r.closed ? 1 : 0);
  e.U64(r.timestamp);
  return out;
}

std::optional<TaskRecord> DecodeTaskRecord(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  TaskRecord r;
  r.request = DecodePostTask(&d);
  r.accepted = d.U32();
  r.cancelled = d.U32();
  r.closed = d.U8() != 0;
  r.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return r;
}

std::string EncodeTaskApplication(const TaskApplication& a) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U8(static_cast<uint8_t>(a.state));
  e.U32(a.slot);
  e.U32(static_cast<uint32_t>(a.days.size()));
  for (const auto& [day, state] : a.days) {
    e.U32(day);
    e.U8(static_cast<uint8_t>(state.state));
    e.U64(state.in_at);
    e.U64(state.out_at);
  }
  e.U64(a.timestamp);
  return out;
}

std::optional<TaskApplication> DecodeTaskApplication(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  TaskApplication a;
  a.state = static_cast<ApplicationState>(d.U8());
  a.slot = d.U32();
  const uint32_t days = d.U32();
  for (uint32_t i = 0; i < days && d.ok() && i <= kTaskDaysMax; ++i) {
    const uint32_t day = d.U32();
    TaskDay state;
    state.state = static_cast<TaskDayState>(d.U8());
    state.in_at = d.U64();
    state.out_at = d.U64();
    a.days[day] = state;
  }
  a.timestamp = d.U64();
  if (!d.done()) return std::nullopt;
  return a;
}

std::string EncodeTaskRules(const TaskRules& r) {
  std::string out;
  Encoder e(&out);
  e.U8(kVersion);
  e.U32(r.weekly_hours_max);
  e.I64(r.monthly_max);
  e.U32(r.dispute_hours);
  return out;
}

std::optional<TaskRules> DecodeTaskRules(std::string_view bytes) {
  Decoder d(bytes);
  if (d.U8() != kVersion) return std::nullopt;
  TaskRules r;
  r.weekly_hours_max = d.U32();
  r.monthly_max = d.I64();
  r.dispute_hours = d.U32();
  if (!d.done()) return std::nullopt;
  return r;
}

TransferId TaskTransferId(char kind, const AccountId& host, std::string_view task_id, uint32_t slot, uint32_t day) {
  return PosTransferId(kind, host, absl::StrCat("task/", slot, "/", day, "/") + std::string(task_id));
}

TransferId TaskPayId(const AccountId& host, std::string_view task_id, const AccountId& visitor, uint32_t day) {
  return PosTransferId('V', host, absl::StrCat("task/", visitor.ToHex(), "/", day, "/") + std::string(task_id));
}

}  // namespace ledger
