// QR rendering: see qr.h.
#include "formats/qr.h"

#include <qrencode.h>
#include <zlib.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "ledger/core/limits.h"

namespace wallet {
namespace {

constexpr int kQuietZone = 4;
constexpr size_t kTextBytesMax = ledger::kQrTextBytesMax;

void PutU32(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

void Chunk(std::string* png, const char* type, const std::string& data) {
  PutU32(png, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  png->append(body);
  PutU32(png,
         static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

}  // namespace

absl::StatusOr<std::vector<std::vector<bool>>> QrModules(std::string_view text) {
  if (text.empty() || text.size() > kTextBytesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("qr text: 1 to ", kTextBytesMax, " bytes, got ", text.size()));
  }
  const std::string copy(text);  // NUL-terminated for libqrencode.
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeData(static_cast<int>(copy.size()),
                        reinterpret_cast<const unsigned char*>(copy.data()), 0, QR_ECLEVEL_M),
      QRcode_free);
  if (!code) return absl::InternalError("qr: libqrencode could not encode the text");
  std::vector<std::vector<bool>> modules(code->width, std::vector<bool>(code->width));
  for (int y = 0; y < code->width; ++y) {
    for (int x = 0; x < code->width; ++x) modules[y][x] = code->data[y * code->width + x] & 1;
  }
  return modules;
}

absl::StatusOr<std::string> QrTerminal(std::string_view text) {
  absl::StatusOr<std::vector<std::vector<bool>>> modules = QrModules(text);
  if (!modules.ok()) return modules.status();
  const int width = static_cast<int>(modules->size());
  const int side = width + 2 * kQuietZone;
  auto dark = [&](int y, int x) {
    y -= kQuietZone;
    x -= kQuietZone;
    return y >= 0 && x >= 0 && y < width && x < width && (*modules)[y][x];
  };
  // Light is drawn (full block), dark is left blank: reads as dark-on-light on a dark terminal
  // theme.
  std::string out;
  for (int y = 0; y < side; y += 2) {
    for (int x = 0; x < side; ++x) {
      const bool top = !dark(y, x), bottom = y + 1 < side ? !dark(y + 1, x) : false;
      out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    out += '\n';
  }
  return out;
}

absl::StatusOr<std::string> QrPng(std::string_view text, int scale) {
  if (scale < 1 || scale > ledger::kQrScaleMax)
    return absl::InvalidArgumentError(
        absl::StrCat("scale: 1 to ", ledger::kQrScaleMax, ", got ", scale));
  absl::StatusOr<std::vector<std::vector<bool>>> modules = QrModules(text);
  if (!modules.ok()) return modules.status();
  const int width = static_cast<int>(modules->size());
  const int pixels = (width + 2 * kQuietZone) * scale;
  std::string raw;
  raw.reserve(static_cast<size_t>(pixels) * (pixels + 1));
  for (int py = 0; py < pixels; ++py) {
    raw.push_back('\0');  // Filter: none.
    const int y = py / scale - kQuietZone;
    for (int px = 0; px < pixels; ++px) {
      const int x = px / scale - kQuietZone;
      const bool dark = y >= 0 && x >= 0 && y < width && x < width && (*modules)[y][x];
      raw.push_back(dark ? '\0' : '\xff');
    }
  }
  uLongf compressed_size = compressBound(raw.size());
  std::string compressed(compressed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
                reinterpret_cast<const Bytef*>(raw.data()), raw.size(),
                Z_BEST_COMPRESSION) != Z_OK) {
    return absl::InternalError("qr: zlib could not compress the image");
  }
  compressed.resize(compressed_size);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  PutU32(&header, static_cast<uint32_t>(pixels));
  PutU32(&header, static_cast<uint32_t>(pixels));
  header +=
      std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit, greyscale, deflate, filter 0, no interlace.
  Chunk(&png, "IHDR", header);
  Chunk(&png, "IDAT", compressed);
  Chunk(&png, "IEND", "");
  return png;
}

}  // namespace wallet
