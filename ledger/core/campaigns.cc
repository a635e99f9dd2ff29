// Campaigns: filters, records, derived ids. See campaigns.h; layouts in ledger/FORMAT.md.
#include "ledger/core/campaigns.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/core/batch_applier.h"
#include "ledger/core/command.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"

namespace ledger {
namespace {

constexpr uint8_t kVersion = 1;

}  // namespace

bool CreateCampaign::SameRequest(const CreateCampaign& o) const {
  std::string a, b;
  Encoder ea(&a), eb(&b);
  FieldWriter{&ea}(*this);  // Its fields (command.h).
  FieldWriter{&eb}(o);
  return a == b;
}

bool CampaignMatches(const CreateCampaign& c, const AccountId& merchant, std::string_view category,
                     AssetId asset, int64_t amount, Timestamp at) {
  if (asset != c.payment_asset || amount < c.min_amount || at < c.starts_at || at >= c.ends_at)
    return false;
  if (!c.category.empty() && category != c.category) return false;
  if (!c.merchants.empty() &&
      std::find(c.merchants.begin(), c.merchants.end(), merchant) == c.merchants.end()) {
    return false;
  }
  const uint32_t minute = static_cast<uint32_t>((at - BusinessDayStart(BusinessDayIndex(at))) /
                                                (60 * static_cast<Timestamp>(kNanosPerSecond)));
  return minute >= c.from_minute && minute < c.to_minute;
}

int64_t CampaignAwardFor(const CreateCampaign& c, int64_t amount) {
  if (c.fixed > 0) return c.fixed;
  return FeeOf(amount, c.percent_bps);  // floor(amount × bps / 10,000), exact to kAmountMax.
}

std::string CampaignProblem(const CreateCampaign& c) {
  if (c.campaign == 0) return "campaign: must be positive";
  if (c.name.size() > kCampaignNameBytesMax) {
    return absl::StrCat("name: at most ", kCampaignNameBytesMax, " bytes, got ", c.name.size());
  }
  if (c.funding.IsZero()) return "funding: the BUDGET account paying the awards is required";
  if (c.payment_asset == 0) return "payment_asset: required";
  if (c.category.size() > static_cast<size_t>(kCategoryBytesMax)) {
    return absl::StrCat("category: at most ", kCategoryBytesMax, " bytes, got ", c.category.size());
  }
  if (c.merchants.size() > kCampaignMerchantsMax)
    return absl::StrCat("merchants: at most ", kCampaignMerchantsMax);
  if (c.ends_at <= c.starts_at) return "ends_at: must be after starts_at";
  if (c.from_minute >= c.to_minute || c.to_minute > 1440)
    return "from_minute, to_minute: 0 <= from < to <= 1440";
  if (c.min_amount < 0 || c.min_amount > kAmountMax) return "min_amount: 0 to the amount limit";
  if ((c.percent_bps > 0) == (c.fixed > 0)) return "percent_bps, fixed: exactly one of them";
  if (c.percent_bps > kBasisPointsMax) return "percent_bps: at most 10,000";
  if (c.fixed < 0 || c.fixed > kAmountMax) return "fixed: 0 to the amount limit";
  if (c.per_person_month < 0 || c.per_person_month > kAmountMax)
    return "per_person_month: 0 to the amount limit";
  if (c.budget <= 0 || c.budget > kAmountMax) return "budget: positive, at most the amount limit";
  return "";
}

// Record field lists (codec.h); a campaign record starts with its CreateCampaign's fields
// (command.h).
constexpr auto kCampaignRecordFields = [](auto& io, auto& r) {
  io(r.request, r.awarded, r.awards, r.closed, r.timestamp);
};
constexpr auto kCampaignAwardFields = [](auto& io, auto& a) {
  io(a.account, a.paid, a.amount, a.clawed_back, a.shortfall, a.month);
};

std::string EncodeCampaignRecord(const CampaignRecord& r) {
  return EncodeRecord(kVersion, r, kCampaignRecordFields);
}
std::optional<CampaignRecord> DecodeCampaignRecord(std::string_view bytes) {
  return DecodeRecord<CampaignRecord>(bytes, kVersion, kCampaignRecordFields);
}

std::string EncodeCampaignAward(const CampaignAward& a) {
  return EncodeRecord(kVersion, a, kCampaignAwardFields);
}
std::optional<CampaignAward> DecodeCampaignAward(std::string_view bytes) {
  return DecodeRecord<CampaignAward>(bytes, kVersion, kCampaignAwardFields);
}

TransferId CampaignTransferId(char kind, const AccountId& merchant, uint32_t campaign,
                              std::string_view id) {
  return PosTransferId(kind, merchant, absl::StrCat("campaign/", campaign, "/") + std::string(id));
}

std::string ClawbackIdSuffix(std::string_view refund_id, std::string_view payment_id) {
  std::string suffix = std::to_string(refund_id.size());
  suffix.push_back(':');
  suffix.append(refund_id);
  suffix.append(payment_id);
  return suffix;
}

}  // namespace ledger

// ===== Campaigns applied =====
// The BatchApplier's Apply overloads for these commands and their rules (batch_applier.h).

namespace ledger {

namespace {

std::vector<uint32_t> DecodeActiveCampaigns(std::string_view bytes) {
  std::vector<uint32_t> ids;
  Decoder d(bytes);
  const uint32_t n = d.U32();
  for (uint32_t i = 0; i < n && d.ok(); ++i) ids.push_back(d.U32());
  if (!d.done()) Fatal("active campaign list is corrupt");
  return ids;
}

}  // namespace

std::vector<uint32_t> ReadActiveCampaigns(const KvReader& state) {
  std::string bytes;
  if (!state.Get(keys::ActiveCampaigns(), &bytes)) return {};
  return DecodeActiveCampaigns(bytes);
}

std::vector<uint32_t> BatchApplier::LoadActiveCampaigns() {
  std::string bytes;
  if (!working_.Get(keys::ActiveCampaigns(), &bytes)) return {};
  return DecodeActiveCampaigns(bytes);
}

void BatchApplier::PutActiveCampaigns(const std::vector<uint32_t>& ids) {
  std::string bytes;
  Encoder e(&bytes);
  e.U32(static_cast<uint32_t>(ids.size()));
  for (uint32_t id : ids) e.U32(id);
  working_.Put(keys::ActiveCampaigns(), std::move(bytes));
}

std::optional<CampaignRecord> BatchApplier::LoadCampaign(uint32_t id) {
  std::string bytes;
  if (!working_.Get(keys::Campaign(id), &bytes)) return std::nullopt;
  std::optional<CampaignRecord> record = DecodeCampaignRecord(bytes);
  if (!record) Fatal("campaign record is corrupt");
  return record;
}

Outcome BatchApplier::Apply(const CreateCampaign& c, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  auto fail = [&](Result result) {
    outcome.result = result;
    return outcome;
  };
  if (!CampaignProblem(c).empty()) return fail(Result::kCampaignInvalid);
  if (std::optional<CampaignRecord> existing = LoadCampaign(c.campaign)) {
    if (!existing->request.SameRequest(c)) return fail(Result::kExistsWithDifferentFields);
    return Outcome{Result::kOk, true, existing->timestamp};
  }
  const Account* funding = working_.FindAccount(c.funding);
  if (funding == nullptr) return fail(Result::kAccountNotFound);
  if (funding->kind != AccountKind::kBudget) return fail(Result::kKindInvalid);
  if (working_.FindAsset(c.payment_asset) == nullptr) return fail(Result::kAssetNotFound);
  std::vector<uint32_t> active = LoadActiveCampaigns();
  if (active.size() >= kActiveCampaignsMax) return fail(Result::kTooManyCampaigns);
  active.push_back(c.campaign);
  PutActiveCampaigns(active);
  working_.Put(keys::Campaign(c.campaign),
               EncodeCampaignRecord(CampaignRecord{c, 0, 0, false, at}));
  return outcome;
}

Outcome BatchApplier::Apply(const CloseCampaign& c, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  std::optional<CampaignRecord> record = LoadCampaign(c.campaign);
  if (!record) {
    outcome.result = Result::kCampaignNotFound;
    return outcome;
  }
  if (record->closed) return Outcome{Result::kOk, true, at};
  record->closed = true;
  working_.Put(keys::Campaign(c.campaign), EncodeCampaignRecord(*record));
  std::vector<uint32_t> active = LoadActiveCampaigns();
  active.erase(std::remove(active.begin(), active.end(), c.campaign), active.end());
  PutActiveCampaigns(active);
  return outcome;
}

Outcome BatchApplier::Apply(const PauseCampaign& c, Timestamp at) {
  std::optional<CampaignRecord> record = LoadCampaign(c.campaign);
  if (!record) return Outcome{Result::kCampaignNotFound, false, at};
  if (record->closed) return Outcome{Result::kCampaignInvalid, false, at};
  std::vector<uint32_t> active = LoadActiveCampaigns();
  const bool listed = std::find(active.begin(), active.end(), c.campaign) != active.end();
  // A campaign over (ends_at passed) may already be off the list: it is neither paused nor running.
  if (c.paused != listed) return Outcome{Result::kOk, true, at};
  if (c.paused) {
    active.erase(std::remove(active.begin(), active.end(), c.campaign), active.end());
  } else {
    if (active.size() >= kActiveCampaignsMax) return Outcome{Result::kTooManyCampaigns, false, at};
    active.push_back(c.campaign);
  }
  PutActiveCampaigns(active);
  return Outcome{Result::kOk, false, at};
}

Outcome BatchApplier::Apply(const LinkAccount& l, Timestamp at) {
  Outcome outcome{Result::kOk, false, at};
  const Account* wallet = working_.FindAccount(l.wallet);
  const Account* linked = working_.FindAccount(l.linked);
  if (wallet == nullptr || linked == nullptr) {
    outcome.result = Result::kAccountNotFound;
  } else if (wallet->kind != AccountKind::kWallet || linked->kind != AccountKind::kWallet) {
    outcome.result = Result::kKindInvalid;
  } else if (wallet->asset == linked->asset) {
    outcome.result = Result::kAssetMismatch;
  } else if (std::string bytes; working_.Get(keys::AccountLink(l.wallet, linked->asset), &bytes)) {
    if (bytes != l.linked.ToBytes()) {
      outcome.result = Result::kExistsWithDifferentFields;
    } else {
      outcome.duplicate = true;
    }
  } else {
    working_.Put(keys::AccountLink(l.wallet, linked->asset), l.linked.ToBytes());
  }
  return outcome;
}

// After a captured payment: every active campaign it qualifies for awards (system events).
void BatchApplier::AwardCampaigns(const PosPayment& p, const Account& merchant, Timestamp at) {
  std::vector<uint32_t> active = LoadActiveCampaigns();
  if (active.empty()) return;
  bool pruned = false;
  for (uint32_t id : std::vector<uint32_t>(active)) {
    std::optional<CampaignRecord> campaign = LoadCampaign(id);
    CORE_CHECK(campaign.has_value());
    const CreateCampaign& c = campaign->request;
    if (at >= c.ends_at) {  // Over: drop it from the active list.
      active.erase(std::remove(active.begin(), active.end(), id), active.end());
      pruned = true;
      continue;
    }
    if (!CampaignMatches(c, p.merchant, merchant.category, merchant.asset, p.amount, at)) continue;
    const Account* funding = working_.FindAccount(c.funding);
    CORE_CHECK(funding != nullptr);
    AccountId to = p.payer;
    if (funding->asset != merchant.asset) {
      std::string linked;
      if (!working_.Get(keys::AccountLink(p.payer, funding->asset), &linked))
        continue;  // No such account.
      to = *Id128::FromBytes(linked);
    }
    const uint32_t month = BusinessDay(at) / 100;
    const std::string tally_key = keys::CampaignTally(id, to, month);
    int64_t tally = 0;
    if (std::string bytes; working_.Get(tally_key, &bytes)) tally = Decoder(bytes).I64();
    int64_t amount = CampaignAwardFor(c, p.amount);
    if (c.per_person_month > 0) amount = std::min(amount, c.per_person_month - tally);
    amount = std::min(amount, c.budget - campaign->awarded);
    if (funding->non_negative()) amount = std::min(amount, Spendable(*funding, at));
    if (amount <= 0) continue;
    Transfer award;
    award.id = CampaignTransferId('W', p.merchant, id, p.payment_id);
    award.debit_account_id = c.funding;
    award.credit_account_id = to;
    award.amount = amount;
    award.code = kCodeCampaignAward;
    const Timestamp when = Tick();
    const Outcome moved = Move(award, when);
    if (moved.result != Result::kOk) continue;  // E.g. the award account is closed: no award.
    entry_.system_events.push_back(
        {SystemEventType::kCampaignAward, award.id, c.funding, to, funding->asset, amount, when});
    std::string value;
    Encoder(&value).I64(tally + amount);
    working_.Put(tally_key, value);
    campaign->awarded += amount;
    ++campaign->awards;
    working_.Put(keys::Campaign(id), EncodeCampaignRecord(*campaign));
    working_.Put(keys::CampaignAward(p.merchant, p.payment_id, id),
                 EncodeCampaignAward(CampaignAward{to, p.amount, amount, 0, 0, month}));
  }
  if (pruned) PutActiveCampaigns(active);
}

// After a refund or cancel: claw back the refunded share of every award the payment earned.
void BatchApplier::ClawBack(const AccountId& merchant, const std::string& payment_id,
                            int64_t refunded_total, std::string_view claw_id) {
  const std::string prefix = keys::CampaignAwardPrefix(merchant, payment_id);
  for (const std::string& key : working_.KeysWithPrefix(prefix)) {
    CORE_CHECK(key.size() ==
               prefix.size() + 4);  // Payment ids are length-prefixed: only campaign ids follow.
    std::string bytes;
    working_.Get(key, &bytes);
    std::optional<CampaignAward> award = DecodeCampaignAward(bytes);
    CORE_CHECK(award.has_value());
    const uint32_t id = keys::ReadBigEndian32(key.substr(prefix.size()));
    const int64_t due_total =
        static_cast<int64_t>(static_cast<__int128>(award->amount) * refunded_total / award->paid);
    const int64_t due = due_total - award->clawed_back - award->shortfall;
    if (due <= 0) continue;
    std::optional<CampaignRecord> campaign = LoadCampaign(id);
    CORE_CHECK(campaign.has_value());
    const Account* holder = working_.FindAccount(award->account);
    CORE_CHECK(holder != nullptr);
    int64_t take = std::min(due, std::max<int64_t>(0, Spendable(*holder, now_)));
    if (take > 0) {
      Transfer back;
      back.id = CampaignTransferId('K', merchant, id, ClawbackIdSuffix(claw_id, payment_id));
      back.debit_account_id = award->account;
      back.credit_account_id = campaign->request.funding;
      back.amount = take;
      back.code = kCodeCampaignClawback;
      // The move can fail for reasons the refund cannot help (the city closed the funding account
      // or the holder's account, or the funding account is at its bound): then nothing comes back
      // and the whole due amount is recorded as shortfall. The refund itself stands either way.
      const Timestamp when = Tick();
      const Outcome moved = Move(back, when);
      if (moved.result == Result::kOk) {
        entry_.system_events.push_back({SystemEventType::kCampaignClawback, back.id, award->account,
                                        campaign->request.funding, moved.asset, take, when});
        campaign->awarded -= take;
        working_.Put(keys::Campaign(id), EncodeCampaignRecord(*campaign));
        const std::string tally_key = keys::CampaignTally(id, award->account, award->month);
        int64_t tally = 0;
        if (std::string t; working_.Get(tally_key, &t)) tally = Decoder(t).I64();
        std::string value;
        Encoder(&value).I64(tally - take);
        working_.Put(tally_key, value);
      } else {
        take = 0;
      }
    }
    award->clawed_back += take;
    award->shortfall += due - take;
    working_.Put(key, EncodeCampaignAward(*award));
  }
}

}  // namespace ledger
