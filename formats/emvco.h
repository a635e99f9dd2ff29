// Merchant-presented QR payloads (MPM) in the EMVCo / JPQR format: a string of TLV fields
// (two-digit tag, two-digit length, value) ending in tag 63, a CRC-16/CCITT-FALSE over everything
// before its value.
//
// Our payload (every value printable ASCII):
//   00 "01"                      payload format indicator (first field)
//   01 "12" | "11"               point of initiation: dynamic (amount fixed, one payment) or static
//   26 template                  merchant account information, ours:
//        00 kMpmGuid               globally unique identifier of this scheme
//        01 32 hex digits          the merchant's ledger account id (128 bits)
//        02 digits                 the asset (regional coin 1, health points 2, ...)
//   27 template                  dynamic payments only:
//        00 kMpmGuid
//        01 1..64 chars            the merchant payment id (idempotency key of the payment)
//   52 4 digits                  merchant category code
//   53 "392"                     transaction currency (ISO 4217 JPY: coin is 1:1 with yen)
//   54 1..13 digits              amount in the asset's unit (required when dynamic; no decimals)
//   58 "JP"                      country
//   59 1..25 chars               merchant name
//   60 1..15 chars               merchant city
//   62 template (optional)       additional data: 07 terminal label (1..25 chars)
//   63 4 hex digits              CRC, upper case, over the payload up to and including "6304"
//
// Example:
//   MpmPayload p{.dynamic = true, .merchant_account = "...32 hex...", .asset = 1, .payment_id =
//   "ord-1",
//                .amount = 1200, .merchant_name = "Sakura Market", .merchant_city = "Tsuruoka"};
//   absl::StatusOr<std::string> text = BuildMpm(p);   // show as a QR code
//   absl::StatusOr<MpmPayload> back = ParseMpm(*text);  // what the wallet does after scanning
#ifndef FORMATS_EMVCO_H_
#define FORMATS_EMVCO_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/core/limits.h"

namespace merchant {

inline constexpr char kMpmGuid[] = "JP.LOCALCOIN";
// The bounds the ledger's services also enforce live in ledger/core/limits.h.
inline constexpr size_t kPaymentIdLengthMax = ledger::kPosIdLengthMax;
inline constexpr size_t kMerchantNameLengthMax = ledger::kMerchantNameLengthMax;
inline constexpr size_t kMerchantCityLengthMax = ledger::kMerchantCityLengthMax;
inline constexpr size_t kTerminalLabelLengthMax = 25;
inline constexpr size_t kPayloadLengthMax = ledger::kMpmPayloadLengthMax;
inline constexpr int64_t kAmountMax = ledger::kMpmAmountMax;  // 13 digits, the EMVCo field's limit.

// CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final xor ("123456789"
// -> 29B1).
uint16_t Crc16Ccitt(std::string_view bytes);

struct MpmPayload {
  bool dynamic =
      true;  // Dynamic: amount and payment id fixed. Static: the payer enters the amount.
  std::string merchant_account;  // 32 lower-case hex digits.
  uint32_t asset = 1;
  std::string payment_id;                  // Dynamic only: 1..64 printable ASCII characters.
  int64_t amount = 0;                      // Dynamic: 1..kAmountMax. Static: 0.
  std::string merchant_category = "5999";  // 4 digits.
  std::string merchant_name;
  std::string merchant_city;
  std::string terminal_label;  // Optional.
};

// The payload text; INVALID_ARGUMENT naming the field and its limit if a field does not fit.
absl::StatusOr<std::string> BuildMpm(const MpmPayload& payload);

// Parses and checks a scanned payload: TLV structure, CRC, required fields, our template, limits.
// INVALID_ARGUMENT saying what is wrong (e.g. "tag 63: CRC 1A2B does not match the payload
// (expected 29B1)"). Fields of other schemes (other tags 02..51, 64) are skipped.
absl::StatusOr<MpmPayload> ParseMpm(std::string_view text);

}  // namespace merchant

#endif  // FORMATS_EMVCO_H_
