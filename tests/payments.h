// Shared by the multi-process tests: transfer builders and the seed/environment convention.
#ifndef TESTS_PAYMENTS_H_
#define TESTS_PAYMENTS_H_

#include <cstdint>
#include <cstdlib>
#include <random>

#include "ledger/client/client.h"
#include "proto/ledger.pb.h"

namespace ledger::testing {

// The number in environment variable `name`, or `fallback` when it is not set.
inline uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr ? std::strtoull(text, nullptr, 10) : fallback;
}

// LEDGER_TEST_SEED, or a fresh random seed (tests print it so that a run's choices can be
// replayed).
inline uint64_t SeedFromEnv() { return EnvOr("LEDGER_TEST_SEED", std::random_device{}()); }

// A single-phase transfer with id (high, low) between small-integer account ids, code 1.
inline v1::Transfer MakeTransfer(uint64_t high, uint64_t low, uint64_t debit, uint64_t credit,
                                 int64_t amount) {
  v1::Transfer transfer;
  transfer.set_id(IdBytes(high, low));
  transfer.set_debit_account_id(IdBytes(debit));
  transfer.set_credit_account_id(IdBytes(credit));
  transfer.set_amount(amount);
  transfer.set_code(1);
  return transfer;
}

// The town of the multi-process tests: asset 1 (COIN, breakage account 2), the issuer, and
// `wallets` NON_NEGATIVE wallets with ids first_wallet.. each funded with `funding` (transfer ids
// (0, 1..wallets)).
struct Town {
  v1::CreateAssetsRequest assets;
  v1::CreateAccountsRequest accounts;
  v1::CreateTransfersRequest funding;
};

inline Town MakeTown(uint64_t issuer, uint64_t first_wallet, int wallets, int64_t funding) {
  Town town;
  v1::Asset* coin = town.assets.add_assets();
  coin->set_id(1);
  coin->set_code("COIN");
  coin->set_breakage_account_id(IdBytes(2));
  v1::Account* issuer_account = town.accounts.add_accounts();
  issuer_account->set_id(IdBytes(issuer));
  issuer_account->set_asset(1);
  issuer_account->set_kind(v1::ISSUER);
  for (int i = 0; i < wallets; ++i) {
    v1::Account* wallet = town.accounts.add_accounts();
    wallet->set_id(IdBytes(first_wallet + i));
    wallet->set_asset(1);
    wallet->set_kind(v1::WALLET);
    wallet->set_flags(v1::NON_NEGATIVE);
    *town.funding.add_transfers() = MakeTransfer(0, 1 + i, issuer, first_wallet + i, funding);
  }
  return town;
}

}  // namespace ledger::testing

#endif  // TESTS_PAYMENTS_H_
