/* sizeof libraft's public structs as C sees them: raft_layout_test compares with C++'s view. */
#include <raft.h>
#include <raft/fixture.h>
#include <raft/uv.h>
#include <stddef.h>

size_t ledger_raft_sizeof(int which) {
  switch (which) {
    case 0:
      return sizeof(struct raft);
    case 1:
      return sizeof(struct raft_io);
    case 2:
      return sizeof(struct raft_fsm);
    case 3:
      return sizeof(struct raft_apply);
    case 4:
      return sizeof(struct raft_barrier);
    case 5:
      return sizeof(struct raft_change);
    case 6:
      return sizeof(struct raft_transfer);
    case 7:
      return sizeof(struct raft_snapshot);
    case 8:
      return sizeof(struct raft_fixture);
    case 9:
      return sizeof(struct raft_uv_transport);
    default:
      return 0;
  }
}
