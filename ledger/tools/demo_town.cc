// demo_town: a small city runs on the ledger, end to end through the public gRPC API.
//
// A city issuer, a few hundred residents and a few shops: coin charged with a city-funded premium
// (linked transfers), payments at shops, a hotel deposit held as a pending transfer and posted in
// part, another voided, a week of health mileage (signed step reports, points, an exchange, an
// erasure), and a short-lived promotional coupon that lapses so the expiry sweep moves it to
// breakage. Prints a summary (balances per asset, journal digest) and checks every figure it
// expects; exits non-zero if any differs.
//
// Each run builds a fresh town inside the same ledger: its account and transfer ids carry a run tag
// in the high 64 bits (assets are shared and created idempotently).
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "formats/emvco.h"
#include "ledger/client/client.h"
#include "ledger/core/health.h"
#include "ledger/core/limits.h"
#include "ledger/core/pos.h"
#include "ledger/core/records.h"
#include "ledger/core/tasks.h"
#include "ledger/server/operator_token.h"
#include "ledger/tools/transport_flags.h"
#include "merchant/pos_client.h"
#include "wallet/cpm.h"
#include "wallet/wallet_client.h"

namespace ledger {
namespace {
constexpr int kDefaultResidents = 300;  // --residents' default: the demo's town size (ops/run).
}  // namespace
}  // namespace ledger

ABSL_FLAG(std::string, addr, "127.0.0.1:7400", "ledgerd address");
ABSL_FLAG(int, residents, ledger::kDefaultResidents, "number of residents (20..8000)");
ABSL_FLAG(uint64_t, seed, 2026, "seed for who buys what where");
ABSL_FLAG(
    std::string, demo_keys_dir, "",
    "if set, writes there (mode 0600) resident 0's wallet recovery code (wallet.code) and the "
    "soba shop's terminal key (shop.code) for the web apps: demo only");

namespace ledger {
namespace {

constexpr uint32_t kCoin = 1, kPoints = 2, kPromo = 3;
// Transfer codes (client-defined meanings, documented in the README).
constexpr uint32_t kCodeCharge = 10, kCodePremium = 11, kCodeFundBudget = 12, kCodePayment = 20,
                   kCodeDeposit = 21, kCodePromo = 40;
constexpr int64_t kChargeYen = 10'000;
constexpr int64_t kPremiumPercent = 15;
constexpr int64_t kPromoAmount = 200;
constexpr int kPromoResidents = 50;
constexpr int64_t kPromoExpirySeconds = 3;

const char* kShopNames[] = {"Tsuruoka Soba", "Sakura Market", "Yunohama Inn", "Dewa Hardware",
                            "Shonai Bakery"};
const char* kShopCategories[] = {"food", "supermarket", "lodging", "retail", "food"};
constexpr int kShops = 5;
// The morning market (朝市): farm stalls, enough of them (10 or more in one category) for the
// circulation simulator's privacy rule to let it calibrate from this ledger.
constexpr int kStalls = 12;
constexpr int kReservedResidents = 10;
constexpr int kWalkers = 40;  // Residents taking part in health mileage.
constexpr int kElder = 3, kDaughter = 4;
constexpr int kHarvestDays = 3;              // The farm's harvest task: today and two more days.
constexpr int64_t kTaskPerDay = 2000;        // The farm's thank-you per visitor per day ...
constexpr int64_t kTaskSubsidyPercent = 50;  // ... half of it paid by the city.  // Walkers: an
                                             // elderly resident who stops walking, her watcher.
constexpr int64_t kExchangeUnit =
    10;  // Points per exchange unit (and coin for it), for a week's demo.

// The town's four-eyes rule: issuance from the city's ISSUER account above this needs a proposal
// and a second operator's approval (as do fees and subsidy grants). The demo's large top-up (the
// premium budget) is proposed by the city treasurer and approved by her deputy.
constexpr int64_t kDemoFourEyesThreshold = 100'000;

class Town {
 public:
  // The operators who propose and approve (ops/operators.conf): "city-treasurer" and
  // "deputy-treasurer" (issuance), "registrar" (fees) and "programme-admin" (subsidy grants); the
  // demo's own operator, "demo", approves the last two as the second pair of eyes.
  struct Operators {
    LedgerConnection* treasurer;
    LedgerConnection* deputy;
    LedgerConnection* registrar;
    LedgerConnection* programme_admin;
  };
  Town(LedgerConnection* stub, Operators operators, uint64_t tag, int residents, uint64_t seed)
      : stub_(stub), operators_(operators), tag_(tag), residents_(residents), rng_(seed) {}

  // Account ids: (tag, role << 32 | index).
  std::string Account(uint32_t role, uint32_t index = 0) const {
    return IdBytes(tag_, (uint64_t{role} << 32) | index);
  }
  enum Role : uint32_t {
    kCityIssuer = 1,
    kPremiumBudget,
    kHealthBudget,
    kPromoIssuer,
    kResidentCoin,
    kResidentPoints,
    kResidentPromo,
    kShopCoin,
    kShopPoints,
    kFees,
    kYenSide,
    kStallCoin,
    kHealthCoinBudget,
    kTaskEscrow,
    kTaskSubsidy,
    kVisitor
  };

  bool Run() {
    Step(absl::StrCat("Four-eyes: issuing more than ", kDemoFourEyesThreshold,
                      " coin at once, fees and subsidy grants need two operators"));
    if (!TurnOnFourEyes()) return false;
    Step("Assets: regional coin (180-day expiry), health points (1 year), a 3-second promo coupon");
    if (!CreateAssets()) return false;
    Step(absl::StrCat("Accounts: city, budgets, ", residents_, " residents, ", kShops, " shops, ",
                      kStalls, " market stalls"));
    if (!CreateAccounts()) return false;
    Step(absl::StrCat("Charging: each resident pays ", kChargeYen, " yen and gets ",
                      kChargeYen * (100 + kPremiumPercent) / 100, " coin (", kPremiumPercent,
                      "% city premium, linked)"));
    if (!Charge()) return false;
    Step("Shopping: residents pay at shops");
    if (!Shop()) return false;
    Step(absl::StrCat("Morning market: residents buy at ", kStalls,
                      " farm stalls; stalls buy seedlings "
                      "from each other and cash part of their takings out"));
    if (!MorningMarket()) return false;
    Step("Hotel deposits: one held and posted in part, one voided");
    if (!Deposits()) return false;
    Step(
        "Health mileage: phones report a week of steps, signed; the ledger awards points; some are "
        "exchanged for coin; an elder stops walking and her daughter is alerted; one walker erases "
        "her step data");
    if (!HealthMileage()) return false;
    Step(
        "Promo coupon: issued, left unused, lapses after 3 s; the next batch sweeps it to "
        "breakage");
    if (!Promo()) return false;
    Step(
        "Shopping street: a campaign gives 20 % back in points; terminals charge customer codes, a "
        "resident "
        "pays a shop's code, a refund (which claws back its share of the points), the day's close, "
        "a supplier "
        "paid in coin, a cash-out");
    if (!StartCampaign() || !ShoppingStreet() || !CampaignResult()) return false;
    Step(
        "Workcation: a visitor helps on a farm; the thank-you waits in escrow until the farm "
        "confirms her day, "
        "then she spends it at the inn and the bakery");
    if (!FarmStay()) return false;
    return Summary() && WriteDemoKeys();
  }

  // For the web apps (ops/run prints them): resident 0's wallet as the wallet's recovery code
  // (LW1-SEED-COIN-POINTS; her key signs for both her accounts and her history has the street's
  // payments) and the soba shop's terminal as the shop page's import code
  // (LT1-SEED-MERCHANT-TERMINAL). Keys in the clear: demo only.
  bool WriteDemoKeys() {
    const std::string dir = absl::GetFlag(FLAGS_demo_keys_dir);
    if (dir.empty()) return true;
    auto seed = [](const wallet::KeyPair& keys) {
      return wallet::Hex(keys.secret_key.substr(0, 32));
    };
    const std::string codes[2][2] = {
        {"wallet.code", absl::StrCat("LW1-", seed(street_wallets_[0]), "-",
                                     Id128::FromBytes(Account(kResidentCoin, 0))->ToHex(), "-",
                                     Id128::FromBytes(Account(kResidentPoints, 0))->ToHex())},
        {"shop.code",
         absl::StrCat("LT1-", seed(soba_.keys), "-", Id128::FromBytes(soba_.merchant_id)->ToHex(),
                      "-", soba_.terminal_id)}};
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    for (const auto& [name, code] : codes) {
      const std::string path = dir + "/" + name, temporary = path + ".tmp";
      FILE* f = fopen(temporary.c_str(), "w");
      if (f == nullptr || chmod(temporary.c_str(), 0600) != 0 ||
          fprintf(f, "%s\n", code.c_str()) < 0 || fclose(f) != 0 ||
          rename(temporary.c_str(), path.c_str()) != 0) {
        fprintf(stderr, "demo: cannot write %s\n", path.c_str());
        return false;
      }
    }
    printf("demo keys (demo only) in %s: wallet.code (resident 0), shop.code (%s, %s)\n",
           dir.c_str(), kShopNames[0], soba_.terminal_id.c_str());
    return true;
  }

 private:
  void Step(const std::string& text) { printf("\n== %s\n", text.c_str()); }

  // The first run turns the rule on; on a ledger that has it already, the change itself would need
  // four eyes (four_eyes_required), and the rule stays as it is.
  bool TurnOnFourEyes() {
    v1::SetFourEyesRequest request;
    request.set_issuance_threshold(kDemoFourEyesThreshold);
    v1::CreateReply reply;
    grpc::Status status = operators_.treasurer->Call([&](LedgerConnection& c) {
      return c.ledger().SetFourEyes(ContextWithDeadline(std::chrono::seconds(10)).get(), request,
                                    &reply);
    });
    if (!status.ok() || reply.results_size() != 1) {
      fprintf(stderr, "demo: four-eyes: %s\n", status.error_message().c_str());
      return false;
    }
    printf("four-eyes rule %s\n", reply.results(0).result() == v1::OK
                                      ? "turned on"
                                      : "already on (changing it needs a proposal)");
    return true;
  }

  // What needs four eyes: one operator holding the method's role proposes `method` with `request`,
  // a second approves it (issuance: the city treasurer and her deputy; fees: the registrar, grants:
  // the programme admin, each approved by "demo"); false (printed) unless the approval applied it.
  bool ProposeAndApprove(const char* method, const google::protobuf::Message& request,
                         const std::string& what) {
    LedgerConnection* proposer = operators_.treasurer;
    LedgerConnection* approver = operators_.deputy;
    const char* proposer_name = "city-treasurer";
    const char* approver_name = "deputy-treasurer";
    if (std::string(method) == "SetFees") {
      proposer = operators_.registrar;
      proposer_name = "registrar";
    } else if (std::string(method) == "GrantSubsidies") {
      proposer = operators_.programme_admin;
      proposer_name = "programme-admin";
    }
    if (proposer != operators_.treasurer) {
      approver = stub_;
      approver_name = "demo";
    }
    v1::ProposeRequest propose;
    propose.set_proposal_id(IdBytes(tag_, 0xf000'0000'0000ULL | ++proposal_sequence_));
    propose.set_method(method);
    propose.set_request(request.SerializeAsString());
    v1::ApproveRequest approve;
    approve.set_proposal_id(propose.proposal_id());
    v1::CreateReply proposed, approved;
    grpc::Status status = proposer->Call([&](LedgerConnection& c) {
      return c.ledger().Propose(ContextWithDeadline(std::chrono::seconds(10)).get(), propose,
                                &proposed);
    });
    if (status.ok() && proposed.results_size() == 1 && proposed.results(0).result() == v1::OK) {
      printf("  proposed by %s: %s (%s, proposal %llu of this run)\n", proposer_name, what.c_str(),
             method, static_cast<unsigned long long>(proposal_sequence_));
      status = approver->Call([&](LedgerConnection& c) {
        return c.ledger().Approve(ContextWithDeadline(std::chrono::seconds(10)).get(), approve,
                                  &approved);
      });
    }
    const bool ok =
        status.ok() && approved.results_size() == 1 && approved.results(0).result() == v1::OK;
    if (!ok) {
      fprintf(stderr, "demo: %s: %s %s\n", what.c_str(), status.error_message().c_str(),
              approved.results_size() == 1
                  ? ResultName(static_cast<Result>(approved.results(0).result()))
              : proposed.results_size() == 1
                  ? ResultName(static_cast<Result>(proposed.results(0).result()))
                  : "");
      return false;
    }
    printf("  approved by %s: applied (journal index %llu)\n", approver_name,
           static_cast<unsigned long long>(approved.journal_index()));
    return true;
  }

  std::string NextTransferId() { return IdBytes(tag_, ++transfer_sequence_); }

  bool Send(const v1::CreateTransfersRequest& request, const char* what,
            int* refused_out = nullptr) {
    v1::CreateReply reply;
    grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      return c.ledger().CreateTransfers(ContextWithDeadline(std::chrono::seconds(60)).get(),
                                        request, &reply);
    });
    if (!status.ok()) {
      fprintf(stderr, "demo: %s: %s\n", what, status.error_message().c_str());
      return false;
    }
    int refused = 0;
    for (const v1::ItemResult& item : reply.results()) {
      if (item.result() != v1::OK) {
        ++refused;
        if (!refused_out) {
          fprintf(stderr, "demo: %s item %u: %s\n", what, item.index(),
                  ResultName(static_cast<Result>(item.result())));
        }
      }
    }
    if (refused_out) *refused_out = refused;
    return refused_out || refused == 0;
  }

  v1::Transfer* Add(v1::CreateTransfersRequest* request, const std::string& debit,
                    const std::string& credit, int64_t amount, uint32_t code, uint32_t flags = 0) {
    v1::Transfer* t = request->add_transfers();
    t->set_id(NextTransferId());
    t->set_debit_account_id(debit);
    t->set_credit_account_id(credit);
    t->set_amount(amount);
    t->set_code(code);
    t->set_flags(flags);
    return t;
  }

  bool CreateAssets() {
    v1::CreateAssetsRequest request;
    auto add = [&](uint32_t id, const char* code, int64_t expiry, int64_t granularity,
                   uint64_t breakage) {
      v1::Asset* a = request.add_assets();
      a->set_id(id);
      a->set_code(code);
      a->set_expiry_seconds(expiry);
      a->set_expiry_granularity_seconds(granularity);
      a->set_breakage_account_id(IdBytes(0, breakage));
    };
    add(kCoin, "COIN", 180LL * 86400, 86400, 0xb1);
    add(kPoints, "HP", 365LL * 86400, 86400, 0xb2);
    add(kPromo, "PROMO", kPromoExpirySeconds, 1, 0xb3);
    v1::CreateReply reply;
    grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      return c.ledger().CreateAssets(ContextWithDeadline(std::chrono::seconds(30)).get(), request,
                                     &reply);
    });
    if (!status.ok()) {
      fprintf(stderr, "demo: assets: %s\n", status.error_message().c_str());
      return false;
    }
    for (const v1::ItemResult& item : reply.results()) {
      if (item.result() != v1::OK) {
        fprintf(stderr, "demo: asset %u: %s (a different asset with this id exists)\n",
                item.index(), ResultName(static_cast<Result>(item.result())));
        return false;
      }
    }
    printf("assets ready (created or already there)\n");
    return true;
  }

  bool CreateAccounts() {
    v1::CreateAccountsRequest request;
    auto add = [&](const std::string& id, uint32_t asset, v1::AccountKind kind, bool floor,
                   const char* category = "") {
      v1::Account* a = request.add_accounts();
      a->set_id(id);
      a->set_asset(asset);
      a->set_kind(kind);
      a->set_flags(floor ? v1::NON_NEGATIVE : 0);
      a->set_category(category);
    };
    add(Account(kCityIssuer), kCoin, v1::ISSUER, false);
    add(Account(kPremiumBudget), kCoin, v1::BUDGET, true);
    add(Account(kHealthBudget), kPoints, v1::BUDGET, false);
    add(Account(kHealthCoinBudget), kCoin, v1::BUDGET, true);
    add(Account(kTaskEscrow), kCoin, v1::ESCROW, false);
    add(Account(kTaskSubsidy), kCoin, v1::BUDGET, true);
    add(Account(kVisitor), kCoin, v1::WALLET, true);
    add(Account(kPromoIssuer), kPromo, v1::ISSUER, false);
    add(Account(kFees), kCoin, v1::FEE, true);
    add(Account(kYenSide), kCoin, v1::EXTERNAL, false);
    for (int s = 0; s < kShops; ++s) {
      add(Account(kShopCoin, s), kCoin, v1::MERCHANT, true, kShopCategories[s]);
      add(Account(kShopPoints, s), kPoints, v1::MERCHANT, true, kShopCategories[s]);
    }
    for (int s = 0; s < kStalls; ++s)
      add(Account(kStallCoin, s), kCoin, v1::MERCHANT, true, "farm");
    for (int r = 0; r < residents_; ++r) {
      add(Account(kResidentCoin, r), kCoin, v1::WALLET, true);
      add(Account(kResidentPoints, r), kPoints, v1::WALLET, true);
      if (r < kPromoResidents) add(Account(kResidentPromo, r), kPromo, v1::WALLET, true);
    }
    v1::CreateReply reply;
    grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      return c.ledger().CreateAccounts(ContextWithDeadline(std::chrono::seconds(60)).get(), request,
                                       &reply);
    });
    if (!status.ok()) {
      fprintf(stderr, "demo: accounts: %s\n", status.error_message().c_str());
      return false;
    }
    printf("%d accounts created\n", reply.results_size());
    return true;
  }

  bool Charge() {
    const int64_t premium = kChargeYen * kPremiumPercent / 100;
    v1::CreateTransfersRequest fund;
    Add(&fund, Account(kCityIssuer), Account(kPremiumBudget), premium * residents_,
        kCodeFundBudget);
    // The large top-up: four eyes.
    if (!ProposeAndApprove(
            "CreateTransfers", fund,
            absl::StrCat("top up the premium budget with ", premium * residents_, " coin")))
      return false;
    v1::CreateTransfersRequest request;
    for (int r = 0; r < residents_; ++r) {
      // The charge and its premium succeed or fail together.
      Add(&request, Account(kCityIssuer), Account(kResidentCoin, r), kChargeYen, kCodeCharge,
          v1::LINKED);
      Add(&request, Account(kPremiumBudget), Account(kResidentCoin, r), premium, kCodePremium);
      if (request.transfers_size() >= 8000 || r + 1 == residents_) {
        if (!Send(request, "charge")) return false;
        request.Clear();
      }
    }
    expected_coin_in_wallets_ = (kChargeYen + premium) * residents_;
    printf("%d residents charged: %lld coin issued (%lld of it city premium)\n", residents_,
           static_cast<long long>(expected_coin_in_wallets_),
           static_cast<long long>(premium * residents_));
    return true;
  }

  // `payments` random payments, in requests of 100, from residents outside the reserved ones to one
  // of `merchants` accounts of `role`, each 100 × [price_min, price_max] coin. Refusals
  // (insufficient balance) are counted, not fatal.
  bool PayAtRandom(Role role, int merchants, int payments, int price_min, int price_max,
                   const char* what, int* refused) {
    // Residents 0..kReservedResidents-1 stay out of the shopping rounds: the deposit step needs
    // their coin.
    std::uniform_int_distribution<int> resident(kReservedResidents, residents_ - 1),
        merchant(0, merchants - 1), price(price_min, price_max);
    v1::CreateTransfersRequest request;
    *refused = 0;
    for (int i = 0; i < payments; ++i) {
      const int m = merchant(rng_);
      const int64_t amount = price(rng_) * 100;
      Add(&request, Account(kResidentCoin, resident(rng_)), Account(role, m), amount, kCodePayment);
      if (request.transfers_size() == 100 || i + 1 == payments) {
        int batch_refused = 0;
        if (!Send(request, what, &batch_refused)) return false;
        *refused += batch_refused;
        request.Clear();
      }
    }
    return true;
  }

  // A shopping round's size for this town: `at_default` with the default 300 residents, fewer in a
  // smaller town (the shoppers' coin would run out: --residents=20 left the market stalls with
  // nothing to buy seedlings with), never more.
  int ForTownSize(int at_default) const {
    constexpr int kDefaultShoppers = kDefaultResidents - kReservedResidents;
    const int shoppers = residents_ - kReservedResidents;
    return std::max(1, std::min(at_default, at_default * shoppers / kDefaultShoppers));
  }

  bool Shop() {
    const int payments = ForTownSize(1500);
    int refused = 0;
    if (!PayAtRandom(kShopCoin, kShops, payments, 3, 30, "payments", &refused)) return false;
    printf("%d payments, %d refused for insufficient balance\n", payments, refused);
    return true;
  }

  bool MorningMarket() {
    const int purchases = ForTownSize(600);
    int refused = 0;
    if (!PayAtRandom(kStallCoin, kStalls, purchases, 2, 15, "market purchases", &refused))
      return false;
    v1::CreateTransfersRequest request;
    // Each stall buys seedlings from the next two stalls (B2B in coin: it keeps circulating), then
    // cashes a quarter of what it holds out to yen (coin retired to the issuer).
    constexpr int64_t kSeedlings = 300;  // Each stall pays each of the next two stalls this much.
    for (int s = 0; s < kStalls; ++s) {
      // A stall that sold too little (a small town) buys none.
      if (Balance(Account(kStallCoin, s)) < 2 * kSeedlings) continue;
      for (int k = 1; k <= 2; ++k)
        Add(&request, Account(kStallCoin, s), Account(kStallCoin, (s + k) % kStalls), kSeedlings,
            kCodePayment);
    }
    const int seedlings = request.transfers_size();
    if (seedlings > 0 && !Send(request, "seedlings")) return false;
    request.Clear();
    int64_t cashed = 0;
    for (int s = 0; s < kStalls; ++s) {
      const int64_t amount = Balance(Account(kStallCoin, s)) / 4;
      if (amount <= 0) continue;
      Add(&request, Account(kStallCoin, s), Account(kCityIssuer), amount, kCodePayment);
      cashed += amount;
    }
    if (request.transfers_size() > 0 && !Send(request, "stall cash-outs")) return false;
    retired_ += cashed;
    printf(
        "%d purchases (%d refused for insufficient balance), %d seedling payments, %lld coin "
        "cashed out\n",
        purchases, refused, seedlings, static_cast<long long>(cashed));
    return true;
  }

  bool Deposits() {
    v1::CreateTransfersRequest hold;
    v1::Transfer* kept = Add(&hold, Account(kResidentCoin, 0), Account(kShopCoin, 2), 3000,
                             kCodeDeposit, v1::PENDING);
    kept->set_timeout_seconds(3600);
    v1::Transfer* cancelled = Add(&hold, Account(kResidentCoin, 1), Account(kShopCoin, 2), 2000,
                                  kCodeDeposit, v1::PENDING);
    cancelled->set_timeout_seconds(3600);
    const std::string kept_id = kept->id(), cancelled_id = cancelled->id();
    if (!Send(hold, "deposits")) return false;
    v1::CreateTransfersRequest resolve;
    v1::Transfer* post = resolve.add_transfers();
    post->set_id(NextTransferId());
    post->set_pending_id(kept_id);
    post->set_amount(2400);
    post->set_code(kCodeDeposit);
    post->set_flags(v1::POST_PENDING);
    v1::Transfer* cancel = resolve.add_transfers();
    cancel->set_id(NextTransferId());
    cancel->set_pending_id(cancelled_id);
    cancel->set_code(kCodeDeposit);
    cancel->set_flags(v1::VOID_PENDING);
    if (!Send(resolve, "post/void")) return false;
    printf("deposit of 3000 held, 2400 posted to %s, 600 released; deposit of 2000 voided\n",
           kShopNames[2]);
    return true;
  }

  // Health mileage through the Health service (ledger/core/health.h): the city sets a program;
  // walkers register a phone and consent (requests signed with their wallet key); the phones report
  // the last seven days' steps, signed; the core awards the points. One phone syncs a day again
  // with a higher count, one walker's first report comes before her consent, and one walker asks
  // for her step data to be erased.
  bool HealthMileage() {
    const int walkers = std::min(kWalkers, residents_ - kReservedResidents);
    const int64_t today = BusinessDayIndex(static_cast<Timestamp>(absl::ToUnixNanos(absl::Now())));
    return SetUpHealthProgram(walkers, today) && RegisterPhones(walkers, today) &&
           WalkAWeek(walkers, today) && ExchangePoints(walkers) &&
           ConsentToWatchOver(walkers, today) && EraseStepData(walkers, today) &&
           AlertTheDaughter(walkers, today);
  }

  // The program, its coin budget funded, and each walker's wallet key registered (phones get keys
  // too).
  bool SetUpHealthProgram(int walkers, int64_t today) {
    program_ = std::max<uint32_t>(1, static_cast<uint32_t>(tag_));
    v1::HealthProgram
        program;  // Default tiers (2,000 steps -> 1 pt ... 10,000 -> 5 pt), cap 5, bonus 10:10.
    program.set_program(program_);
    program.set_effective_day(DayNumber(today - 30));
    program.set_funding_account_id(Account(kHealthBudget));
    program.set_exchange_retire_account_id(Account(kHealthBudget));
    program.set_coin_funding_account_id(Account(kHealthCoinBudget));
    program.set_exchange_points(kExchangeUnit);
    program.set_exchange_coin(kExchangeUnit);
    v1::CreateReply created;
    v1::CreateTransfersRequest fund;
    health_coin_funded_ = kExchangeUnit * 10 * walkers;
    Add(&fund, Account(kCityIssuer), Account(kHealthCoinBudget), health_coin_funded_,
        kCodeFundBudget);
    v1::RegisterKeysRequest keys;
    walker_keys_.clear();
    phones_.clear();
    for (int w = 0; w < walkers; ++w) {
      walker_keys_.push_back(wallet::GenerateKeyPair());
      phones_.push_back(wallet::GenerateKeyPair());
      v1::PublicKey* key = keys.add_keys();
      key->set_account_id(Account(kResidentPoints, Walker(w)));
      key->set_public_key(walker_keys_.back().public_key);
    }
    grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      grpc::Status s = c.ledger().SetHealthProgram(
          ContextWithDeadline(std::chrono::seconds(10)).get(), program, &created);
      if (!s.ok() || created.results(0).result() != v1::OK) return s;
      return c.ledger().RegisterKeys(ContextWithDeadline(std::chrono::seconds(10)).get(), keys,
                                     &created);
    });
    if (!status.ok() || created.results(0).result() != v1::OK) {
      fprintf(stderr, "demo: health program and keys: %s %s\n", status.error_message().c_str(),
              created.results_size() ? ResultName(static_cast<Result>(created.results(0).result()))
                                     : "");
      return false;
    }
    if (!Send(fund, "health coin budget")) return false;
    printf(
        "program %u from %u: 2,000/4,000/6,000/8,000/10,000 steps -> 1..5 pt, cap 5 a day, +10 pt "
        "on the "
        "10th walking day of a month; %lld pt -> %lld coin\n",
        program_, program.effective_day(), static_cast<long long>(kExchangeUnit),
        static_cast<long long>(kExchangeUnit));
    return true;
  }

  // Walker `w`'s request to the Health service, signed with her wallet key; her reply's result (-1
  // when the call failed, printed).
  template <typename Rpc>
  v1::Result WalkerCall(int w, const char* method, const google::protobuf::Message& body, Rpc rpc) {
    v1::WalletReply reply;
    const v1::WalletRequest request =
        wallet::SignWalletRequest(walker_keys_[w], Account(kResidentPoints, Walker(w)), method,
                                  body, NowMs(), wallet::RandomNonce());
    grpc::Status s = stub_->Call([&](LedgerConnection& c) {
      return (c.health().*rpc)(ContextWithDeadline(std::chrono::seconds(10)).get(), request,
                               &reply);
    });
    if (!s.ok()) {
      fprintf(stderr, "demo: %s for walker %d: %s\n", method, w, s.error_message().c_str());
      return v1::Result(-1);
    }
    return reply.result();
  }

  // Walker `w`'s phone reports `steps` for `day`, signed with the phone's key.
  grpc::Status ReportSteps(int w, int64_t day, uint32_t steps, v1::StepReportReply* reply) {
    v1::StepReportRequest r;
    r.set_program(program_);
    r.set_resident_id(Account(kResidentPoints, Walker(w)));
    r.set_device_id("phone");
    r.set_day(DayNumber(day));
    r.set_steps(steps);
    r.set_nonce(wallet::RandomNonce());
    r.set_signature(
        wallet::Sign(phones_[w], StepReportSignedBytes(program_, *Id128::FromBytes(r.resident_id()),
                                                       "phone", r.day(), steps, r.nonce())));
    return stub_->Call([&](LedgerConnection& c) {
      return c.health().ReportSteps(ContextWithDeadline(std::chrono::seconds(10)).get(), r, reply);
    });
  }

  // Each walker registers her phone and consents to earning; one phone reports before its walker
  // consents.
  bool RegisterPhones(int walkers, int64_t today) {
    for (int w = 0; w < walkers; ++w) {
      v1::RegisterDeviceRequest device;
      device.set_device_id("phone");
      device.set_public_key(phones_[w].public_key);
      if (WalkerCall(w, "RegisterDevice", device, &v1::Health::Stub::RegisterDevice) != v1::OK)
        return false;
      if (w == 1) {  // Her phone reports before she has agreed: refused, nothing recorded.
        v1::StepReportReply early;
        if (!ReportSteps(w, today - 6, 5000, &early).ok() ||
            early.result() != v1::CONSENT_REQUIRED) {
          fprintf(stderr, "demo: a report before consent was not refused (%s)\n",
                  ResultName(static_cast<Result>(early.result())));
          return false;
        }
      }
      v1::ConsentRequest consent;
      consent.set_purpose(v1::EARNING);
      consent.set_granted(true);
      if (WalkerCall(w, "SetConsent", consent, &v1::Health::Stub::SetConsent) != v1::OK)
        return false;
    }
    printf(
        "%d walkers registered a phone and consented to earning (one phone's report before "
        "consent: "
        "refused, consent_required)\n",
        walkers);
    return true;
  }

  // A week of signed step reports; one phone syncs yesterday again with a higher count.
  bool WalkAWeek(int walkers, int64_t today) {
    // Each walker has a habit (a usual count) and walks around it.
    std::uniform_int_distribution<int> habit(2500, 11'000);
    std::uniform_real_distribution<double> day_factor(0.6, 1.3);
    earned_.assign(walkers, 0);
    int64_t& awarded = health_awarded_;
    awarded = 0;
    for (int w = 0; w < walkers; ++w) {
      const int usual = habit(rng_);
      // The elder walked every day until three days ago and has sent nothing since.
      const int64_t first = w == kElder ? today - 7 : today - 6,
                    last = w == kElder ? today - 3 : today;
      for (int64_t day = first; day <= last; ++day) {
        const uint32_t steps = static_cast<uint32_t>(usual * day_factor(rng_));
        v1::StepReportReply reply;
        grpc::Status s = ReportSteps(w, day, steps, &reply);
        if (!s.ok() || reply.result() != v1::OK) {
          fprintf(stderr, "demo: walker %d day %u: %s %s\n", w, DayNumber(day),
                  s.error_message().c_str(), ResultName(static_cast<Result>(reply.result())));
          return false;
        }
        const int64_t expected = PointsFor(steps);
        if (reply.points_awarded() != expected) {
          fprintf(stderr, "demo: walker %d day %u: %u steps earned %lld pt, expected %lld\n", w,
                  DayNumber(day), steps, static_cast<long long>(reply.points_awarded()),
                  static_cast<long long>(expected));
          return false;
        }
        earned_[w] += expected;
        day_points_[{w, day}] = expected;
      }
    }
    // Walker 0's phone syncs yesterday again after an evening walk: only the difference is paid.
    v1::StepReportReply again;
    const int64_t yesterday_before = day_points_[{0, today - 1}];
    if (!ReportSteps(0, today - 1, 10'400, &again).ok() || again.result() != v1::OK ||
        again.points_awarded() != 5 - yesterday_before) {
      fprintf(stderr, "demo: a higher count for yesterday paid %lld pt, expected %lld\n",
              static_cast<long long>(again.points_awarded()),
              static_cast<long long>(5 - yesterday_before));
      return false;
    }
    earned_[0] += 5 - yesterday_before;
    for (int64_t e : earned_) awarded += e;
    printf(
        "%d walkers' signed step reports for the last 7 days: %lld pt awarded (walker 0 synced "
        "yesterday again: "
        "+%lld pt, the difference only)\n",
        walkers, static_cast<long long>(awarded), static_cast<long long>(5 - yesterday_before));
    return true;
  }

  // Whoever has a full unit turns points into coin.
  bool ExchangePoints(int walkers) {
    int64_t exchanged = 0;
    int exchangers = 0;
    for (int w = 0; w < walkers; ++w) {
      const int64_t units = earned_[w] / kExchangeUnit;
      if (units == 0) continue;
      v1::ExchangePointsRequest exchange;
      exchange.set_program(program_);
      exchange.set_coin_wallet_id(Account(kResidentCoin, Walker(w)));
      exchange.set_points(units * kExchangeUnit);
      exchange.set_exchange_id("week-1");
      if (WalkerCall(w, "ExchangePoints", exchange, &v1::Health::Stub::ExchangePoints) != v1::OK)
        return false;
      exchanged += units * kExchangeUnit;
      ++exchangers;
    }
    expected_coin_in_wallets_ += exchanged;
    health_coin_budget_left_ = health_coin_funded_ - exchanged;
    expected_points_ = health_awarded_ - exchanged;
    printf("%d walkers exchanged %lld pt for %lld coin\n", exchangers,
           static_cast<long long>(exchanged), static_cast<long long>(exchanged));
    return true;
  }

  // Watch-over: the elder (walker 3) consents and names her daughter (walker 4) as her watcher. The
  // next batch evaluates yesterday on the ledger's clock: two days without a report after regular
  // walking.
  bool ConsentToWatchOver(int walkers, int64_t today) {
    if (walkers > kDaughter) {
      v1::ConsentRequest consent;
      consent.set_purpose(v1::WATCH_OVER);
      consent.set_granted(true);
      if (WalkerCall(kElder, "SetConsent", consent, &v1::Health::Stub::SetConsent) != v1::OK)
        return false;
      v1::WatchOverRequest watch;
      watch.add_watcher_ids(Account(kResidentPoints, Walker(kDaughter)));
      if (WalkerCall(kElder, "SetWatchOver", watch, &v1::Health::Stub::SetWatchOver) != v1::OK)
        return false;
      printf(
          "walker %d (84, walked daily until %u) consented to watch-over and named walker %d, her "
          "daughter\n",
          kElder, DayNumber(today - 3), kDaughter);
    }
    return true;
  }

  // Walker 2 asks for her step data to be erased: the counts go, the points and the journal stay.
  bool EraseStepData(int walkers, int64_t today) {
    if (walkers > 2) {
      if (WalkerCall(2, "EraseStepData", v1::EraseStepDataRequest(),
                     &v1::Health::Stub::EraseStepData) != v1::OK) {
        return false;
      }
      v1::MileageRequest range;
      range.set_from_day(DayNumber(today - 6));
      range.set_to_day(DayNumber(today));
      v1::MileageReply mileage;
      const v1::WalletRequest request =
          wallet::SignWalletRequest(walker_keys_[2], Account(kResidentPoints, Walker(2)),
                                    "GetMileage", range, NowMs(), wallet::RandomNonce());
      grpc::Status s = stub_->Call([&](LedgerConnection& c) {
        return c.health().GetMileage(ContextWithDeadline(std::chrono::seconds(10)).get(), request,
                                     &mileage);
      });
      int with_steps = 0;
      int64_t points = 0;
      for (const v1::MileageDay& day : mileage.days()) {
        with_steps += day.has_steps();
        points += day.points();
      }
      if (!s.ok() || with_steps != 0 || points != earned_[2]) {
        fprintf(stderr,
                "demo: after erasure: %d days still with steps, %lld pt (expected 0 and %lld)\n",
                with_steps, static_cast<long long>(points), static_cast<long long>(earned_[2]));
        return false;
      }
      printf("walker 2 erased her step data: 0 of 7 days keep a count, her %lld pt stay\n",
             static_cast<long long>(points));
    }
    return true;
  }

  // The daughter's phone has the alert stream open: the alert arrives; she acknowledges it.
  bool AlertTheDaughter(int walkers, int64_t today) {
    if (walkers > kDaughter) {
      v1::WatchAlertsRequest body;
      const v1::WalletRequest request = wallet::SignWalletRequest(
          walker_keys_[kDaughter], Account(kResidentPoints, Walker(kDaughter)), "WatchAlerts", body,
          NowMs(), wallet::RandomNonce());
      std::vector<v1::Alert> alerts;
      stub_->Call([&](LedgerConnection& c) {
        alerts.clear();
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
        std::unique_ptr<grpc::ClientReader<v1::Alert>> reader =
            c.health().WatchAlerts(&context, request);
        for (v1::Alert alert; reader->Read(&alert);) alerts.push_back(alert);
        grpc::Status s = reader->Finish();
        return s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? grpc::Status::OK : s;
      });
      if (alerts.size() != 1 || alerts[0].kind() != "no_reports" || alerts[0].days_silent() != 2) {
        fprintf(
            stderr,
            "demo: the daughter's stream showed %zu alerts, expected one (no reports for 2 days)\n",
            alerts.size());
        return false;
      }
      printf("walker %d's stream: alert %u for walker %d: %s since %u (%u days without a report)\n",
             kDaughter, alerts[0].seq(), kElder, alerts[0].kind().c_str(), DayNumber(today - 3),
             alerts[0].days_silent());
      v1::AckAlertRequest ack;
      ack.set_resident_id(alerts[0].resident_id());
      ack.set_alert(alerts[0].seq());
      if (WalkerCall(kDaughter, "AckAlert", ack, &v1::Health::Stub::AckAlert) != v1::OK)
        return false;
      printf("walker %d acknowledged it (she called her mother); nobody else can read the alert\n",
             kDaughter);
    }
    return true;
  }

  static int64_t PointsFor(
      uint32_t steps) {  // The program's default tiers, as the city announced them.
    return steps >= 10'000 ? 5
           : steps >= 8000 ? 4
           : steps >= 6000 ? 3
           : steps >= 4000 ? 2
           : steps >= 2000 ? 1
                           : 0;
  }
  uint32_t Walker(int w) const { return static_cast<uint32_t>(kReservedResidents + w); }

  bool Promo() {
    v1::CreateTransfersRequest request;
    for (int r = 0; r < std::min(kPromoResidents, residents_); ++r) {
      Add(&request, Account(kPromoIssuer), Account(kResidentPromo, r), kPromoAmount, kCodePromo);
    }
    if (!Send(request, "promo")) return false;
    promo_issued_ = kPromoAmount * request.transfers_size();
    breakage_before_ = Balance(IdBytes(0, 0xb3));
    printf("%lld promo issued; waiting %lld s for it to lapse...\n",
           static_cast<long long>(promo_issued_), static_cast<long long>(kPromoExpirySeconds + 1));
    std::this_thread::sleep_for(std::chrono::seconds(kPromoExpirySeconds + 1));
    // Any committed batch runs the sweep first.
    v1::CreateTransfersRequest next;
    Add(&next, Account(kResidentCoin, 2), Account(kShopCoin, 0), 100, kCodePayment);
    int refused = 0;
    return Send(next, "payment after expiry", &refused);
  }

  int64_t Balance(const std::string& id) {
    v1::LookupAccountsRequest request;
    request.add_ids(id);
    v1::LookupAccountsReply reply;
    grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      return c.ledger().LookupAccounts(ContextWithDeadline(std::chrono::seconds(10)).get(), request,
                                       &reply);
    });
    return status.ok() && reply.accounts_size() == 1 ? reply.accounts(0).balance() : INT64_MIN;
  }

  int64_t SumBalances(uint32_t role, int count) {
    int64_t total = 0;
    for (int start = 0; start < count; start += 8000) {
      v1::LookupAccountsRequest request;
      for (int i = start; i < std::min(count, start + 8000); ++i) request.add_ids(Account(role, i));
      v1::LookupAccountsReply reply;
      grpc::Status status = stub_->Call([&](LedgerConnection& c) {
        return c.ledger().LookupAccounts(ContextWithDeadline(std::chrono::seconds(30)).get(),
                                         request, &reply);
      });
      if (!status.ok()) return INT64_MIN;
      for (const v1::Account& a : reply.accounts()) total += a.balance();
    }
    return total;
  }

  // ----- a workcation visitor on a farm: Pos (the farm's terminal) and Wallet (the visitor) -----
  bool FarmStay() {
    const int64_t today = BusinessDayIndex(static_cast<Timestamp>(absl::ToUnixNanos(absl::Now())));
    return SetUpFarm() && GrantFarmSubsidy() && PostHarvestTask(today) &&
           WorkADayOnTheFarm(today) && SpendTheThanks();
  }

  // The farm (the stall with the most coin now), its terminal and tablet, the visitor's key, and
  // the city's task subsidy budget funded.
  bool SetUpFarm() {
    // The farm: the stall with the most coin now.
    farm_ = 0;
    int64_t best = -1;
    for (int s = 0; s < kStalls; ++s) {
      const int64_t balance = Balance(Account(kStallCoin, s));
      if (balance > best) best = balance, farm_ = s;
    }
    // In a small town (--residents under a few dozen) even the best stall may have taken less than
    // its share of the harvest task's escrow: the farm charges the rest at the city's desk, as
    // residents do (yen in, coin out; no premium).
    const int64_t share = kHarvestDays * kTaskPerDay * (100 - kTaskSubsidyPercent) / 100;
    if (best < share) {
      v1::CreateTransfersRequest charge;
      Add(&charge, Account(kCityIssuer), Account(kStallCoin, farm_), share - best, kCodeCharge);
      if (!Send(charge, "farm charge")) return false;
      farm_charged_ = share - best;
      printf("farm stall %d charged %lld coin for the harvest task's escrow (a small town)\n",
             farm_, static_cast<long long>(farm_charged_));
    }
    farm_terminal_ =
        merchant::Terminal{Account(kStallCoin, farm_), "FARM-1", wallet::GenerateKeyPair()};
    farm_tablet_ = wallet::GenerateKeyPair();  // The farm's device that shows check-in codes.
    visitor_key_ = wallet::GenerateKeyPair();
    v1::RegisterKeysRequest keys;
    v1::PublicKey* key = keys.add_keys();
    key->set_account_id(farm_terminal_.merchant_id);
    key->set_key_id(farm_terminal_.terminal_id);
    key->set_public_key(farm_terminal_.keys.public_key);
    key = keys.add_keys();
    key->set_account_id(Account(kVisitor));
    key->set_public_key(visitor_key_.public_key);
    v1::CreateReply created;
    v1::CreateTransfersRequest fund;
    task_subsidy_funded_ = kTaskPerDay * 3 * kTaskSubsidyPercent / 100;
    Add(&fund, Account(kCityIssuer), Account(kTaskSubsidy), task_subsidy_funded_, kCodeFundBudget);
    const grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      return c.ledger().RegisterKeys(ContextWithDeadline(std::chrono::seconds(10)).get(), keys,
                                     &created);
    });
    return status.ok() && Send(fund, "task subsidy");
  }

  // The city grants its subsidy budget to this farm: without the grant the task would be refused.
  bool GrantFarmSubsidy() {
    v1::GrantSubsidiesRequest grants;
    v1::SubsidyGrant* grant = grants.add_grants();
    grant->set_budget_account_id(Account(kTaskSubsidy));
    grant->set_host_account_id(farm_terminal_.merchant_id);
    grant->set_percent_max(kTaskSubsidyPercent);
    grant->set_monthly_max(task_subsidy_funded_);
    if (!ProposeAndApprove("GrantSubsidies", grants, "grant the task subsidy budget to the farm"))
      return false;
    printf(
        "the city granted its task subsidy budget to farm stall %d: up to %lld %%, %lld coin a "
        "month\n",
        farm_, static_cast<long long>(kTaskSubsidyPercent),
        static_cast<long long>(task_subsidy_funded_));
    return true;
  }

  // The farm terminal's signed request to the Pos service; false (printed) unless it is ok.
  template <typename Rpc>
  bool HostCall(const char* method, const google::protobuf::Message& body, Rpc rpc) {
    v1::PosReply reply;
    const v1::SignedRequest request = merchant::SignRequest(farm_terminal_, method, body, NowMs());
    grpc::Status s = stub_->Call([&](LedgerConnection& c) {
      return (c.pos().*rpc)(ContextWithDeadline(std::chrono::seconds(10)).get(), request, &reply);
    });
    if (!s.ok() || reply.result() != v1::OK) {
      fprintf(stderr, "demo: farm %s: %s %s\n", method, s.error_message().c_str(),
              ResultName(static_cast<Result>(reply.result())));
      return false;
    }
    return true;
  }

  // The visitor's signed request to the Wallet service; false (printed) unless it is ok.
  template <typename Rpc>
  bool GuestCall(const char* method, const google::protobuf::Message& body, Rpc rpc) {
    v1::WalletReply reply;
    const v1::WalletRequest request = wallet::SignWalletRequest(
        visitor_key_, Account(kVisitor), method, body, NowMs(), wallet::RandomNonce());
    grpc::Status s = stub_->Call([&](LedgerConnection& c) {
      return (c.wallet().*rpc)(ContextWithDeadline(std::chrono::seconds(10)).get(), request,
                               &reply);
    });
    if (!s.ok() || reply.result() != v1::OK) {
      fprintf(stderr, "demo: visitor %s: %s %s\n", method, s.error_message().c_str(),
              ResultName(static_cast<Result>(reply.result())));
      return false;
    }
    return true;
  }

  // The farm posts a three-day task; the thanks for all of it is reserved in escrow.
  bool PostHarvestTask(int64_t today) {
    v1::PostTaskRequest task;
    task.set_task_id("rice-harvest");
    task.set_title("Rice harvest and drying / 稲刈り・はざ掛け");
    task.set_first_day(DayNumber(today));
    task.set_last_day(DayNumber(today + kHarvestDays - 1));
    task.set_slots(1);
    task.set_per_day(kTaskPerDay);
    task.set_escrow_account_id(Account(kTaskEscrow));
    task.set_subsidy_account_id(Account(kTaskSubsidy));
    task.set_subsidy_percent(kTaskSubsidyPercent);
    task.set_hours_per_day(5);
    task.set_host_key(farm_tablet_.public_key);
    task.set_wage_reference("none: a thank-you in coin, lodging and meals");
    if (!HostCall("PostTask", task, &v1::Pos::Stub::PostTask)) return false;
    printf(
        "farm stall %d posted \"rice-harvest\" %u..%u: 1 visitor, %lld coin a day (%lld %% from "
        "the city); "
        "%lld coin reserved in escrow\n",
        farm_, task.first_day(), task.last_day(), static_cast<long long>(kTaskPerDay),
        static_cast<long long>(kTaskSubsidyPercent), static_cast<long long>(kTaskPerDay * 3));
    return true;
  }

  // The visitor applies, is accepted, checks in and out with the tablet's codes; the farm confirms
  // her day.
  bool WorkADayOnTheFarm(int64_t today) {
    v1::ApplyTaskRequest apply;
    apply.set_host_account_id(farm_terminal_.merchant_id);
    apply.set_task_id("rice-harvest");
    if (!GuestCall("ApplyTask", apply, &v1::Wallet::Stub::ApplyTask)) return false;
    v1::DecideApplicationRequest decide;
    decide.set_task_id("rice-harvest");
    decide.set_visitor_account_id(Account(kVisitor));
    decide.set_accept(true);
    if (!HostCall("DecideApplication", decide, &v1::Pos::Stub::DecideApplication)) return false;
    for (bool out : {false, true}) {
      v1::CheckInRequest check;
      check.set_host_account_id(farm_terminal_.merchant_id);
      check.set_task_id("rice-harvest");
      check.set_out(out);
      check.set_host_signature(wallet::Sign(
          farm_tablet_,
          TaskCodeSignedBytes(*Id128::FromBytes(farm_terminal_.merchant_id), "rice-harvest",
                              *Id128::FromBytes(Account(kVisitor)), DayNumber(today), out)));
      if (!GuestCall("CheckIn", check, &v1::Wallet::Stub::CheckIn)) return false;
    }
    v1::ConfirmDayRequest confirm;
    confirm.set_task_id("rice-harvest");
    confirm.set_visitor_account_id(Account(kVisitor));
    confirm.set_day(DayNumber(today));
    if (!HostCall("ConfirmDay", confirm, &v1::Pos::Stub::ConfirmDay)) return false;
    printf(
        "the visitor applied, was accepted, checked in and out with the farm tablet's codes; the "
        "farm "
        "confirmed today: %lld coin from escrow\n",
        static_cast<long long>(kTaskPerDay));
    return true;
  }

  // She spends the thanks at the inn and the bakery.
  bool SpendTheThanks() {
    int64_t spent = 0;
    for (const auto& [shop, amount] : std::vector<std::pair<int, int64_t>>{{2, 1200}, {4, 650}}) {
      v1::SendRequest send;
      send.set_transfer_id(NextTransferId());
      send.set_to_account_id(Account(kShopCoin, shop));
      send.set_amount(amount);
      if (!GuestCall("Send", send, &v1::Wallet::Stub::Send)) return false;
      printf("  she paid %s %lld coin\n", kShopNames[shop], static_cast<long long>(amount));
      spent += amount;
    }
    visitor_balance_ = kTaskPerDay - spent;
    printf(
        "the next two days are checked in on their own dates; whatever is not worked returns to "
        "the farm "
        "and the city %u h after the last day (`ledgerctl task show --host %s --task "
        "rice-harvest`)\n",
        72, Id128::FromBytes(farm_terminal_.merchant_id)->ToHex().c_str());
    return true;
  }

  // ----- a shopping-street campaign: 20 % back in points at the street's two shops -----
  bool StartCampaign() {
    const Timestamp now = static_cast<Timestamp>(absl::ToUnixNanos(absl::Now()));
    campaign_ = std::max<uint32_t>(1, static_cast<uint32_t>(tag_));
    v1::LinkAccountsRequest
        links;  // The city's desk links the street's customers' coin and points wallets.
    for (uint32_t r = 0; r < 3; ++r) {
      v1::AccountLink* link = links.add_links();
      link->set_wallet_id(Account(kResidentCoin, r));
      link->set_linked_id(Account(kResidentPoints, r));
    }
    v1::Campaign c;
    c.set_campaign(campaign_);
    c.set_name("shopping street 20% back");
    c.set_funding_account_id(Account(kHealthBudget));  // The city's points budget.
    c.set_payment_asset(kCoin);
    c.add_merchant_ids(Account(kShopCoin, 0));
    c.add_merchant_ids(Account(kShopCoin, 1));
    c.set_starts_at(now - 60 * kNanosPerSecond);
    c.set_ends_at(now + 30LL * 86400 * kNanosPerSecond);
    c.set_percent_bps(2000);
    c.set_per_person_month(500);
    c.set_budget(1'000'000);
    v1::CreateReply created;
    grpc::Status status = stub_->Call([&](LedgerConnection& conn) {
      grpc::Status s = conn.ledger().LinkAccounts(
          ContextWithDeadline(std::chrono::seconds(10)).get(), links, &created);
      if (!s.ok()) return s;
      return conn.ledger().CreateCampaign(ContextWithDeadline(std::chrono::seconds(10)).get(), c,
                                          &created);
    });
    if (!status.ok() || created.results(0).result() != v1::OK) {
      fprintf(stderr, "demo: campaign: %s %s\n", status.error_message().c_str(),
              created.results_size() ? ResultName(static_cast<Result>(created.results(0).result()))
                                     : "");
      return false;
    }
    printf(
        "campaign %u: 20 %% back in points at %s and %s for 30 days, at most 500 pt a person a "
        "month, "
        "budget 1,000,000 pt (residents 0-2 have their points wallets linked)\n",
        campaign_, kShopNames[0], kShopNames[1]);
    return true;
  }

  // After the shopping street: what the campaign awarded, net of the refund's clawback.
  bool CampaignResult() {
    v1::GetCampaignRequest request;
    request.set_campaign(campaign_);
    v1::Campaign c;
    grpc::Status status = stub_->Call([&](LedgerConnection& conn) {
      return conn.ledger().GetCampaign(ContextWithDeadline(std::chrono::seconds(10)).get(), request,
                                       &c);
    });
    if (!status.ok()) {
      fprintf(stderr, "demo: campaign status: %s\n", status.error_message().c_str());
      return false;
    }
    // 1,200 -> 240 pt; 3,400 -> 680, capped at 500, then 400 refunded: 500 x 400 / 3,400 = 58 back;
    // 980 -> 196 pt.
    const int64_t expected = 240 + (500 - 58) + 196;
    if (c.awarded() != expected || c.awards() != 3) {
      fprintf(stderr, "demo: the campaign awarded %lld pt in %llu payments, expected %lld in 3\n",
              static_cast<long long>(c.awarded()), static_cast<unsigned long long>(c.awards()),
              static_cast<long long>(expected));
      return false;
    }
    expected_points_ += c.awarded();
    // Each demo run starts its own campaign; close this one so that repeated runs do not pile up.
    v1::CloseCampaignRequest close;
    close.set_campaign(campaign_);
    v1::CreateReply closed;
    status = stub_->Call([&](LedgerConnection& conn) {
      return conn.ledger().CloseCampaign(ContextWithDeadline(std::chrono::seconds(10)).get(), close,
                                         &closed);
    });
    if (!status.ok() || closed.results(0).result() != v1::OK) return false;
    printf(
        "campaign %u: %llu payments earned points; net of the refund's clawback %lld pt "
        "(240 + 500 capped - 58 clawed back + 196); closed at the end of this demo run\n",
        campaign_, static_cast<unsigned long long>(c.awards()),
        static_cast<long long>(c.awarded()));
    return true;
  }

  // ----- the shopping street: the Pos and Wallet services with signed requests -----
  uint64_t NowMs() const {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  }

  bool PosCall(const merchant::Terminal& terminal, const char* method,
               const google::protobuf::Message& body, v1::PosReply* reply,
               v1::Result expected = v1::OK) {
    grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      v1::Pos::Stub* pos = &c.pos();
      const v1::SignedRequest request = merchant::SignRequest(terminal, method, body, NowMs());
      auto context = ContextWithDeadline(std::chrono::seconds(10));
      const std::string m = method;
      if (m == "CreatePayment") return pos->CreatePayment(context.get(), request, reply);
      if (m == "CreateMpm") return pos->CreateMpm(context.get(), request, reply);
      if (m == "RefundPayment") return pos->RefundPayment(context.get(), request, reply);
      if (m == "CloseDay") return pos->CloseDay(context.get(), request, reply);
      if (m == "CashOut") return pos->CashOut(context.get(), request, reply);
      if (m == "GetPayment") return pos->GetPayment(context.get(), request, reply);
      return pos->PaySupplier(context.get(), request, reply);
    });
    if (!status.ok() || reply->result() != expected) {
      fprintf(stderr, "demo: %s: %s%s\n", method, status.error_message().c_str(),
              status.ok() ? ResultName(static_cast<Result>(reply->result())) : "");
      return false;
    }
    return true;
  }

  bool ShoppingStreet() {
    return RegisterStreetKeys() && ChargeCustomerCodes() && PayTheMarketsCode() &&
           RefundAndCloseTheDay() && PaySupplierAndCashOut();
  }

  // The city's desk registers keys: two shop terminals, three residents' wallets; and the fee
  // schedule.
  bool RegisterStreetKeys() {
    soba_ = merchant::Terminal{Account(kShopCoin, 0), "REG-1", wallet::GenerateKeyPair()};
    market_ = merchant::Terminal{Account(kShopCoin, 1), "REG-1", wallet::GenerateKeyPair()};
    street_wallets_.clear();
    v1::RegisterKeysRequest keys;
    for (const merchant::Terminal* t : {&soba_, &market_}) {
      v1::PublicKey* key = keys.add_keys();
      key->set_account_id(t->merchant_id);
      key->set_key_id(t->terminal_id);
      key->set_public_key(t->keys.public_key);
    }
    for (uint32_t r = 0; r < 3; ++r) {
      street_wallets_.push_back(wallet::GenerateKeyPair());
      v1::PublicKey* key = keys.add_keys();
      key->set_account_id(Account(kResidentCoin, r));
      key->set_public_key(street_wallets_.back().public_key);
    }
    v1::SetFeesRequest fees;
    v1::FeeSchedule* schedule = fees.add_schedules();
    schedule->set_asset(kCoin);
    schedule->set_issuer_account_id(Account(kCityIssuer));
    schedule->set_fee_account_id(Account(kFees));
    schedule->set_cashout_bps(150);
    schedule->set_member_cashout_bps(100);
    schedule->set_supplier_bps(50);
    // The city's register: the soba shop is a chamber member (the member cash-out rate) and also
    // takes health points, into its points account. Resident 0 pays points with the same wallet
    // key.
    v1::SetMerchantProfilesRequest profiles;
    v1::MerchantProfile* profile = profiles.add_profiles();
    profile->set_merchant_id(soba_.merchant_id);
    profile->set_chamber_member(true);
    profile->add_accepts_account_ids(Account(kShopPoints, 0));
    v1::PublicKey* points_key = keys.add_keys();
    points_key->set_account_id(Account(kResidentPoints, 0));
    points_key->set_public_key(street_wallets_[0].public_key);
    v1::CreateReply created;
    grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      grpc::Status s = c.ledger().RegisterKeys(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                               keys, &created);
      if (!s.ok()) return s;
      return c.ledger().SetMerchantProfiles(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                            profiles, &created);
    });
    if (!status.ok()) {
      fprintf(stderr, "demo: keys and profiles: %s\n", status.error_message().c_str());
      return false;
    }
    if (!ProposeAndApprove("SetFees", fees, "coin fees")) return false;
    printf(
        "keys registered: 2 shop terminals, 3 wallets; fees: cash-out 1.5 %% (chamber members 1 "
        "%%: %s), "
        "B2B 0.5 %%\n",
        kShopNames[0]);
    return true;
  }

  // Residents show one-time codes; the terminals charge them.
  bool ChargeCustomerCodes() {
    v1::PosReply reply;
    auto charge = [&](const merchant::Terminal& t, uint32_t resident, const char* id,
                      int64_t amount) {
      v1::CreatePaymentRequest body;
      body.set_payment_id(id);
      body.set_amount(amount);
      body.set_cpm(*wallet::IssueCpm(street_wallets_[resident], Account(kResidentCoin, resident),
                                     1000 + resident, NowMs()));
      if (!PosCall(t, "CreatePayment", body, &reply)) return false;
      printf("  %-14s charged resident %u's code: %s %lld coin\n",
             &t == &soba_ ? kShopNames[0] : kShopNames[1], resident, id,
             static_cast<long long>(amount));
      return true;
    };
    if (!charge(soba_, 0, "street-1", 1200) || !charge(market_, 1, "street-2", 3400)) return false;
    {  // Resident 0 pays 100 of the points the campaign just gave her, at the same soba terminal.
      v1::CreatePaymentRequest body;
      body.set_payment_id("street-4");
      body.set_amount(100);
      body.set_cpm(
          *wallet::IssueCpm(street_wallets_[0], Account(kResidentPoints, 0), 3000, NowMs()));
      if (!PosCall(soba_, "CreatePayment", body, &reply)) return false;
      printf(
          "  %-14s takes health points too: resident 0 paid 100 points (into its points account)\n",
          kShopNames[0]);
    }
    return true;
  }

  // The market registers a dynamic code with the ledger and shows it; resident 2 pays it from the
  // wallet; the terminal sees it.
  bool PayTheMarketsCode() {
    v1::CreateMpmRequest order;
    order.set_payment_id("street-3");
    order.set_amount(980);
    order.set_merchant_category("5411");
    order.set_merchant_name("Sakura Market");
    order.set_merchant_city("Tsuruoka");
    v1::PosReply reply;
    if (!PosCall(market_, "CreateMpm", order, &reply)) return false;
    v1::PayMpmRequest pay;
    pay.set_payload(reply.mpm_payload());
    v1::WalletReply paid;
    const grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      const auto request = wallet::SignWalletRequest(street_wallets_[2], Account(kResidentCoin, 2),
                                                     "PayMpm", pay, NowMs(), 2002);
      return c.wallet().PayMpm(ContextWithDeadline(std::chrono::seconds(10)).get(), request, &paid);
    });
    if (!status.ok() || paid.result() != v1::OK) {
      fprintf(stderr, "demo: pay the shop's code: %s\n", status.error_message().c_str());
      return false;
    }
    v1::PaymentIdRequest which;
    which.set_payment_id("street-3");
    if (!PosCall(market_, "GetPayment", which, &reply)) return false;
    printf(
        "  %-14s registered a code for 980 with the ledger and showed it; resident 2 paid it "
        "(terminal sees: %s)\n",
        kShopNames[1], reply.payment().state().c_str());
    return true;
  }

  // The market refunds part of a payment, then closes its day.
  bool RefundAndCloseTheDay() {
    v1::PosReply reply;
    v1::RefundPaymentRequest refund;
    refund.set_payment_id("street-2");
    refund.set_refund_id("street-2-r1");
    refund.set_amount(400);
    if (!PosCall(market_, "RefundPayment", refund, &reply)) return false;
    printf("  %-14s refunded 400 of street-2\n", kShopNames[1]);

    v1::CloseDayRequest close;
    close.set_business_day(reply.payment().business_day());
    if (!PosCall(market_, "CloseDay", close, &reply)) return false;
    for (const auto& day : reply.day()) {
      printf("  %-14s day %u %-6s payments %llu gross %lld refunds %lld net %lld\n", kShopNames[1],
             close.business_day(), day.terminal_id().empty() ? "total" : day.terminal_id().c_str(),
             static_cast<unsigned long long>(day.payments()), static_cast<long long>(day.gross()),
             static_cast<long long>(day.refunded()), static_cast<long long>(day.net()));
    }
    return true;
  }

  // The market pays a supplier in coin (the B2B fee); the soba shop cashes out to yen (the member
  // fee).
  bool PaySupplierAndCashOut() {
    v1::PosReply reply;
    v1::SupplierPaymentRequest supplier;
    supplier.set_payment_id("inv-1");
    supplier.set_supplier_account_id(Account(kShopCoin, 3));
    supplier.set_amount(2000);
    if (!PosCall(market_, "PaySupplier", supplier, &reply)) return false;
    printf("  %-14s paid its supplier %s 2000 coin (B2B fee %lld)\n", kShopNames[1], kShopNames[3],
           static_cast<long long>(reply.fee()));
    street_fees_ += reply.fee();

    v1::CashOutRequest cashout;
    cashout.set_cashout_id("co-1");
    cashout.set_amount(1000);
    cashout.set_member(true);
    if (!PosCall(soba_, "CashOut", cashout, &reply)) return false;
    printf(
        "  %-14s cashed out 1000 coin to yen (chamber member fee %lld): %lld coin back to the "
        "city\n",
        kShopNames[0], static_cast<long long>(reply.fee()),
        static_cast<long long>(1000 - reply.fee()));
    street_fees_ += reply.fee();
    retired_ += 1000 - reply.fee();
    return true;
  }

  // The journal head this run ended on, and how to find the town's accounts.
  bool PrintJournalHead() {
    v1::GetDigestReply digest;
    grpc::Status status = stub_->Call([&](LedgerConnection& c) {
      return c.ledger().GetDigest(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                  v1::GetDigestRequest(), &digest);
    });
    if (!status.ok()) return false;
    std::string hash;
    for (unsigned char c : digest.head_hash())
      absl::StrAppend(&hash, absl::Hex(c, absl::kZeroPad2));
    printf("\njournal index %llu, head hash %s\n",
           static_cast<unsigned long long>(digest.journal_index()), hash.c_str());
    printf(
        "town tag %llx: account ids are %016llx<role:8 hex><index:8 hex>, e.g. resident 0's coin "
        "wallet %s\n",
        static_cast<unsigned long long>(tag_), static_cast<unsigned long long>(tag_),
        Id128{tag_, (uint64_t{kResidentCoin} << 32)}.ToHex().c_str());
    return true;
  }

  bool Summary() {
    const int64_t issuer = Balance(Account(kCityIssuer));
    const int64_t budget = Balance(Account(kPremiumBudget)) + Balance(Account(kHealthCoinBudget)) +
                           Balance(Account(kTaskSubsidy)) + Balance(Account(kTaskEscrow));
    const int64_t wallets = SumBalances(kResidentCoin, residents_) + Balance(Account(kVisitor));
    const int64_t shops = SumBalances(kShopCoin, kShops) + SumBalances(kStallCoin, kStalls);
    const int64_t points_budget = Balance(Account(kHealthBudget));
    // Points are held in residents' wallets and by shops that take points (the soba shop, on the
    // street).
    const int64_t points_in_wallets = SumBalances(kResidentPoints, residents_);
    const int64_t points_in_shops = SumBalances(kShopPoints, kShops);
    const int64_t points_held = points_in_wallets + points_in_shops;
    const int64_t promo_issuer = Balance(Account(kPromoIssuer));
    const int64_t promo_wallets =
        SumBalances(kResidentPromo, std::min(kPromoResidents, residents_));
    const int64_t promo_breakage = Balance(IdBytes(0, 0xb3)) - breakage_before_;

    printf("\n== Summary (this run's town)\n");
    printf("%-6s %14s %14s %14s %14s\n", "asset", "issued", "in wallets", "shops+stalls", "other");
    printf("%-6s %14lld %14lld %14lld %14lld  (budgets left)\n", "COIN",
           static_cast<long long>(-issuer), static_cast<long long>(wallets),
           static_cast<long long>(shops), static_cast<long long>(budget));
    printf("%-6s %14lld %14lld %14lld %14s\n", "HP", static_cast<long long>(-points_budget),
           static_cast<long long>(points_in_wallets), static_cast<long long>(points_in_shops), "0");
    printf("%-6s %14lld %14lld %14lld %14lld  (lapsed to breakage)\n", "PROMO",
           static_cast<long long>(-promo_issuer), static_cast<long long>(promo_wallets), 0LL,
           static_cast<long long>(promo_breakage));
    for (int s = 0; s < kShops; ++s) {
      printf("  %-16s (%-11s) takings %lld coin\n", kShopNames[s], kShopCategories[s],
             static_cast<long long>(Balance(Account(kShopCoin, s))));
    }
    printf("  %-16s (%-11s) takings %lld coin, after seedlings and cash-outs\n",
           absl::StrCat(kStalls, " market stalls").c_str(), "farm",
           static_cast<long long>(SumBalances(kStallCoin, kStalls)));

    bool ok = true;
    auto expect = [&](const char* what, int64_t actual, int64_t expected) {
      if (actual != expected) {
        fprintf(stderr, "demo: MISMATCH %s: %lld, expected %lld\n", what,
                static_cast<long long>(actual), static_cast<long long>(expected));
        ok = false;
      }
    };
    const int64_t fees = Balance(Account(kFees));
    expect("coin conserved (issued = wallets + shops + budget + fees)", -issuer,
           wallets + shops + budget + fees);
    expect("coin issued (minus what shops cashed out)", -issuer,
           expected_coin_in_wallets_ - retired_ + health_coin_budget_left_ + task_subsidy_funded_ +
               farm_charged_);
    expect("shopping street fees", fees, street_fees_);
    expect("premium budget spent", Balance(Account(kPremiumBudget)), 0);
    expect("health coin budget left", Balance(Account(kHealthCoinBudget)),
           health_coin_budget_left_);
    expect("the visitor's wallet", Balance(Account(kVisitor)), visitor_balance_);
    expect("task escrow (paid out as confirmed)", Balance(Account(kTaskEscrow)), 0);
    expect("points conserved", -points_budget, points_held);
    expect("points issued", points_held, expected_points_);
    expect("promo lapsed to breakage", promo_breakage, promo_issued_);
    expect("promo wallets emptied", promo_wallets, 0);

    if (!PrintJournalHead()) return false;
    printf(ok ? "demo town: all figures check out\n" : "demo town: FIGURES DO NOT MATCH\n");
    return ok;
  }

  LedgerConnection* stub_;
  Operators operators_;
  uint64_t proposal_sequence_ = 0;
  uint64_t tag_;
  int residents_;
  std::mt19937_64 rng_;
  uint64_t transfer_sequence_ = 0;
  int64_t expected_coin_in_wallets_ = 0;
  int64_t farm_charged_ = 0;  // Coin the farm charged for its task escrow (a small town).
  int64_t expected_points_ = 0;
  uint32_t program_ = 0;
  // Health mileage: each walker's wallet key and phone key, the points she earned, and all points
  // awarded.
  std::vector<wallet::KeyPair> walker_keys_, phones_;
  std::vector<int64_t> earned_;
  int64_t health_awarded_ = 0;
  // The workcation: the farm (a stall), its terminal and tablet, and the visitor's wallet key.
  int farm_ = 0;
  merchant::Terminal farm_terminal_;
  wallet::KeyPair farm_tablet_, visitor_key_;
  // The shopping street: two shop terminals and three residents' wallet keys.
  merchant::Terminal soba_, market_;
  std::vector<wallet::KeyPair> street_wallets_;
  uint32_t campaign_ = 0;
  std::map<std::pair<int, int64_t>, int64_t> day_points_;  // (walker, day index) -> points.
  int64_t health_coin_funded_ = 0;
  int64_t task_subsidy_funded_ = 0;
  int64_t visitor_balance_ = 0;
  int64_t health_coin_budget_left_ = 0;
  int64_t promo_issued_ = 0;
  int64_t breakage_before_ = 0;
  int64_t street_fees_ = 0;
  int64_t retired_ = 0;  // Coin cashed out: back at the issuer.
};

// The same transport acting as operator `name`: under TLS its certificate beside the given one
// (var/pki/operators/NAME.crt and .key, which ops/run makes); in plaintext, the x-ledger-operator
// name.
absl::StatusOr<Transport> AsOperator(Transport transport, const std::string& name) {
  if (transport.plaintext) {
    transport.operator_name = name;
    return transport;
  }
  const std::string dir = std::filesystem::path(transport.cert_file).parent_path().string();
  transport.cert_file = dir + "/" + name + ".crt";
  transport.key_file = dir + "/" + name + ".key";
  if (absl::Status loaded = LoadTransport(&transport); !loaded.ok()) return loaded;
  return transport;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "demo_town: runs a small city on a running ledgerd through its gRPC API.\n"
      "Usage: demo_town [--addr=127.0.0.1:7400] [--operator_addr=127.0.0.1:7402] "
      "[--tls_ca=var/pki/ca.crt] [--tls_cert=var/pki/operators/demo.crt] "
      "[--tls_key=var/pki/operators/demo.key] [--residents=300]\n"
      "       demo_town --plaintext [--operator_token_file=var/ledger/operator.token] ...");
  absl::ParseCommandLine(argc, argv);
  const int residents = absl::GetFlag(FLAGS_residents);
  if (residents < 20 || residents > 8000) {
    fprintf(stderr, "demo: --residents must be 20..8000, got %d\n", residents);
    return 2;
  }
  absl::StatusOr<Transport> transport = TransportFromFlags();
  if (!transport.ok()) {
    fprintf(stderr, "demo: %s\n", std::string(transport.status().message()).c_str());
    return 2;
  }
  const std::string addr = absl::GetFlag(FLAGS_addr);
  auto stub =
      std::make_unique<LedgerConnection>(addr, OperatorAddressesFromFlags(addr), *transport);
  absl::Status ready = FromGrpcStatus(stub->Call(
      [](LedgerConnection& c) {
        v1::GetDigestReply reply;
        return c.ledger().GetDigest(ContextWithDeadline(std::chrono::seconds(2)).get(),
                                    v1::GetDigestRequest(), &reply);
      },
      std::chrono::seconds(20)));
  if (!ready.ok()) {
    fprintf(stderr, "demo: %s\n", ready.ToString().c_str());
    return 1;
  }
  v1::GetDigestReply digest;
  grpc::Status status = stub->Call([&](LedgerConnection& c) {
    return c.ledger().GetDigest(ContextWithDeadline(std::chrono::seconds(10)).get(),
                                v1::GetDigestRequest(), &digest);
  });
  if (!status.ok()) return 1;
  // A fresh tag per run: the journal index is unique and growing.
  const uint64_t tag = 0x7000000000000000ULL | (digest.journal_index() + 1);
  std::vector<std::unique_ptr<LedgerConnection>> as;
  for (const char* name : {"city-treasurer", "deputy-treasurer", "registrar", "programme-admin"}) {
    absl::StatusOr<Transport> operator_transport = AsOperator(*transport, name);
    if (!operator_transport.ok()) {
      fprintf(stderr, "demo: %s\n", std::string(operator_transport.status().message()).c_str());
      return 2;
    }
    as.push_back(std::make_unique<LedgerConnection>(addr, OperatorAddressesFromFlags(addr),
                                                    *operator_transport));
  }
  Town town(stub.get(), {as[0].get(), as[1].get(), as[2].get(), as[3].get()}, tag, residents,
            absl::GetFlag(FLAGS_seed));
  return town.Run() ? 0 : 1;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) { return ledger::Main(argc, argv); }
