// The core fuzzer: see core_fuzz.h. The World below makes commands; CoreFuzzer applies and checks
// them.
#include "ledger/core/core_fuzz.h"

#include <signal.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>

#include "absl/strings/str_cat.h"
#include "ledger/core/audit.h"
#include "ledger/core/cpm.h"
#include "ledger/core/limits.h"
#include "ledger/core/query.h"
#include "ledger/core/test_util.h"

namespace ledger::fuzz {
namespace {

constexpr AssetId kCoin = 1, kPoints = 2, kShort = 3;
constexpr AssetId kAssetIds[] = {kCoin, kPoints, kShort};
// Account roles: the account of role r in asset a has id a * 100 + r.
constexpr uint64_t kIssuerRole = 1, kBreakageRole = 2, kFeeRole = 3, kFundingRole = 4,
                   kBudgetRole = 5, kEscrowRole = 6, kExternalRole = 7, kWalletRole = 10,
                   kWalletCount = 4, kMerchantRole = 20, kMerchantCount = 3, kSpareRole = 30,
                   kCreatedRoleFirst = 40, kCreatedRoleCount = 20;
constexpr int64_t kDaySeconds = 86400;
constexpr uint32_t kProgram = 1;
// Remembered ids of each kind (payments, pendings, tasks...): a bound.
constexpr int kIdPoolMax = 64;

AccountId Acc(AssetId asset, uint64_t role) { return Id128{0, asset * 100 + role}; }

// The seed's aborting run, for the SIGABRT handler: written before each run, read only by the
// handler.
char abort_message[128] = "core fuzz: aborted\n";
size_t abort_message_length = std::strlen(abort_message);

void SetAbortSeed(uint64_t seed) {
  const int written =
      snprintf(abort_message, sizeof abort_message,
               "core fuzz: aborted; reproduce with --seed=%llu (CORE_FUZZ_SEED=%llu)\n",
               static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  abort_message_length =
      written > 0 ? std::min(static_cast<size_t>(written), sizeof abort_message - 1) : 0;
}

void OnAbort(int) {
  // Only async-signal-safe calls here: write, then the default action.
  ssize_t ignored = write(STDERR_FILENO, abort_message, abort_message_length);
  (void)ignored;
  signal(SIGABRT, SIG_DFL);
  raise(SIGABRT);
}

}  // namespace

namespace internal {

// Where the World's choices come from: the seeded generator, or fuzzer bytes (exhausted bytes read
// as 0, so every input decodes to some batch).
class Source {
 public:
  explicit Source(std::mt19937_64* random) : random_(random) {}
  explicit Source(std::string_view bytes) : bytes_(bytes) {}

  // A number in [0, n); 0 when n is 0.
  uint64_t Below(uint64_t n) {
    if (n <= 1) return 0;
    if (random_ != nullptr) return (*random_)() % n;
    const int width = n <= 0x100 ? 1 : n <= 0x10000 ? 2 : 8;
    uint64_t value = 0;
    for (int i = 0; i < width; ++i) value = value << 8 | Byte();
    return value % n;
  }
  bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  bool exhausted() const { return random_ == nullptr && bytes_.empty(); }

 private:
  uint8_t Byte() {
    if (bytes_.empty()) return 0;
    const uint8_t b = static_cast<uint8_t>(bytes_.front());
    bytes_.remove_prefix(1);
    return b;
  }
  std::mt19937_64* random_ = nullptr;
  std::string_view bytes_;
};

}  // namespace internal

namespace {

using internal::Source;

// An Ed25519 key pair derived from the run's seed and a label, so that every signature is
// reproducible.
class Signer {
 public:
  Signer(uint64_t seed, std::string_view label) {
    const std::string seed_bytes = Blake2b256(absl::StrCat(seed, "/", std::string(label)));
    unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_seed_keypair(public_key, secret_,
                             reinterpret_cast<const unsigned char*>(seed_bytes.data()));
    public_key_.assign(reinterpret_cast<const char*>(public_key), sizeof public_key);
  }
  const std::string& public_key() const { return public_key_; }
  std::string Sign(std::string_view bytes) const {
    unsigned char signature[crypto_sign_BYTES];
    crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
                         bytes.size(), secret_);
    return std::string(reinterpret_cast<const char*>(signature), sizeof signature);
  }

 private:
  std::string public_key_;
  unsigned char secret_[crypto_sign_SECRETKEYBYTES];
};

struct PaymentRef {
  AccountId merchant;
  std::string payment_id;
  int64_t amount = 0;
};
struct TaskRef {
  AccountId host;
  std::string task_id;
};
struct CardRef {
  std::string card;
  AccountId wallet;
  std::string salt;
};

}  // namespace

// The generator's model of the world: the ids it created and the keys it holds. Commands are chosen
// mostly blind, as clients would send them, and the ledger decides.
class World {
 public:
  explicit World(const FuzzOptions& options) : options_(options) {}

  // The batches that build the world, in order.
  std::vector<std::vector<Command>> Setup(Timestamp now);
  // A random request of 1..kFuzzBatchCommandsMax commands at logical time `now`.
  // The World reads `state` only to aim at edges (an amount of exactly the balance, draining an
  // account before closing it); every other choice is blind, as a client's.
  std::vector<Command> RandomCommands(Source* source, const KvReader& state, Timestamp now,
                                      size_t count);
  // The command of one variant index; the table's order is the maker order, not the variant's.
  Command Make(size_t maker);
  static size_t maker_count();

 private:
  using Maker = Command (World::*)();
  static const std::vector<std::pair<Maker, int>>& Makers();
  std::vector<Command> SetupPrograms();

  // Choices.
  uint64_t Below(uint64_t n) { return source_->Below(n); }
  bool Chance(int percent) { return source_->Chance(percent); }
  template <typename T>
  const T& OneOf(const std::vector<T>& items) {
    return items[Below(items.size())];
  }
  // Mostly the set-up assets; sometimes those random commands may have created (4, 5) or none (0).
  AssetId PickAsset() {
    return Chance(88) ? kAssetIds[Below(3)]
                      : static_cast<AssetId>(Chance(80) ? 4 + Below(2) : Below(7));
  }
  AccountId Account();
  AccountId AccountOf(AssetId asset, uint64_t role_first, uint64_t role_count);
  AccountId Wallet(AssetId asset) { return AccountOf(asset, kWalletRole, kWalletCount); }
  AccountId Merchant(AssetId asset) { return AccountOf(asset, kMerchantRole, kMerchantCount); }
  // Task visitors: two coin wallets, so that one visitor's application meets her check-ins.
  AccountId Visitor() { return AccountOf(kCoin, kWalletRole, 2); }
  int64_t Amount();
  int64_t Spendable(const AccountId& id);
  TransferId FreshTransferId();
  TransferId TransferIdToUse();
  std::string PosId(const char* prefix, bool may_contain_slash);
  std::string Terminal();
  uint32_t Day(int from_offset, int count);
  uint64_t Nonce();
  void StampRequest(Command* command);
  uint32_t Today() const { return BusinessDay(now_); }
  const Signer& SignerOf(const AccountId& account, std::string_view role);
  template <typename T>
  void Remember(std::vector<T>* pool, T item) {
    if (pool->size() >= kIdPoolMax) pool->erase(pool->begin());
    pool->push_back(std::move(item));
  }

  // Makers, one per Command alternative.
  Command MakeAsset();
  Command MakeAccount();
  Command MakeClose();
  Command MakeTransfer() { return RandomTransfer(); }
  Transfer RandomTransfer();
  Command MakePayment();
  PosPayment PaymentBase();
  Command MakeRefund();
  Command MakeCancel();
  Command MakeCloseDay();
  Command MakeFees();
  Command MakeCashOut();
  Command MakeSupplierPayment();
  Command MakeRegisterKey();
  Command MakeWalletSend();
  Command MakeRegisterCard();
  Command MakeHealthProgram();
  HealthProgram Program(uint32_t effective_day);
  Command MakeDevice();
  Command MakeConsent();
  Command MakeStepReport();
  Command MakeExchange();
  Command MakeErase();
  Command MakeWatchOver();
  Command MakeAckAlert();
  Command MakeTaskRules();
  Command MakePostTask();
  Command MakeApplyTask();
  Command MakeDecide();
  Command MakeCancelSlots();
  Command MakeCheckIn();
  CheckIn CheckInFor(const TaskRef& task, const AccountId& visitor, bool out);
  Command MakeConfirmDay();
  Command MakeCampaign();
  Command MakeCloseCampaign();
  Command MakePauseCampaign();
  Command MakeOperatorRoles();
  Command MakeLink();
  Command MakeMpmOrder();
  Command MakeProfile();
  Command MakeRevokeKey();
  Command MakeGrantSubsidy();
  Command MakeUnlockCard();
  Command MakeReissueCard();
  Command MakePropose();
  Command MakeApprove();
  Command MakeRejectProposal();
  Command MakeSetFourEyes();
  Command ProposedCommand();
  Id128 ProposalId() { return Id128{0x4e00, Below(12)}; }
  std::string OperatorName();
  std::string CpmFor(const AccountId& payer);
  TaskRef PickTask();

  FuzzOptions options_;
  Source* source_ = nullptr;
  const KvReader* state_ = nullptr;
  Timestamp now_ = 0;
  uint64_t next_id_ = 1;
  uint64_t next_nonce_ = 1;
  std::vector<AccountId> accounts_;
  std::vector<TransferId> transfer_ids_;
  std::vector<TransferId> pending_ids_;
  std::vector<PaymentRef> payments_;
  std::vector<PaymentRef> mpm_orders_;
  std::vector<TaskRef> tasks_;
  std::vector<CardRef> cards_;
  std::optional<ReissueCard>
      last_reissue_;  // Sent again now and then: a duplicate, or card_replaced.
  std::vector<uint64_t> nonces_;
  std::vector<std::string> exchange_ids_;
  std::deque<Command> queued_;  // Follow-ups of a command made earlier, taken before new picks.
  absl::btree_map<std::string, std::unique_ptr<Signer>> signers_;
};

// ---- Choices
// -------------------------------------------------------------------------------------------

AccountId World::Account() {
  switch (Below(20)) {
    case 0:
      return AccountId{};  // Zero.
    case 1:
      return AccountId{0, 999'999};  // Never created.
    case 2:
      return AccountId{0xffff'0000'0000'0000ULL, 5};  // Reserved.
    default:
      return OneOf(accounts_);
  }
}

AccountId World::AccountOf(AssetId asset, uint64_t role_first, uint64_t role_count) {
  if (Chance(8)) return Account();  // Nearly valid: any account, often of the wrong kind or asset.
  return Acc(asset, role_first + Below(role_count));
}

int64_t World::Amount() {
  switch (Below(16)) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return kAmountMax;
    case 3:
      return kAmountMax + 1;
    case 4:
      return std::numeric_limits<int64_t>::max();
    case 5:
      return Chance(50) ? -1 : std::numeric_limits<int64_t>::min();
    case 6:
      return 1 + static_cast<int64_t>(Below(1'000'000));
    default:
      return 1 + static_cast<int64_t>(Below(3000));
  }
}

TransferId World::FreshTransferId() {
  const TransferId id{0, 1'000'000 + next_id_++};
  Remember(&transfer_ids_, id);
  return id;
}

// Mostly new ids; sometimes one used before (a duplicate, same or different fields), zero or
// reserved.
TransferId World::TransferIdToUse() {
  const uint64_t roll = Below(20);
  if (roll == 0) return TransferId{};
  if (roll == 1) return TransferId{0xffff'0000'0000'0000ULL, next_id_++};
  if (roll < 5 && !transfer_ids_.empty()) return OneOf(transfer_ids_);
  return FreshTransferId();
}

// Merchant-chosen ids: fresh, reused, with '/', or malformed (empty, too long, a control
// character).
std::string World::PosId(const char* prefix, bool may_contain_slash) {
  const uint64_t roll = Below(40);
  if (roll == 0) return "";
  if (roll == 1) return std::string(kPosIdLengthMax + 1, 'x');
  if (roll == 2) return "tab\there";
  if (roll < 8 && may_contain_slash) {
    static const std::vector<std::string> kSlashy = {"a/b",   "a",      "b",       "b/c",
                                                     "a/b/c", "cancel", "cancel/x"};
    return absl::StrCat(OneOf(kSlashy), roll < 5 ? "" : prefix);
  }
  if (roll < 8) return absl::StrCat(prefix, "-", Below(4));
  return absl::StrCat(prefix, "-", next_id_++);
}

std::string World::Terminal() {
  static const std::vector<std::string> kTerminals = {"T1", "T2", "T3", "",
                                                      std::string(kTerminalIdLengthMax + 1, 'T')};
  return Chance(85) ? kTerminals[Below(3)] : OneOf(kTerminals);
}

// A yyyymmdd `from_offset` .. `from_offset + count - 1` days from today; rarely a date that is not
// one.
uint32_t World::Day(int from_offset, int count) {
  if (Chance(3)) return Chance(50) ? 0 : 20261332;
  return DayNumber(BusinessDayIndex(now_) + from_offset + static_cast<int64_t>(Below(count)));
}

// The signed request's timestamp of a command that spends a request nonce (RequestMs, journal.h):
// mostly inside the window around the batch stamp, sometimes on or just past its edges or far
// outside, and now and then 0 (an older entry: no window, the nonce kept for ever).
void World::StampRequest(Command* command) {
  uint64_t* request_ms = MutableRequestMs(command);
  if (request_ms == nullptr) return;
  const uint64_t now_ms = now_ / 1'000'000;
  const uint64_t window_ms = kSignedRequestWindowMs;
  const uint64_t roll = Below(100);
  if (roll < 15) {
    *request_ms = 0;
  } else if (roll < 80) {
    *request_ms = now_ms - window_ms + Below(2 * window_ms + 1);
  } else if (roll < 88) {
    *request_ms = Chance(50) ? now_ms - window_ms + Below(2) : now_ms + window_ms - Below(2);
  } else {
    const uint64_t month_ms = static_cast<uint64_t>(30 * kDaySeconds) * 1000;
    const uint64_t beyond = window_ms + 1 + (Chance(50) ? Below(3) : Below(month_ms));
    *request_ms = Chance(50) ? now_ms - std::min(beyond, now_ms - 1) : now_ms + beyond;
  }
}

// A fresh nonce, or now and then zero or one used before (a replay).
uint64_t World::Nonce() {
  if (Chance(5)) return 0;
  if (Chance(8) && !nonces_.empty()) return OneOf(nonces_);
  const uint64_t nonce = next_nonce_++;
  Remember(&nonces_, nonce);
  return nonce;
}

const Signer& World::SignerOf(const AccountId& account, std::string_view role) {
  const std::string label = absl::StrCat(account.ToHex(), "/", std::string(role));
  std::unique_ptr<Signer>& signer = signers_[label];
  if (!signer) signer = std::make_unique<Signer>(options_.seed, label);
  return *signer;
}

TaskRef World::PickTask() {
  if (tasks_.empty() || Chance(5)) return TaskRef{Merchant(kCoin), "no-such-task"};
  // Mostly the newest tasks, so that applications, check-ins and confirmations meet on the same
  // task.
  if (Chance(80)) return tasks_[tasks_.size() - 1 - Below(std::min<size_t>(tasks_.size(), 3))];
  return OneOf(tasks_);
}

// ---- Makers: accounts and transfers
// ---------------------------------------------------------------------

Command World::MakeAsset() {
  ledger::Asset asset;
  asset.id =
      Chance(70) ? static_cast<AssetId>(Below(6)) : static_cast<AssetId>(kAssetIdMax + Below(2));
  static const std::vector<std::string> kCodes = {
      "COIN", "PTS", "SHORT", "NEW", "", "lower", std::string(17, 'X')};
  asset.code = OneOf(kCodes);
  static const std::vector<int64_t> kExpiries = {
      0, 0, 60, 3600, 30 * kDaySeconds, -1, kExpirySecondsMax, kExpirySecondsMax + 1};
  asset.expiry_seconds = OneOf(kExpiries);
  static const std::vector<int64_t> kGranularities = {1, 60, kDaySeconds, 0, -5, 7 * kDaySeconds};
  asset.expiry_granularity_seconds = OneOf(kGranularities);
  asset.breakage_account = Chance(80) ? Acc(asset.id, kBreakageRole) : Account();
  if (Chance(30))
    asset.expiry_granularity_seconds = 1;  // Many distinct lots: towards kLotsPerAccountMax.
  asset.scale = static_cast<uint32_t>(Below(4));
  return asset;
}

Command World::MakeAccount() {
  ledger::Account account;
  const AssetId asset = PickAsset();
  account.id = Chance(80) ? Acc(asset, kCreatedRoleFirst + Below(kCreatedRoleCount)) : Account();
  account.asset = asset;
  account.kind =
      static_cast<AccountKind>(Below(kAccountKindMax + 2));  // Every kind, and one past the last.
  account.flags = Chance(90) ? static_cast<uint32_t>(Below(2)) : static_cast<uint32_t>(Below(8));
  if (Chance(40)) {  // An account of a role in a random asset, so that assets created later get a
                     // world too.
    static const std::vector<std::pair<uint64_t, AccountKind>> kRoles = {
        {kIssuerRole, AccountKind::kIssuer},     {kFundingRole, AccountKind::kBudget},
        {kEscrowRole, AccountKind::kEscrow},     {kWalletRole, AccountKind::kWallet},
        {kWalletRole + 1, AccountKind::kWallet}, {kMerchantRole, AccountKind::kMerchant}};
    const auto& [role, kind] = OneOf(kRoles);
    account.id = Acc(asset, role);
    account.kind = kind;
    account.flags = role == kIssuerRole || role == kEscrowRole ? 0 : account_flags::kNonNegative;
  }
  static const std::vector<std::string> kCategories = {"", "food", "farm",
                                                       std::string(kCategoryBytesMax + 1, 'c')};
  account.category = OneOf(kCategories);
  account.user_data = Below(3);
  if (std::find(accounts_.begin(), accounts_.end(), account.id) == accounts_.end() &&
      !account.id.IsZero()) {
    accounts_.push_back(account.id);
  }
  return account;
}

// Any account, a campaign's funding account included (a refund's clawback into it once aborted the
// core: issue 14, item 2). Mostly the account is drained first (all it can spend goes to its
// issuer, in the same request), so that closing succeeds and later commands meet a closed account.
Command World::MakeClose() {
  AccountId id = Account();
  const std::optional<ledger::Account> account = LookupAccount(*state_, id);
  if (!account || account->balance == 0 || Chance(30)) return CloseAccount{id};
  queued_.push_front(CloseAccount{id});
  Transfer drain;
  drain.id = FreshTransferId();
  drain.debit_account_id = id;
  drain.credit_account_id = Acc(account->asset, kIssuerRole);
  drain.amount = account->balance - account->debits_pending;
  if (drain.amount < 0) {  // An issuer: it gets back what it issued.
    std::swap(drain.debit_account_id, drain.credit_account_id);
    drain.amount = -account->balance;
  }
  drain.code = 1;
  return drain;
}

// What `id` can spend now (0 if unknown): an amount right at the edge of exceeds_balance.
int64_t World::Spendable(const AccountId& id) {
  const std::optional<ledger::Account> account = LookupAccount(*state_, id);
  return account ? account->balance - account->debits_pending : 0;
}

Transfer World::RandomTransfer() {
  Transfer t;
  t.id = TransferIdToUse();
  const AssetId asset = PickAsset();
  const uint64_t shape = Below(10);
  t.debit_account_id =
      Chance(30) ? Acc(asset, kIssuerRole) : AccountOf(asset, kWalletRole, kWalletCount + 1);
  t.credit_account_id =
      Chance(20) ? Account() : Acc(asset, 1 + Below(kMerchantRole + kMerchantCount));
  t.amount = Chance(5) ? Spendable(t.debit_account_id) + static_cast<int64_t>(Below(2)) : Amount();
  t.code = Chance(95) ? 1 + static_cast<uint32_t>(Below(5)) : 0;
  t.user_data = Below(4);
  if (shape < 2) {
    t.flags = transfer_flags::kPending;
    static const std::vector<int64_t> kTimeouts = {
        0, 0, 1, 60, 3600, 3 * kDaySeconds, kTimeoutSecondsMax, kTimeoutSecondsMax + 1, -1};
    t.timeout_seconds = OneOf(kTimeouts);
    Remember(&pending_ids_, t.id);
  } else if (shape < 4 && !pending_ids_.empty()) {
    t.flags = Chance(50) ? transfer_flags::kPostPending : transfer_flags::kVoidPending;
    t.pending_id = Chance(90) ? OneOf(pending_ids_) : TransferId{0, 424242};
    if (Chance(60)) t.amount = 0;
    if (Chance(60)) t.debit_account_id = t.credit_account_id = AccountId{};
  } else if (shape == 4) {
    t.timeout_seconds = 60;  // Without the pending flag: refused.
  }
  if (Chance(12)) t.flags |= transfer_flags::kLinked;
  if (Chance(3)) t.flags = static_cast<uint32_t>(Below(64));
  return t;
}

Command World::MakeWalletSend() {
  WalletSend send;
  send.transfer = RandomTransfer();
  if (Chance(80)) send.transfer.flags = 0;
  const AssetId asset = PickAsset();
  send.transfer.debit_account_id = Wallet(asset);
  if (Chance(70)) send.transfer.credit_account_id = Chance(50) ? Wallet(asset) : Merchant(asset);
  send.nonce = Nonce();
  return send;
}

Command World::MakeRegisterKey() {
  RegisterKey key;
  const bool terminal = Chance(50);
  const AssetId asset = PickAsset();
  key.account = terminal ? Merchant(asset) : Wallet(asset);
  key.key_id = terminal ? Terminal() : (Chance(95) ? "" : "T1");
  const uint64_t roll = Below(10);
  if (roll < 7) {
    key.public_key = SignerOf(key.account, key.key_id).public_key();
  } else if (roll < 9) {
    key.public_key =
        SignerOf(key.account, absl::StrCat(key.key_id, "/rotated", Below(3))).public_key();
  } else {
    key.public_key = std::string(Below(40), 'k');
  }
  key.manager = terminal && Chance(30);
  if (Chance(30)) key.by_terminal = Chance(80) ? "T1" : Terminal();
  return key;
}

Command World::MakeRevokeKey() {
  RevokeKey key;
  const bool terminal = Chance(70);
  const AssetId asset = PickAsset();
  key.account = terminal ? Merchant(asset) : Wallet(asset);
  key.key_id = terminal ? Terminal() : "";
  if (Chance(50)) key.by_terminal = Chance(80) ? "T1" : Terminal();
  return key;
}

// A grant of a budget to one host or one category, sometimes malformed or withdrawn.
Command World::MakeGrantSubsidy() {
  static const char* kGrantCategories[] = {"food", "farm", "", "x"};
  const AssetId asset = PickAsset();
  GrantSubsidy grant;
  grant.budget = Chance(85) ? AccountOf(asset, kBudgetRole, 1) : Account();
  if (Chance(60)) {
    grant.host = Chance(90) ? Merchant(asset) : Account();
  } else {
    grant.category = kGrantCategories[Below(4)];
  }
  if (Chance(5)) grant.category = std::string(Below(40), 'c');
  grant.percent_max = static_cast<uint32_t>(Chance(85) ? Below(101) : Below(200));
  grant.monthly_max = Chance(80) ? static_cast<int64_t>(Below(200'000)) : Amount();
  if (grant.percent_max == 0 && Chance(80)) grant.monthly_max = 0;
  return grant;
}

// ---- Makers: four-eyes proposals
// ------------------------------------------------------------------------------

std::string World::OperatorName() {
  static const char* kNames[] = {"city-treasurer", "deputy-treasurer", "auditor"};
  if (Chance(5)) return Chance(50) ? "" : std::string(Below(70) + 1, Chance(50) ? 'a' : 'A');
  return kNames[Below(3)];
}

// What a proposal carries: mostly what needs four eyes, now and then what may not be proposed.
Command World::ProposedCommand() {
  switch (Below(10)) {
    case 0:
      return MakeFees();
    case 1:
      return MakeGrantSubsidy();
    case 2:
      return MakeSetFourEyes();
    case 3:
      return Chance(50) ? MakeClose() : Command{Approve{ProposalId(), OperatorName()}};
    default: {
      Transfer t = RandomTransfer();
      if (Chance(60)) t.debit_account_id = Acc(PickAsset(), kIssuerRole);
      return t;
    }
  }
}

Command World::MakePropose() {
  Propose p;
  p.id = Chance(97) ? ProposalId() : Id128{};
  p.proposer = OperatorName();
  static const std::vector<int64_t> kLifetimes = {
      3600, 86400, 60, 0, -1, kProposalLifetimeSecondsMax, kProposalLifetimeSecondsMax + 1};
  p.lifetime_seconds = kLifetimes[Chance(70) ? Below(3) : Below(kLifetimes.size())];
  std::vector<Command> commands;
  const uint64_t count = Chance(90) ? 1 + Below(3) : Below(kProposalCommandsMax + 2);
  for (uint64_t i = 0; i < count; ++i) commands.push_back(ProposedCommand());
  p.commands = EncodeProposedCommands(commands);
  if (Chance(3)) p.commands = std::string(Below(40), static_cast<char>(Below(256)));
  if (Chance(50)) queued_.push_back(Approve{p.id, OperatorName()});
  return p;
}

Command World::MakeApprove() { return Approve{ProposalId(), OperatorName()}; }
Command World::MakeRejectProposal() { return RejectProposal{ProposalId(), OperatorName()}; }

// Mostly a threshold well above the everyday amounts, so the rule gates large issuance only.
Command World::MakeSetFourEyes() {
  return SetFourEyes{Chance(85) ? static_cast<int64_t>(1'000'000 + Below(1'000'000'000))
                                : Amount()};
}

// ---- Makers: shop payments
// ------------------------------------------------------------------------------

std::string World::CpmFor(const AccountId& payer) {
  CpmCode code;
  code.account = payer.ToBytes();
  code.nonce = Nonce();
  const int64_t now_ms = static_cast<int64_t>(now_ / 1'000'000);
  static const std::vector<int64_t> kSkewsMs = {0,       0,      -1000,  -59'000,
                                                -61'000, 20'000, 31'000, -700'000};
  code.issued_at_ms = static_cast<uint64_t>(std::max<int64_t>(0, now_ms + OneOf(kSkewsMs)));
  code.ttl_seconds =
      Chance(90) ? kCpmTtlSecondsDefault : static_cast<uint32_t>(Below(kCpmTtlSecondsMax + 10));
  const Signer& signer = Chance(90) ? SignerOf(payer, "") : SignerOf(payer, "stranger");
  code.signature = signer.Sign(CpmSignedBytes(code));
  std::string text = EncodeCpm(code);
  if (Chance(3)) text[3 + Below(text.size() - 3)] ^= 1;  // A damaged code.
  return text;
}

PosPayment World::PaymentBase() {
  PosPayment p;
  const AssetId asset = Chance(70) ? kCoin : PickAsset();
  p.merchant = Merchant(Chance(80) ? kCoin : asset);
  p.payment_id = PosId("pay", true);
  p.payer = Wallet(asset);
  p.amount = Chance(5) ? Spendable(p.payer) + static_cast<int64_t>(Below(2)) : Amount();
  p.terminal = Terminal();
  return p;
}

// A plain charge, a customer-presented code, a merchant-presented code (an MPM order's id, amount
// and a wallet nonce), or a custodial card with the right or a wrong PIN.
Command World::MakePayment() {
  PosPayment p = PaymentBase();
  const uint64_t mode = Below(10);
  if (mode < 3) {
    p.cpm = CpmFor(p.payer);
    if (Chance(60)) p.payer = AccountId{};
  } else if (mode < 5 && !mpm_orders_.empty()) {
    const PaymentRef& order = OneOf(mpm_orders_);
    p.merchant = order.merchant;
    p.payment_id = order.payment_id;
    if (Chance(85)) p.amount = order.amount;
    if (Chance(50)) p.terminal = "";
    p.wallet_nonce = Nonce();
  } else if (mode < 7 && !cards_.empty()) {
    const CardRef& card = OneOf(cards_);
    p.card = card.card;
    p.payer = Chance(70) ? AccountId{} : card.wallet;
    p.pin_proof = PinProof(card.salt, card.card, Chance(75) ? "1234" : "9999");
    p.staff = Chance(95) ? "staff-1" : "";
    p.attempt = Nonce();  // A wrong PIN counts once per attempt; replays and 0 (older entries) too.
  } else if (mode == 7) {
    p.wallet_nonce = Nonce();
  }
  Remember(&payments_, PaymentRef{p.merchant, p.payment_id, p.amount});
  return p;
}

Command World::MakeRefund() {
  PosRefund r;
  const PaymentRef paid =
      payments_.empty() ? PaymentRef{Merchant(kCoin), "none", 1} : OneOf(payments_);
  r.merchant = Chance(95) ? paid.merchant : Merchant(kCoin);
  r.payment_id = paid.payment_id;
  // '/' in refund ids once made clawback transfer ids collide (issue 14, item 7).
  r.refund_id = PosId("ref", true);
  const int64_t amount = std::max<int64_t>(paid.amount, 1);
  r.amount = Chance(60) ? 1 + static_cast<int64_t>(
                                  Below(static_cast<uint64_t>(std::min<int64_t>(amount, 1 << 30))))
                        : Amount();
  return r;
}

Command World::MakeCancel() {
  const PaymentRef paid =
      payments_.empty() ? PaymentRef{Merchant(kCoin), "none", 1} : OneOf(payments_);
  return PosCancel{Chance(95) ? paid.merchant : Merchant(kCoin), paid.payment_id};
}

Command World::MakeCloseDay() { return PosCloseDay{Merchant(PickAsset()), Day(-3, 5)}; }

Command World::MakeFees() {
  PosFees fees;
  fees.asset = PickAsset();
  fees.issuer = AccountOf(fees.asset, kIssuerRole, 1);
  fees.fee_account = AccountOf(fees.asset, kFeeRole, 1);
  fees.cashout_bps = static_cast<uint32_t>(Chance(90) ? Below(500) : Below(20'000));
  fees.member_cashout_bps = static_cast<uint32_t>(Below(300));
  fees.supplier_bps = static_cast<uint32_t>(Chance(95) ? Below(500) : kBasisPointsMax + Below(2));
  return fees;
}

Command World::MakeCashOut() {
  return PosCashOut{Merchant(Chance(80) ? kCoin : PickAsset()), PosId("cash", true), Amount(),
                    Chance(30)};
}

Command World::MakeSupplierPayment() {
  const AssetId asset = Chance(80) ? kCoin : PickAsset();
  return PosSupplierPayment{Merchant(asset), PosId("supply", true), Merchant(asset), Amount()};
}

Command World::MakeRegisterCard() {
  RegisterCard card;
  card.card = Chance(90) ? absl::StrCat("40000000000000", Below(8)) : std::string(Below(25), '7');
  card.wallet = Wallet(Chance(80) ? kCoin : PickAsset());
  card.pin_salt = std::string(Chance(95) ? 16 : Below(20), static_cast<char>('s' + Below(3)));
  card.pin_proof = PinProof(card.pin_salt, card.card, "1234");
  if (Chance(5)) card.pin_proof.resize(Below(32));
  card.attempts_max = static_cast<uint32_t>(Below(6));
  Remember(&cards_, CardRef{card.card, card.wallet, card.pin_salt});
  return card;
}

Command World::MakeUnlockCard() {
  const CardRef card =
      cards_.empty() ? CardRef{"4000000000000000", AccountId{}, ""} : OneOf(cards_);
  return UnlockCard{Chance(90) ? card.card : std::string(Below(25), '7'), Chance(95) ? "desk" : ""};
}

// A re-issue of a real card (or an unknown or malformed one) to a new number, to a card that exists
// (card_exists), or the last re-issue again (a duplicate once it is done). Real re-issues are
// remembered, so later payments use both the new card and the replaced one.
Command World::MakeReissueCard() {
  if (last_reissue_ && Chance(15)) return *last_reissue_;
  const CardRef old = cards_.empty() ? CardRef{"4000000000000000", AccountId{}, ""} : OneOf(cards_);
  ReissueCard reissue;
  reissue.card = Chance(90) ? old.card : std::string(Below(25), '7');
  const bool fresh = Chance(75);
  if (fresh) {
    reissue.new_card = absl::StrCat("4000000000001", Below(40));
  } else {
    reissue.new_card =
        Chance(90) && !cards_.empty() ? OneOf(cards_).card : std::string(Below(25), '8');
  }
  reissue.pin_salt = std::string(Chance(95) ? 16 : Below(20), static_cast<char>('n' + Below(3)));
  reissue.pin_proof = PinProof(reissue.pin_salt, reissue.new_card, "1234");
  if (Chance(5)) reissue.pin_proof.resize(Below(32));
  reissue.by = Chance(95) ? "desk" : std::string(Chance(50) ? 0 : 33, 'd');
  if (fresh && reissue.card == old.card)
    Remember(&cards_, CardRef{reissue.new_card, old.wallet, reissue.pin_salt});
  last_reissue_ = reissue;
  return reissue;
}

Command World::MakeMpmOrder() {
  PosMpmOrder order;
  order.merchant = Merchant(Chance(80) ? kCoin : PickAsset());
  order.payment_id = PosId("mpm", true);
  order.amount = Amount();
  order.terminal = Terminal();
  static const std::vector<uint32_t> kLifetimes = {
      kMpmLifetimeSecondsDefault, 1, 60, 0, kMpmLifetimeSecondsMax, kMpmLifetimeSecondsMax + 1};
  order.lifetime_seconds = OneOf(kLifetimes);
  Remember(&mpm_orders_, PaymentRef{order.merchant, order.payment_id, order.amount});
  return order;
}

// The shop's accounts in the other assets are its namesakes there (merchant role r in every asset).
Command World::MakeProfile() {
  SetMerchantProfile profile;
  profile.merchant = Merchant(Chance(80) ? kCoin : PickAsset());
  profile.chamber_member = Chance(50);
  // At most the limit: the service refuses more (INVALID_ARGUMENT) and the batch decoder cannot
  // carry more.
  const size_t accepts = Chance(95) ? Below(3) : kProfileAccountsMax;
  for (size_t i = 0; i < accepts; ++i) {
    profile.accepts.push_back(Chance(85) ? Acc(kAssetIds[Below(3)], profile.merchant.low % 100)
                                         : Account());
  }
  return profile;
}

// ---- Makers: health mileage
// -----------------------------------------------------------------------------

HealthProgram World::Program(uint32_t effective_day) {
  HealthProgram p;
  p.program = kProgram;
  p.effective_day = effective_day;
  p.funding = Acc(kPoints, kBudgetRole);
  p.exchange_retire = Acc(kPoints, kIssuerRole);
  p.coin_funding = Acc(kCoin, kBudgetRole);
  p.exchange_points = 100;
  p.exchange_coin = 100;
  return p;
}

Command World::MakeHealthProgram() {
  HealthProgram p = Program(Day(-2, 6));
  if (Chance(20)) p.program = static_cast<uint32_t>(Below(3));
  if (Chance(10)) p.funding = Account();
  if (Chance(10)) p.coin_funding = Account();
  if (Chance(10)) p.daily_cap = static_cast<uint32_t>(Below(3));
  if (Chance(10)) p.tiers.clear();
  if (Chance(5)) p.tiers.assign(kStepTiersMax + 1, StepTier{1000, 1});
  if (Chance(10)) p.report_window_days = static_cast<uint32_t>(Below(kReportWindowDaysMax + 3));
  if (Chance(10)) p.exchange_points = 0;
  if (Chance(5)) p.exchange_coin = Amount();
  if (Chance(10)) p.bonus_days = static_cast<uint32_t>(Below(3));
  return SetHealthProgram{p};
}

Command World::MakeDevice() {
  RegisterDevice device;
  device.resident = Wallet(kPoints);
  static const std::vector<std::string> kDevices = {"watch-1", "watch-2", "", "bad id",
                                                    std::string(33, 'w')};
  device.device_id = Chance(90) ? kDevices[Below(2)] : OneOf(kDevices);
  device.public_key =
      Chance(90) ? SignerOf(device.resident, device.device_id).public_key() : std::string(31, 'd');
  device.revoke = Chance(8);
  device.nonce = Chance(50) ? 0 : Nonce();
  return device;
}

Command World::MakeConsent() {
  return SetConsent{Wallet(kPoints),
                    static_cast<uint8_t>(Chance(90) ? 1 + Below(kConsentPurposeMax) : Below(6)),
                    Chance(85), Chance(50) ? 0 : Nonce()};
}

Command World::MakeStepReport() {
  StepReport r;
  r.program = Chance(95) ? kProgram : static_cast<uint32_t>(Below(3));
  r.resident = Wallet(kPoints);
  r.device_id = Chance(80) ? "watch-1" : "watch-2";
  r.day = Chance(80) ? Day(-3, 4) : Day(-70, 72);
  r.steps = static_cast<uint32_t>(Chance(90) ? Below(15'000) : Below(100'000));
  r.nonce = Nonce();
  const Signer& device =
      Chance(90) ? SignerOf(r.resident, r.device_id) : SignerOf(r.resident, "stranger");
  r.signature = device.Sign(
      StepReportSignedBytes(r.program, r.resident, r.device_id, r.day, r.steps, r.nonce));
  if (Chance(3)) r.signature.resize(Below(64));
  r.salt = std::string(16, static_cast<char>(Below(256)));
  return r;
}

Command World::MakeExchange() {
  ExchangePoints x;
  x.program = Chance(95) ? kProgram : 2;
  x.resident = Wallet(kPoints);
  x.coin_wallet = Wallet(kCoin);
  x.points = Chance(70) ? 100 * static_cast<int64_t>(Below(4)) : Amount();
  if (Chance(70) || exchange_ids_.empty()) {
    Remember(&exchange_ids_, PosId("xchg", true));
  }
  x.exchange_id = OneOf(exchange_ids_);
  x.nonce = Nonce();
  return x;
}

Command World::MakeErase() { return EraseStepData{Wallet(kPoints), Nonce()}; }

Command World::MakeWatchOver() {
  SetWatchOver w;
  w.resident = Wallet(kPoints);
  const size_t watchers = Chance(95) ? Below(3) : kWatchersMax + 1;
  for (size_t i = 0; i < watchers; ++i) w.watchers.push_back(Wallet(Chance(50) ? kCoin : kPoints));
  w.silent_days = static_cast<uint32_t>(Below(4));
  w.drop_percent = static_cast<uint32_t>(Below(120));
  w.baseline_days = static_cast<uint32_t>(Below(20));
  w.min_baseline_days = static_cast<uint32_t>(Below(8));
  w.nonce = Chance(50) ? 0 : Nonce();
  return w;
}

Command World::MakeAckAlert() {
  return AckAlert{Wallet(Chance(50) ? kCoin : kPoints), Wallet(kPoints),
                  static_cast<uint32_t>(Below(5)), Chance(50) ? 0 : Nonce()};
}

// ---- Makers: tasks
// --------------------------------------------------------------------------------------

Command World::MakeTaskRules() {
  TaskRules rules;
  rules.weekly_hours_max = static_cast<uint32_t>(Chance(90) ? 10 + Below(30) : Below(200));
  rules.monthly_max = Chance(90) ? 1000 + static_cast<int64_t>(Below(80'000)) : Amount();
  rules.dispute_hours = static_cast<uint32_t>(Chance(90) ? 1 + Below(72) : Below(100'000));
  return SetTaskRules{rules};
}

Command World::MakePostTask() {
  PostTask t;
  const AssetId asset = Chance(85) ? kCoin : PickAsset();
  t.host = Merchant(asset);
  t.task_id = PosId("task", true);
  t.title = Chance(95) ? "Rice harvest" : std::string(kTaskTitleBytesMax + 1, 't');
  t.first_day = Chance(90) ? Day(0, 2) : Day(-1, 1);
  t.last_day =
      Chance(90)
          ? DayNumber(
                *DayIndexOf(t.first_day == 0 || t.first_day == 20261332 ? Today() : t.first_day) +
                static_cast<int64_t>(Below(4)))
          : Day(-3, 80);
  t.slots = static_cast<uint32_t>(Chance(90) ? 1 + Below(3) : Below(kTaskSlotsMax + 2));
  t.per_day = Chance(85) ? 100 + static_cast<int64_t>(Below(3000)) : Amount();
  t.escrow = AccountOf(asset, kEscrowRole, 1);
  if (Chance(50)) {
    t.subsidy = AccountOf(asset, kBudgetRole, 1);
    t.subsidy_percent = static_cast<uint32_t>(Chance(90) ? 1 + Below(100) : Below(200));
  }
  t.hours_per_day = static_cast<uint32_t>(Chance(90) ? 1 + Below(8) : Below(30));
  t.host_key =
      Chance(95) ? SignerOf(t.host, "task-host").public_key() : std::string(Below(33), 'h');
  if (Chance(30)) t.wage_reference = Chance(90) ? "payroll #1" : std::string(65, 'w');
  Remember(&tasks_, TaskRef{t.host, t.task_id});
  // The ledger's own pendings (reserved ids) as targets of a client's post or void.
  if (Chance(30))
    Remember(&pending_ids_,
             TaskTransferId(Chance(50) ? 'H' : 'J', t.host, t.task_id, 1, t.first_day));
  return t;
}

// Now and then the application's whole day follows in later commands (accept, check in, check out,
// confirm), so that the rarely met paths of a task are walked too.
Command World::MakeApplyTask() {
  const TaskRef task = PickTask();
  const AccountId visitor = Visitor();
  if (Chance(40)) {
    queued_.push_back(DecideApplication{task.host, task.task_id, visitor, true});
    queued_.push_back(CheckInFor(task, visitor, false));
    queued_.push_back(CheckInFor(task, visitor, true));
    queued_.push_back(
        ConfirmDay{task.host, task.task_id, visitor, Today(), static_cast<DayAction>(Below(3))});
  }
  return ApplyTask{visitor, task.host, task.task_id, Nonce()};
}

Command World::MakeDecide() {
  const TaskRef task = PickTask();
  return DecideApplication{task.host, task.task_id, Visitor(), Chance(80)};
}

Command World::MakeCancelSlots() {
  const TaskRef task = PickTask();
  // The terminal request's nonce: fresh, a replay of an earlier one, or 0 (entries before nonces).
  return CancelSlots{task.host, task.task_id,
                     static_cast<uint32_t>(Chance(95) ? Below(3) : Below(100)), Nonce()};
}

// The host device's code for today (or, nearly valid, for another day or signed by another key).
CheckIn World::CheckInFor(const TaskRef& task, const AccountId& visitor, bool out) {
  CheckIn c;
  c.visitor = visitor;
  c.host = task.host;
  c.task_id = task.task_id;
  c.out = out;
  const uint32_t day = Chance(90) ? Today() : Day(-1, 3);
  const Signer& host =
      Chance(92) ? SignerOf(task.host, "task-host") : SignerOf(task.host, "stranger");
  c.host_signature = host.Sign(TaskCodeSignedBytes(task.host, task.task_id, c.visitor, day, c.out));
  c.nonce = Nonce();
  return c;
}

Command World::MakeCheckIn() { return CheckInFor(PickTask(), Visitor(), Chance(50)); }

Command World::MakeConfirmDay() {
  const TaskRef task = PickTask();
  return ConfirmDay{task.host, task.task_id, Visitor(), Day(-3, 4),
                    static_cast<DayAction>(Below(3))};
}

// ---- Makers: campaigns
// ----------------------------------------------------------------------------------

Command World::MakeCampaign() {
  CreateCampaign c;
  c.campaign = static_cast<uint32_t>(Below(8));
  c.name = Chance(95) ? absl::StrCat("campaign ", c.campaign)
                      : std::string(kCampaignNameBytesMax + 1, 'n');
  c.funding = Acc(Chance(50) ? kPoints : kCoin, kFundingRole);
  if (Chance(5)) c.funding = Acc(kCoin, kWalletRole);  // Not a BUDGET account.
  c.payment_asset = Chance(90) ? kCoin : PickAsset();
  static const std::vector<std::string> kCategories = {"", "", "food", "farm"};
  c.category = OneOf(kCategories);
  if (Chance(20)) c.merchants.push_back(Merchant(kCoin));
  const int64_t start_offset_seconds =
      Chance(80) ? -3600 : static_cast<int64_t>(Below(3 * kDaySeconds));
  c.starts_at =
      static_cast<Timestamp>(static_cast<int64_t>(now_) + start_offset_seconds * kNanosPerSecond);
  c.ends_at = c.starts_at + (Chance(95) ? 1 + Below(40) : 0) * kDaySeconds * kNanosPerSecond;
  if (Chance(30)) {
    c.from_minute = static_cast<uint32_t>(Below(1440));
    c.to_minute = static_cast<uint32_t>(Chance(90) ? c.from_minute + 1 + Below(1440 - c.from_minute)
                                                   : Below(1500));
  }
  c.min_amount = Chance(80) ? static_cast<int64_t>(Below(500)) : Amount();
  if (Chance(70)) {
    c.percent_bps =
        static_cast<uint32_t>(Chance(95) ? 1 + Below(kBasisPointsMax) : kBasisPointsMax + 1);
  } else {
    c.fixed = Chance(90) ? 1 + static_cast<int64_t>(Below(500)) : Amount();
  }
  c.per_person_month = Chance(50) ? 0 : static_cast<int64_t>(Below(2000));
  c.budget = Chance(90) ? 1 + static_cast<int64_t>(Below(100'000)) : Amount();
  return c;
}

Command World::MakeCloseCampaign() { return CloseCampaign{static_cast<uint32_t>(Below(9))}; }
Command World::MakePauseCampaign() {
  return PauseCampaign{static_cast<uint32_t>(Below(9)), Below(2) == 0};
}

// A small pool of operators (and now and then a name no one may hold, or bits no role has).
Command World::MakeOperatorRoles() {
  static const char* const kNames[] = {"ops-a", "ops-b", "dev", "node-1", "bootstrap", "Bad"};
  SetOperatorRoles s{kNames[Below(Chance(90) ? 3 : 6)], static_cast<RoleSet>(Below(kAllRoles + 1))};
  if (Chance(5)) s.roles = kAllRoles + 1;
  return s;
}

Command World::MakeLink() {
  const uint64_t index = Below(kWalletCount);
  LinkAccount link{Acc(kCoin, kWalletRole + index), Acc(kPoints, kWalletRole + index)};
  if (Chance(10)) link.wallet = Account();
  if (Chance(10)) link.linked = Account();
  return link;
}

// ---- The world
// ------------------------------------------------------------------------------------------

// Makers with their weights. Order does not matter: the fuzzer counts what each made by variant
// index, and a Command alternative no maker makes fails core_fuzz_test.
const std::vector<std::pair<World::Maker, int>>& World::Makers() {
  static const std::vector<std::pair<Maker, int>> kMakers = {
      {&World::MakeAsset, 1},
      {&World::MakeAccount, 3},
      {&World::MakeClose, 1},
      {&World::MakeTransfer, 12},
      {&World::MakePayment, 10},
      {&World::MakeRefund, 5},
      {&World::MakeCancel, 3},
      {&World::MakeCloseDay, 2},
      {&World::MakeFees, 1},
      {&World::MakeCashOut, 3},
      {&World::MakeSupplierPayment, 2},
      {&World::MakeRegisterKey, 2},
      {&World::MakeWalletSend, 5},
      {&World::MakeRegisterCard, 1},
      {&World::MakeHealthProgram, 1},
      {&World::MakeDevice, 2},
      {&World::MakeConsent, 2},
      {&World::MakeStepReport, 6},
      {&World::MakeExchange, 3},
      {&World::MakeErase, 1},
      {&World::MakeWatchOver, 2},
      {&World::MakeAckAlert, 2},
      {&World::MakeTaskRules, 1},
      {&World::MakePostTask, 3},
      {&World::MakeApplyTask, 3},
      {&World::MakeDecide, 3},
      {&World::MakeCancelSlots, 2},
      {&World::MakeCheckIn, 5},
      {&World::MakeConfirmDay, 3},
      {&World::MakeCampaign, 2},
      {&World::MakeCloseCampaign, 1},
      {&World::MakePauseCampaign, 2},
      {&World::MakeOperatorRoles, 2},
      {&World::MakeLink, 1},
      {&World::MakeMpmOrder, 3},
      {&World::MakeProfile, 1},
      {&World::MakeRevokeKey, 1},
      {&World::MakeGrantSubsidy, 1},
      {&World::MakeUnlockCard, 1},
      {&World::MakeReissueCard, 1},
      {&World::MakePropose, 3},
      {&World::MakeApprove, 2},
      {&World::MakeRejectProposal, 1},
      {&World::MakeSetFourEyes, 1},
  };
  return kMakers;
}

size_t World::maker_count() { return Makers().size(); }

Command World::Make(size_t maker) { return (this->*Makers()[maker].first)(); }

std::vector<Command> World::RandomCommands(Source* source, const KvReader& state, Timestamp now,
                                           size_t count) {
  source_ = source;
  state_ = &state;
  now_ = now;
  int total_weight = 0;
  for (const auto& [maker, weight] : Makers()) total_weight += weight;
  std::vector<Command> commands;
  for (size_t i = 0; i < count; ++i) {
    if (!queued_.empty() && Chance(60)) {
      commands.push_back(std::move(queued_.front()));
      queued_.pop_front();
      StampRequest(&commands.back());
      continue;
    }
    int pick = static_cast<int>(Below(static_cast<uint64_t>(total_weight)));
    size_t maker = 0;
    while (pick >= Makers()[maker].second) pick -= Makers()[maker++].second;
    if (!options_.step_reports && Makers()[maker].first == &World::MakeStepReport) maker = 0;
    commands.push_back(Make(maker));
    StampRequest(&commands.back());
  }
  return commands;
}

// Assets, accounts of every role in each asset, funding, keys, cards, fees, task rules, a health
// program, devices, consents, links, a profile, campaigns, tasks and MPM orders: enough that random
// commands are often valid.
std::vector<std::vector<Command>> World::Setup(Timestamp now) {
  now_ = now;
  std::vector<std::vector<Command>> batches(5);
  batches[0] = {testing::MakeAsset(kCoin, "COIN", 0, Acc(kCoin, kBreakageRole).low),
                testing::MakeAsset(kPoints, "PTS", 90 * kDaySeconds,
                                   Acc(kPoints, kBreakageRole).low, kDaySeconds),
                testing::MakeAsset(kShort, "SHORT", 2 * 3600, Acc(kShort, kBreakageRole).low, 60)};
  static const char* kCategories[] = {"food", "farm", ""};
  for (AssetId asset : kAssetIds) {
    auto add = [&](uint64_t role, AccountKind kind, uint32_t flags,
                   const std::string& category = "") {
      batches[1].push_back(
          testing::MakeAccount(Acc(asset, role).low, asset, kind, flags, category));
      accounts_.push_back(Acc(asset, role));
    };
    const uint32_t nn = account_flags::kNonNegative;
    add(kIssuerRole, AccountKind::kIssuer, 0);
    add(kBreakageRole, AccountKind::kBreakage, 0);
    add(kFeeRole, AccountKind::kFee, 0);
    add(kFundingRole, AccountKind::kBudget, nn);
    add(kBudgetRole, AccountKind::kBudget, nn);
    add(kEscrowRole, AccountKind::kEscrow, 0);
    add(kExternalRole, AccountKind::kExternal, 0);
    for (uint64_t i = 0; i < kWalletCount; ++i)
      add(kWalletRole + i, AccountKind::kWallet, i == 3 ? 0 : nn);
    for (uint64_t i = 0; i < kMerchantCount; ++i)
      add(kMerchantRole + i, AccountKind::kMerchant, nn, kCategories[i]);
    add(kSpareRole, AccountKind::kWallet, nn);
    uint64_t id = static_cast<uint64_t>(asset) * 10;
    for (uint64_t role : {kFundingRole, kBudgetRole}) {
      batches[2].push_back(testing::MakeTransfer(++id, Acc(asset, kIssuerRole).low,
                                                 Acc(asset, role).low, 1'000'000));
    }
    for (uint64_t i = 0; i < kWalletCount + kMerchantCount; ++i) {
      const uint64_t role = i < kWalletCount ? kWalletRole + i : kMerchantRole + i - kWalletCount;
      batches[2].push_back(
          testing::MakeTransfer(++id, Acc(asset, kIssuerRole).low, Acc(asset, role).low, 100'000));
    }
    batches[3].push_back(
        PosFees{asset, Acc(asset, kIssuerRole), Acc(asset, kFeeRole), 150, 100, 50});
    for (uint64_t i = 0; i < kWalletCount; ++i) {
      const AccountId wallet = Acc(asset, kWalletRole + i);
      batches[3].push_back(RegisterKey{wallet, "", SignerOf(wallet, "").public_key()});
    }
    for (uint64_t i = 0; i < kMerchantCount; ++i) {
      const AccountId shop = Acc(asset, kMerchantRole + i);
      batches[3].push_back(RegisterKey{shop, "T1", SignerOf(shop, "T1").public_key(), true});
      batches[3].push_back(RegisterKey{shop, "T2", SignerOf(shop, "T2").public_key()});
    }
  }
  batches[4] = SetupPrograms();
  return batches;
}

std::vector<Command> World::SetupPrograms() {
  std::vector<Command> commands = {SetTaskRules{TaskRules{}}, SetHealthProgram{Program(Today())}};
  for (uint64_t i = 0; i < kWalletCount; ++i) {
    const AccountId resident = Acc(kPoints, kWalletRole + i);
    commands.push_back(
        RegisterDevice{resident, "watch-1", SignerOf(resident, "watch-1").public_key()});
    for (uint8_t purpose = 1; purpose <= kConsentPurposeMax; ++purpose) {
      commands.push_back(SetConsent{resident, purpose, true});
    }
    commands.push_back(LinkAccount{Acc(kCoin, kWalletRole + i), resident});
    const AccountId wallet = Acc(kCoin, kWalletRole + i);
    const std::string card = absl::StrCat("40000000000000", i),
                      salt(16, static_cast<char>('s' + i));
    commands.push_back(RegisterCard{card, wallet, salt, PinProof(salt, card, "1234")});
    cards_.push_back(CardRef{card, wallet, salt});
  }
  commands.push_back(
      SetMerchantProfile{Acc(kCoin, kMerchantRole), true, {Acc(kPoints, kMerchantRole)}});
  CreateCampaign points_back;
  points_back.campaign = 1;
  points_back.name = "10% back in points";
  points_back.funding = Acc(kPoints, kFundingRole);
  points_back.payment_asset = kCoin;
  points_back.starts_at = now_;
  points_back.ends_at = now_ + 60 * kDaySeconds * kNanosPerSecond;
  points_back.percent_bps = 1000;
  points_back.budget = 500'000;
  CreateCampaign coin_fixed = points_back;
  coin_fixed.campaign = 2;
  coin_fixed.name = "10 coin per payment at food shops";
  coin_fixed.funding = Acc(kCoin, kFundingRole);
  coin_fixed.category = "food";
  coin_fixed.percent_bps = 0;
  coin_fixed.fixed = 10;
  coin_fixed.per_person_month = 100;
  commands.push_back(points_back);
  commands.push_back(coin_fixed);
  return commands;
}

// ---- The fuzzer
// -----------------------------------------------------------------------------------------

namespace {

// The next batch's timestamp: mostly seconds to hours later, sometimes days (lots lapse, pendings
// time out, task days are released) and rarely a year (everything due at once); sometimes the very
// next nanosecond the ledger allows.
Timestamp NextTimestamp(Source* source, Timestamp now, Timestamp minimum, uint64_t* jumps) {
  const uint64_t roll = source->Below(100);
  uint64_t seconds = 0;
  if (roll < 5) return std::max(now, minimum);
  if (roll < 60) {
    seconds = 1 + source->Below(5);
  } else if (roll < 85) {
    seconds = 60 + source->Below(3600);
  } else if (roll < 95) {
    seconds = 3600 + source->Below(30 * 3600);
  } else if (roll < 99) {
    seconds = (2 + source->Below(40)) * kDaySeconds;
  } else {
    seconds = (100 + source->Below(300)) * kDaySeconds;
  }
  if (seconds >= kDaySeconds) ++*jumps;
  return std::max(now + seconds * kNanosPerSecond, minimum);
}

// Cuts `count` commands into requests of random sizes.
std::vector<uint32_t> RequestSizes(Source* source, size_t count) {
  std::vector<uint32_t> sizes;
  size_t left = count;
  while (left > 0) {
    const size_t size = 1 + source->Below(std::min<size_t>(left, 6));
    sizes.push_back(static_cast<uint32_t>(size));
    left -= size;
  }
  return sizes;
}

// Which commands of a batch do not survive EncodeBatch/DecodeBatch alone, by variant index and
// position.
std::string UndecodableCommands(const Batch& batch) {
  std::string found;
  for (size_t i = 0; i < batch.commands.size(); ++i) {
    Batch one;
    one.commands = {batch.commands[i]};
    one.request_sizes = {1};
    if (!DecodeBatch(EncodeBatch(one)))
      absl::StrAppend(&found, " command ", i, " (variant ", batch.commands[i].index(), ")");
  }
  return found.empty() ? "every command alone decodes" : found;
}

}  // namespace

CoreFuzzer::CoreFuzzer(const FuzzOptions& options)
    : options_(options),
      random_(options.seed),
      world_(std::make_unique<World>(options)),
      now_(testing::kEpoch + (options.seed % kDaySeconds) * kNanosPerSecond) {
  if (sodium_init() < 0) abort();  // Without libsodium no signature can be made or checked.
  trace_ = std::getenv("CORE_FUZZ_TRACE") != nullptr;
  SetAbortSeed(options.seed);
}

CoreFuzzer::~CoreFuzzer() = default;

std::string CoreFuzzer::Failure(const std::string& what) const {
  const unsigned long long seed = options_.seed;
  return absl::StrCat("core fuzz failure at batch ", stats_.batches + 1, ": ", what,
                      "; reproduce with --seed=", seed, " (CORE_FUZZ_SEED=", seed, ")");
}

std::string CoreFuzzer::SetUp() {
  set_up_ = true;
  std::vector<std::vector<Command>> batches = world_->Setup(now_);
  for (std::vector<Command>& commands : batches) {
    Batch batch;
    batch.request_sizes = {static_cast<uint32_t>(commands.size())};
    batch.commands = std::move(commands);
    const uint64_t ok_before = stats_.ok_outcomes;
    if (std::string failure = ApplyAndCheck(batch); !failure.empty()) return failure;
    if (stats_.ok_outcomes - ok_before != batch.commands.size()) {
      return Failure(
          "a setup command was refused (the fuzzer's world is out of date with the core)");
    }
    now_ += kNanosPerSecond;
  }
  return "";
}

std::string CoreFuzzer::Run(int batches) {
  SetAbortSeed(options_.seed);
  fprintf(stderr, "core fuzz: seed %llu, %d batches\n",
          static_cast<unsigned long long>(options_.seed), batches);
  if (!set_up_) {
    if (std::string failure = SetUp(); !failure.empty()) return failure;
  }
  Source source(&random_);
  for (int i = 0; i < batches; ++i) {
    if (std::string failure = RandomBatch(&source); !failure.empty()) return failure;
  }
  if (options_.replay_from_empty_at_end) {
    if (std::string failure = ReplayFromEmpty(); !failure.empty()) return failure;
  }
  return AuditWithReplay();
}

std::string CoreFuzzer::AuditWithReplay() const {
  AuditOptions audit;
  audit.replay = true;
  const AuditReport report = Audit(state_, audit);
  if (!report.ok()) return Failure("audit: " + report.violation);
  if (!options_.step_reports && !report.state_hash_compared) {
    return Failure("the audit's replay did not reach the head: " + report.replay_note);
  }
  return "";
}

std::string CoreFuzzer::RunBytes(std::string_view bytes) {
  SetAbortSeed(options_.seed);
  if (!set_up_) {
    if (std::string failure = SetUp(); !failure.empty()) return failure;
  }
  Source source(bytes);
  for (int i = 0; i < kFuzzBytesBatchesMax && !source.exhausted(); ++i) {
    if (std::string failure = RandomBatch(&source); !failure.empty()) return failure;
  }
  return ReplayFromEmpty();
}

// One random batch (and now and then a malformed one first, which ApplyBatch must refuse).
std::string CoreFuzzer::RandomBatch(Source* source) {
  if (source->Chance(3)) {
    if (std::string failure = CheckMalformedBatch(); !failure.empty()) return failure;
  }
  now_ = NextTimestamp(source, now_, NextBatchTimestampMin(state_), &stats_.clock_jumps);
  Batch batch;
  std::vector<Command> made =
      world_->RandomCommands(source, state_, now_, 1 + source->Below(kFuzzBatchCommandsMax));
  // A command with an over-long string never reaches a replica: the services refuse it, and so does
  // the batch decoder (checked here); the rest of the batch is applied.
  for (Command& command : made) {
    if (CommandWithinBounds(command)) {
      batch.commands.push_back(std::move(command));
      continue;
    }
    if (DecodeBatch(EncodeBatch(Batch{{command}, {1}})))
      return Failure("an over-long command decodes");
    ++stats_.out_of_bounds;
  }
  if (batch.commands.empty()) return "";
  batch.request_sizes = RequestSizes(source, batch.commands.size());
  // Now and then the requests come from operators (the role table decides what they may do).
  if (source->Chance(30)) {
    static const char* const kOperators[] = {"", "ops-a", "ops-b", "dev", "bootstrap"};
    for (size_t r = 0; r < batch.request_sizes.size(); ++r) {
      batch.request_operators.push_back(kOperators[source->Below(5)]);
    }
  }
  for (const Command& command : batch.commands) ++stats_.by_kind[command.index()];
  return ApplyAndCheck(batch);
}

// Empty batches, request sizes that do not add up and a clock that does not move are refused with
// their documented codes, deciding nothing.
std::string CoreFuzzer::CheckMalformedBatch() {
  const Timestamp next = NextBatchTimestampMin(state_);
  Batch empty;
  Batch uneven;
  uneven.commands.push_back(CloseAccount{Acc(kCoin, kSpareRole)});
  uneven.request_sizes = {2};
  Batch fine = uneven;
  fine.request_sizes = {1};
  const std::pair<absl::StatusOr<ApplyOutput>, absl::StatusCode> cases[] = {
      {ApplyBatch(state_, next, empty), absl::StatusCode::kInvalidArgument},
      {ApplyBatch(state_, next, uneven), absl::StatusCode::kInvalidArgument},
      {ApplyBatch(state_, next - 1, fine), absl::StatusCode::kFailedPrecondition},
  };
  for (const auto& [output, code] : cases) {
    if (output.status().code() != code) {
      return Failure(absl::StrCat("a malformed batch gave ", output.status().ToString(), ", not ",
                                  absl::StatusCodeToString(code)));
    }
    ++stats_.refused_batches;
  }
  return "";
}

std::string CoreFuzzer::ApplyAndCheck(const Batch& batch) {
  if (trace_) {  // Before applying, so that a batch that aborts is named too.
    std::string variants;
    for (const Command& command : batch.commands) absl::StrAppend(&variants, " ", command.index());
    fprintf(stderr, "batch %llu at %llu: variants%s\n",
            static_cast<unsigned long long>(stats_.batches + 1),
            static_cast<unsigned long long>(now_), variants.c_str());
  }
  absl::StatusOr<ApplyOutput> output = ApplyBatch(state_, now_, batch);
  if (!output.ok())
    return Failure("ApplyBatch refused a well-formed batch: " + output.status().ToString());
  if (output->entry.outcomes.size() != batch.commands.size())
    return Failure("not one outcome per command");
  if (!output->invariant_violation.empty())
    return Failure("the batch's own invariant check failed: " + output->invariant_violation);
  for (size_t i = 0; i < batch.commands.size(); ++i) {
    const bool ok = output->entry.outcomes[i].result == Result::kOk;
    stats_.ok_outcomes += ok;
    stats_.ok_by_kind[batch.commands[i].index()] += ok;
    if (trace_) {
      fprintf(stderr, "batch %llu command %zu: variant %zu -> %s\n",
              static_cast<unsigned long long>(stats_.batches + 1), i, batch.commands[i].index(),
              ResultName(output->entry.outcomes[i].result));
    }
  }
  // The replica: the batch as replication ships it, applied to its own copy of the state.
  const std::string bytes = EncodeBatch(batch);
  std::optional<Batch> decoded = DecodeBatch(bytes);
  if (!decoded) return Failure("EncodeBatch's bytes do not decode: " + UndecodableCommands(batch));
  absl::StatusOr<ApplyOutput> replayed = ApplyBatch(replica_, now_, *decoded);
  if (!replayed.ok())
    return Failure("the replica refused the batch: " + replayed.status().ToString());
  if (replayed->entry_bytes != output->entry_bytes ||
      replayed->writes.entries != output->writes.entries) {
    return Failure("the replica's journal entry or write set differs from the leader's");
  }
  std::optional<JournalEntry> entry = DecodeJournalEntry(output->entry_bytes);
  if (!entry) return Failure("the journal entry does not decode");
  // ledgerctl verify's check of the operators agrees with every decision the core made.
  if (std::string problem = operator_check_.Check(*entry); !problem.empty())
    return Failure("the operator journal check disagrees with the core: " + problem);
  state_.Apply(output->writes);
  replica_.Apply(replayed->writes);
  applied_.emplace_back(now_, bytes);
  ++stats_.batches;
  stats_.commands += batch.commands.size();
  const bool verify_journal = stats_.batches % kJournalVerifyEvery == 0;
  if (std::string problem = testing::CheckInvariants(state_, verify_journal); !problem.empty()) {
    return Failure("invariant: " + problem);
  }
  if (verify_journal && StateHash(replica_) != StateHash(state_))
    return Failure("the replica's state differs");
  return "";
}

std::string CoreFuzzer::ReplayFromEmpty() const {
  MemoryKv scratch;
  for (const auto& [timestamp, bytes] : applied_) {
    std::optional<Batch> batch = DecodeBatch(bytes);
    absl::StatusOr<ApplyOutput> output = batch ? ApplyBatch(scratch, timestamp, *batch)
                                               : absl::InvalidArgumentError("undecodable batch");
    if (!output.ok())
      return Failure("the replay from empty refused a batch: " + output.status().ToString());
    scratch.Apply(output->writes);
  }
  if (StateHash(scratch) != StateHash(state_))
    return Failure("the replay from empty gives another state hash");
  return "";
}

void InstallAbortReporter() { signal(SIGABRT, OnAbort); }

}  // namespace ledger::fuzz
