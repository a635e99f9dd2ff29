#include "ledger/core/command.h"

namespace ledger {

std::string_view CommandName(const Command& command) {
  return std::visit([](const auto& c) { return CommandTraits<std::decay_t<decltype(c)>>::kName; },
                    command);
}

CommandClass CommandClassOf(const Command& command) {
  return std::visit([](const auto& c) { return CommandTraits<std::decay_t<decltype(c)>>::kClass; },
                    command);
}

}  // namespace ledger
