// Fetching a Raft snapshot's files from a peer (raft_node.h, Snapshots): Cluster.SnapshotChunk
// calls over the operator listener, under mutual TLS with this node's certificate (CN node-<id>)
// or, in plaintext development mode, with the operator token and the node's operator name. One
// chunk (at most kCheckpointChunkBytes) per call: memory stays bounded whatever the state size.
#ifndef LEDGER_REPLICATION_SNAPSHOT_FETCHER_H_
#define LEDGER_REPLICATION_SNAPSHOT_FETCHER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "ledger/storage/checkpoint_files.h"

namespace ledger {

class SnapshotFetcher {
 public:
  // `operator_token` empty: mutual TLS (credentials carry the node certificate).
  SnapshotFetcher(std::shared_ptr<grpc::ChannelCredentials> credentials, std::string operator_token,
                  uint64_t self)
      : credentials_(std::move(credentials)),
        operator_token_(std::move(operator_token)),
        self_(self) {}

  // Chunks of checkpoint `checkpoint_id` of node `origin`, as kept by the node at `address`.
  ChunkSource Source(const std::string& address, uint64_t origin, uint64_t checkpoint_id) const;

 private:
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::string operator_token_;
  uint64_t self_;
};

}  // namespace ledger

#endif  // LEDGER_REPLICATION_SNAPSHOT_FETCHER_H_
