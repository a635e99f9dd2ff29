// A tiny binary codec for the ledger's stored records and journal entries.
//
// Fixed-width little-endian integers and length-prefixed byte strings, written in a fixed field order.
// The encoding of a value is a pure function of the value (no maps, no optional defaults), so the same
// state always produces the same bytes on every machine: state hashes and the journal hash chain rely on
// it. Keys use big-endian integers instead (see keys.h) so that they sort numerically.
#ifndef LEDGER_CORE_CODEC_H_
#define LEDGER_CORE_CODEC_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ledger/core/types.h"

namespace ledger {

class Encoder {
 public:
  explicit Encoder(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Raw(&v, sizeof v); }
  void U64(uint64_t v) { Raw(&v, sizeof v); }
  void I64(int64_t v) { Raw(&v, sizeof v); }
  void Id(const Id128& id) {
    U64(id.high);
    U64(id.low);
  }
  void Bytes(std::string_view bytes) {
    U32(static_cast<uint32_t>(bytes.size()));
    out_->append(bytes.data(), bytes.size());
  }

 private:
  void Raw(const void* data, size_t size) {
    static_assert(std::endian::native == std::endian::little, "codec assumes a little-endian host");
    out_->append(static_cast<const char*>(data), size);
  }
  std::string* out_;
};

// Reads what Encoder wrote. Any read past the end sets a sticky error flag and returns zeros, so callers
// check ok() once after decoding a whole record.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  uint8_t U8() {
    uint8_t v = 0;
    Raw(&v, sizeof v);
    return v;
  }
  uint32_t U32() {
    uint32_t v = 0;
    Raw(&v, sizeof v);
    return v;
  }
  uint64_t U64() {
    uint64_t v = 0;
    Raw(&v, sizeof v);
    return v;
  }
  int64_t I64() {
    int64_t v = 0;
    Raw(&v, sizeof v);
    return v;
  }
  Id128 Id() {
    Id128 id;
    id.high = U64();
    id.low = U64();
    return id;
  }
  std::string Bytes() {
    const uint32_t size = U32();
    if (!ok_ || size > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string out(in_.substr(0, size));
    in_.remove_prefix(size);
    return out;
  }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }
  size_t remaining() const { return in_.size(); }

 private:
  void Raw(void* data, size_t size) {
    if (!ok_ || in_.size() < size) {
      ok_ = false;
      return;
    }
    std::memcpy(data, in_.data(), size);
    in_.remove_prefix(size);
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace ledger

#endif  // LEDGER_CORE_CODEC_H_
