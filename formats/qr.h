// QR codes for payment codes and payloads (libqrencode): as text for a terminal and as a PNG file.
#ifndef FORMATS_QR_H_
#define FORMATS_QR_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace wallet {

// The module matrix: true = dark. Error correction level M, byte mode. Square, side 21..177.
absl::StatusOr<std::vector<std::vector<bool>>> QrModules(std::string_view text);

// Two module rows per text line with Unicode half blocks, dark on light, 4-module quiet zone:
// scannable from a terminal with a light-on-dark or dark-on-light theme alike (the quiet zone is
// drawn).
absl::StatusOr<std::string> QrTerminal(std::string_view text);

// An 8-bit greyscale PNG, `scale` pixels per module, 4-module quiet zone.
absl::StatusOr<std::string> QrPng(std::string_view text, int scale = 8);

}  // namespace wallet

#endif  // FORMATS_QR_H_
