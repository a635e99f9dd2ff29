# shellcheck shell=bash
# ops/bench --scale: the lifetime benchmark, sourced by ops/bench (which has built ledgerd, ledger_bench
# and ledgerctl, made the PKI and defines start_node, start_member, client_transport; see ops/bench --help).
# ledger_bench --transfers prints the progress table; this adds the 10,000-wallet comparison, the joining
# follower and the restarts, and writes the summary lines to $WORK/scale-summary (ops/bench prints it last).
SUMMARY="$WORK/scale-summary"
: >"$SUMMARY" && : >"$WORK/summaries"
CTL="$BIN/ledger/tools/ledgerctl"
CATCH_UP_TIMEOUT="${CATCH_UP_TIMEOUT:-600}"  # Seconds a joining or restarted member may take to catch up.

scale_bench() {  # label addresses operator-addresses scenario transfers accounts pids dirs metrics
  # shellcheck disable=SC2046
  nice -n 10 "$BIN/ledger/tools/ledger_bench" --label="$1" --addr="$2" $(client_transport "$3") \
    --accounts="$6" --merchants="$MERCHANTS" --zipf_s="$ZIPF_S" --scenarios="$4" --transfers="$5" \
    --interval="$INTERVAL" --watch_pids="$7" --watch_dirs="$8" --watch_metrics="$9" | tee "$WORK/out" |
    grep --line-buffered -v '^SUMMARY|' || echo "($1: ledger_bench reported failed transfers or stopped; see the failed column)"
  grep '^SUMMARY|' "$WORK/out" >>"$WORK/summaries" || true
}
metric() {  # HOST:PORT NAME: an unlabelled metric's value, empty while the node does not answer
  curl -s --max-time 2 "http://$1/metrics" | awk -v n="$2" '$1 == n { print $2 }' || true
}
now() { date +%s.%N; }
since() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }
du_bytes() { du -s --block-size=1 "$@" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
# Seconds until a restarted single node says it is serving (its log; polling over gRPC instead would add
# the client's reconnect backoff) and then answers an account lookup (found: 0; not found: 3).
wait_serving() {  # address operator-address log start
  local code
  until grep -q '^ledgerd: serving on' "$3" 2>/dev/null; do sleep 0.05; done
  while :; do
    code=0
    # shellcheck disable=SC2046
    "$CTL" --addr "$1" $(client_transport "$2") account 4096 >/dev/null 2>&1 || code=$?
    { [ "$code" = 0 ] || [ "$code" = 3 ]; } && break
    sleep 0.1
  done
  since "$4"
}
# Waits until member N's applied index reaches INDEX (its metrics); prints the seconds it took from START,
# or "more than S (applied A)" after --catch-up-timeout seconds.
wait_applied() {  # n index start
  local applied="" deadline=$(($(date +%s) + CATCH_UP_TIMEOUT))
  while :; do
    applied="$(metric "127.0.0.1:761$1" ledger_raft_applied_index)"
    [ -n "$applied" ] && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" \
      "$applied" "$2" && break
    [ "$(date +%s)" -lt "$deadline" ] || { echo "more than $CATCH_UP_TIMEOUT (applied ${applied:-none})"; return; }
    sleep 0.2
  done
  since "$3"
}
leader_of() {  # the member (1-4) whose metrics say leader
  local n
  for n in 1 2 3 4; do
    curl -s --max-time 2 "http://127.0.0.1:761$n/metrics" | grep -q '^ledger_raft_role{role="leader"} 1' && { echo "$n"; return; }
  done
}

if [[ ",$SYSTEMS," == *",node,"* ]]; then
  echo "== ledgerd, single node: $ACCOUNTS wallets, to $TRANSFERS transfers ($NODE_SCENARIO)"
  start_node "$WORK/node" 7480 7481 7482
  scale_bench "ledgerd, 1 node" 127.0.0.1:7480 127.0.0.1:7482 "$NODE_SCENARIO" "$TRANSFERS" "$ACCOUNTS" \
    "$NODE_PID" "$WORK/node" ""
  stop_pid "$NODE_PID"
  echo "single node: $(du -sh "$WORK/node" | cut -f1) on disk; restarting it"
  START="$(now)"
  start_node "$WORK/node" 7480 7481 7482
  echo "single node restart: serving after $(wait_serving 127.0.0.1:7480 127.0.0.1:7482 "$WORK/node.log" "$START") s" |
    tee -a "$SUMMARY"
  stop_pid "$NODE_PID" && rm -rf "$WORK/node"
  TEN_K=$((TRANSFERS / 10))
  echo "== ledgerd, single node: the same workload with 10,000 wallets, $TEN_K transfers (the comparison)"
  start_node "$WORK/node10k" 7480 7481 7482
  scale_bench "ledgerd, 1 node" 127.0.0.1:7480 127.0.0.1:7482 "$NODE_SCENARIO" "$TEN_K" 10000 \
    "$NODE_PID" "$WORK/node10k" ""
  stop_pid "$NODE_PID" && rm -rf "$WORK/node10k"
fi

if [[ ",$SYSTEMS," == *",cluster,"* ]]; then
  echo "== ledgerd, 3-node Raft cluster: $ACCOUNTS wallets, to $CLUSTER_TRANSFERS transfers ($CLUSTER_SCENARIO)"
  for n in 1 2 3; do start_member "$n"; done
  scale_bench "ledgerd, 3-node cluster" "$CLUSTER_ADDRS" "$CLUSTER_OPS" "$CLUSTER_SCENARIO" "$CLUSTER_TRANSFERS" \
    "$ACCOUNTS" "${CLUSTER_PID[1]},${CLUSTER_PID[2]},${CLUSTER_PID[3]}" \
    "$WORK/cluster1,$WORK/cluster2,$WORK/cluster3" 127.0.0.1:7611,127.0.0.1:7612,127.0.0.1:7613
  LEADER="$(leader_of)"
  echo "cluster: leader is member $LEADER; on disk per member: $(du -sh "$WORK"/cluster[123] | cut -f1 | tr '\n' ' ')"
  # A new follower: member 4 starts empty, is added as a standby, catches up (by snapshot), is promoted.
  COMMIT="$(metric "127.0.0.1:761$LEADER" ledger_raft_commit_index)"
  START="$(now)"
  start_member 4 --bootstrap=false
  # shellcheck disable=SC2046
  "$CTL" --addr "$CLUSTER_ADDRS" $(client_transport "$CLUSTER_OPS") cluster add --id 4 --raft 127.0.0.1:7594 \
    --grpc 127.0.0.1:7494 $([ "$PLAINTEXT" = 1 ] || echo "--operator 127.0.0.1:7474")
  CATCHUP="$(wait_applied 4 "$COMMIT" "$START")"
  MOVED="$(du_bytes "$WORK/cluster4")"
  INSTALLED="$(metric 127.0.0.1:7614 ledger_raft_snapshot_install_last_bytes)"
  # shellcheck disable=SC2046
  "$CTL" --addr "$CLUSTER_ADDRS" $(client_transport "$CLUSTER_OPS") cluster promote 4
  echo "cluster: member 4 joined and caught up to index $COMMIT in $CATCHUP s; its data dir $MOVED bytes, last snapshot installed ${INSTALLED:-?} bytes" |
    tee -a "$SUMMARY"
  # A follower restarts: time until it has applied what the leader had committed when it stopped.
  LEADER="$(leader_of)"
  FOLLOWER=1; [ "$LEADER" = 1 ] && FOLLOWER=2
  stop_pid "${CLUSTER_PID[$FOLLOWER]}"
  COMMIT="$(metric "127.0.0.1:761$LEADER" ledger_raft_commit_index)"
  START="$(now)"
  start_member "$FOLLOWER"
  echo "cluster: follower $FOLLOWER restarted, applied the leader's commit index $COMMIT after $(wait_applied "$FOLLOWER" "$COMMIT" "$START") s" |
    tee -a "$SUMMARY"
  TERMS=""
  for n in 1 2 3 4; do TERMS="$TERMS $n:$(metric "127.0.0.1:761$n" ledger_raft_term)"; done
  echo "cluster: Raft terms at the end (member:term):$TERMS" | tee -a "$SUMMARY"
  # Turns of a member's Raft loop busy for --raft_slow_turn_ms (a turn past the election timeout costs
  # an election): how many, and the five busiest with what they did.
  for n in 1 2 3 4; do
    SLOW="$(grep -c '^raft: a Raft loop turn was busy' "$WORK/cluster$n.log" || true)"
    echo "cluster: member $n: ${SLOW:-0} slow Raft loop turns; longest $(metric "127.0.0.1:761$n" ledger_raft_loop_longest_turn_seconds) s" |
      tee -a "$SUMMARY"
    # awk, not head: head would close the pipe early, and under pipefail sort's SIGPIPE ends the script.
    { grep '^raft: a Raft loop turn was busy' "$WORK/cluster$n.log" || true; } | sort -t' ' -k8,8nr |
      awk -v n="$n" 'NR <= 5 { print "  member " n ": " $0 }' | tee -a "$SUMMARY"
  done
  for n in 1 2 3 4; do stop_pid "${CLUSTER_PID[$n]}"; done
  rm -rf "$WORK"/cluster[1234]
fi

python3 - "$WORK/summaries" >>"$SUMMARY" <<'PY'
import sys
rows = [l.rstrip("\n").split("|")[1:] for l in open(sys.argv[1]) if l.startswith("SUMMARY|")]
print("\n| system | wallets | transfers | seconds | transfers/s | first tenth /s | last tenth /s | last vs first | failed |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for label, wallets, total, secs, rate, first, last, failed in rows:
    change = (float(last) - float(first)) / float(first) * 100 if float(first) else 0
    print(f"| {label} | {int(wallets):,} | {int(float(total)):,} | {float(secs):,.0f} | {float(rate):,.0f} | "
          f"{float(first):,.0f} | {float(last):,.0f} | {change:+.1f} % | {failed} |")
node = [r for r in rows if r[0] == "ledgerd, 1 node"]
big = [r for r in node if int(r[1]) != 10000]
small = [r for r in node if int(r[1]) == 10000]
if big and small and float(small[0][4]):
    print(f"\n{int(big[0][1]):,} wallets against 10,000: first tenth {float(big[0][5]) / float(small[0][4]) * 100:.0f} %, "
          f"whole run {float(big[0][4]) / float(small[0][4]) * 100:.0f} %, last tenth {float(big[0][6]) / float(small[0][4]) * 100:.0f} % "
          f"of the 10,000-wallet run's rate")
PY
