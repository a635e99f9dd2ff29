// Campaigns: filters, records, derived ids. See campaigns.h; layouts in ledger/FORMAT.md.
#include "ledger/core/campaigns.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
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

bool CampaignMatches(const CreateCampaign& c, const AccountId& merchant, std::string_view category, AssetId asset,
                     int64_t amount, Timestamp at) {
  if (asset != c.payment_asset || amount < c.min_amount || at < c.starts_at || at >= c.ends_at) return false;
  if (!c.category.empty() && category != c.category) return false;
  if (!c.merchants.empty() && std::find(c.merchants.begin(), c.merchants.end(), merchant) == c.merchants.end()) {
    return false;
  }
  const uint32_t minute =
      static_cast<uint32_t>((at - BusinessDayStart(BusinessDayIndex(at))) / (60 * static_cast<Timestamp>(kNanosPerSecond)));
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
  if (c.merchants.size() > kCampaignMerchantsMax) return absl::StrCat("merchants: at most ", kCampaignMerchantsMax);
  if (c.ends_at <= c.starts_at) return "ends_at: must be after starts_at";
  if (c.from_minute >= c.to_minute || c.to_minute > 1440) return "from_minute, to_minute: 0 <= from < to <= 1440";
  if (c.min_amount < 0 || c.min_amount > kAmountMax) return "min_amount: 0 to the amount limit";
  if ((c.percent_bps > 0) == (c.fixed > 0)) return "percent_bps, fixed: exactly one of them";
  if (c.percent_bps > kBasisPointsMax) return "percent_bps: at most 10,000";
  if (c.fixed < 0 || c.fixed > kAmountMax) return "fixed: 0 to the amount limit";
  if (c.per_person_month < 0 || c.per_person_month > kAmountMax) return "per_person_month: 0 to the amount limit";
  if (c.budget <= 0 || c.budget > kAmountMax) return "budget: positive, at most the amount limit";
  return "";
}

// Record field lists (codec.h); a campaign record starts with its CreateCampaign's fields (command.h).
constexpr auto kCampaignRecordFields = [](auto& io, auto& r) { io(r.request, r.awarded, r.awards, r.closed, r.timestamp); };
constexpr auto kCampaignAwardFields = [](auto& io, auto& a) {
  io(a.account, a.paid, a.amount, a.clawed_back, a.shortfall, a.month);
};

std::string EncodeCampaignRecord(const CampaignRecord& r) { return EncodeRecord(kVersion, r, kCampaignRecordFields); }
std::optional<CampaignRecord> DecodeCampaignRecord(std::string_view bytes) {
  return DecodeRecord<CampaignRecord>(bytes, kVersion, kCampaignRecordFields);
}

std::string EncodeCampaignAward(const CampaignAward& a) { return EncodeRecord(kVersion, a, kCampaignAwardFields); }
std::optional<CampaignAward> DecodeCampaignAward(std::string_view bytes) {
  return DecodeRecord<CampaignAward>(bytes, kVersion, kCampaignAwardFields);
}

TransferId CampaignTransferId(char kind, const AccountId& merchant, uint32_t campaign, std::string_view id) {
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
