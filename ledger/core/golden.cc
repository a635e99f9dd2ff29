#include "ledger/core/golden.h"

#include <cstdlib>
#include <memory>

#include "ledger/core/codec.h"

namespace ledger {

std::string EncodeGoldenBatch(Timestamp timestamp, const Batch& batch,
                              std::string_view entry_bytes) {
  std::string out;
  Encoder e(&out);
  e.U64(timestamp);
  e.Bytes(EncodeBatch(batch));
  e.Bytes(entry_bytes);
  return out;
}

std::optional<std::vector<GoldenBatch>> DecodeGoldenLog(std::string_view bytes) {
  std::vector<GoldenBatch> log;
  Decoder d(bytes);
  while (d.ok() && !d.done()) {
    GoldenBatch record;
    record.timestamp = d.U64();
    record.batch = std::string(d.Bytes());
    record.entry = std::string(d.Bytes());
    if (!d.ok()) return std::nullopt;
    log.push_back(std::move(record));
  }
  if (!d.ok()) return std::nullopt;
  return log;
}

std::unique_ptr<GoldenRecorder> GoldenRecorder::Open(const std::string& path) {
  if (path.empty()) return nullptr;
  FILE* file = fopen(path.c_str(), "wb");
  if (file == nullptr) {
    fprintf(stderr, "cannot open the golden batch log %s for writing\n", path.c_str());
    abort();
  }
  return std::unique_ptr<GoldenRecorder>(new GoldenRecorder(file));
}

GoldenRecorder::~GoldenRecorder() { fclose(file_); }

void GoldenRecorder::Record(Timestamp timestamp, const Batch& batch, std::string_view entry_bytes) {
  const std::string record = EncodeGoldenBatch(timestamp, batch, entry_bytes);
  if (fwrite(record.data(), 1, record.size(), file_) != record.size() || fflush(file_) != 0) {
    fprintf(stderr, "cannot write the golden batch log\n");
    abort();
  }
}

}  // namespace ledger
