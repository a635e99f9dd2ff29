// Signing keys (RegisterKey, RevokeKey), customer-presented codes, custodial cards (RegisterCard,
// UnlockCard, ReissueCard) with their PIN attempts, and the request nonces that make signed
// requests one-time.
#include "absl/strings/str_cat.h"
#include "ledger/core/batch_applier.h"
#include "ledger/core/check.h"
#include "ledger/core/keys.h"
#include "ledger/core/limits.h"

namespace ledger {
namespace {

// The ledger clock's stamp at `ms` milliseconds (Unix time), saturated at the clock's end.
Timestamp StampAtMs(unsigned __int128 ms) {
  const unsigned __int128 ns = ms * 1'000'000;
  return ns > UINT64_MAX ? UINT64_MAX : static_cast<Timestamp>(ns);
}

}  // namespace

std::optional<KeyRecord> BatchApplier::LoadKey(const AccountId& account, std::string_view key_id) {
  std::string bytes;
  if (!working_.Get(keys::Key(account, key_id), &bytes)) return std::nullopt;
  std::optional<KeyRecord> record = DecodeKeyRecord(bytes);
  if (!record) Fatal(absl::StrCat("key record of ", account.ToHex(), " is corrupt"));
  return record;
}

bool BatchApplier::WasRevoked(const AccountId& account, std::string_view public_key) {
  std::string unused;
  return working_.Get(keys::RevokedKey(account, public_key), &unused);
}

// Empty `by_terminal` is the operator, who may do anything; a terminal must be an active manager of
// the same account (pos.h RegisterKey).
bool BatchApplier::MayManageKeys(const AccountId& account, std::string_view by_terminal) {
  if (by_terminal.empty()) return true;
  std::optional<KeyRecord> actor = LoadKey(account, by_terminal);
  return actor && actor->active_manager();
}

Outcome BatchApplier::Apply(const RegisterKey& k, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result r) {
    outcome.result = r;
    return outcome;
  };
  const Account* account = working_.FindAccount(k.account);
  if (account == nullptr) return fail(Result::kAccountNotFound);
  if (!MayManageKeys(k.account, k.by_terminal)) return fail(Result::kNotAManager);
  if (k.public_key.size() != kEd25519PublicKeyBytes) return fail(Result::kPublicKeyInvalid);
  if (!k.key_id.empty() && !ValidTerminalId(k.key_id)) return fail(Result::kTerminalIdInvalid);
  if (account->kind != (k.key_id.empty() ? AccountKind::kWallet : AccountKind::kMerchant)) {
    return fail(Result::kKindInvalid);
  }
  // Managers are terminals, and only the operator makes them.
  if (k.manager && (k.key_id.empty() || !k.by_terminal.empty())) return fail(Result::kKindInvalid);
  const KeyRole role = k.manager ? KeyRole::kManager : KeyRole::kOrdinary;
  if (std::optional<KeyRecord> existing = LoadKey(k.account, k.key_id);
      existing && existing->active()) {
    if (existing->public_key != k.public_key || existing->role != role) {
      return fail(Result::kExistsWithDifferentFields);
    }
    return Outcome{Result::kOk, true, existing->registered_at};
  }
  // None yet, or revoked (then this is a rotation): any key but one revoked here before.
  if (WasRevoked(k.account, k.public_key)) return fail(Result::kKeyRevoked);
  KeyRecord record;
  record.public_key = k.public_key;
  record.registered_at = at;
  record.role = role;
  working_.Put(keys::Key(k.account, k.key_id), EncodeKeyRecord(record));
  return outcome;
}

Outcome BatchApplier::Apply(const RevokeKey& k, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result r) {
    outcome.result = r;
    return outcome;
  };
  if (working_.FindAccount(k.account) == nullptr) return fail(Result::kAccountNotFound);
  if (!MayManageKeys(k.account, k.by_terminal)) return fail(Result::kNotAManager);
  std::optional<KeyRecord> record = LoadKey(k.account, k.key_id);
  if (!record) return fail(Result::kKeyNotRegistered);
  if (!record->active()) return Outcome{Result::kOk, true, record->revoked_at};
  CORE_CHECK(record->public_key.size() == kEd25519PublicKeyBytes);
  record->state = KeyState::kRevoked;
  record->revoked_at = at;
  working_.Put(keys::Key(k.account, k.key_id), EncodeKeyRecord(*record));
  working_.Put(keys::RevokedKey(k.account, record->public_key),
               EncodeRevokedKey(RevokedKey{k.key_id, record->registered_at, at, record->role}));
  return outcome;
}

// The CPM checks after decoding: key, signature, window on the ledger's clock, one-time nonce.
Result BatchApplier::CheckCode(const CpmCode& code, const AccountId& payer, Timestamp at) {
  std::optional<KeyRecord> key = LoadKey(payer, "");
  if (!key) return Result::kKeyNotRegistered;
  if (!key->active()) return Result::kKeyRevoked;
  switch (CheckCpm(code, key->public_key, at / 1'000'000)) {
    case CpmCheck::kBadSignature:
      return Result::kSignatureInvalid;
    case CpmCheck::kNotYetValid:
      return Result::kCpmNotYetValid;
    case CpmCheck::kExpired:
      return Result::kCpmExpired;
    case CpmCheck::kOk:
      break;
  }
  std::string unused;
  if (working_.Get(keys::Nonce(payer, code.nonce), &unused)) return Result::kCpmReplayed;
  return Result::kOk;
}

std::optional<CardRecord> BatchApplier::LoadCard(std::string_view card) {
  std::string bytes;
  if (!working_.Get(keys::Card(card), &bytes)) return std::nullopt;
  std::optional<CardRecord> record = DecodeCardRecord(bytes);
  if (!record) Fatal("card record is corrupt");
  return record;
}

// Whether a wrong PIN of this request counts: once per attempt nonce (0: older entries, always).
// The card's attempts older than twice the request window are dropped on the way: their replays are
// refused by the services' clock check, so they need not be remembered.
bool BatchApplier::CountPinAttempt(std::string_view card, uint64_t attempt, Timestamp at) {
  if (attempt == 0) return true;
  const std::string key = keys::CardAttempt(card, attempt);
  std::string bytes;
  if (working_.Get(key, &bytes)) return false;
  const std::string prefix = keys::CardAttemptPrefix(card);
  const Timestamp keep = 2 * kSignedRequestWindowMs * 1'000'000;
  for (const std::string& old : working_.KeysWithPrefix(prefix)) {
    if (old.size() != prefix.size() + 8 || !working_.Get(old, &bytes)) continue;
    if (Decoder(bytes).U64() + keep <= at) working_.Delete(old);
  }
  std::string value;
  Encoder(&value).U64(at);
  working_.Put(key, value);
  return true;
}

bool BatchApplier::ValidCardNumber(std::string_view card) {
  if (card.size() < kCardNumberLengthMin || card.size() > kCardNumberLengthMax) return false;
  return std::all_of(card.begin(), card.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Outcome BatchApplier::Apply(const RegisterCard& c, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  const Account* wallet = working_.FindAccount(c.wallet);
  if (!ValidCardNumber(c.card) || c.pin_salt.size() != kPinSaltBytes ||
      c.pin_proof.size() != kPinProofBytes || c.attempts_max < 1 ||
      c.attempts_max > kCardPinAttemptsMax) {
    outcome.result = Result::kCardInvalid;
  } else if (wallet == nullptr) {
    outcome.result = Result::kAccountNotFound;
  } else if (wallet->kind != AccountKind::kWallet) {
    outcome.result = Result::kKindInvalid;
  } else if (std::optional<CardRecord> existing = LoadCard(c.card)) {
    if (existing->replaced()) {
      outcome.result = Result::kCardReplaced;  // Not a duplicate: the card no longer pays.
    } else if (existing->registration.wallet != c.wallet) {
      outcome.result = Result::kExistsWithDifferentFields;
    } else {
      outcome = Outcome{Result::kOk, true, existing->timestamp};
    }
  } else {
    working_.Put(keys::Card(c.card), EncodeCardRecord(CardRecord{c, 0, at}));
  }
  return outcome;
}

Outcome BatchApplier::Apply(const UnlockCard& u, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  if (u.by.empty() || u.by.size() > kStaffIdLengthMax) {
    outcome.result = Result::kCardInvalid;
    return outcome;
  }
  std::optional<CardRecord> card = LoadCard(u.card);
  if (!card) {
    outcome.result = Result::kCardNotFound;
    return outcome;
  }
  if (card->replaced()) {
    outcome.result = Result::kCardReplaced;
    return outcome;
  }
  card->failed_attempts = 0;
  working_.Put(keys::Card(u.card), EncodeCardRecord(*card));
  ForgetPinAttempts(u.card);
  RecordCityOperation(card->registration.wallet, u.by, "card unlocked by the city", at);
  return outcome;
}

// The city re-issues a card (pos.h): a new card of the same wallet, the old one replaced for good.
Outcome BatchApplier::Apply(const ReissueCard& r, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  if (r.by.empty() || r.by.size() > kStaffIdLengthMax || !ValidCardNumber(r.new_card) ||
      r.pin_salt.size() != kPinSaltBytes || r.pin_proof.size() != kPinProofBytes) {
    return fail(Result::kCardInvalid);
  }
  std::optional<CardRecord> old = LoadCard(r.card);
  if (!old) return fail(Result::kCardNotFound);
  if (old->replaced()) {
    if (old->replaced_by == r.new_card)
      return Outcome{Result::kOk, true, old->replaced_at};  // The same again.
    return fail(Result::kCardReplaced);
  }
  if (LoadCard(r.new_card)) return fail(Result::kCardExists);
  const RegisterCard card{r.new_card, old->registration.wallet, r.pin_salt, r.pin_proof,
                          old->registration.attempts_max};
  working_.Put(keys::Card(r.new_card), EncodeCardRecord(CardRecord{card, 0, at}));
  old->replaced_by = r.new_card;
  old->replaced_at = at;
  working_.Put(keys::Card(r.card), EncodeCardRecord(*old));
  ForgetPinAttempts(
      r.card);  // The old card counts no PIN again: its attempts need not be remembered.
  RecordCityOperation(card.wallet, r.by, "card re-issued by the city", at);
  return outcome;
}

// Drops the card's counted attempt nonces (CountPinAttempt).
void BatchApplier::ForgetPinAttempts(std::string_view card) {
  const std::string prefix = keys::CardAttemptPrefix(card);
  for (const std::string& attempt : working_.KeysWithPrefix(prefix)) working_.Delete(attempt);
}

// What the city's desk did with a resident's card, listed with her staff operations.
void BatchApplier::RecordCityOperation(const AccountId& wallet, const std::string& by,
                                       const char* operation, Timestamp at) {
  const StaffOperation op{wallet, at, AccountId{}, "", by, operation, "", 0, Result::kOk};
  working_.Put(keys::StaffOperation(wallet, at), EncodeStaffOperation(op));
}

// Whether the batch stamp is within kSignedRequestWindowMs of a signed request's timestamp. On the
// batch stamp, not the command's tick, so that it is exact against SweepNonces: a nonce is
// forgotten in the first batch stamped after its request's window closed, and from that batch on
// the request is refused.
Result BatchApplier::CheckRequestWindow(uint64_t request_ms) const {
  const unsigned __int128 stamp = batch_timestamp_;
  const unsigned __int128 window_ms = kSignedRequestWindowMs;
  if (stamp > (request_ms + window_ms) * 1'000'000) return Result::kRequestExpired;
  if (request_ms > window_ms && stamp < (request_ms - window_ms) * 1'000'000)
    return Result::kRequestNotYetValid;
  return Result::kOk;
}

// Until when a request's nonce must be kept: the end of its window (0: the request has no
// timestamp, kept for ever). Only for a request CheckRequestWindow let through, so the end is at or
// after the stamp.
Timestamp BatchApplier::RequestNonceExpiry(uint64_t request_ms) const {
  if (request_ms == 0) return 0;
  const Timestamp end =
      StampAtMs(static_cast<unsigned __int128>(request_ms) + kSignedRequestWindowMs);
  CORE_CHECK(end >= batch_timestamp_);
  return end;
}

// Until when a customer code's nonce must be kept: from issued_at + ttl on, CheckCpm refuses the
// code (cpm_expired) whatever the nonce. Only for payments that carry their request's timestamp
// (older entries keep the code's nonce for ever, so that replaying them gives the state they gave).
Timestamp BatchApplier::CodeNonceExpiry(const CpmCode& code, uint64_t request_ms) {
  if (request_ms == 0) return 0;
  return StampAtMs(static_cast<unsigned __int128>(code.issued_at_ms) +
                   uint64_t{code.ttl_seconds} * 1000);
}

// Records a nonce as spent until `expiry` (0: for ever): N account nonce holds the expiry (empty:
// for ever), and the index n expiry account nonce lets SweepNonces find it. Any nonce, 0 too (a
// customer code may carry nonce 0; a request nonce 0 means none and never gets here). A nonce
// already recorded (a payment whose wallet nonce is its code's nonce) is kept until the later of
// the two.
void BatchApplier::KeepNonce(const AccountId& account, uint64_t nonce, Timestamp expiry) {
  const std::string key = keys::Nonce(account, nonce);
  std::string bytes;
  if (working_.Get(key, &bytes)) {
    if (bytes.empty()) return;  // Kept for ever already.
    CORE_CHECK(bytes.size() == 8);
    const Timestamp kept = Decoder(bytes).U64();
    if (expiry != 0 && expiry <= kept) return;
    working_.Delete(keys::NonceExpiry(kept, account, nonce));
  }
  if (expiry == 0) {
    working_.Put(key, "");
    return;
  }
  std::string value;
  Encoder(&value).U64(expiry);
  working_.Put(key, value);
  working_.Put(keys::NonceExpiry(expiry, account, nonce), "");
}

// Spends a signed request's nonce (0: none), kept until `expiry` (0: for ever, see KeepNonce);
// false if it was spent before.
bool BatchApplier::SpendNonce(const AccountId& account, uint64_t nonce, Timestamp expiry) {
  if (nonce == 0) return true;
  std::string unused;
  if (working_.Get(keys::Nonce(account, nonce), &unused)) return false;
  KeepNonce(account, nonce, expiry);
  return true;
}

}  // namespace ledger
