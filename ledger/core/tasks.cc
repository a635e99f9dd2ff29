// Farm help and workcation tasks: records, codes, derived ids. See tasks.h; layouts in
// ledger/FORMAT.md.
#include "ledger/core/tasks.h"

#include "absl/strings/str_cat.h"
#include "ledger/core/batch_applier.h"
#include "ledger/core/command.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"

namespace ledger {
namespace {

constexpr uint8_t kVersion = 1;

}  // namespace

std::string TaskCodeSignedBytes(const AccountId& host, std::string_view task_id,
                                const AccountId& visitor, uint32_t day, bool out) {
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
    case TaskDayState::kCheckedIn:
      return "checked_in";
    case TaskDayState::kCheckedOut:
      return "checked_out";
    case TaskDayState::kConfirmed:
      return "confirmed";
    case TaskDayState::kDisputed:
      return "disputed";
    case TaskDayState::kReleased:
      return "released";
    case TaskDayState::kCancelled:
      return "cancelled";
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
  if (g.percent_max == 0)
    return g.monthly_max == 0 ? "" : "monthly_max: 0 when the grant is withdrawn";
  if (g.monthly_max < 1 || g.monthly_max > kAmountMax)
    return absl::StrCat("monthly_max: 1 to ", kAmountMax);
  return "";
}

template <>
struct FieldList<TaskDay> {
  template <class Io, class Self>
  static void Apply(Io& io, Self& d) {
    io(d.state, d.in_at, d.out_at);
  }
};

// Record field lists (codec.h); a task record starts with its PostTask's fields (command.h).
constexpr auto kSubsidyGrantRecordFields = [](auto& io, auto& r) {
  io(r.percent_max, r.monthly_max, r.timestamp);
};
constexpr auto kTaskRecordFields = [](auto& io, auto& r) {
  io(r.request, r.accepted, r.cancelled, r.closed, r.timestamp);
};
constexpr auto kTaskApplicationFields = [](auto& io, auto& a) {
  io(a.state, a.slot);
  io.Map(a.days,
         static_cast<uint32_t>(kTaskDaysMax + 1));  // One over the bound, as it always decoded.
  io(a.timestamp);
};
constexpr auto kTaskRulesFields = [](auto& io, auto& r) { io(r); };

std::string EncodeSubsidyGrantRecord(const SubsidyGrantRecord& r) {
  return EncodeRecord(kVersion, r, kSubsidyGrantRecordFields);
}
std::optional<SubsidyGrantRecord> DecodeSubsidyGrantRecord(std::string_view bytes) {
  return DecodeRecord<SubsidyGrantRecord>(bytes, kVersion, kSubsidyGrantRecordFields);
}

std::string EncodeTaskRecord(const TaskRecord& r) {
  return EncodeRecord(kVersion, r, kTaskRecordFields);
}
std::optional<TaskRecord> DecodeTaskRecord(std::string_view bytes) {
  return DecodeRecord<TaskRecord>(bytes, kVersion, kTaskRecordFields);
}

std::string EncodeTaskApplication(const TaskApplication& a) {
  return EncodeRecord(kVersion, a, kTaskApplicationFields);
}
std::optional<TaskApplication> DecodeTaskApplication(std::string_view bytes) {
  return DecodeRecord<TaskApplication>(bytes, kVersion, kTaskApplicationFields);
}

std::string EncodeTaskRules(const TaskRules& r) {
  return EncodeRecord(kVersion, r, kTaskRulesFields);
}
std::optional<TaskRules> DecodeTaskRules(std::string_view bytes) {
  return DecodeRecord<TaskRules>(bytes, kVersion, kTaskRulesFields);
}

TransferId TaskTransferId(char kind, const AccountId& host, std::string_view task_id, uint32_t slot,
                          uint32_t day) {
  return PosTransferId(kind, host,
                       absl::StrCat("task/", slot, "/", day, "/") + std::string(task_id));
}

TransferId TaskPayId(const AccountId& host, std::string_view task_id, const AccountId& visitor,
                     uint32_t day) {
  return PosTransferId(
      'V', host, absl::StrCat("task/", visitor.ToHex(), "/", day, "/") + std::string(task_id));
}

}  // namespace ledger

// ===== Farm help and workcation tasks applied =====
// The BatchApplier's Apply overloads for these commands and their rules (batch_applier.h).

namespace ledger {

TaskRules BatchApplier::LoadTaskRules() {
  std::string bytes;
  if (!working_.Get(keys::TaskRules(), &bytes)) return TaskRules{};
  std::optional<TaskRules> rules = DecodeTaskRules(bytes);
  if (!rules) Fatal("task rules record is corrupt");
  return *rules;
}

Outcome BatchApplier::Apply(const SetTaskRules& r, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  const TaskRules& rules = r.rules;
  if (rules.weekly_hours_max < 1 || rules.weekly_hours_max > 168 || rules.monthly_max < 1 ||
      rules.monthly_max > kAmountMax || rules.dispute_hours < 1 ||
      rules.dispute_hours > kTaskDisputeHoursMax) {
    outcome.result = Result::kTaskInvalid;
    return outcome;
  }
  working_.Put(keys::TaskRules(), EncodeTaskRules(rules));
  return outcome;
}

Outcome BatchApplier::Apply(const GrantSubsidy& g, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  if (!GrantSubsidyProblem(g).empty()) return fail(Result::kSubsidyGrantInvalid);
  const Account* budget = working_.FindAccount(g.budget);
  if (budget == nullptr) return fail(Result::kAccountNotFound);
  if (budget->kind != AccountKind::kBudget) return fail(Result::kKindInvalid);
  std::string key = keys::SubsidyGrantForCategory(g.budget, g.category);
  if (!g.host.IsZero()) {
    const Account* host = working_.FindAccount(g.host);
    if (host == nullptr) return fail(Result::kAccountNotFound);
    if (host->kind != AccountKind::kMerchant) return fail(Result::kNotAMerchant);
    if (host->asset != budget->asset) return fail(Result::kAssetMismatch);
    key = keys::SubsidyGrantForHost(g.budget, g.host);
  }
  if (g.percent_max == 0) {
    working_.Delete(std::move(key));
  } else {
    working_.Put(std::move(key),
                 EncodeSubsidyGrantRecord(SubsidyGrantRecord{g.percent_max, g.monthly_max, at}));
  }
  return outcome;
}

// The grant that lets `host` draw on `budget`: the host's own, else its category's.
std::optional<SubsidyGrantRecord> BatchApplier::FindSubsidyGrant(const AccountId& budget,
                                                                 const Account& host) {
  std::string bytes;
  if (!working_.Get(keys::SubsidyGrantForHost(budget, host.id), &bytes) &&
      (host.category.empty() ||
       !working_.Get(keys::SubsidyGrantForCategory(budget, host.category), &bytes))) {
    return std::nullopt;
  }
  std::optional<SubsidyGrantRecord> grant = DecodeSubsidyGrantRecord(bytes);
  if (!grant) Fatal("subsidy grant record is corrupt");
  return grant;
}

int64_t BatchApplier::LoadSubsidyTally(const AccountId& budget, const AccountId& host,
                                       uint32_t month) {
  std::string bytes;
  if (!working_.Get(keys::SubsidyTally(budget, host, month), &bytes)) return 0;
  return Decoder(bytes).I64();
}

void BatchApplier::AddSubsidyTally(const AccountId& budget, const AccountId& host, uint32_t month,
                                   int64_t amount) {
  // Only reservations counted in are taken out; a task posted before grants existed was never
  // counted, so its releases stop at zero.
  const int64_t tally = std::max<int64_t>(0, LoadSubsidyTally(budget, host, month) + amount);
  if (tally == 0) {
    working_.Delete(keys::SubsidyTally(budget, host, month));
    return;
  }
  std::string value;
  Encoder(&value).I64(tally);
  working_.Put(keys::SubsidyTally(budget, host, month), value);
}

// The subsidy a task would reserve per calendar month (yyyymm) of its days.
std::map<uint32_t, int64_t> BatchApplier::SubsidyByMonth(const PostTask& t, int64_t first,
                                                         int64_t last) {
  std::map<uint32_t, int64_t> by_month;
  const int64_t per_day = SubsidyShare(t) * static_cast<int64_t>(t.slots);
  for (int64_t index = first; index <= last; ++index) by_month[DayNumber(index) / 100] += per_day;
  return by_month;
}

// Checks the task's subsidy against the city's grant; on kOk, `by_month` holds what to count in.
Result BatchApplier::CheckSubsidyGrant(const PostTask& t, int64_t first, int64_t last,
                                       std::map<uint32_t, int64_t>* by_month) {
  if (t.subsidy.IsZero()) return Result::kOk;
  const Account* host = working_.FindAccount(t.host);
  CORE_CHECK(host != nullptr);  // CheckTaskAccounts found it.
  const std::optional<SubsidyGrantRecord> grant = FindSubsidyGrant(t.subsidy, *host);
  if (!grant) return Result::kSubsidyNotGranted;
  if (t.subsidy_percent > grant->percent_max) return Result::kSubsidyExceedsGrant;
  *by_month = SubsidyByMonth(t, first, last);
  for (const auto& [month, amount] : *by_month) {
    if (amount > grant->monthly_max - LoadSubsidyTally(t.subsidy, t.host, month)) {
      return Result::kSubsidyExceedsGrant;
    }
  }
  return Result::kOk;
}

std::optional<TaskRecord> BatchApplier::LoadTask(const AccountId& host, std::string_view task_id) {
  std::string bytes;
  if (!working_.Get(keys::Task(host, task_id), &bytes)) return std::nullopt;
  std::optional<TaskRecord> task = DecodeTaskRecord(bytes);
  if (!task) Fatal("task record is corrupt");
  return task;
}

void BatchApplier::PutTask(const TaskRecord& task) {
  working_.Put(keys::Task(task.request.host, task.request.task_id), EncodeTaskRecord(task));
}

std::optional<TaskApplication> BatchApplier::LoadApplication(const PostTask& t,
                                                             const AccountId& visitor) {
  std::string bytes;
  if (!working_.Get(keys::TaskApplication(t.host, t.task_id, visitor), &bytes)) return std::nullopt;
  std::optional<TaskApplication> application = DecodeTaskApplication(bytes);
  if (!application) Fatal("task application record is corrupt");
  return application;
}

void BatchApplier::PutApplication(const PostTask& t, const AccountId& visitor,
                                  const TaskApplication& application) {
  working_.Put(keys::TaskApplication(t.host, t.task_id, visitor),
               EncodeTaskApplication(application));
}

// The end of a Japan-time day, on the ledger's clock.
Timestamp BatchApplier::DayEnd(uint32_t day) { return BusinessDayStart(*DayIndexOf(day) + 1); }

Timestamp BatchApplier::Hours(uint32_t hours) { return Timestamp{hours} * 3600 * kNanosPerSecond; }

int64_t BatchApplier::SubsidyShare(const PostTask& t) {
  return t.per_day * t.subsidy_percent / 100;
}

TransferId BatchApplier::PayId(const PostTask& t, const AccountId& visitor, uint32_t day) {
  return TaskPayId(t.host, t.task_id, visitor, day);
}

Result BatchApplier::CheckTaskAccounts(const PostTask& t) {
  const Account* host = working_.FindAccount(t.host);
  const Account* escrow = working_.FindAccount(t.escrow);
  if (host == nullptr || escrow == nullptr) return Result::kAccountNotFound;
  if (host->kind != AccountKind::kMerchant) return Result::kNotAMerchant;
  if (escrow->kind != AccountKind::kEscrow) return Result::kKindInvalid;
  if (escrow->asset != host->asset) return Result::kAssetMismatch;
  if (!t.subsidy.IsZero()) {
    const Account* subsidy = working_.FindAccount(t.subsidy);
    if (subsidy == nullptr) return Result::kAccountNotFound;
    if (subsidy->kind != AccountKind::kBudget) return Result::kKindInvalid;
    if (subsidy->asset != host->asset) return Result::kAssetMismatch;
  }
  return Result::kOk;
}

Outcome BatchApplier::Apply(const PostTask& t, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  if (!ValidPosId(t.task_id)) return fail(Result::kPosIdInvalid);
  if (std::optional<TaskRecord> existing = LoadTask(t.host, t.task_id)) {
    if (!existing->request.SameRequest(t)) return fail(Result::kExistsWithDifferentFields);
    return Outcome{Result::kOk, true, existing->timestamp};
  }
  const std::optional<int64_t> first = DayIndexOf(t.first_day), last = DayIndexOf(t.last_day);
  if (!first || !last || *first > *last || *last - *first + 1 > kTaskDaysMax ||
      *first < BusinessDayIndex(at) || t.slots < 1 || t.slots > kTaskSlotsMax ||
      t.slots * static_cast<uint64_t>(*last - *first + 1) > kTaskSlotDaysMax || t.per_day <= 0 ||
      t.per_day > kAmountMax || t.subsidy_percent > 100 ||
      t.subsidy.IsZero() != (t.subsidy_percent == 0) || t.hours_per_day < 1 ||
      t.hours_per_day > 24 || t.host_key.size() != kEd25519PublicKeyBytes ||
      t.title.size() > kTaskTitleBytesMax || t.wage_reference.size() > kWageReferenceBytesMax) {
    return fail(Result::kTaskInvalid);
  }
  if (Result accounts = CheckTaskAccounts(t); accounts != Result::kOk) return fail(accounts);
  std::map<uint32_t, int64_t> subsidy_by_month;
  if (Result granted = CheckSubsidyGrant(t, *first, *last, &subsidy_by_month);
      granted != Result::kOk) {
    return fail(granted);
  }
  // Reserve every slot-day: host's share and the subsidy's, all or none.
  const int64_t subsidy_share = SubsidyShare(t);
  working_.BeginScope();
  for (uint32_t slot = 1; slot <= t.slots && outcome.result == Result::kOk; ++slot) {
    for (int64_t index = *first; index <= *last && outcome.result == Result::kOk; ++index) {
      const uint32_t day = DayNumber(index);
      for (const auto& [kind, payer, amount] :
           {std::tuple<char, AccountId, int64_t>{'H', t.host, t.per_day - subsidy_share},
            std::tuple<char, AccountId, int64_t>{'J', t.subsidy, subsidy_share}}) {
        if (amount == 0) continue;
        Transfer reserve;
        reserve.id = TaskTransferId(kind, t.host, t.task_id, slot, day);
        reserve.debit_account_id = payer;
        reserve.credit_account_id = t.escrow;
        reserve.amount = amount;
        reserve.code = kCodeTaskReserve;
        reserve.flags = transfer_flags::kPending;
        const Outcome reserved = Move(reserve, at);
        if (reserved.result != Result::kOk) {
          outcome.result = reserved.result;
          break;
        }
      }
    }
  }
  if (outcome.result != Result::kOk) {
    working_.RollbackScope();
    return outcome;
  }
  working_.CommitScope();
  for (const auto& [month, amount] : subsidy_by_month) {
    if (amount > 0) AddSubsidyTally(t.subsidy, t.host, month, amount);
  }
  PutTask(TaskRecord{t, 0, 0, false, at});
  working_.Put(
      keys::TaskEnd(DayEnd(t.last_day) + Hours(LoadTaskRules().dispute_hours), t.host, t.task_id),
      "");
  return outcome;
}

Outcome BatchApplier::Apply(const ApplyTask& a, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  std::optional<TaskRecord> task = LoadTask(a.host, a.task_id);
  if (!task) {
    outcome.result = Result::kTaskNotFound;
  } else if (std::optional<TaskApplication> existing = LoadApplication(task->request, a.visitor)) {
    return Outcome{Result::kOk, true, existing->timestamp};
  } else if (task->closed || BusinessDay(at) > task->request.last_day) {
    outcome.result = Result::kTaskClosed;
  } else if (Result visitor = CheckResident(a.visitor, working_.FindAccount(a.host)->asset);
             visitor != Result::kOk) {
    outcome.result = visitor;
  } else if (!SpendNonce(a.visitor, a.nonce, RequestNonceExpiry(a.request_ms))) {
    outcome.result = Result::kNonceReplayed;
  } else {
    TaskApplication application;
    application.timestamp = at;
    PutApplication(task->request, a.visitor, application);
  }
  return outcome;
}

Outcome BatchApplier::Apply(const DecideApplication& d, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  std::optional<TaskRecord> task = LoadTask(d.host, d.task_id);
  if (!task) {
    outcome.result = Result::kTaskNotFound;
    return outcome;
  }
  std::optional<TaskApplication> application = LoadApplication(task->request, d.visitor);
  if (!application) {
    outcome.result = Result::kApplicationNotFound;
    return outcome;
  }
  const ApplicationState wanted =
      d.accept ? ApplicationState::kAccepted : ApplicationState::kDeclined;
  if (application->state != ApplicationState::kApplied) {
    if (application->state == wanted) return Outcome{Result::kOk, true, application->timestamp};
    outcome.result = Result::kExistsWithDifferentFields;
    return outcome;
  }
  if (task->closed) {
    outcome.result = Result::kTaskClosed;
    return outcome;
  }
  if (d.accept) {
    if (task->accepted + task->cancelled >= task->request.slots) {
      outcome.result = Result::kNoSlotLeft;
      return outcome;
    }
    application->slot = ++task->accepted;
    PutTask(*task);
  }
  application->state = wanted;
  application->timestamp = at;
  PutApplication(task->request, d.visitor, *application);
  return outcome;
}

// Voids the (slot, day) reservations still pending; each release is a system event if `event`.
void BatchApplier::VoidReservations(const PostTask& t, uint32_t slot, uint32_t day, Timestamp at,
                                    bool event) {
  for (const auto& [kind, void_kind] :
       {std::pair<char, char>{'H', 'x'}, std::pair<char, char>{'J', 'y'}}) {
    const TransferId pending_id = TaskTransferId(kind, t.host, t.task_id, slot, day);
    std::string bytes;
    if (!working_.Get(keys::Transfer(pending_id), &bytes)) continue;
    std::optional<Transfer> pending = DecodeTransfer(bytes);
    CORE_CHECK(pending.has_value());
    if (pending->pending_state != PendingState::kPending) continue;
    Transfer release;
    release.id = TaskTransferId(void_kind, t.host, t.task_id, slot, day);
    release.pending_id = pending_id;
    release.flags = transfer_flags::kVoidPending;
    release.code = kCodeTaskReserve;
    const Timestamp when = event ? Tick() : at;
    const Outcome voided = ResolvePending(release, when);
    CORE_CHECK(voided.result == Result::kOk);
    // A subsidy reservation given back no longer counts towards the host's monthly grant.
    if (kind == 'J') AddSubsidyTally(t.subsidy, t.host, day / 100, -pending->amount);
    if (event) {
      entry_.system_events.push_back({SystemEventType::kTaskReturned, pending_id,
                                      pending->debit_account_id, pending->credit_account_id,
                                      pending->asset, pending->amount, when});
    }
  }
}

Outcome BatchApplier::Apply(const CancelSlots& c, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  std::optional<TaskRecord> task = LoadTask(c.host, c.task_id);
  if (!task) {
    outcome.result = Result::kTaskNotFound;
  } else if (task->closed) {
    outcome.result = Result::kTaskClosed;
  } else if (c.count < 1 || c.count > task->request.slots - task->accepted - task->cancelled) {
    outcome.result = Result::kNoSlotLeft;
  } else if (!SpendNonce(c.host, c.nonce, RequestNonceExpiry(c.request_ms))) {
    outcome.result = Result::kNonceReplayed;
  } else {
    const PostTask& t = task->request;
    const uint32_t top = t.slots - task->cancelled;
    for (uint32_t slot = top - c.count + 1; slot <= top; ++slot) {
      for (int64_t index = *DayIndexOf(t.first_day); index <= *DayIndexOf(t.last_day); ++index) {
        VoidReservations(t, slot, DayNumber(index), at, /*event=*/false);
      }
    }
    task->cancelled += c.count;
    PutTask(*task);
  }
  return outcome;
}

Outcome BatchApplier::Apply(const CheckIn& c, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  std::optional<TaskRecord> task = LoadTask(c.host, c.task_id);
  if (!task) return fail(Result::kTaskNotFound);
  const PostTask& t = task->request;
  if (task->closed) return fail(Result::kTaskClosed);
  std::optional<TaskApplication> application = LoadApplication(t, c.visitor);
  if (!application || application->state != ApplicationState::kAccepted)
    return fail(Result::kApplicationNotFound);
  const uint32_t today = BusinessDay(at);
  if (today < t.first_day || today > t.last_day) return fail(Result::kDayNotInTask);
  const std::string code = TaskCodeSignedBytes(t.host, t.task_id, c.visitor, today, c.out);
  if (c.host_signature.size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(c.host_signature.data()),
                                  reinterpret_cast<const unsigned char*>(code.data()), code.size(),
                                  reinterpret_cast<const unsigned char*>(t.host_key.data())) != 0) {
    return fail(Result::kSignatureInvalid);
  }
  auto day = application->days.find(today);
  if (!c.out) {
    if (day != application->days.end()) return Outcome{Result::kOk, true, day->second.in_at};
    // The caps, at the moment the visitor commits to the day.
    std::string bytes;
    if (working_.Get(keys::VisitorDay(c.visitor, today), &bytes))
      return fail(Result::kTaskDayTaken);
    const TaskRules rules = LoadTaskRules();
    const int64_t week = WeekOf(*DayIndexOf(today));
    uint64_t hours = 0;
    if (working_.Get(keys::VisitorWeek(c.visitor, week), &bytes)) hours = Decoder(bytes).U64();
    if (hours + t.hours_per_day > rules.weekly_hours_max) return fail(Result::kWeeklyHoursExceeded);
    int64_t month_total = 0;
    const std::string month_key = keys::HostVisitorMonth(t.host, c.visitor, today / 100);
    if (working_.Get(month_key, &bytes)) month_total = Decoder(bytes).I64();
    if (month_total + t.per_day > rules.monthly_max) return fail(Result::kMonthlyCapExceeded);
    if (!SpendNonce(c.visitor, c.nonce, RequestNonceExpiry(c.request_ms)))
      return fail(Result::kNonceReplayed);
    std::string value;
    Encoder(&value).U64(hours + t.hours_per_day);
    working_.Put(keys::VisitorWeek(c.visitor, week), value);
    value.clear();
    Encoder(&value).I64(month_total + t.per_day);
    working_.Put(month_key, value);
    working_.Put(keys::VisitorDay(c.visitor, today), t.host.ToBytes() + t.task_id);
    application->days[today] = TaskDay{TaskDayState::kCheckedIn, at, 0};
  } else {
    if (day == application->days.end()) return fail(Result::kNotCheckedIn);
    if (day->second.state != TaskDayState::kCheckedIn)
      return Outcome{Result::kOk, true, day->second.out_at};
    if (!SpendNonce(c.visitor, c.nonce, RequestNonceExpiry(c.request_ms)))
      return fail(Result::kNonceReplayed);
    day->second.state = TaskDayState::kCheckedOut;
    day->second.out_at = at;
    working_.Put(keys::TaskRelease(at + Hours(LoadTaskRules().dispute_hours), t.host, c.visitor,
                                   today, t.task_id),
                 "");
  }
  application->timestamp = at;
  PutApplication(t, c.visitor, *application);
  return outcome;
}

// Pays a checked-out day: the slot-day's reservations are posted into escrow and the day's
// thank-you goes from escrow to the visitor. The payment's outcome (or the first failure, with
// nothing applied).
Outcome BatchApplier::PayDay(const PostTask& t, uint32_t slot, const AccountId& visitor,
                             uint32_t day, Timestamp at, bool events) {
  working_.BeginScope();
  Outcome failure{Result::kOk, false, at};
  for (const auto& [kind, post_kind] :
       {std::pair<char, char>{'H', 'h'}, std::pair<char, char>{'J', 'j'}}) {
    const TransferId pending_id = TaskTransferId(kind, t.host, t.task_id, slot, day);
    std::string bytes;
    if (!working_.Get(keys::Transfer(pending_id), &bytes)) continue;
    Transfer post;
    post.id = TaskTransferId(post_kind, t.host, t.task_id, slot, day);
    post.pending_id = pending_id;
    post.flags = transfer_flags::kPostPending;
    post.code = kCodeTaskReserve;
    const Timestamp when = Tick();
    const Outcome posted = ResolvePending(post, when);
    if (posted.result != Result::kOk) {
      failure.result = posted.result;
      break;
    }
    entry_.system_events.push_back({SystemEventType::kTaskPosted, post.id, posted.debit_account_id,
                                    posted.credit_account_id, posted.asset, posted.amount, when});
  }
  Outcome paid = failure;
  if (failure.result == Result::kOk) {
    Transfer pay;
    pay.id = PayId(t, visitor, day);
    pay.debit_account_id = t.escrow;
    pay.credit_account_id = visitor;
    pay.amount = t.per_day;
    pay.code = kCodeTaskPay;
    const Timestamp when = events ? Tick() : at;
    paid = Move(pay, when);
    if (paid.result == Result::kOk && events) {
      entry_.system_events.push_back(
          {SystemEventType::kTaskPaid, pay.id, t.escrow, visitor, paid.asset, t.per_day, when});
    }
  }
  if (paid.result != Result::kOk) {
    working_.RollbackScope();
    return Outcome{paid.result, false, at};
  }
  working_.CommitScope();
  return paid;
}

Outcome BatchApplier::Apply(const ConfirmDay& c, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  std::optional<TaskRecord> task = LoadTask(c.host, c.task_id);
  if (!task) return fail(Result::kTaskNotFound);
  const PostTask& t = task->request;
  std::optional<TaskApplication> application = LoadApplication(t, c.visitor);
  if (!application || application->state != ApplicationState::kAccepted)
    return fail(Result::kApplicationNotFound);
  auto day = application->days.find(c.day);
  if (day == application->days.end() || day->second.state == TaskDayState::kCheckedIn) {
    return fail(Result::kNotCheckedOut);
  }
  TaskDay& state = day->second;
  const TaskRules rules = LoadTaskRules();
  switch (c.action) {
    case DayAction::kConfirm:
      if (state.state == TaskDayState::kConfirmed || state.state == TaskDayState::kReleased) {
        return Outcome{Result::kOk, true, at};
      }
      if (state.state == TaskDayState::kCancelled) return fail(Result::kExistsWithDifferentFields);
      {
        const TaskDayState was = state.state;
        outcome = PayDay(t, application->slot, c.visitor, c.day, at, /*events=*/false);
        if (outcome.result != Result::kOk) return outcome;
        if (was == TaskDayState::kCheckedOut) {
          working_.Delete(keys::TaskRelease(state.out_at + Hours(rules.dispute_hours), t.host,
                                            c.visitor, c.day, t.task_id));
        }
      }
      state.state = TaskDayState::kConfirmed;
      break;
    case DayAction::kDispute:
      if (state.state == TaskDayState::kDisputed) return Outcome{Result::kOk, true, at};
      if (state.state != TaskDayState::kCheckedOut) return fail(Result::kExistsWithDifferentFields);
      working_.Delete(keys::TaskRelease(state.out_at + Hours(rules.dispute_hours), t.host,
                                        c.visitor, c.day, t.task_id));
      state.state = TaskDayState::kDisputed;
      break;
    case DayAction::kCancel:
      if (state.state == TaskDayState::kCancelled) return Outcome{Result::kOk, true, at};
      if (state.state != TaskDayState::kDisputed) return fail(Result::kExistsWithDifferentFields);
      VoidReservations(t, application->slot, c.day, at, /*event=*/false);
      state.state = TaskDayState::kCancelled;
      break;
    default:
      return fail(Result::kFlagsInvalid);
  }
  application->timestamp = at;
  PutApplication(t, c.visitor, *application);
  return outcome;
}

// Rule: checked-out days past their dispute window are paid; finished tasks return what is left.
void BatchApplier::SweepTasks() {
  std::vector<std::string> releases;
  state_.Scan(std::string(1, keys::kTaskRelease),
              keys::TaskRelease(batch_timestamp_ + 1, AccountId{}, AccountId{}, 0, ""), false,
              [&](std::string_view key, std::string_view) {
                releases.emplace_back(key);
                return releases.size() < static_cast<size_t>(kSweepItemsMax);
              });
  for (const std::string& key : releases) {
    working_.Delete(key);
    AccountId host, visitor;
    uint32_t day = 0;
    std::string task_id;
    keys::DecodeTaskRelease(key, &host, &visitor, &day, &task_id);
    std::optional<TaskRecord> task = LoadTask(host, task_id);
    CORE_CHECK(task.has_value());
    std::optional<TaskApplication> application = LoadApplication(task->request, visitor);
    CORE_CHECK(application.has_value());
    TaskDay& state = application->days.at(day);
    if (state.state != TaskDayState::kCheckedOut) continue;
    const Outcome paid =
        PayDay(task->request, application->slot, visitor, day, batch_timestamp_, /*events=*/true);
    if (paid.result != Result::kOk)
      continue;  // Cannot happen: reserved in full; left for the end sweep.
    state.state = TaskDayState::kReleased;
    PutApplication(task->request, visitor, *application);
  }
  std::vector<std::string> ends;
  state_.Scan(std::string(1, keys::kTaskEnd), keys::TaskEnd(batch_timestamp_ + 1, AccountId{}, ""),
              false, [&](std::string_view key, std::string_view) {
                ends.emplace_back(key);
                return ends.size() < kTaskEndSweepItemsMax;
              });
  for (const std::string& key : ends) {
    working_.Delete(key);
    AccountId host;
    std::string task_id;
    keys::DecodeTaskEnd(key, &host, &task_id);
    std::optional<TaskRecord> task = LoadTask(host, task_id);
    CORE_CHECK(task.has_value());
    const PostTask& t = task->request;
    // Slot-days still owed to someone: disputed (the host decides), or checked out and not yet
    // released.
    std::set<std::pair<uint32_t, uint32_t>> owed;
    const std::string prefix = keys::TaskApplicationPrefix(t.host, t.task_id);
    for (const std::string& app_key : working_.KeysWithPrefix(prefix)) {
      std::string bytes;
      working_.Get(app_key, &bytes);
      std::optional<TaskApplication> application = DecodeTaskApplication(bytes);
      CORE_CHECK(application.has_value());
      for (const auto& [day, state] : application->days) {
        if (state.state == TaskDayState::kDisputed || state.state == TaskDayState::kCheckedOut) {
          owed.insert({application->slot, day});
        }
      }
    }
    for (uint32_t slot = 1; slot <= t.slots; ++slot) {
      for (int64_t index = *DayIndexOf(t.first_day); index <= *DayIndexOf(t.last_day); ++index) {
        const uint32_t day = DayNumber(index);
        if (!owed.count({slot, day}))
          VoidReservations(t, slot, day, batch_timestamp_, /*event=*/true);
      }
    }
    task->closed = true;
    PutTask(*task);
  }
}

}  // namespace ledger
