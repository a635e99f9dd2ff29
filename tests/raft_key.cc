#include "tests/raft_key.h"

#include <sys/stat.h>

#include <fstream>

#include "ledger/replication/secure_channel.h"

namespace ledger::testing {

std::string RaftKeyFlag(const std::string& dir) {
  const std::string path = dir + "/raft.key";
  {
    std::ofstream out(path, std::ios::trunc);
    chmod(path.c_str(), 0600);
    out << ledger::NewRaftKeyText();
  }
  chmod(path.c_str(), 0600);
  return "--raft_key_file=" + path;
}

}  // namespace ledger::testing
