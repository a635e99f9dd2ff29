// A tiny binary codec for the ledger's stored records and journal entries.
//
// Fixed-width little-endian integers and length-prefixed byte strings, written in a fixed field
// order. The encoding of a value is a pure function of the value (no maps, no optional defaults),
// so the same state always produces the same bytes on every machine: state hashes and the journal
// hash chain rely on it. Keys use big-endian integers instead (see keys.h) so that they sort
// numerically.
#ifndef LEDGER_CORE_CODEC_H_
#define LEDGER_CORE_CODEC_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

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

// Reads what Encoder wrote. Any read past the end sets a sticky error flag and returns zeros, so
// callers check ok() once after decoding a whole record.
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
  void Fail() { ok_ = false; }
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

// Field lists. A record or command lists its fields once, in wire order, as a function of a field
// visitor `io` and the value: `[](auto& io, auto& a) { io(a.id, a.code, a.scale); }`. FieldWriter
// writes them with an Encoder and FieldReader reads them back with a Decoder, so encoding and
// decoding cannot disagree. The wire type follows the field's C++ type: bool as u8 0/1, uint8_t and
// one-byte enums as u8, uint32_t as u32, uint64_t as u64, int64_t as i64, Id128 as id, std::string
// as bytes, a struct with a FieldList (below) as its fields in place. Any other type does not
// compile. Vectors and maps say how many elements they allow (io.Vec, io.Map): a u32 count, then
// the elements (a map's in key order).
//
// FieldList<T>::Apply(io, value) is the field list of a struct nested in other field lists (a
// command's own fields are in its CommandTraits, ledger/core/command.h).
template <class T>
struct FieldList;

inline constexpr uint32_t kNoCountMax = std::numeric_limits<uint32_t>::max();

class FieldWriter {
 public:
  // tag: the journal tag being written (a command's field list may depend on it; 0 for records).
  explicit FieldWriter(Encoder* e, uint8_t tag = 0) : e_(e), tag_(tag) {}
  uint8_t tag() const { return tag_; }
  template <class... T>
  void operator()(const T&... fields) {
    (Put(fields), ...);
  }
  // A vector of at most count_max elements: u32 count, then each element.
  template <class T>
  void Vec(const std::vector<T>& values, uint32_t /*count_max*/ = kNoCountMax) {
    e_->U32(static_cast<uint32_t>(values.size()));
    for (const T& value : values) Put(value);
  }
  // A map of at most count_max entries: u32 count, then each key and its value, in key order.
  template <class K, class V>
  void Map(const std::map<K, V>& entries, uint32_t /*count_max*/ = kNoCountMax) {
    e_->U32(static_cast<uint32_t>(entries.size()));
    for (const auto& [key, value] : entries) {
      Put(key);
      Put(value);
    }
  }
  // A value with an ad-hoc field list of its own (e.g. one only one record uses).
  template <class T, class Fields>
  void With(const T& value, Fields fields) {
    fields(*this, value);
  }

 private:
  void Put(bool v) { e_->U8(v ? 1 : 0); }
  void Put(uint8_t v) { e_->U8(v); }
  void Put(uint32_t v) { e_->U32(v); }
  void Put(uint64_t v) { e_->U64(v); }
  void Put(int64_t v) { e_->I64(v); }
  void Put(const Id128& v) { e_->Id(v); }
  void Put(const std::string& v) { e_->Bytes(v); }
  template <class E>
  requires std::is_enum_v<E>
  void Put(E v) {
    static_assert(sizeof(E) == 1, "enums are written as u8");
    e_->U8(static_cast<uint8_t>(v));
  }
  template <class T>
  requires std::is_class_v<T>
  void Put(const T& v) { FieldList<T>::Apply(*this, v); }

  Encoder* e_;
  uint8_t tag_;
};

class FieldReader {
 public:
  explicit FieldReader(Decoder* d, uint8_t tag = 0) : d_(d), tag_(tag) {}
  uint8_t tag() const { return tag_; }
  template <class... T>
  void operator()(T&... fields) {
    (Get(fields), ...);
  }
  // A count above count_max (or above the bytes left: every element takes at least one) fails the
  // decoder instead of allocating.
  template <class T>
  void Vec(std::vector<T>& values, uint32_t count_max = kNoCountMax) {
    const uint32_t count = d_->U32();
    values.clear();
    if (!d_->ok() || count > count_max || count > d_->remaining()) {
      d_->Fail();
      return;
    }
    values.resize(count);
    for (T& value : values) Get(value);
  }
  template <class K, class V>
  void Map(std::map<K, V>& entries, uint32_t count_max = kNoCountMax) {
    const uint32_t count = d_->U32();
    entries.clear();
    if (!d_->ok() || count > count_max || count > d_->remaining()) {
      d_->Fail();
      return;
    }
    for (uint32_t i = 0; i < count && d_->ok(); ++i) {
      K key{};
      V value{};
      Get(key);
      Get(value);
      entries[key] = std::move(value);
    }
  }
  template <class T, class Fields>
  void With(T& value, Fields fields) {
    fields(*this, value);
  }

 private:
  void Get(bool& v) { v = d_->U8() != 0; }
  void Get(uint8_t& v) { v = d_->U8(); }
  void Get(uint32_t& v) { v = d_->U32(); }
  void Get(uint64_t& v) { v = d_->U64(); }
  void Get(int64_t& v) { v = d_->I64(); }
  void Get(Id128& v) { v = d_->Id(); }
  void Get(std::string& v) { v = d_->Bytes(); }
  template <class E>
  requires std::is_enum_v<E>
  void Get(E& v) {
    static_assert(sizeof(E) == 1, "enums are written as u8");
    v = static_cast<E>(d_->U8());
  }
  template <class T>
  requires std::is_class_v<T>
  void Get(T& v) { FieldList<T>::Apply(*this, v); }

  Decoder* d_;
  uint8_t tag_;
};

// A stored record: a version byte, then its fields, and nothing after them.
template <class T, class Fields>
std::string EncodeRecord(uint8_t version, const T& value, Fields fields) {
  std::string out;
  Encoder e(&out);
  e.U8(version);
  FieldWriter io(&e);
  fields(io, value);
  return out;
}

template <class T, class Fields>
std::optional<T> DecodeRecord(std::string_view bytes, uint8_t version, Fields fields) {
  Decoder d(bytes);
  if (d.U8() != version) return std::nullopt;
  T value;
  FieldReader io(&d);
  fields(io, value);
  if (!d.done()) return std::nullopt;
  return value;
}

}  // namespace ledger

#endif  // LEDGER_CORE_CODEC_H_
