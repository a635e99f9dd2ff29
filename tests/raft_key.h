// A cluster secret for test clusters: ledgerd --raft_id needs --raft_key_file (README "Security").
#ifndef TESTS_RAFT_KEY_H_
#define TESTS_RAFT_KEY_H_

#include <string>

namespace ledger::testing {

// Writes a fresh key file (mode 0600) at DIR/raft.key and returns "--raft_key_file=DIR/raft.key".
std::string RaftKeyFlag(const std::string& dir);

}  // namespace ledger::testing

#endif  // TESTS_RAFT_KEY_H_
