// Internal to ledger/core (not for use outside it): the applier of one batch. Its members are
// defined by domain, in the files the sections below name; the batch loop and dispatch are in
// batch_applier.cc.
#ifndef LEDGER_CORE_BATCH_APPLIER_H_
#define LEDGER_CORE_BATCH_APPLIER_H_

#include <sodium.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/check.h"
#include "ledger/core/codec.h"
#include "ledger/core/cpm.h"
#include "ledger/core/health.h"
#include "ledger/core/journal.h"
#include "ledger/core/keys.h"
#include "ledger/core/kv.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"
#include "ledger/core/proposals.h"
#include "ledger/core/records.h"
#include "ledger/core/state_machine.h"
#include "ledger/core/tasks.h"
#include "ledger/core/types.h"
#include "ledger/core/working.h"

namespace ledger {

// Applies one batch over the committed state (state_machine.h has the rules). Each command kind has
// an Apply overload; ApplyOne dispatches with std::visit, so a command kind without one does not
// compile.
class BatchApplier {
 public:
  BatchApplier(const KvReader& state, Timestamp timestamp, const JournalHead& head,
               ApplyCounters* counters)
      : state_(state),
        working_(state),
        batch_timestamp_(timestamp),
        now_(timestamp),
        head_(head),
        counters_(counters) {
    entry_.index = head.index + 1;
    entry_.batch_timestamp = timestamp;
    entry_.previous_hash = head.hash;
  }

  ApplyOutput Run(const Batch& batch);

 private:
  // ----- batch_applier.cc: the batch loop, clock, history, generic sweeps, dispatch, Finish -----
  Timestamp Tick();
  void FoldHistory();
  void PutRecentHistory();
  void SweepPendings();
  void SweepLots();
  void SweepNonces();
  void ApplyRequest(const std::vector<Command>& commands, size_t begin, size_t end,
                    const std::string& operator_name);
  void ApplyChain(const std::vector<Command>& commands, size_t begin, size_t end, bool closed);
  Outcome ApplyOne(const Command& command, Timestamp at, bool in_chain = false);
  void RecordFailure(const Transfer& request, const Outcome& outcome);
  ApplyOutput Finish();

  // ----- transfers.cc: assets, accounts, close, transfers, pendings, lots, wallet sends -----
  bool HoldsLots(const Account& account);
  int64_t Spendable(const Account& account, Timestamp at);
  int64_t SpendableLots(const AccountId& id, Timestamp at);
  bool LotWouldOverflow(const AccountId& id, Timestamp expiry);
  void AddLot(const AccountId& id, const Lot& lot);
  std::vector<Lot> TakeLots(const AccountId& id, int64_t amount, Timestamp at);
  void RemoveEmptyLots(const AccountId& id, std::vector<Lot>* lots);
  static void SplitLots(const std::vector<Lot>& reserved, int64_t amount, std::vector<Lot>* taken,
                        std::vector<Lot>* rest);
  Timestamp CreditExpiry(const Asset& asset, Timestamp at);
  void PostBalance(Account* account, int64_t delta, const TransferId& transfer_id, Timestamp at);
  void PutTransfer(const Transfer& transfer);
  Transfer LoadTransferOrDie(const TransferId& id);
  void ReleasePending(Transfer* pending, const std::vector<Lot>& lots_back);
  Outcome Apply(const Asset& request, Timestamp at);
  Outcome Apply(const Account& request, Timestamp at);
  Outcome Apply(const CloseAccount& request, Timestamp at);
  Outcome Apply(const Transfer& t, Timestamp at);
  Outcome Move(const Transfer& t, Timestamp at);
  Result LoadOpenPending(const Transfer& t, Timestamp at, Transfer* pending);
  Outcome ResolvePending(const Transfer& t, Timestamp at);
  Outcome Apply(const WalletSend& send, Timestamp at);

  // ----- cards_and_keys.cc: signing keys, customer codes, cards and PIN attempts, request nonces
  // -----
  std::optional<KeyRecord> LoadKey(const AccountId& account, std::string_view key_id);
  bool WasRevoked(const AccountId& account, std::string_view public_key);
  bool MayManageKeys(const AccountId& account, std::string_view by_terminal);
  Outcome Apply(const RegisterKey& k, Timestamp at);
  Outcome Apply(const RevokeKey& k, Timestamp at);
  Result CheckCode(const CpmCode& code, const AccountId& payer, Timestamp at);
  std::optional<CardRecord> LoadCard(std::string_view card);
  bool CountPinAttempt(std::string_view card, uint64_t attempt, Timestamp at);
  static bool ValidCardNumber(std::string_view card);
  Outcome Apply(const RegisterCard& c, Timestamp at);
  Outcome Apply(const UnlockCard& u, Timestamp at);
  Outcome Apply(const ReissueCard& r, Timestamp at);

  // ----- operators.cc: the role table -----
  RoleSet LoadOperatorRoles(std::string_view name);
  std::optional<std::vector<Command>> ProposedCommands(const Command& command);
  bool OperatorMayRun(const std::string& name, const std::vector<Command>& commands, size_t begin,
                      size_t end);
  Outcome Apply(const SetOperatorRoles& s, Timestamp at);
  void ForgetPinAttempts(std::string_view card);
  void RecordCityOperation(const AccountId& wallet, const std::string& by, const char* operation,
                           Timestamp at);
  Result CheckRequestWindow(uint64_t request_ms) const;
  Timestamp RequestNonceExpiry(uint64_t request_ms) const;
  static Timestamp CodeNonceExpiry(const CpmCode& code, uint64_t request_ms);
  void KeepNonce(const AccountId& account, uint64_t nonce, Timestamp expiry);
  bool SpendNonce(const AccountId& account, uint64_t nonce, Timestamp expiry);

  // ----- pos.cc: shop payments, refunds, cancels, day close, fees, cash-outs, supplier payments,
  // MPM, profiles -----
  std::optional<PaymentRecord> LoadPayment(const AccountId& merchant, std::string_view payment_id);
  bool DayClosed(const AccountId& merchant, uint32_t day);
  uint32_t OpenDayFrom(const AccountId& merchant, int64_t day_index);
  std::optional<MpmOrderRecord> LoadMpmOrder(const AccountId& merchant,
                                             std::string_view payment_id);
  std::optional<MerchantProfile> LoadProfile(const AccountId& merchant);
  bool ChamberMember(const AccountId& merchant);
  const Account* AccountFor(const Account& shop, AssetId asset);
  AccountId PaidTo(const AccountId& merchant, std::string_view payment_id);
  Outcome Apply(const PosMpmOrder& o, Timestamp at);
  Outcome Apply(const SetMerchantProfile& p, Timestamp at);
  void AddToDay(const AccountId& merchant, uint32_t day, AssetId asset, const std::string& terminal,
                const DayTotals& delta);
  Outcome MoveDerived(char kind, const AccountId& merchant, std::string_view id,
                      const AccountId& debit, const AccountId& credit, int64_t amount,
                      uint32_t code, Timestamp at);
  void RecordStaff(const PosPayment& p, const AccountId& wallet, const char* operation,
                   Result result, Timestamp at);
  Outcome Apply(const PosPayment& request, Timestamp at);
  Result ResolvePayer(PosPayment* p, std::optional<CpmCode>* code, std::optional<CardRecord>* card);
  Result CheckCardPin(const PosPayment& p, CardRecord* card, Timestamp at);
  void RecordPayment(const PosPayment& p, const Account& merchant, const Account& shop,
                     Result result, bool by_card, Timestamp at);
  Outcome Apply(const PosRefund& r, Timestamp at);
  Outcome Apply(const PosCancel& c, Timestamp at);
  Outcome Apply(const PosCloseDay& c, Timestamp at);
  void FreezeDay(const Account& account, uint32_t day, Timestamp at);
  bool AccountIs(const AccountId& id, AccountKind kind, AssetId asset);
  Outcome Apply(const PosFees& f, Timestamp at);
  std::optional<PosFees> LoadFees(AssetId asset);
  Outcome MoveWithFee(char kind, const AccountId& owner, const std::string& id,
                      const AccountId& from, const AccountId& to, int64_t principal, uint32_t code,
                      const PosFees& fees, int64_t fee, Timestamp at);
  template <typename Request>
  Outcome FeeCommand(const Request& request, const AccountId& account, const std::string& id,
                     const AccountId& counterparty_requested, bool member, bool claimed,
                     std::string record_key, char kind, uint32_t code, Timestamp at);
  Outcome Apply(const PosCashOut& c, Timestamp at);
  Outcome Apply(const PosSupplierPayment& p, Timestamp at);

  // ----- health.cc: health programmes, devices, consent, step reports, exchange, erase, watch-over
  // -----
  std::vector<HealthProgram> LoadHealthVersions(uint32_t program);
  static Timestamp ReportNonceExpiry(int64_t day, const HealthProgram& program,
                                     uint64_t request_ms);
  Outcome Apply(const SetHealthProgram& command, Timestamp at);
  Result CheckResident(const AccountId& resident, AssetId asset);
  std::optional<DeviceRecord> LoadDevice(const AccountId& resident, std::string_view device_id);
  Outcome Apply(const RegisterDevice& r, Timestamp at);
  bool Consented(const AccountId& resident, ConsentPurpose purpose);
  Outcome Apply(const SetConsent& c, Timestamp at);
  Outcome Apply(const StepReport& r, Timestamp at);
  Result CheckStepReport(const StepReport& r, const HealthProgram& program, Timestamp at,
                         int64_t* day_index);
  void KeepHighestSteps(const StepReport& r, Timestamp at);
  Outcome Apply(const EraseStepData& e, Timestamp at);
  Outcome Apply(const ExchangePoints& x, Timestamp at);
  Outcome MoveExchange(const ExchangePoints& x, const HealthProgram& program, AssetId coin_asset,
                       int64_t coin, Timestamp at);
  std::optional<WatchConfig> LoadWatch(const AccountId& resident);
  void PutWatch(const WatchConfig& config);
  Outcome Apply(const SetWatchOver& w, Timestamp at);
  Outcome Apply(const AckAlert& a, Timestamp at);
  std::map<int64_t, uint32_t> StepsByDay(const AccountId& resident, int64_t from, int64_t to);
  void EvaluateDay(WatchConfig* config, int64_t d);
  void SweepWatch();

  // ----- tasks.cc: task rules, subsidy grants, tasks and their days -----
  TaskRules LoadTaskRules();
  Outcome Apply(const SetTaskRules& r, Timestamp at);
  Outcome Apply(const GrantSubsidy& g, Timestamp at);
  std::optional<SubsidyGrantRecord> FindSubsidyGrant(const AccountId& budget, const Account& host);
  int64_t LoadSubsidyTally(const AccountId& budget, const AccountId& host, uint32_t month);
  void AddSubsidyTally(const AccountId& budget, const AccountId& host, uint32_t month,
                       int64_t amount);
  static std::map<uint32_t, int64_t> SubsidyByMonth(const PostTask& t, int64_t first, int64_t last);
  Result CheckSubsidyGrant(const PostTask& t, int64_t first, int64_t last,
                           std::map<uint32_t, int64_t>* by_month);
  std::optional<TaskRecord> LoadTask(const AccountId& host, std::string_view task_id);
  void PutTask(const TaskRecord& task);
  std::optional<TaskApplication> LoadApplication(const PostTask& t, const AccountId& visitor);
  void PutApplication(const PostTask& t, const AccountId& visitor,
                      const TaskApplication& application);
  static Timestamp DayEnd(uint32_t day);
  static Timestamp Hours(uint32_t hours);
  static int64_t SubsidyShare(const PostTask& t);
  static TransferId PayId(const PostTask& t, const AccountId& visitor, uint32_t day);
  Result CheckTaskAccounts(const PostTask& t);
  Outcome Apply(const PostTask& t, Timestamp at);
  Outcome Apply(const ApplyTask& a, Timestamp at);
  Outcome Apply(const DecideApplication& d, Timestamp at);
  void VoidReservations(const PostTask& t, uint32_t slot, uint32_t day, Timestamp at, bool event);
  Outcome Apply(const CancelSlots& c, Timestamp at);
  Outcome Apply(const CheckIn& c, Timestamp at);
  Outcome PayDay(const PostTask& t, uint32_t slot, const AccountId& visitor, uint32_t day,
                 Timestamp at, bool events);
  Outcome Apply(const ConfirmDay& c, Timestamp at);
  void SweepTasks();

  // ----- campaigns.cc: campaigns, links, awards and claw-backs -----
  std::vector<uint32_t> LoadActiveCampaigns();
  void PutActiveCampaigns(const std::vector<uint32_t>& ids);
  std::optional<CampaignRecord> LoadCampaign(uint32_t id);
  Outcome Apply(const CreateCampaign& c, Timestamp at);
  Outcome Apply(const CloseCampaign& c, Timestamp at);
  Outcome Apply(const PauseCampaign& c, Timestamp at);
  Outcome Apply(const LinkAccount& l, Timestamp at);
  void AwardCampaigns(const PosPayment& p, const Account& merchant, Timestamp at);
  void ClawBack(const AccountId& merchant, const std::string& payment_id, int64_t refunded_total,
                std::string_view claw_id);

  // ----- proposals.cc: four-eyes proposals, approvals and the gate -----
  bool FourEyesGated(const Command& command);
  std::optional<ProposalRecord> LoadProposal(const Id128& id);
  Outcome Apply(const Propose& p, Timestamp at);
  Outcome Apply(const Approve& a, Timestamp at);
  Result ApplyProposed(const std::vector<Command>& commands);
  Outcome Apply(const RejectProposal& r, Timestamp at);
  Outcome Apply(const SetFourEyes& s, Timestamp at);

  const KvReader& state_;
  Working working_;
  bool approving_ =
      false;  // Applying an approved proposal's commands: the four-eyes gate is passed.
  const Timestamp batch_timestamp_;  // T: both sweeps take what is due at T.
  Timestamp now_;                    // The next event's timestamp.
  // Lots added with an expiry already <= T during the pending sweep (see AddLot).
  std::vector<std::pair<Timestamp, AccountId>> lapsed_added_;
  JournalHead head_;
  ApplyCounters* counters_;
  JournalEntry entry_;
  HistoryBacklog
      backlog_;  // Recent history not folded yet (read by FoldHistory, first in the batch).
};

}  // namespace ledger

#endif  // LEDGER_CORE_BATCH_APPLIER_H_
