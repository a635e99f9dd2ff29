// The ledger's records: assets, accounts, transfers, expiry lots and history entries, with their
// stored encodings. The byte layouts are specified in ledger/FORMAT.md; change both together.
#ifndef LEDGER_CORE_RECORDS_H_
#define LEDGER_CORE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/types.h"

namespace ledger {

// Per-item outcome codes. Numbering matches proto/ledger.proto's Result (checked in the gRPC
// adapter).
enum class [[nodiscard]] Result : uint8_t{
    kOk = 0, kLinkedEventFailed = 1, kLinkedEventChainOpen = 2, kIdMustNotBeZero = 3,
    kIdReserved = 4, kExistsWithDifferentFields = 5, kAssetNotFound = 6, kAccountNotFound = 7,
    kDebitAccountNotFound = 8, kCreditAccountNotFound = 9, kAccountsMustBeDifferent = 10,
    kAssetMismatch = 11, kAmountMustBePositive = 12, kAmountExceedsLimit = 13, kExceedsBalance = 14,
    kOverflowsBalance = 15, kAccountClosed = 16, kPendingNotFound = 17, kPendingAlreadyPosted = 18,
    kPendingAlreadyVoided = 19, kPendingExpired = 20, kPendingAmountExceeded = 21,
    kPendingAccountsMismatch = 22, kTimeoutRequiresPending = 23, kTimeoutExceedsLimit = 24,
    kFlagsAreMutuallyExclusive = 25, kCodeMustNotBeZero = 26, kKindInvalid = 27, kFlagsInvalid = 28,
    kCategoryTooLong = 29, kExpiryInvalid = 30, kTooManyLots = 31, kNotAPendingTransfer = 32,
    kAssetCodeInvalid = 33, kAccountAlreadyClosed = 34, kAccountHasBalance = 35,
    kPendingIdMustBeZero = 36, kPendingIdRequired = 37, kPosIdInvalid = 38, kTerminalIdInvalid = 39,
    kNotAMerchant = 40, kPaymentNotFound = 41, kRefundExceedsPayment = 42, kPaymentCancelled = 43,
    kPaymentRefunded = 44, kDayClosed = 45, kBusinessDayInvalid = 46, kFeesNotSet = 47,
    kFeeScheduleInvalid = 48, kKeyNotRegistered = 49, kPublicKeyInvalid = 50, kCpmInvalid = 51,
    kSignatureInvalid = 52, kCpmExpired = 53, kCpmNotYetValid = 54, kCpmReplayed = 55,
    kPayerMismatch = 56, kNonceReplayed = 57, kCardNotFound = 58, kPinInvalid = 59,
    kCardLocked = 60, kCardInvalid = 61, kHealthProgramNotFound = 62, kHealthProgramInvalid = 63,
    kEffectiveDayInvalid = 64, kDeviceNotFound = 65, kDeviceRevoked = 66, kDeviceIdInvalid = 67,
    kConsentRequired = 68, kPurposeInvalid = 69, kReportDayInFuture = 70, kReportDayTooOld = 71,
    kStepsImplausible = 72, kExchangeNotOffered = 73, kExchangeUnitInvalid = 74, kNotAWatcher = 75,
    kAlertNotFound = 76, kWatchOverInvalid = 77, kTaskNotFound = 78, kTaskInvalid = 79,
    kTaskClosed = 80, kApplicationNotFound = 81, kNoSlotLeft = 82, kNotCheckedIn = 83,
    kNotCheckedOut = 84, kTaskDayTaken = 85, kWeeklyHoursExceeded = 86, kMonthlyCapExceeded = 87,
    kDayNotInTask = 88, kCampaignNotFound = 89, kCampaignInvalid = 90, kTooManyCampaigns = 91,
    kMpmOrderNotFound = 92, kMpmOrderExpired = 93, kMpmOrderMismatch = 94, kMpmLifetimeInvalid = 95,
    kNotAChamberMember = 96, kAssetNotAccepted = 97, kProfileInvalid = 98, kKeyRevoked = 99,
    kNotAManager = 100, kSubsidyNotGranted = 101, kSubsidyExceedsGrant = 102,
    kSubsidyGrantInvalid = 103, kCardReplaced = 104, kCardExists = 105,
    kRequestExpired = 106,  // The batch stamp is past the signed request's timestamp + the window.
    kRequestNotYetValid =
        107,  // The batch stamp is before the signed request's timestamp - the window.
    // The role table (ledger/core/operators.h).
    kOperatorNameInvalid = 108,   // Not a valid operator name, a node-* name, or "bootstrap".
    kRolesInvalid = 109,          // Role bits outside kAllRoles.
    kTooManyOperators = 110,      // kOperatorsMax operators hold roles already.
    kOperatorNotPermitted = 111,  // The request's operator lacked a role one of its commands needs.
    kFourEyesRequired =
        112,  // Four-eyes (proposals.h): a gated command sent directly; decides nothing.
    kProposalNotFound = 113,      // No proposal with that id.
    kProposalNotPending = 114,    // Approved, failed or rejected already.
    kProposalExpired = 115,       // The batch stamp is at or past the proposal's expiry.
    kFourEyesSameOperator = 116,  // The approver is the proposer.
    kProposalInvalid = 117,       // A malformed proposal (name, lifetime, commands).
};
inline constexpr int kResultCount = 118;

// snake_case name of a result, e.g. "exceeds_balance".
const char* ResultName(Result result);

enum class AccountKind : uint8_t {
  kUnspecified = 0,
  kIssuer = 1,
  kWallet = 2,
  kMerchant = 3,
  kEscrow = 4,
  kBreakage = 5,
  kFee = 6,
  kBudget = 7,
  kExternal = 8,
};
inline constexpr uint8_t kAccountKindMax = 8;
const char* AccountKindName(AccountKind kind);
std::optional<AccountKind> AccountKindFromName(std::string_view name);

namespace account_flags {
inline constexpr uint32_t kNonNegative = 1;
inline constexpr uint32_t kClosed = 2;
// Flags a client may set at creation.
inline constexpr uint32_t kCreatable = kNonNegative;
}  // namespace account_flags

namespace transfer_flags {
inline constexpr uint32_t kLinked = 1;
inline constexpr uint32_t kPending = 2;
inline constexpr uint32_t kPostPending = 4;
inline constexpr uint32_t kVoidPending = 8;
inline constexpr uint32_t kAll = kLinked | kPending | kPostPending | kVoidPending;
}  // namespace transfer_flags

enum class PendingState : uint8_t {
  kNone = 0,
  kPending = 1,
  kPosted = 2,
  kVoided = 3,
  kExpired = 4,
};

struct Asset {
  AssetId id = 0;
  std::string code;
  uint32_t scale = 0;
  int64_t expiry_seconds = 0;  // 0: never.
  int64_t expiry_granularity_seconds = 86400;
  AccountId breakage_account;
  Timestamp timestamp = 0;

  bool Expires() const { return expiry_seconds > 0; }
  // The fields a client supplies (used for idempotency comparisons).
  bool SameRequest(const Asset& other) const;
};

struct Account {
  AccountId id;
  AssetId asset = 0;
  AccountKind kind = AccountKind::kUnspecified;
  uint32_t flags = 0;
  uint64_t user_data = 0;
  std::string category;
  int64_t balance = 0;
  int64_t debits_pending = 0;
  int64_t credits_pending = 0;
  Timestamp timestamp = 0;

  bool closed() const { return (flags & account_flags::kClosed) != 0; }
  bool non_negative() const { return (flags & account_flags::kNonNegative) != 0; }
  bool SameRequest(const Account& other) const;
};

// A slice of value with the time it lapses. Wallets hold their expiring value as lots.
struct Lot {
  Timestamp expiry = 0;
  int64_t amount = 0;
  bool operator==(const Lot&) const = default;
};

struct Transfer {
  // Request fields.
  TransferId id;
  AccountId debit_account_id;
  AccountId credit_account_id;
  int64_t amount = 0;
  TransferId pending_id;
  int64_t timeout_seconds = 0;
  uint32_t code = 0;
  uint32_t flags = 0;
  uint64_t user_data = 0;
  // Decided by the ledger.
  AssetId asset = 0;
  Timestamp timestamp = 0;
  Result result = Result::kOk;
  PendingState pending_state = PendingState::kNone;
  int64_t amount_posted = 0;
  Timestamp timeout_at = 0;        // For pendings with a timeout: when it lapses (0 = never).
  std::vector<Lot> reserved_lots;  // For pendings debiting a wallet: the lots set aside.

  bool flag(uint32_t bit) const { return (flags & bit) != 0; }
  bool SameRequest(const Transfer& other) const;
};

// One change to an account's posted balance.
struct HistoryEntry {
  Timestamp timestamp = 0;
  TransferId transfer_id;
  int64_t delta = 0;
  int64_t balance_after = 0;
};

std::string EncodeAsset(const Asset& asset);
std::optional<Asset> DecodeAsset(std::string_view bytes);
std::string EncodeAccount(const Account& account);
std::optional<Account> DecodeAccount(std::string_view bytes);
std::string EncodeTransfer(const Transfer& transfer);
std::optional<Transfer> DecodeTransfer(std::string_view bytes);
std::string EncodeLots(const std::vector<Lot>& lots);
std::optional<std::vector<Lot>> DecodeLots(std::string_view bytes);

// History is written in two forms (ledger/FORMAT.md, "Account history"): one recent-history record
// per batch with every entry of the batch, and, once enough of those have accumulated, per-account
// segments they are folded into. A key per entry would cost more than the transfer itself.
struct AccountHistoryEntry {
  AccountId account;
  HistoryEntry entry;
};
// A batch's entries, sorted by account and then timestamp. Fixed-size items, so that a reader can
// binary-search one account's entries without decoding the rest (RecentHistoryView).
std::string EncodeRecentHistory(const std::vector<AccountHistoryEntry>& sorted);
std::optional<std::vector<AccountHistoryEntry>> DecodeRecentHistory(std::string_view bytes);
// Reads one account's entries from an encoded recent-history record in place.
class RecentHistoryView {
 public:
  // False when the bytes are not a recent-history record.
  bool Parse(std::string_view bytes);
  size_t size() const { return count_; }
  // The index range [first, last) of the account's entries (ascending timestamps).
  std::pair<size_t, size_t> Range(const AccountId& account) const;
  AccountId AccountAt(size_t i) const;
  HistoryEntry At(size_t i) const;

 private:
  std::string_view items_;
  size_t count_ = 0;
};
// One account's folded entries, ascending by timestamp.
std::string EncodeHistorySegment(const std::vector<HistoryEntry>& entries);
std::optional<std::vector<HistoryEntry>> DecodeHistorySegment(std::string_view bytes);
// What has not been folded yet: recent-history records and the entries in them.
struct HistoryBacklog {
  uint64_t records = 0;
  uint64_t entries = 0;
};
std::string EncodeHistoryBacklog(const HistoryBacklog& backlog);
std::optional<HistoryBacklog> DecodeHistoryBacklog(std::string_view bytes);

}  // namespace ledger

#endif  // LEDGER_CORE_RECORDS_H_
