// Write-through cache of hot records: see cached_kv.h.
#include "ledger/storage/cached_kv.h"

#include "ledger/core/keys.h"

namespace ledger {

bool CachedKv::Cacheable(std::string_view key) {
  if (key.empty()) return false;
  switch (key[0]) {
    case keys::kAccount:
    case keys::kAsset:
    case keys::kLots:
    case keys::kMeta:
      return true;
    default:
      return false;
  }
}

bool CachedKv::Get(std::string_view key, std::string* value) const {
  if (!Cacheable(key)) return store_.Get(key, value);
  // Debian's Abseil has its own string_view type: look up through it.
  auto it = cache_.find(absl::string_view(key.data(), key.size()));
  if (it != cache_.end()) {
    if (!it->second) return false;
    *value = *it->second;
    return true;
  }
  const bool found = store_.Get(key, value);
  if (cache_.size() < kEntriesMax) {
    cache_.emplace(std::string(key), found ? std::optional<std::string>(*value) : std::nullopt);
  }
  return found;
}

void CachedKv::MultiGet(const std::vector<std::string>& keys,
                        std::vector<std::optional<std::string>>* values) const {
  values->assign(keys.size(), std::nullopt);
  std::vector<std::string> rest;
  std::vector<size_t> rest_positions;
  std::string value;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (Cacheable(keys[i])) {
      if (Get(keys[i], &value)) (*values)[i] = std::move(value);
    } else {
      rest.push_back(keys[i]);
      rest_positions.push_back(i);
    }
  }
  MultiGetAt(store_, rest, rest_positions, values);
}

void CachedKv::Remember(const WriteSet& writes) {
  for (const auto& [key, value] : writes.entries) {
    if (!Cacheable(key)) continue;
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      it->second = value;
    } else if (cache_.size() < kEntriesMax) {
      cache_.emplace(key, value);
    }
  }
}

}  // namespace ledger
