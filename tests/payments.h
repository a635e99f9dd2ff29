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

// LEDGER_TEST_SEED, or a fresh random seed (tests print it so that a run's choices can be replayed).
inline uint64_t SeedFromEnv() { return EnvOr("LEDGER_TEST_SEED", std::random_device{}()); }

// A single-phase transfer with id (high, low) between small-integer account ids, code 1.
inline v1::Transfer MakeTransfer(uint64_t high, uint64_t low, uint64_t debit, uint64_t credit, int64_t amount) {
  v1::Transfer transfer;
  transfer.set_id(IdBytes(high, low));
  transfer.set_debit_account_id(IdBytes(debit));
  transfer.set_credit_account_id(IdBytes(credit));
  transfer.set_amount(amount);
  transfer.set_code(1);
  return transfer;
}

}  // namespace ledger::testing

#endif  // TESTS_PAYMENTS_H_
