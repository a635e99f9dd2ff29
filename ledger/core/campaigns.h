// Campaigns in the core: an award when a qualifying shop payment happens, e.g. "20 % back in points
// at the shopping street's shops, at most 500 pt per person a month, budget 1,000,000".
//
// Rules (the ledger's logical clock; times of day and months are Japan time):
//  - CreateCampaign: id decided once; the funding account is a BUDGET account whose asset is what
//  the
//    campaign awards (its expiry is that asset's: a points asset expiring in 6 months makes awards
//    that do). Payments qualify in `payment_asset`, at a MERCHANT of `category` (empty: any) or in
//    `merchants` (empty: any), inside [starts_at, ends_at), between from_minute and to_minute of
//    the day, for at least min_amount. The award is floor(amount × percent_bps / 10,000) or
//    `fixed`, cut to the per-person monthly cap, the campaign's remaining budget and the funding
//    account's balance; at most kActiveCampaignsMax campaigns are active at once. CloseCampaign
//    ends one early.
//  - The award goes to the payer's account when the award asset is the payment's; otherwise to the
//  account
//    linked to the payer for that asset (LinkAccount, set by the operator who knows both are one
//    resident's); a payer without one gets no award.
//  - Awards are journaled transfers (code kCodeCampaignAward) made by the payment's command,
//  recorded per
//    payment (key i merchant payment id campaign) so that a refund claws back the refunded share
//    (floor(award × refunded / paid), the rest with the last refund) and a cancel all of it (code
//    kCodeCampaignClawback), as far as the award account still holds it: a shortfall is recorded,
//    never taken below zero. Clawed-back amounts no longer count towards the caps.
#ifndef LEDGER_CORE_CAMPAIGNS_H_
#define LEDGER_CORE_CAMPAIGNS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/codec.h"
#include "ledger/core/kv.h"
#include "ledger/core/limits.h"
#include "ledger/core/records.h"
#include "ledger/core/types.h"

namespace ledger {

inline constexpr uint32_t kCodeCampaignAward = 0xffffff40;
inline constexpr uint32_t kCodeCampaignClawback = 0xffffff41;
inline constexpr size_t kActiveCampaignsMax = 32;
inline constexpr size_t kCampaignMerchantsMax = 64;

struct CreateCampaign {
  uint32_t campaign = 0;  // > 0.
  std::string name;
  AccountId funding;  // BUDGET account of the award's asset.
  AssetId payment_asset = 0;
  std::string category;  // Merchant category, or empty.
  std::vector<AccountId> merchants;
  Timestamp starts_at = 0;
  Timestamp ends_at = 0;
  uint32_t from_minute = 0;  // Minutes after midnight (Japan), [from, to).
  uint32_t to_minute = 1440;
  int64_t min_amount = 0;
  uint32_t percent_bps = 0;      // Either a percentage ...
  int64_t fixed = 0;             // ... or a fixed award per payment.
  int64_t per_person_month = 0;  // 0: no cap.
  int64_t budget = 0;            // Total the campaign may award (net of clawbacks).
  bool SameRequest(const CreateCampaign& o) const;
};

struct CloseCampaign {
  uint32_t campaign = 0;
};

// The operator pauses a campaign (it awards nothing until resumed: a storm, a budget review) or
// resumes it. A paused campaign is off the active campaign list (ledger/FORMAT.md), so payments do
// not read it. Pausing a paused campaign or resuming a running one changes nothing (duplicate); a
// closed campaign cannot be paused or resumed (campaign_invalid); resuming needs room on the active
// list (too_many_campaigns).
struct PauseCampaign {
  uint32_t campaign = 0;
  bool paused = true;  // false: resume.
};

// The operator links a resident's wallet to her account of another asset (e.g. coin wallet ->
// points).
struct LinkAccount {
  AccountId wallet;
  AccountId linked;
};

// The campaigns on the active list (those a payment is checked against), in list order.
std::vector<uint32_t> ReadActiveCampaigns(const KvReader& state);

struct CampaignRecord {
  CreateCampaign request;
  int64_t awarded = 0;  // Net of clawbacks.
  uint64_t awards = 0;  // Payments awarded.
  bool closed = false;
  Timestamp timestamp = 0;
};

// What one payment earned from one campaign (key i merchant id128, campaign, payment id).
struct CampaignAward {
  AccountId account;   // Who got it.
  int64_t paid = 0;    // The payment's amount.
  int64_t amount = 0;  // Awarded.
  int64_t clawed_back = 0;
  int64_t shortfall = 0;  // Due back but no longer held.
  uint32_t month = 0;     // yyyymm of the award (the cap's month).
};

// Whether a payment qualifies (the filters only, not the caps). `category` is the merchant
// account's.
bool CampaignMatches(const CreateCampaign& c, const AccountId& merchant, std::string_view category,
                     AssetId asset, int64_t amount, Timestamp at);
// The award before caps.
int64_t CampaignAwardFor(const CreateCampaign& c, int64_t amount);
// Empty if well formed, else which field is wrong.
std::string CampaignProblem(const CreateCampaign& c);

std::string EncodeCampaignRecord(const CampaignRecord& record);
std::optional<CampaignRecord> DecodeCampaignRecord(std::string_view bytes);
std::string EncodeCampaignAward(const CampaignAward& award);
std::optional<CampaignAward> DecodeCampaignAward(std::string_view bytes);

// Reserved ids: the award of a payment ('W', by payment id) and each clawback ('K', by
// ClawbackIdSuffix).
TransferId CampaignTransferId(char kind, const AccountId& merchant, uint32_t campaign,
                              std::string_view id);
// The id part of a clawback: the refund id's length in decimal, ':', the refund id, then the
// payment id. The length prefix keeps every (refund, payment) pair apart even when ids contain '/'
// (a plain "refund/payment" joined refund "a/b" of payment "c" and refund "a" of "b/c"). A cancel
// has no refund id (refund ids are never empty), so it is "0:" and the payment id.
std::string ClawbackIdSuffix(std::string_view refund_id, std::string_view payment_id);

}  // namespace ledger

#endif  // LEDGER_CORE_CAMPAIGNS_H_
