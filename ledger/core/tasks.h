// Farm help and workcation tasks in the core: a host posts a task and the thank-you is reserved in
// escrow; visitors apply, are accepted into slots, check in and out with codes signed by the host's
// device, and each confirmed day is paid from escrow. Caps hold atomically because they are checked
// here.
//
// Rules (the ledger's logical clock; days are Japan-time calendar days, yyyymmdd):
//  - PostTask: host = a MERCHANT account; escrow = an ESCROW account of the same asset; optional
//  subsidy = a
//    BUDGET account paying subsidy_percent of each day. For every slot and day, a pending transfer
//    host → escrow (and subsidy → escrow) reserves that day's share: all or none, so a host cannot
//    post what it cannot pay (exceeds_balance). (host, task id) is decided once. The first day is
//    today or later; at most kTaskDaysMax days and kTaskSlotDaysMax slot-days.
//  - ApplyTask (visitor WALLET), DecideApplication (host: accept into the lowest free slot,
//  no_slot_left, or
//    decline). CancelSlots: the host gives up free slots; their reservations are voided.
//  - CheckIn (in or out) for today, carrying the host device's signature over TaskCodeSignedBytes:
//  caps
//    at check-in — one task per visitor per day (task_day_taken), hours per week
//    (weekly_hours_exceeded: the task's hours_per_day count towards the visitor's Monday-to-Sunday
//    week), coin per host per visitor per month (monthly_cap_exceeded). Check-out needs a check-in
//    (not_checked_in).
//  - ConfirmDay (host): confirm a checked-out day — its reservations are posted into escrow and the
//  day's
//    thank-you is paid from escrow to the visitor — or dispute it (no automatic release), or cancel
//    a disputed day (its reservations are voided). A checked-out day neither confirmed nor disputed
//    within dispute_hours of the check-out is paid automatically by the sweep (system event
//    task_paid).
//  - When the task is over (end of its last day + dispute_hours), the sweep voids every reservation
//  not
//    paid and not disputed (system event task_returned): unused slots and days go back to host and
//    subsidy.
//  - Subsidies are granted by the city, never taken: a task names a subsidy BUDGET only if the
//  operator
//    granted that budget to the host, or to the host's merchant category (GrantSubsidy; a host's
//    own grant wins over its category's). subsidy_percent may not exceed the grant's percent_max
//    (subsidy_not_granted, subsidy_exceeds_grant), and the subsidy the host's tasks reserve for the
//    days of one calendar month may not exceed the grant's monthly_max (subsidy_exceeds_grant).
//    Subsidy reservations voided later (cancelled slots, unused days) count no more. Without the
//    grant a shop could name any city budget at 100 % and pay its own wallet from it.
//  - A yen wage, if any, is outside the coin ledger (Labour Standards Act art. 24): only a
//  reference to it
//    is kept (wage_reference).
#ifndef LEDGER_CORE_TASKS_H_
#define LEDGER_CORE_TASKS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/core/codec.h"
#include "ledger/core/limits.h"
#include "ledger/core/records.h"
#include "ledger/core/types.h"

namespace ledger {

inline constexpr uint32_t kCodeTaskReserve =
    0xffffff30;  // Host or subsidy → escrow (pending, then posted).
inline constexpr uint32_t kCodeTaskPay = 0xffffff31;  // Escrow → visitor: a day's thank-you.

// Deployment caps (SetTaskRules; defaults from Japanese gig-work rules, ../shared/DOMAIN.md).
struct TaskRules {
  uint32_t weekly_hours_max = 38;  // Under 39 hours a week.
  int64_t monthly_max = 78'000;    // Coin from one host to one visitor in a calendar month.
  uint32_t dispute_hours = 72;     // After a check-out, before automatic release.
  bool operator==(const TaskRules&) const = default;
};

struct SetTaskRules {
  TaskRules rules;
};

// The operator's grant of a subsidy budget to one host, or to every host of a merchant category. A
// later grant for the same (budget, host or category) replaces the earlier one; percent_max 0
// withdraws it (tasks already posted keep their reservations).
struct GrantSubsidy {
  AccountId budget;  // A BUDGET account.
  AccountId host;    // A MERCHANT account of the budget's asset; zero when category is set.
  std::string
      category;  // A merchant category (1..kCategoryBytesMax bytes); empty when host is set.
  uint32_t percent_max = 0;  // 0..100: the largest subsidy_percent a task may ask for; 0 withdraws.
  int64_t monthly_max =
      0;  // Per host and calendar month of task days; 1..kAmountMax unless withdrawn.
  bool operator==(const GrantSubsidy&) const = default;
};

// What a grant stores (keys::SubsidyGrant).
struct SubsidyGrantRecord {
  uint32_t percent_max = 0;
  int64_t monthly_max = 0;
  Timestamp timestamp = 0;
};

struct PostTask {
  AccountId host;
  std::string task_id;  // 1..64 printable ASCII, chosen by the host.
  std::string title;    // Up to 128 bytes (UTF-8).
  uint32_t first_day = 0;
  uint32_t last_day = 0;
  uint32_t slots = 1;
  int64_t per_day = 0;  // Thank-you per visitor per day.
  AccountId escrow;
  AccountId subsidy;             // Zero: none.
  uint32_t subsidy_percent = 0;  // Of each day's thank-you, rounded down.
  uint32_t hours_per_day = 4;
  std::string
      host_key;  // 32 bytes: the Ed25519 key of the host's device that shows check-in codes.
  std::string wage_reference;  // Optional, up to 64 bytes.
  bool SameRequest(const PostTask& o) const {
    return host == o.host && task_id == o.task_id && title == o.title && first_day == o.first_day &&
           last_day == o.last_day && slots == o.slots && per_day == o.per_day &&
           escrow == o.escrow && subsidy == o.subsidy && subsidy_percent == o.subsidy_percent &&
           hours_per_day == o.hours_per_day && host_key == o.host_key &&
           wage_reference == o.wage_reference;
  }
};

struct ApplyTask {
  AccountId visitor;
  AccountId host;
  std::string task_id;
  uint64_t nonce = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

struct DecideApplication {
  AccountId host;
  std::string task_id;
  AccountId visitor;
  bool accept = false;
};

// Giving up slots is not idempotent by anything in its body (two cancels of one slot are two
// slots), so the command carries the terminal request's nonce (the Pos service derives it from the
// signed bytes), spent here once the cancel applies: a replayed request is nonce_replayed and gives
// up nothing more. Nonce 0 only in journal entries written before nonces.
struct CancelSlots {
  AccountId host;
  std::string task_id;
  uint32_t count = 0;
  uint64_t nonce = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

struct CheckIn {
  AccountId visitor;
  AccountId host;
  std::string task_id;
  bool out = false;
  std::string host_signature;  // Over TaskCodeSignedBytes(host, task_id, visitor, today, out).
  uint64_t nonce = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

enum class DayAction : uint8_t { kConfirm = 0, kDispute = 1, kCancel = 2 };

struct ConfirmDay {
  AccountId host;
  std::string task_id;
  AccountId visitor;
  uint32_t day = 0;
  DayAction action = DayAction::kConfirm;
};

// The host device's check-in code: "ledger-task-v1" 0x00 | host (16) | task id length (1) | task id
// | visitor (16) | day (4 LE) | 'I' or 'O'.
std::string TaskCodeSignedBytes(const AccountId& host, std::string_view task_id,
                                const AccountId& visitor, uint32_t day, bool out);

enum class TaskDayState : uint8_t {
  kCheckedIn = 1,
  kCheckedOut = 2,
  kConfirmed = 3,
  kDisputed = 4,
  kReleased = 5,  // Paid automatically after the dispute window.
  kCancelled = 6,
};
const char* TaskDayStateName(TaskDayState state);

struct TaskDay {
  TaskDayState state = TaskDayState::kCheckedIn;
  Timestamp in_at = 0;
  Timestamp out_at = 0;
};

enum class ApplicationState : uint8_t { kApplied = 1, kAccepted = 2, kDeclined = 3 };

struct TaskApplication {
  ApplicationState state = ApplicationState::kApplied;
  uint32_t slot = 0;                 // When accepted: 1..slots.
  std::map<uint32_t, TaskDay> days;  // yyyymmdd -> attendance.
  Timestamp timestamp = 0;
};

struct TaskRecord {
  PostTask request;
  uint32_t accepted = 0;   // Slots taken, 1..accepted are assigned in order ...
  uint32_t cancelled = 0;  // ... and the top `cancelled` slots were given up.
  bool closed = false;     // The end sweep ran.
  Timestamp timestamp = 0;
};

std::string EncodeTaskRecord(const TaskRecord& record);
std::optional<TaskRecord> DecodeTaskRecord(std::string_view bytes);
std::string EncodeTaskApplication(const TaskApplication& application);
std::optional<TaskApplication> DecodeTaskApplication(std::string_view bytes);
std::string EncodeTaskRules(const TaskRules& rules);
std::string EncodeSubsidyGrantRecord(const SubsidyGrantRecord& record);
std::optional<SubsidyGrantRecord> DecodeSubsidyGrantRecord(std::string_view bytes);
// "" if the grant is well formed (the accounts are checked when it applies), else what is wrong.
std::string GrantSubsidyProblem(const GrantSubsidy& grant);
std::optional<TaskRules> DecodeTaskRules(std::string_view bytes);

// Reserved transfer ids of a task's movements: reservation of (slot, day) by the host ('H') or the
// subsidy
// ('J'), the post of each ('h', 'j'), the void of each ('x', 'y'), the payment to the visitor
// ('V').
TransferId TaskTransferId(char kind, const AccountId& host, std::string_view task_id, uint32_t slot,
                          uint32_t day);
// The payment of a day to a visitor ('V'): derivable from a ConfirmDay command.
TransferId TaskPayId(const AccountId& host, std::string_view task_id, const AccountId& visitor,
                     uint32_t day);

// The day-index-based week (Monday to Sunday) a day index falls in.
inline int64_t WeekOf(int64_t day_index) {
  return (day_index + 3) / 7;
}  // 1970-01-01 was a Thursday.

}  // namespace ledger

#endif  // LEDGER_CORE_TASKS_H_
