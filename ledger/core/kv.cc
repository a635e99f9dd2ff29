// MemoryKv, WriteSet and hashing helpers.
#include "ledger/core/kv.h"

#include <sodium.h>

#include <cstdlib>

namespace ledger {

void KvReader::MultiGet(const std::vector<std::string>& keys,
                        std::vector<std::optional<std::string>>* values) const {
  values->assign(keys.size(), std::nullopt);
  std::string value;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (Get(keys[i], &value)) (*values)[i] = std::move(value);
  }
}

void MultiGetAt(const KvReader& reader, const std::vector<std::string>& keys,
                const std::vector<size_t>& positions,
                std::vector<std::optional<std::string>>* values) {
  if (keys.empty()) return;
  std::vector<std::optional<std::string>> found;
  reader.MultiGet(keys, &found);
  for (size_t j = 0; j < keys.size(); ++j) (*values)[positions[j]] = std::move(found[j]);
}

size_t WriteSet::bytes() const {
  size_t total = 0;
  for (const auto& [key, value] : entries) total += key.size() + (value ? value->size() : 0);
  return total;
}

bool MemoryKv::Get(std::string_view key, std::string* value) const {
  auto it = data_.find(key);
  if (it == data_.end()) return false;
  *value = it->second;
  return true;
}

void MemoryKv::Scan(std::string_view from, std::string_view to, bool reverse,
                    const ScanVisitor& visit) const {
  if (from >= to) return;
  auto begin = data_.lower_bound(from);
  auto end = data_.lower_bound(to);
  if (!reverse) {
    for (auto it = begin; it != end; ++it) {
      if (!visit(it->first, it->second)) return;
    }
    return;
  }
  for (auto it = end; it != begin;) {
    --it;
    if (!visit(it->first, it->second)) return;
  }
}

void MemoryKv::Apply(const WriteSet& writes) {
  for (const auto& [key, value] : writes.entries) {
    if (value) {
      data_[key] = *value;
    } else {
      data_.erase(key);
    }
  }
}

namespace {

void HashUpdateSized(crypto_generichash_state* state, std::string_view bytes) {
  const uint64_t size = bytes.size();
  crypto_generichash_update(state, reinterpret_cast<const unsigned char*>(&size), sizeof size);
  crypto_generichash_update(state, reinterpret_cast<const unsigned char*>(bytes.data()),
                            bytes.size());
}

}  // namespace

std::string StateHash(const KvReader& state) {
  crypto_generichash_state hash_state;
  crypto_generichash_init(&hash_state, nullptr, 0, 32);
  const std::string lowest(1, '\0');
  const std::string highest(2, '\xff');
  state.Scan(lowest, highest, /*reverse=*/false, [&](std::string_view key, std::string_view value) {
    HashUpdateSized(&hash_state, key);
    HashUpdateSized(&hash_state, value);
    return true;
  });
  std::string out(32, '\0');
  crypto_generichash_final(&hash_state, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

std::string Blake2b256(std::string_view bytes) {
  std::string out(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                     0);
  return out;
}

}  // namespace ledger
