// Reading a secret (a key passphrase, a card PIN) for the command-line tools.
#ifndef WALLET_PROMPT_H_
#define WALLET_PROMPT_H_

#include <string>

namespace wallet {

// The value of the environment variable `env_var` if it is set; otherwise prints `prompt` on stderr
// and reads one line from stdin, without echo when stdin is a terminal.
std::string ReadSecret(const char* env_var, const std::string& prompt);

}  // namespace wallet

#endif  // WALLET_PROMPT_H_
