// EMVCo merchant-presented QR payloads: see emvco.h.
#include "formats/emvco.h"

#include <cstdio>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"

namespace merchant {
namespace {

using absl::InvalidArgumentError;

bool Printable(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool Digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool LowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// "TTLLvalue"; the caller has checked the value's length (< 100).
void Field(std::string* out, int tag, std::string_view value) {
  char head[5];
  std::snprintf(head, sizeof head, "%02d%02zu", tag, value.size());
  out->append(head);
  out->append(value);
}

std::string Hex4(uint16_t crc) {
  char text[5];
  std::snprintf(text, sizeof text, "%04X", crc);
  return text;
}

absl::Status CheckText(const char* field, std::string_view value, size_t min, size_t max) {
  if (value.size() < min || value.size() > max || !Printable(value)) {
    return InvalidArgumentError(absl::StrCat(field, ": ", min, " to ", max,
                                             " printable ASCII characters, got ", value.size()));
  }
  return absl::OkStatus();
}

// Splits "TTLLvalue..." into fields, in order. Error names the offset.
absl::StatusOr<std::vector<std::pair<int, std::string_view>>> SplitTlv(std::string_view text,
                                                                       const char* where) {
  std::vector<std::pair<int, std::string_view>> fields;
  size_t at = 0;
  while (at < text.size()) {
    if (text.size() - at < 4 || !Digits(text.substr(at, 4))) {
      return InvalidArgumentError(absl::StrCat(where, ": malformed field at offset ", at,
                                               " (expected a 2-digit tag and a 2-digit length)"));
    }
    const int tag = (text[at] - '0') * 10 + (text[at + 1] - '0');
    const size_t length = static_cast<size_t>((text[at + 2] - '0') * 10 + (text[at + 3] - '0'));
    if (text.size() - at - 4 < length) {
      return InvalidArgumentError(absl::StrCat(where, ": tag ", tag, " at offset ", at, " says ",
                                               length, " characters but only ",
                                               text.size() - at - 4, " remain"));
    }
    fields.emplace_back(tag, text.substr(at + 4, length));
    at += 4 + length;
  }
  return fields;
}

absl::Status CheckPayload(const MpmPayload& p) {
  if (p.merchant_account.size() != 32 || !LowerHex(p.merchant_account)) {
    return InvalidArgumentError("merchant_account: must be 32 lower-case hex digits");
  }
  if (p.asset == 0) return InvalidArgumentError("asset: must be positive");
  if (p.merchant_category.size() != 4 || !Digits(p.merchant_category)) {
    return InvalidArgumentError("merchant_category: must be 4 digits");
  }
  absl::Status status = CheckText("merchant_name", p.merchant_name, 1, kMerchantNameLengthMax);
  if (status.ok()) status = CheckText("merchant_city", p.merchant_city, 1, kMerchantCityLengthMax);
  if (status.ok() && !p.terminal_label.empty()) {
    status = CheckText("terminal_label", p.terminal_label, 1, kTerminalLabelLengthMax);
  }
  if (!status.ok()) return status;
  if (p.dynamic) {
    status = CheckText("payment_id", p.payment_id, 1, kPaymentIdLengthMax);
    if (!status.ok()) return status;
    if (p.amount < 1 || p.amount > kAmountMax) {
      return InvalidArgumentError(absl::StrCat("amount: 1 to ", kAmountMax, ", got ", p.amount));
    }
  } else if (!p.payment_id.empty() || p.amount != 0) {
    return InvalidArgumentError(
        "static payload: payment_id and amount must be empty (the payer enters the amount)");
  }
  return absl::OkStatus();
}

}  // namespace

uint16_t Crc16Ccitt(std::string_view bytes) {
  uint16_t crc = 0xffff;
  for (unsigned char byte : bytes) {
    crc ^= static_cast<uint16_t>(byte) << 8;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : crc << 1;
  }
  return crc;
}

absl::StatusOr<std::string> BuildMpm(const MpmPayload& p) {
  absl::Status status = CheckPayload(p);
  if (!status.ok()) return status;
  std::string account;
  Field(&account, 0, kMpmGuid);
  Field(&account, 1, p.merchant_account);
  Field(&account, 2, std::to_string(p.asset));
  std::string out;
  Field(&out, 0, "01");
  Field(&out, 1, p.dynamic ? "12" : "11");
  Field(&out, 26, account);
  if (p.dynamic) {
    std::string payment;
    Field(&payment, 0, kMpmGuid);
    Field(&payment, 1, p.payment_id);
    Field(&out, 27, payment);
  }
  Field(&out, 52, p.merchant_category);
  Field(&out, 53, "392");
  if (p.dynamic) Field(&out, 54, std::to_string(p.amount));
  Field(&out, 58, "JP");
  Field(&out, 59, p.merchant_name);
  Field(&out, 60, p.merchant_city);
  if (!p.terminal_label.empty()) {
    std::string additional;
    Field(&additional, 7, p.terminal_label);
    Field(&out, 62, additional);
  }
  out += "6304";
  out += Hex4(Crc16Ccitt(out));
  return out;
}

// The payload's frame: its length and characters, the TLV fields, the format indicator first and a
// matching CRC last, no tag twice. Returns the fields by tag (views into text).
static absl::StatusOr<std::map<int, std::string_view>> CheckedFields(std::string_view text) {
  if (text.size() > kPayloadLengthMax) {
    return InvalidArgumentError(
        absl::StrCat("payload: at most ", kPayloadLengthMax, " characters, got ", text.size()));
  }
  if (!Printable(text))
    return InvalidArgumentError("payload: only printable ASCII characters are allowed");
  auto fields = SplitTlv(text, "payload");
  if (!fields.ok()) return fields.status();
  if (fields->empty() || fields->front().first != 0 || fields->front().second != "01") {
    return InvalidArgumentError(
        "tag 00: the payload must start with format indicator 01 (\"000201\")");
  }
  if (fields->back().first != 63 || fields->back().second.size() != 4) {
    return InvalidArgumentError("tag 63: the payload must end with a 4-digit CRC (\"6304XXXX\")");
  }
  const std::string expected = Hex4(Crc16Ccitt(text.substr(0, text.size() - 4)));
  if (std::string(fields->back().second) != expected) {
    return InvalidArgumentError(absl::StrCat("tag 63: CRC ", std::string(fields->back().second),
                                             " does not match the payload (expected ", expected,
                                             ")"));
  }
  std::map<int, std::string_view> by_tag;
  for (const auto& [tag, value] : *fields) {
    if (!by_tag.emplace(tag, value).second)
      return InvalidArgumentError(absl::StrCat("tag ", tag, ": appears twice"));
  }
  return by_tag;
}

absl::StatusOr<MpmPayload> ParseMpm(std::string_view text) {
  absl::StatusOr<std::map<int, std::string_view>> checked = CheckedFields(text);
  if (!checked.ok()) return checked.status();
  const std::map<int, std::string_view>& by_tag = *checked;
  MpmPayload p;
  auto get = [&](int tag) -> std::optional<std::string> {
    auto it = by_tag.find(tag);
    if (it == by_tag.end()) return std::nullopt;
    return std::string(it->second);
  };
  const std::optional<std::string> initiation = get(1);
  if (!initiation || (*initiation != "11" && *initiation != "12")) {
    return InvalidArgumentError("tag 01: point of initiation must be 11 (static) or 12 (dynamic)");
  }
  p.dynamic = *initiation == "12";
  // Our account template.
  const std::optional<std::string> account = get(26);
  if (!account) return InvalidArgumentError("tag 26: merchant account template missing");
  auto account_fields = SplitTlv(*account, "tag 26");
  if (!account_fields.ok()) return account_fields.status();
  std::map<int, std::string> sub;
  for (const auto& [tag, value] : *account_fields) sub[tag] = std::string(value);
  if (sub[0] != kMpmGuid) {
    return InvalidArgumentError(
        absl::StrCat("tag 26: not a ", kMpmGuid, " payload (identifier \"", sub[0], "\")"));
  }
  p.merchant_account = sub[1];
  if (!Digits(sub[2]) || sub[2].size() > 9)
    return InvalidArgumentError("tag 26.02: asset must be 1 to 9 digits");
  p.asset = static_cast<uint32_t>(std::stoul(sub[2]));
  if (p.dynamic) {
    const std::optional<std::string> payment = get(27);
    if (!payment)
      return InvalidArgumentError("tag 27: a dynamic payload needs the payment template");
    auto payment_fields = SplitTlv(*payment, "tag 27");
    if (!payment_fields.ok()) return payment_fields.status();
    std::map<int, std::string> psub;
    for (const auto& [tag, value] : *payment_fields) psub[tag] = std::string(value);
    if (psub[0] != kMpmGuid)
      return InvalidArgumentError("tag 27: unknown payment template identifier");
    p.payment_id = psub[1];
    const std::optional<std::string> amount = get(54);
    if (!amount || !Digits(*amount) || amount->size() > ledger::kMpmAmountDigitsMax) {
      return InvalidArgumentError("tag 54: a dynamic payload needs an amount of 1 to 13 digits");
    }
    p.amount = std::stoll(*amount);
  } else if (get(54)) {
    p.amount = -1;  // Rejected below: a static payload carries no amount.
  }
  if (get(53) != std::optional<std::string>("392"))
    return InvalidArgumentError("tag 53: currency must be 392 (JPY)");
  if (get(58) != std::optional<std::string>("JP"))
    return InvalidArgumentError("tag 58: country must be JP");
  p.merchant_category = get(52).value_or("");
  p.merchant_name = get(59).value_or("");
  p.merchant_city = get(60).value_or("");
  if (const std::optional<std::string> additional = get(62)) {
    auto additional_fields = SplitTlv(*additional, "tag 62");
    if (!additional_fields.ok()) return additional_fields.status();
    for (const auto& [tag, value] : *additional_fields) {
      if (tag == 7) p.terminal_label = std::string(value);
    }
  }
  absl::Status status = CheckPayload(p);
  if (!status.ok()) return status;
  return p;
}

}  // namespace merchant
