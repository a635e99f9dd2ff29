#include "wallet/prompt.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace wallet {

std::string ReadSecret(const char* env_var, const std::string& prompt) {
  if (const char* from_env = std::getenv(env_var)) return from_env;
  std::fprintf(stderr, "%s", prompt.c_str());
  termios old_settings{};
  const bool tty = tcgetattr(STDIN_FILENO, &old_settings) == 0;
  if (tty) {
    termios quiet = old_settings;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) tcsetattr(STDIN_FILENO, TCSANOW, &old_settings);
  std::fprintf(stderr, "\n");
  return line;
}

}  // namespace wallet
