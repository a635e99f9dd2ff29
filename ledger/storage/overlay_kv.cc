// Overlay of pending write sets over a store: see overlay_kv.h.
#include "ledger/storage/overlay_kv.h"

#include <algorithm>
#include <map>

namespace ledger {
namespace {

// The entry for key in a sorted write set, or null.
const std::pair<std::string, std::optional<std::string>>* Find(const WriteSet& writes,
                                                               std::string_view key) {
  auto it = std::lower_bound(writes.entries.begin(), writes.entries.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  if (it == writes.entries.end() || it->first != key) return nullptr;
  return &*it;
}

}  // namespace

bool OverlayKv::Get(std::string_view key, std::string* value) const {
  if (base_is_current_ && base_is_current_(key)) return base_.Get(key, value);
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    if (const auto* entry = Find(**it, key)) {
      if (!entry->second) return false;
      *value = *entry->second;
      return true;
    }
  }
  return base_.Get(key, value);
}

void OverlayKv::MultiGet(const std::vector<std::string>& keys,
                         std::vector<std::optional<std::string>>* values) const {
  values->assign(keys.size(), std::nullopt);
  std::vector<std::string> rest;  // Not decided by a pending set: asked of the base in one call.
  std::vector<size_t> rest_positions;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::pair<std::string, std::optional<std::string>>* entry = nullptr;
    if (!base_is_current_ || !base_is_current_(keys[i])) {
      for (auto it = pending_.rbegin(); it != pending_.rend() && entry == nullptr; ++it)
        entry = Find(**it, keys[i]);
    }
    if (entry != nullptr) {
      (*values)[i] = entry->second;
    } else {
      rest.push_back(keys[i]);
      rest_positions.push_back(i);
    }
  }
  MultiGetAt(base_, rest, rest_positions, values);
}

void OverlayKv::Scan(std::string_view from, std::string_view to, bool reverse,
                     const ScanVisitor& visit) const {
  if (from >= to) return;
  // The pending changes in range, newest winning; nullopt marks a deletion.
  std::map<std::string, std::optional<std::string>, std::less<>> changes;
  for (const auto& writes : pending_) {
    auto begin =
        std::lower_bound(writes->entries.begin(), writes->entries.end(), from,
                         [](const auto& entry, std::string_view k) { return entry.first < k; });
    for (auto it = begin; it != writes->entries.end() && it->first < to; ++it)
      changes[it->first] = it->second;
  }
  if (changes.empty()) {
    base_.Scan(from, to, reverse, visit);
    return;
  }
  if (reverse) {
    // Rare (queries do not read through the overlay): merge everything in range, then walk
    // backwards.
    std::map<std::string, std::string, std::less<>> merged;
    base_.Scan(from, to, false, [&](std::string_view key, std::string_view value) {
      merged.emplace(std::string(key), std::string(value));
      return true;
    });
    for (auto& [key, value] : changes) {
      if (value) {
        merged[key] = *value;
      } else {
        merged.erase(key);
      }
    }
    for (auto it = merged.rbegin(); it != merged.rend(); ++it) {
      if (!visit(it->first, it->second)) return;
    }
    return;
  }
  auto change = changes.begin();
  bool stopped = false;
  // Emits pending changes with keys before `limit` (all of them when limit is null).
  auto emit_changes_before = [&](const std::string_view* limit) {
    while (!stopped && change != changes.end() && (limit == nullptr || change->first < *limit)) {
      if (change->second && !visit(change->first, *change->second)) stopped = true;
      ++change;
    }
  };
  base_.Scan(from, to, false, [&](std::string_view key, std::string_view value) {
    emit_changes_before(&key);
    if (stopped) return false;
    if (change != changes.end() && change->first == key) {
      if (change->second && !visit(change->first, *change->second)) stopped = true;
      ++change;
      return !stopped;
    }
    if (!visit(key, value)) stopped = true;
    return !stopped;
  });
  emit_changes_before(nullptr);
}

}  // namespace ledger
