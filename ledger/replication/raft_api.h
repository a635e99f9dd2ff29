// libraft's C headers, made includable from C++.
//
// raft.h checks its own ABI with RAFT__ASSERT_COMPATIBILITY, which puts struct definitions inside
// sizeof(): legal C, ill-formed C++. Those checks are compile-time only and already hold for the
// installed library (it was built from these headers), so for C++ we compile them out by defining
// static_assert away while the headers are read. raft_layout_test compares sizeof of libraft's
// public structs as seen from C (raft_layout.c) and from C++ to prove the layouts agree.
#ifndef LEDGER_REPLICATION_RAFT_API_H_
#define LEDGER_REPLICATION_RAFT_API_H_

#include <uv.h>

#include <cstdbool>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#pragma push_macro("static_assert")
#define static_assert(...)
extern "C" {
#include <raft.h>
#include <raft/fixture.h>
#include <raft/uv.h>
}
#pragma pop_macro("static_assert")
#undef static_assert

extern "C" {
// Defined in raft_layout.c (compiled as C): sizeof each public struct as libraft's C code sees it.
size_t ledger_raft_sizeof(int which);
}

namespace ledger::raft_layout {
enum Which : int {
  kRaft = 0,
  kIo,
  kFsm,
  kApply,
  kBarrier,
  kChange,
  kTransfer,
  kSnapshot,
  kFixture,
  kTransport
};
}

#endif  // LEDGER_REPLICATION_RAFT_API_H_
