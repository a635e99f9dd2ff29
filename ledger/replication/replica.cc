// The replicated state machine: see replica.h. Entry and snapshot layouts: ledger/FORMAT.md.
#include "ledger/replication/replica.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/core/audit.h"
#include "ledger/core/codec.h"
#include "ledger/core/journal.h"

namespace ledger {
namespace {

constexpr uint8_t kEntryVersion = 1;
// libraft's disk log (raft_uv) takes only entries whose length is a multiple of 8: entries are
// padded with zero bytes after the batch, whose length the header states.
constexpr size_t kEntryAlignment = 8;
constexpr std::string_view kSnapshotMagic = "LSNAP001";
constexpr size_t kChecksumBytes = 32;

std::string EncodeIndex(uint64_t index) {
  std::string out;
  Encoder(&out).U64(index);
  return out;
}

// Adds (key, value) to a sorted write set, keeping it sorted and the key unique.
void PutSorted(WriteSet* writes, std::string_view key, std::string value) {
  auto it = std::lower_bound(writes->entries.begin(), writes->entries.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  if (it != writes->entries.end() && it->first == key) {
    it->second = std::move(value);
  } else {
    writes->entries.insert(it, {std::string(key), std::move(value)});
  }
}

}  // namespace

std::string EncodeEntry(const EntryHeader& header, const Batch& batch) {
  const std::string body = EncodeBatch(batch);
  std::string out;
  Encoder e(&out);
  e.U8(kEntryVersion);
  e.U64(header.proposer);
  e.U64(header.proposal);
  e.U64(header.timestamp);
  e.U32(static_cast<uint32_t>(body.size()));
  out += body;
  out.resize((out.size() + kEntryAlignment - 1) / kEntryAlignment * kEntryAlignment, '\0');
  return out;
}

std::optional<std::pair<EntryHeader, Batch>> DecodeEntry(std::string_view bytes) {
  constexpr size_t kHeaderBytes = 1 + 3 * 8 + 4;
  if (bytes.size() < kHeaderBytes || bytes.size() % kEntryAlignment != 0) return std::nullopt;
  Decoder d(bytes.substr(0, kHeaderBytes));
  if (d.U8() != kEntryVersion) return std::nullopt;
  EntryHeader header;
  header.proposer = d.U64();
  header.proposal = d.U64();
  header.timestamp = d.U64();
  const size_t body_bytes = d.U32();
  const size_t padding =
      bytes.size() - kHeaderBytes - std::min(body_bytes, bytes.size() - kHeaderBytes);
  if (kHeaderBytes + body_bytes > bytes.size() || padding >= kEntryAlignment) return std::nullopt;
  for (char c : bytes.substr(kHeaderBytes + body_bytes)) {
    if (c != '\0') return std::nullopt;
  }
  std::optional<Batch> batch = DecodeBatch(bytes.substr(kHeaderBytes, body_bytes));
  if (!batch) return std::nullopt;
  return std::make_pair(header, std::move(*batch));
}

uint64_t ReadAppliedIndex(const KvReader& state) {
  std::string value;
  if (!state.Get(kAppliedIndexKey, &value)) return 0;
  Decoder d(value);
  return d.U64();
}

Replica::Replica(ReplicaStore* store, ApplyFunction apply)
    : store_(store),
      apply_(apply ? std::move(apply) : ApplyFunction(ApplyBatch)),
      applied_index_(ReadAppliedIndex(store->reader())) {}

std::string Replica::CheckInvariants() {
  if (!violation_.empty()) return violation_;
  if (std::string broken = AssetSumsProblem(store_->reader()); !broken.empty()) {
    violation_ = absl::StrCat("at applied index ", applied_index_, ": ", broken);
  }
  return violation_;
}

absl::StatusOr<Replica::Applied> Replica::Apply(uint64_t index, std::string_view entry) {
  Applied applied;
  if (index <= applied_index_) {
    applied.skipped = true;
    return applied;
  }
  if (!violation_.empty()) {
    return absl::DataLossError(absl::StrCat(
        "log entry ", index, " not applied: the ledger's invariant is broken (", violation_, ")"));
  }
  if (!write_failed_.ok()) return write_failed_;
  std::optional<std::pair<EntryHeader, Batch>> decoded = DecodeEntry(entry);
  WriteSet writes;
  if (!decoded) {
    applied.status =
        absl::DataLossError(absl::StrCat("log entry ", index, " is not a ledger entry"));
  } else {
    applied.header = decoded->first;
    const Timestamp timestamp =
        std::max(decoded->first.timestamp, NextBatchTimestampMin(store_->reader()));
    absl::StatusOr<ApplyOutput> output =
        apply_(store_->reader(), timestamp, decoded->second, &applied.counters);
    if (output.ok() &&
        !output->invariant_violation.empty()) {  // A core bug: nothing of it is stored.
      violation_ = absl::StrCat("log entry ", index, ": ", output->invariant_violation);
      return absl::DataLossError(
          absl::StrCat("log entry ", index, " not applied: ", output->invariant_violation));
    }
    if (output.ok()) {
      applied.output = std::move(*output);
      writes = std::move(applied.output.writes);
      applied.output.writes = WriteSet{};
    } else {
      // Deterministic: every replica refuses the same entry the same way and only advances the
      // index.
      applied.status = output.status();
    }
  }
  PutSorted(&writes, kAppliedIndexKey, EncodeIndex(index));
  absl::Status written = store_->Write(writes, /*sync=*/false);
  if (!written.ok()) {
    write_failed_ = absl::UnavailableError(absl::StrCat("storage write failed at log entry ", index,
                                                        "; restart the node: ", written.message()));
    return write_failed_;
  }
  applied_index_ = index;
  return applied;
}

std::string Replica::Snapshot() const {
  std::string out(kSnapshotMagic);
  Encoder e(&out);
  e.U64(applied_index_);
  store_->reader().Scan("", std::string(1, '\xff'), false,
                        [&](std::string_view key, std::string_view value) {
                          e.U8(1);
                          e.Bytes(key);
                          e.Bytes(value);
                          return true;
                        });
  e.U8(0);
  out += Blake2b256(out);
  return out;
}

absl::Status Replica::Restore(std::string_view snapshot, bool sync) {
  if (snapshot.size() < kSnapshotMagic.size() + 8 + 1 + kChecksumBytes ||
      snapshot.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
    return absl::InvalidArgumentError("snapshot: bad magic or too short");
  }
  const std::string_view body = snapshot.substr(0, snapshot.size() - kChecksumBytes);
  if (Blake2b256(body) != snapshot.substr(body.size())) {
    return absl::InvalidArgumentError("snapshot: checksum mismatch");
  }
  Decoder d(body.substr(kSnapshotMagic.size()));
  const uint64_t index = d.U64();
  if (index <= applied_index_) return absl::OkStatus();
  // The new state: every snapshot key; every other existing key deleted. Both sides are in key
  // order.
  WriteSet incoming;
  while (d.ok() && d.U8() == 1) {
    std::string key(d.Bytes());
    std::string value(d.Bytes());
    incoming.entries.emplace_back(std::move(key), std::move(value));
  }
  if (!d.done()) return absl::InvalidArgumentError("snapshot: malformed body");
  WriteSet writes;
  size_t next = 0;
  store_->reader().Scan(
      "", std::string(1, '\xff'), false, [&](std::string_view key, std::string_view) {
        while (next < incoming.entries.size() && incoming.entries[next].first < key) {
          writes.entries.push_back(std::move(incoming.entries[next++]));
        }
        if (next < incoming.entries.size() && incoming.entries[next].first == key) {
          writes.entries.push_back(std::move(incoming.entries[next++]));
        } else {
          writes.entries.emplace_back(std::string(key), std::nullopt);
        }
        return true;
      });
  while (next < incoming.entries.size())
    writes.entries.push_back(std::move(incoming.entries[next++]));
  absl::Status written = store_->Write(writes, sync);
  if (!written.ok()) return written;
  applied_index_ = ReadAppliedIndex(store_->reader());
  if (applied_index_ != index) {
    return absl::DataLossError(
        absl::StrCat("snapshot at index ", index, " restored as index ", applied_index_));
  }
  return absl::OkStatus();
}

}  // namespace ledger
