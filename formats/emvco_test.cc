// EMVCo MPM payloads: CRC, round trips, and every refusal naming what is wrong.
#include "formats/emvco.h"

#include <gtest/gtest.h>

#include <random>

namespace merchant {
namespace {

constexpr char kAccount[] = "70000000000000010000000200000003";

MpmPayload Dynamic() {
  MpmPayload p;
  p.merchant_account = kAccount;
  p.payment_id = "order-2026-11-23-0001";
  p.amount = 1200;
  p.merchant_category = "5411";
  p.merchant_name = "Sakura Market";
  p.merchant_city = "Tsuruoka";
  p.terminal_label = "REG-1";
  return p;
}

std::string ErrorOf(std::string_view text) {
  absl::StatusOr<MpmPayload> parsed = ParseMpm(text);
  EXPECT_FALSE(parsed.ok()) << text;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST(EmvcoTest, CrcIsCcittFalse) {
  EXPECT_EQ(Crc16Ccitt("123456789"), 0x29B1);  // The standard check value of CRC-16/CCITT-FALSE.
  EXPECT_EQ(Crc16Ccitt(""), 0xFFFF);
}

TEST(EmvcoTest, DynamicRoundTripMatchesAnIndependentEncoder) {
  absl::StatusOr<std::string> text = BuildMpm(Dynamic());
  ASSERT_TRUE(text.ok()) << text.status();
  // The same payload written by hand (and its CRC by Python's binascii.crc_hqx(…, 0xFFFF)); it is
  // also the fuzz corpus file testdata/emvco_corpus/dynamic.
  EXPECT_EQ(*text,
            "00020101021226570012JP.LOCALCOIN0132700000000000000100000002000000030201127410012JP."
            "LOCALCOIN"
            "0121order-2026-11-23-0001520454115303392540412005802JP5913Sakura Market6008Tsuruoka"
            "62090705REG-16304ECF2");
  absl::StatusOr<MpmPayload> back = ParseMpm(*text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->dynamic);
  EXPECT_EQ(back->merchant_account, kAccount);
  EXPECT_EQ(back->asset, 1u);
  EXPECT_EQ(back->payment_id, "order-2026-11-23-0001");
  EXPECT_EQ(back->amount, 1200);
  EXPECT_EQ(back->merchant_name, "Sakura Market");
  EXPECT_EQ(back->merchant_city, "Tsuruoka");
  EXPECT_EQ(back->terminal_label, "REG-1");
}

TEST(EmvcoTest, StaticPayloadHasNoAmount) {
  MpmPayload p = Dynamic();
  p.dynamic = false;
  p.payment_id.clear();
  p.amount = 0;
  absl::StatusOr<std::string> text = BuildMpm(p);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->find("54"),
            text->find("5411") == std::string::npos ? std::string::npos : text->find("54"));
  absl::StatusOr<MpmPayload> back = ParseMpm(*text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->dynamic);
  EXPECT_EQ(back->amount, 0);
  p.amount = 5;
  EXPECT_FALSE(BuildMpm(p).ok());
}

TEST(EmvcoTest, OtherSchemesTemplatesAreSkipped) {
  // Tag 29 from another scheme before ours (as on a JPQR sticker carrying several schemes).
  const std::string text =
      "00020101021229340016A0000006770101110110012345678926570012JP."
      "LOCALCOIN013270000000000000010000000200"
      "0000030201127210012JP.LOCALCOIN0101x520454115303392540115802JP5912Yunohama "
      "Inn6008Yunohama63043F06";
  absl::StatusOr<MpmPayload> back = ParseMpm(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->merchant_name, "Yunohama Inn");
  EXPECT_EQ(back->amount, 1);
}

TEST(EmvcoTest, EveryTamperedCharacterIsCaught) {
  const std::string text = *BuildMpm(Dynamic());
  for (size_t i = 0; i < text.size() - 4; ++i) {
    std::string tampered = text;
    tampered[i] = tampered[i] == '1' ? '2' : '1';
    EXPECT_FALSE(ParseMpm(tampered).ok()) << "position " << i;
  }
  std::string wrong_crc = text;
  wrong_crc.replace(wrong_crc.size() - 4, 4, "0000");
  EXPECT_EQ(ErrorOf(wrong_crc), "tag 63: CRC 0000 does not match the payload (expected ECF2)");
}

TEST(EmvcoTest, RefusalsNameTheFieldAndTheLimit) {
  MpmPayload p = Dynamic();
  p.payment_id = std::string(65, 'a');
  EXPECT_EQ(BuildMpm(p).status().message(),
            "payment_id: 1 to 64 printable ASCII characters, got 65");
  p = Dynamic();
  p.amount = 0;
  EXPECT_EQ(BuildMpm(p).status().message(), "amount: 1 to 9999999999999, got 0");
  p.amount = kAmountMax + 1;
  EXPECT_FALSE(BuildMpm(p).ok());
  p = Dynamic();
  p.merchant_account = "XYZ";
  EXPECT_EQ(BuildMpm(p).status().message(), "merchant_account: must be 32 lower-case hex digits");
  p = Dynamic();
  p.merchant_name = "Café";  // Not ASCII: EMVCo tag 59 is the Latin-character name.
  EXPECT_FALSE(BuildMpm(p).ok());

  EXPECT_EQ(ErrorOf(""), "tag 00: the payload must start with format indicator 01 (\"000201\")");
  EXPECT_EQ(ErrorOf("000201010212"),
            "tag 63: the payload must end with a 4-digit CRC (\"6304XXXX\")");
  EXPECT_EQ(ErrorOf("0002010102"),
            "payload: tag 1 at offset 6 says 2 characters but only 0 remain");
  EXPECT_EQ(ErrorOf("0002010x"),
            "payload: malformed field at offset 6 (expected a 2-digit tag and a 2-digit length)");
  EXPECT_EQ(ErrorOf(std::string(600, '0')), "payload: at most 512 characters, got 600");
}

TEST(EmvcoTest, ForeignPayloadIsNotOurs) {
  // A valid EMVCo payload of another scheme only (no tag 26 of ours).
  std::string text =
      "00020101021229340016A00000067701011101100123456789520454115303392540115802JP5905Other6005Tok"
      "yo6304";
  char crc[5];
  std::snprintf(crc, sizeof crc, "%04X", Crc16Ccitt(text));
  text += crc;
  EXPECT_EQ(ErrorOf(text), "tag 26: merchant account template missing");
}

TEST(EmvcoTest, RandomGarbageNeverCrashes) {
  std::mt19937_64 random(20261123);
  const std::string base = *BuildMpm(Dynamic());
  for (int i = 0; i < 20000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(random() % 6);
    for (int e = 0; e < edits && !text.empty(); ++e)
      text[random() % text.size()] = static_cast<char>(random());
    absl::StatusOr<MpmPayload> parsed = ParseMpm(text);
    if (parsed.ok()) {
      EXPECT_TRUE(BuildMpm(*parsed).ok());
    }
  }
}

}  // namespace
}  // namespace merchant
