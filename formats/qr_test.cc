// QR rendering: module matrix, terminal text, and a PNG that is well-formed and shows the finder
// pattern.
#include "formats/qr.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace wallet {
namespace {

uint32_t U32(const std::string& s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) | static_cast<uint8_t>(s[at + 3]);
}

TEST(QrTest, ModulesHaveFinderPatterns) {
  auto modules = QrModules("LC1ABCDEFGHIJKLMNOP");
  ASSERT_TRUE(modules.ok()) << modules.status();
  const int width = static_cast<int>(modules->size());
  EXPECT_EQ((width - 17) % 4, 0) << "a QR side is 17 + 4 * version";
  for (int i = 0; i < 7; ++i) {  // The top-left finder's outer ring is dark.
    EXPECT_TRUE((*modules)[0][i]);
    EXPECT_TRUE((*modules)[i][0]);
    EXPECT_TRUE((*modules)[6][i]);
  }
  EXPECT_FALSE((*modules)[1][1]);  // Its light ring.
  EXPECT_FALSE(QrModules("").ok());
  EXPECT_FALSE(QrModules(std::string(5000, 'A')).ok());
}

TEST(QrTest, TerminalHasOneLinePerTwoRowsWithQuietZone) {
  auto modules = QrModules("hello");
  auto text = QrTerminal("hello");
  ASSERT_TRUE(text.ok());
  const int side = static_cast<int>(modules->size()) + 8;
  int lines = 0;
  for (char c : *text) lines += c == '\n';
  EXPECT_EQ(lines, (side + 1) / 2);
  EXPECT_EQ(text->substr(0, 3),
            "\u2588");  // Top-left corner is quiet zone: light, drawn as a full block.
}

TEST(QrTest, PngIsWellFormed) {
  auto modules = QrModules("00020101021226570012JP.LOCALCOIN");
  auto png = QrPng("00020101021226570012JP.LOCALCOIN", 4);
  ASSERT_TRUE(png.ok()) << png.status();
  ASSERT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const uint32_t pixels = (static_cast<uint32_t>(modules->size()) + 8) * 4;
  std::string idat;
  size_t at = 8;
  bool ended = false;
  while (at + 12 <= png->size()) {
    const uint32_t length = U32(*png, at);
    const std::string type = png->substr(at + 4, 4);
    const std::string body = png->substr(at + 4, 4 + length);
    EXPECT_EQ(
        U32(*png, at + 8 + length),
        static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())))
        << type << " chunk CRC";
    if (type == "IHDR") {
      EXPECT_EQ(U32(*png, at + 8), pixels);
      EXPECT_EQ(U32(*png, at + 12), pixels);
    }
    if (type == "IDAT") idat += png->substr(at + 8, length);
    if (type == "IEND") ended = true;
    at += 12 + length;
  }
  EXPECT_TRUE(ended);
  std::string raw(static_cast<size_t>(pixels) * (pixels + 1), '\0');
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                       reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
            Z_OK);
  ASSERT_EQ(raw_size, raw.size());
  auto pixel = [&](uint32_t x, uint32_t y) {
    return static_cast<uint8_t>(raw[y * (pixels + 1) + 1 + x]);
  };
  EXPECT_EQ(pixel(0, 0), 255);                  // Quiet zone.
  EXPECT_EQ(pixel(4 * 4, 4 * 4), 0);            // First module of the finder pattern.
  EXPECT_EQ(pixel(5 * 4 + 1, 5 * 4 + 1), 255);  // Its light ring.
}

}  // namespace
}  // namespace wallet
