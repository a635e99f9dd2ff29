// Shop payments in the core: payments identified by the merchant's own payment id, refunds
// (partial, several, never more than paid), same-day cancels, and the daily close. Each moves value
// with an ordinary transfer (journaled, in the account history, consuming and creating expiry lots
// as usual) whose id the ledger derives from the merchant and the merchant's id, in the reserved id
// space, so a client can neither collide with it nor replay it.
//
// Rules (timestamps are the ledger's logical clock; a business day is the Japan-time calendar day):
//  - PosPayment: payer -> merchant. The merchant account must be a MERCHANT account; the payment
//  goes to
//    it if the payer's wallet is of its asset, or to the shop's account of the payer's asset that
//    its profile accepts (asset_not_accepted otherwise, deciding nothing; see SetMerchantProfile).
//    (merchant, payment_id) is decided once: resubmitting the same fields returns the original
//    outcome, other fields give exists_with_different_fields. A refused payment stays refused (new
//    id to retry).
//  - PosRefund: merchant -> the payment's payer, amount <= paid - already refunded
//    (refund_exceeds_payment otherwise); (merchant, refund_id) is decided once like a payment.
//  - PosCancel: the whole payment back, only until its booked business day ends or is closed, and
//    only if nothing was refunded (day_closed / payment_refunded); cancelling twice is a duplicate.
//  - PosCloseDay: freezes the day's report for the merchant (count, gross, cancelled, refunded, net
//  per
//    terminal); afterwards that day's payments can be refunded but not cancelled. A day in the
//    future cannot be closed; closing twice is a duplicate with the stored report.
//  - With a CPM code: the code must decode (cpm_invalid), name the payer if one is given
//    (payer_mismatch), be signed by the payer's registered wallet key (key_not_registered,
//    signature_invalid), be within its lifetime on the ledger's clock (cpm_expired,
//    cpm_not_yet_valid) and be unused (cpm_replayed): each (payer, nonce) pays at most once.
//  - PosFees: the operator's fee schedule per asset (issuer, FEE account, basis points < 10,000).
//  - PosCashOut: merchant -> issuer (amount - fee, retired) and merchant -> fee account (fee), both
//  or
//    neither; PosSupplierPayment: payer -> supplier MERCHANT (amount) and payer -> fee account (B2B
//    fee on top), both or neither. Fees round down; ids are decided once, like payments.
//  - Day totals: a payment counts on the day it is made, or on the next open day if the merchant
//  has
//    already closed that day; its cancel counts on the payment's booked day; a refund counts on the
//    day it is made, or on the next open day if that day is already closed (as POS systems book
//    late refunds). A payment can be cancelled until its booked day ends or is closed.
//  - Amounts: a payment's amount must be 1..kAmountMax (amount_must_be_positive,
//  amount_exceeds_limit);
//    such a payment decides nothing — neither its id nor the customer's code is used up.
#ifndef LEDGER_CORE_POS_H_
#define LEDGER_CORE_POS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/limits.h"
#include "ledger/core/records.h"
#include "ledger/core/types.h"

namespace ledger {

inline constexpr uint32_t kCodePosPayment = 0xffffff10;
inline constexpr uint32_t kCodePosRefund = 0xffffff11;
inline constexpr uint32_t kCodePosCancel = 0xffffff12;
inline constexpr uint32_t kCodeCashOut = 0xffffff13;  // Merchant -> issuer: coin retired for yen.
inline constexpr uint32_t kCodeFee = 0xffffff14;      // Merchant -> fee account.
inline constexpr uint32_t kCodeSupplierPayment = 0xffffff15;
inline constexpr uint32_t kBasisPointsMax = 10'000;
inline constexpr int64_t kJapanOffsetSeconds = 9 * 3600;

struct PosPayment {
  AccountId merchant;
  std::string payment_id;
  AccountId payer;  // May be zero when `cpm` names the payer.
  int64_t amount = 0;
  std::string terminal;
  std::string
      cpm;  // The customer-presented code scanned at the counter (ledger/core/cpm.h), or empty.
  // Set when the payer's wallet signed the request itself (merchant-presented code): the request's
  // nonce, spent once (nonce_replayed). Not part of the payment's identity: a retry may carry a new
  // nonce.
  uint64_t wallet_nonce = 0;
  // A custodial card operated by staff for a resident without a smartphone: the card number names
  // the payer; pin_proof is BLAKE2b-256(salt || card || 0x00 || PIN) computed by the Pos service
  // with the card's salt; staff names who operated it. A wrong PIN counts towards the card's
  // lockout and decides nothing (the staff may retry the same payment id with the right PIN).
  std::string card;
  std::string pin_proof;
  std::string staff;
  // Card payments: the terminal request's own nonce (the Pos service derives it from the signed
  // bytes). A wrong PIN counts once per request, so replaying a captured wrong-PIN request within
  // the time window cannot lock the resident's card. Not part of the payment's identity; 0 in
  // entries written before it.
  uint64_t attempt = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
  bool SameRequest(const PosPayment& other) const {
    return merchant == other.merchant && payment_id == other.payment_id && payer == other.payer &&
           amount == other.amount && terminal == other.terminal && cpm == other.cpm &&
           card == other.card;
  }
};

// A dynamic merchant-presented code, registered by the shop's terminal before it is shown (key d
// merchant payment_id): the amount and payment id the customer's wallet must pay, and until when.
// The wallet's payment under that id must carry exactly this amount (and this terminal, if it names
// one); anything else (or a wallet of another asset) is refused without deciding the id
// (mpm_order_mismatch), as is a payment after expires_at (mpm_order_expired). A payment under a
// registered id must come from a wallet (mpm_order_mismatch for a terminal's charge). Registered
// once per (merchant, payment_id); the same fields again are a duplicate, others
// exists_with_different_fields, as is an id already used by a payment.
inline constexpr uint32_t kMpmLifetimeSecondsDefault = 300;
inline constexpr uint32_t kMpmLifetimeSecondsMax = 3600;
struct PosMpmOrder {
  AccountId merchant;
  std::string payment_id;
  int64_t amount = 0;
  std::string terminal;
  uint32_t lifetime_seconds = kMpmLifetimeSecondsDefault;  // 1..kMpmLifetimeSecondsMax.
  bool SameRequest(const PosMpmOrder& o) const {
    return merchant == o.merchant && payment_id == o.payment_id && amount == o.amount &&
           terminal == o.terminal && lifetime_seconds == o.lifetime_seconds;
  }
};
struct MpmOrderRecord {
  PosMpmOrder request;
  AssetId asset = 0;
  Timestamp timestamp = 0;
  Timestamp expires_at = 0;  // Payable while the ledger's clock is before this.
};

// The operator's register of a merchant account (key f merchant), replaced by a later setting:
//  - chamber_member: the merchant belongs to the chamber of commerce, which gives it the member
//  cash-out
//    rate. A terminal cannot declare membership: a cash-out asking for the member rate of a
//    merchant the register does not list is refused (not_a_chamber_member) and decides nothing; a
//    member gets the member rate either way.
//  - accepts: which assets the shop takes besides its own account's, as the shop's MERCHANT
//  accounts in
//    those assets (at most kProfileAccountsMax, one per asset, e.g. its health-points account). A
//    payment from a wallet of such an asset is credited to that account, under the shop's own
//    payment ids, with its own day totals that the shop's day close freezes too; a payment in an
//    asset the shop does not accept is refused (asset_not_accepted) and decides nothing. Refunds
//    and cancels go back out of the account the payment went to.
inline constexpr size_t kProfileAccountsMax = 8;
struct SetMerchantProfile {
  AccountId merchant;
  bool chamber_member = false;
  std::vector<AccountId> accepts;
};
struct MerchantProfile {
  SetMerchantProfile profile;
  Timestamp timestamp = 0;  // When it was last set.
};

inline constexpr uint32_t kPinAttemptsMaxDefault = 3;

// Issue a card for a WALLET account (key C card number): the PIN's salt and proof, and how many
// wrong PINs in a row lock it. Once per card number.
struct RegisterCard {
  std::string card;
  AccountId wallet;
  std::string pin_salt;   // 16 bytes.
  std::string pin_proof;  // 32 bytes: BLAKE2b-256(salt || card || 0x00 || PIN).
  uint32_t attempts_max = kPinAttemptsMaxDefault;
};

// The city unlocks a card that wrong PINs locked (its resident at the desk, identity checked): the
// failure count goes back to 0 and the unlock is a staff operation of the card's wallet ("card
// unlocked by the city", by `by`), which the resident can list. Re-registering the card was a
// duplicate that kept the count, so a locked card stayed locked for good.
struct UnlockCard {
  std::string card;
  std::string by;  // Who at the city unlocked it: 1..kStaffIdLengthMax characters.
};

// The city re-issues a card (lost, stolen or worn out; its resident at the desk, identity checked):
// the new card number is bound to the SAME wallet, so the balance — the wallet's — goes with it,
// with the new PIN's salt and proof (as RegisterCard) and the old card's attempts_max; its count
// starts at 0, so a locked card's new card is unlocked. From then on the old card is replaced: a
// new payment with it is card_replaced (recorded as a staff operation "card replaced", deciding
// nothing and counting no PIN; a retried payment decided before the re-issue still gets its
// original outcome), and so are unlocking, re-registering or re-issuing it again. The re-issue is a
// staff operation of the wallet ("card re-issued by the city", by `by`), which the resident lists.
// Refused, deciding nothing: card_invalid (`by` not 1..kStaffIdLengthMax characters, a malformed
// new number, salt or proof), card_not_found (unknown old card), card_exists (the new number is
// already a card). The same re-issue again (old card replaced by this new number) is a duplicate
// with the original time, whatever its PIN, as RegisterCard's replay is.
struct ReissueCard {
  std::string card;       // The old card.
  std::string new_card;   // 8..kCardNumberLengthMax digits, not yet a card.
  std::string pin_salt;   // 16 bytes.
  std::string pin_proof;  // 32 bytes: BLAKE2b-256(salt || new card || 0x00 || PIN).
  std::string by;         // Who at the city re-issued it: 1..kStaffIdLengthMax characters.
};

struct CardRecord {
  RegisterCard registration;
  uint32_t failed_attempts = 0;  // Wrong PINs in a row; at attempts_max the card is locked.
  Timestamp timestamp = 0;
  // Set when the city re-issued the card (ReissueCard): the new card's number, and when. Stored at
  // record version 2; a card never re-issued keeps version 1's bytes.
  std::string replaced_by;
  Timestamp replaced_at = 0;
  bool replaced() const { return !replaced_by.empty(); }
};

// What staff did for a resident (key O wallet timestamp): the resident can list them.
struct StaffOperation {
  AccountId wallet;
  Timestamp timestamp = 0;
  AccountId merchant;
  std::string terminal;
  std::string staff;
  std::string operation;  // "card payment" (with the payment id), "wrong PIN", "card locked", "card
                          // replaced", "card unlocked by the city", "card re-issued by the city".
  std::string payment_id;
  int64_t amount = 0;
  Result result = Result::kOk;
};

std::string PinProof(std::string_view salt, std::string_view card, std::string_view pin);
std::string EncodeCardRecord(const CardRecord& record);
std::optional<CardRecord> DecodeCardRecord(std::string_view bytes);
std::string EncodeStaffOperation(const StaffOperation& op);
std::optional<StaffOperation> DecodeStaffOperation(std::string_view bytes);

// A resident sends coin to another account, the request signed by the sender's wallet key (checked
// by the Wallet service): an ordinary transfer with the client's id (decided once), plus the
// request's nonce, spent once. A resubmission with the same transfer id returns the original
// outcome whatever its nonce; a new transfer with a spent nonce is nonce_replayed.
struct WalletSend {
  Transfer transfer;  // Request fields only; debit = the signing wallet.
  uint64_t nonce = 0;
  uint64_t request_ms =
      0;  // The signed request's timestamp: see RequestMs (journal.h). 0: none (older entries).
};

// An Ed25519 public key the ledger verifies signatures with (key K account key_id): a resident's
// wallet key (key_id empty, WALLET account) or a shop terminal's key (key_id = terminal id,
// MERCHANT account).
//  - One active key per (account, key_id): the same key and role again is a duplicate (the original
//    registration time); another key, or the same key with another role, is
//    exists_with_different_fields.
//  - A terminal key is ordinary or a manager. Only the operator registers managers, and only for
//    terminals (a wallet key or a terminal-registered key asking for it: kind_invalid). A manager
//    may register ordinary terminals of its own merchant and revoke any terminal of it (itself and
//    other managers included, so that a shop can stop a stolen manager terminal at once); the
//    operator can always do both. A request by a terminal that is not an active manager of
//    `account` is not_a_manager and changes nothing.
//  - Revoked (RevokeKey): the key stops verifying anything at once — terminal and wallet requests
//    (refused by the services), customer-presented codes it signed (key_revoked). The record keeps
//    the key and the revocation time. Registering a new key for the same (account, key_id)
//    afterwards replaces it (rotation); a key once revoked on an account is refused there for good,
//    under any key_id (key_revoked), because whoever stole it still holds it.
enum class KeyRole : uint8_t { kOrdinary = 0, kManager = 1 };
enum class KeyState : uint8_t { kActive = 0, kRevoked = 1 };

struct RegisterKey {
  AccountId account;
  std::string key_id;
  std::string public_key;   // 32 bytes.
  bool manager = false;     // The operator's choice; never set by a terminal.
  std::string by_terminal;  // Empty: the operator. Else the manager terminal of `account` asking.
};

struct RevokeKey {
  AccountId account;
  std::string key_id;
  std::string by_terminal;  // Empty: the operator. Else a manager terminal of `account`.
};

// The stored key (K account key_id). Version 1 (written before keys could be revoked: version, key,
// u64 registered) reads as an active ordinary key; version 2 adds the state, revocation time and
// role.
struct KeyRecord {
  std::string public_key;  // 32 bytes.
  Timestamp registered_at = 0;
  KeyState state = KeyState::kActive;
  Timestamp revoked_at = 0;  // 0 while active.
  KeyRole role = KeyRole::kOrdinary;
  bool active() const { return state == KeyState::kActive; }
  bool active_manager() const { return active() && role == KeyRole::kManager; }
};
std::string EncodeKeyRecord(const KeyRecord& record);
// nullopt when the bytes are neither a version-1 nor a version-2 key record.
std::optional<KeyRecord> DecodeKeyRecord(std::string_view bytes);

// A key once revoked on an account (k account public_key): kept for good so that the key is never
// accepted there again, whatever key_id it comes back under, and as the audit of the revocation.
struct RevokedKey {
  std::string key_id;  // Under which it was revoked (the latest, if revoked under several).
  Timestamp registered_at = 0;
  Timestamp revoked_at = 0;
  KeyRole role = KeyRole::kOrdinary;
};
std::string EncodeRevokedKey(const RevokedKey& record);
std::optional<RevokedKey> DecodeRevokedKey(std::string_view bytes);

struct PosRefund {
  AccountId merchant;
  std::string payment_id;
  std::string refund_id;
  int64_t amount = 0;
  bool SameRequest(const PosRefund& other) const {
    return merchant == other.merchant && payment_id == other.payment_id &&
           refund_id == other.refund_id && amount == other.amount;
  }
};

struct PosCancel {
  AccountId merchant;
  std::string payment_id;
};

struct PosCloseDay {
  AccountId merchant;
  uint32_t business_day = 0;  // yyyymmdd, Japan time.
};

// Fees of an asset (key F asset): set by the operator, replaced by a later SetFees.
struct PosFees {
  AssetId asset = 0;
  AccountId issuer;                 // Where cashed-out coin goes (retired from circulation).
  AccountId fee_account;            // A FEE account of the asset.
  uint32_t cashout_bps = 0;         // e.g. 150 = 1.5 %.
  uint32_t member_cashout_bps = 0;  // For chamber members.
  uint32_t supplier_bps = 0;  // Merchant-to-merchant (B2B) payments, paid by the payer on top.
};

// Fee of `amount` at `bps`, rounded down to the unit (in the merchant's favour):
// floor(amount * bps / 10,000). Exact for every amount <= kAmountMax (128-bit intermediate).
int64_t FeeOf(int64_t amount, uint32_t bps);

// Cash-out (換金): the merchant's coin goes back to the issuer (amount - fee) and the fee to the
// fee account; the bank pays amount - fee yen (outside the ledger: see the payout record).
struct PosCashOut {
  AccountId merchant;
  std::string cashout_id;
  int64_t amount = 0;
  bool member = false;  // The terminal expects the member rate: refused unless the register lists
                        // it. The register, not this flag, decides the rate (SetMerchantProfile).
  bool SameRequest(const PosCashOut& o) const {
    return merchant == o.merchant && cashout_id == o.cashout_id && amount == o.amount &&
           member == o.member;
  }
};

// A merchant pays a local supplier (another MERCHANT account) `amount`, plus the B2B fee.
struct PosSupplierPayment {
  AccountId payer;
  std::string payment_id;
  AccountId supplier;
  int64_t amount = 0;
  bool SameRequest(const PosSupplierPayment& o) const {
    return payer == o.payer && payment_id == o.payment_id && supplier == o.supplier &&
           amount == o.amount;
  }
};

// Cash-outs and supplier payments as kept (keys W merchant id, B payer id): the request, the fee
// and its rate, and the outcome — the payout file and settlement reports are built from these.
struct FeeRecord {
  AccountId account;  // Merchant (cash-out) or payer (supplier payment).
  std::string id;
  AccountId counterparty;  // Issuer or supplier.
  int64_t amount = 0;
  bool member = false;
  uint32_t bps = 0;
  int64_t fee = 0;
  Timestamp timestamp = 0;
  Result result = Result::kOk;
};

enum class PaymentState : uint8_t { kRefused = 0, kCaptured = 1, kCancelled = 2 };

// What the ledger keeps per payment (key Q merchant payment_id).
struct PaymentRecord {
  PosPayment request;
  AssetId asset = 0;
  Timestamp timestamp = 0;
  uint32_t business_day = 0;
  Result result = Result::kOk;
  PaymentState state = PaymentState::kRefused;
  int64_t refunded = 0;
  Timestamp cancelled_at = 0;
};

// Per refund id (key U merchant refund_id).
struct RefundRecord {
  PosRefund request;
  Timestamp timestamp = 0;
  Result result = Result::kOk;
};

// A closed day's report (key Y merchant day).
struct DayTotals {
  uint64_t payments = 0;  // Captured on that day (cancelled ones included).
  int64_t gross = 0;
  uint64_t cancels = 0;
  int64_t cancelled = 0;
  int64_t refunded = 0;  // Refunded so far on that day's payments, at close time.
  int64_t net() const { return gross - cancelled - refunded; }
  bool operator==(const DayTotals&) const = default;
};
struct DayReport {
  AccountId merchant;
  uint32_t business_day = 0;
  AssetId asset = 0;
  Timestamp closed_at = 0;
  DayTotals total;
  std::map<std::string, DayTotals> by_terminal;  // Sorted: deterministic bytes.
};

// Japan-time calendar days: the day index (days since 1970-01-01, JST) of logical time `at`
// (nanoseconds since 1970), and a day index as yyyymmdd.
int64_t BusinessDayIndex(Timestamp at);
uint32_t DayNumber(int64_t day_index);
inline uint32_t BusinessDay(Timestamp at) { return DayNumber(BusinessDayIndex(at)); }
// The first instant (00:00 JST) of a day index, on the ledger's clock.
inline Timestamp BusinessDayStart(int64_t day_index) {
  return static_cast<Timestamp>(day_index * 86400 - kJapanOffsetSeconds) * 1'000'000'000;
}

// The reserved transfer id of a payment ('P'), refund ('R'), cancel ('C'), cash-out ('O') and its
// fee
// ('o'), supplier payment ('S') and its fee ('s').
TransferId PosTransferId(char kind, const AccountId& merchant, std::string_view id);

// 1..kPosIdLengthMax printable ASCII characters.
bool ValidPosId(std::string_view id);
// A terminal id: a pos id of at most kTerminalIdLengthMax characters.
bool ValidTerminalId(std::string_view id);

std::string EncodePaymentRecord(const PaymentRecord& record);
std::optional<PaymentRecord> DecodePaymentRecord(std::string_view bytes);
std::string EncodeRefundRecord(const RefundRecord& record);
std::optional<RefundRecord> DecodeRefundRecord(std::string_view bytes);
std::string EncodeDayReport(const DayReport& report);
std::string EncodeFees(const PosFees& fees);
std::optional<PosFees> DecodeFees(std::string_view bytes);
std::string EncodeFeeRecord(const FeeRecord& record);
std::optional<FeeRecord> DecodeFeeRecord(std::string_view bytes);
std::optional<DayReport> DecodeDayReport(std::string_view bytes);
std::string EncodeMpmOrder(const MpmOrderRecord& record);
std::optional<MpmOrderRecord> DecodeMpmOrder(std::string_view bytes);
std::string EncodeMerchantProfile(const MerchantProfile& profile);
std::optional<MerchantProfile> DecodeMerchantProfile(std::string_view bytes);

}  // namespace ledger

#endif  // LEDGER_CORE_POS_H_
