// The authority table: for every method of the public services (Pos, Wallet, Health) and the
// operator services (Ledger, Cluster), who may issue it and what it may touch. One place: the
// README's table in "Security" is made from it (AuthorityReadmeTable), and tests/authority_e2e_test
// sends every method as every other role and expects a refusal that decides nothing.
//
// To add a method: add a row here (in the README's order: consecutive rows with the same roles,
// detail and accounts share one README line), a request for it in authority_e2e_test.cc
// (Requests()), and paste the table the test prints into the README.
#ifndef TESTS_AUTHORITY_TABLE_H_
#define TESTS_AUTHORITY_TABLE_H_

#include <string>
#include <vector>

namespace ledger::testing {

// Who holds the credential a request is checked against.
enum class Role {
  kOperator,  // The operator token (Ledger, Cluster).
  kTerminal,  // An ordinary terminal of a shop (its registered Ed25519 key).
  kManager,   // A manager terminal of a shop (PublicKey.manager).
  kWallet,    // A resident's wallet key (her coin and points wallets).
  kDevice,    // A step-counting device she registered (Health.RegisterDevice).
  kWatcher,   // A wallet she named as a watcher (Health.SetWatchOver).
  kHost,      // A terminal of a task's host (a merchant).
  kVisitor,   // A task visitor's wallet key.
};
inline constexpr Role kAllRoles[] = {Role::kOperator, Role::kTerminal, Role::kManager,
                                     Role::kWallet,   Role::kDevice,   Role::kWatcher,
                                     Role::kHost,     Role::kVisitor};

// The README's words for a role ("a terminal of the shop") and a short name for messages
// ("terminal").
std::string RoleWords(Role role);
std::string RoleName(Role role);

struct AuthorityRow {
  std::string method;   // "Service.Method", as in the proto.
  bool writes = true;   // Changes state; reads are listed (every method is) but not in the README.
  std::string command;  // The core command it submits, maybe with a note ("PosPayment (card)"); ""
                        // for none.
  std::vector<Role> roles;  // Who may issue it (any of these, for the row's own shop, wallet, ...).
  std::string detail;       // What else the request needs, after the roles in the README.
  std::string touches;      // Which accounts it may touch.
};

// Every method of the five services, in the README's order (writes), then the reads.
const std::vector<AuthorityRow>& AuthorityTable();

// The README's table, made from the rows that write: a header and one line per run of consecutive
// rows with the same roles, detail and accounts.
std::string AuthorityReadmeTable();

}  // namespace ledger::testing

#endif  // TESTS_AUTHORITY_TABLE_H_
