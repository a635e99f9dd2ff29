// ledgerctl: the command-line client of the ledger. Every command goes through the public gRPC API
// (except `verify --data-dir` and `audit --data-dir`, which read a stopped node's RocksDB
// directly).
//
// Exit codes: 0 success; 1 the request failed (gRPC error, or the store could not be opened); 2
// usage error; 3 some item was refused (its per-item result is printed); 4 verification or the
// audit found a mismatch.
//
// The parts: parse.cc reads the command line, main.cc dispatches a command to its commands_*.cc
// file (one per area), print.cc prints replies, calls.cc holds the calls several commands share.
// This header is what they share.
#ifndef LEDGER_TOOLS_LEDGERCTL_LEDGERCTL_H_
#define LEDGER_TOOLS_LEDGERCTL_LEDGERCTL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "formats/keys.h"
#include "ledger/client/client.h"

namespace ledger::ctl {

// Parsed command line: positional words and --name[=value] options.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool Has(const std::string& name) const { return options.count(name) > 0; }
};

// parse.cc
// The options before the command: --addr, --operator_addr (default: each --addr's port + 2),
// --tls_ca, --tls_cert, --tls_key (default: var/pki's CA and `demo` operator), --plaintext with
// --operator_token_file (default kOperatorTokenFileDefault) and --operator NAME; help on --help or
// -h. An unknown one is a usage error.
struct GlobalOptions {
  std::string address;
  std::string operator_address;
  std::string tls_ca, tls_cert, tls_key;
  bool plaintext = false;
  std::string token_file;
  std::string
      operator_name;  // --operator NAME: who the call acts as (--plaintext: x-ledger-operator).
  bool help = false;
  int command = 1;  // The index in argv of the command (argc when there is none).
};
GlobalOptions ParseGlobalOptions(int argc, char** argv);
[[noreturn]] void UsageError(const std::string& message);
Args Parse(int argc, char** argv, int first);
std::string Required(const Args& args, const std::string& name);
int64_t Int(const std::string& text, const std::string& name);
int64_t IntOption(const Args& args, const std::string& name, int64_t fallback);
std::string IdArg(const std::string& text, const std::string& name);
std::string HexBytes(const std::string& hex, const char* field);
uint32_t DayArg(const std::string& text, const std::string& name);
// "A:B,C:D" -> pairs of integers.
std::vector<std::pair<int64_t, int64_t>> PairsArg(const std::string& text, const std::string& name);
uint32_t MinuteArg(absl::string_view text, const std::string& name);
// The first nanosecond of a Japan-time day given as YYYY-MM-DD.
uint64_t DayStart(const std::string& text, const std::string& name);
std::vector<uint32_t> AssetList(const Args& args, const std::string& name);
// A sealed Ed25519 key file (as `wallet init` writes it), opened with the passphrase from `env` or
// a prompt.
wallet::KeyPair OpenKey(const Args& args, const std::string& option, const char* env);

// print.cc
std::string Hex(const std::string& bytes);
std::string ShortHex(const std::string& bytes);
int RpcFailed(const grpc::Status& status);
int PrintResults(const v1::CreateReply& reply);
const absl::TimeZone& Japan();
std::string JapanTime(uint64_t timestamp);
int PrintWalletReply(const v1::WalletReply& reply);
int PrintPosReply(const v1::PosReply& reply);
std::string CsvField(const std::string& field);
std::string Yen(int64_t amount);
// An amount in minor units as a decimal of the display unit: 1234567 at scale 2 -> "12,345.67".
std::string Decimal(int64_t amount, uint32_t scale);
void PrintEvent(const v1::Event& e, bool json);
void PrintClusterStatus(const std::string& address, const v1::ClusterStatusReply& reply,
                        bool members);

// calls.cc
std::unique_ptr<grpc::ClientContext> Context();
// `method` with `body` for the account --<signer>, signed with the wallet key file --key
// ($WALLET_PASSPHRASE). One signed request (one nonce) serves all retries: a replayed nonce would
// be refused.
v1::WalletRequest SignedWithKeyFile(const Args& args, const std::string& signer, const char* method,
                                    const google::protobuf::Message& body);
int HostCall(LedgerConnection& stub, const Args& args, const char* method,
             const google::protobuf::Message& body,
             grpc::Status (v1::Pos::Stub::*rpc)(grpc::ClientContext*, const v1::SignedRequest&,
                                                v1::PosReply*));
int VisitorCall(LedgerConnection& stub, const Args& args, const char* method,
                const google::protobuf::Message& body,
                grpc::Status (v1::Wallet::Stub::*rpc)(grpc::ClientContext*,
                                                      const v1::WalletRequest&, v1::WalletReply*));
uint32_t TodayInJapan();
// Reads the journal from entry `from` to entry `to` (GetJournal pages of `page` entries), decodes
// it here and calls `visit` with each entry's events in order until it returns false. 0 when done
// or stopped; the exit code of a failure otherwise (printed).
int ForEachJournalEvent(LedgerConnection& stub, uint64_t from, uint64_t to, int page,
                        const std::function<bool(const v1::Event&)>& visit);

// commands_accounts.cc
int CreateAsset(LedgerConnection& stub, const Args& args);
int CreateAccount(LedgerConnection& stub, const Args& args);
int CloseAccountCommand(LedgerConnection& stub, const Args& args);
int TransferCommand(LedgerConnection& stub, const Args& args, uint32_t phase);
int LookupAccounts(LedgerConnection& stub, const Args& args);
int LookupTransfers(LedgerConnection& stub, const Args& args);
int LookupAssets(LedgerConnection& stub, const Args& args);
int History(LedgerConnection& stub, const Args& args);
int BalanceAtCommand(LedgerConnection& stub, const Args& args);
int LinkCommand(LedgerConnection& stub, const Args& args);

// commands_shops.cc
int RegisterKeyCommand(LedgerConnection& stub, const Args& args);
int RevokeKeyCommand(LedgerConnection& stub, const Args& args);
int SetFeesCommand(LedgerConnection& stub, const Args& args);
// set-fees's options as a request (set-fees, propose fees).
v1::SetFeesRequest FeesRequest(const Args& args);
// commands_proposals.cc: four-eyes proposals, approvals, the setting.
int ProposeCommand(LedgerConnection& stub, const Args& args);
int ApproveCommand(LedgerConnection& stub, const Args& args);
int RejectCommand(LedgerConnection& stub, const Args& args);
int ProposalsCommand(LedgerConnection& stub, const Args& args);
int FourEyesCommand(LedgerConnection& stub, const Args& args);
int MerchantProfileCommand(LedgerConnection& stub, const Args& args);
int RegisterCardCommand(LedgerConnection& stub, const Args& args);
int UnlockCardCommand(LedgerConnection& stub, const Args& args);
int ReissueCardCommand(LedgerConnection& stub, const Args& args);
int StaffOpsCommand(LedgerConnection& stub, const Args& args);

// commands_health.cc
int HealthCommand(LedgerConnection& stub, const Args& args);

// commands_tasks.cc
int TaskCommand(LedgerConnection& stub, const Args& args);

// commands_campaigns.cc
int CampaignCommand(LedgerConnection& stub, const Args& args);
// commands_operators.cc: the role table and who did what.
int OperatorsCommand(LedgerConnection& stub, const Args& args);
int OperatorHistoryCommand(LedgerConnection& stub, const Args& args);

// commands_reports.cc
int PayoutsCommand(LedgerConnection& stub, const Args& args);
int BaseDateReportCommand(LedgerConnection& stub, const Args& args);

// commands_backup.cc
// Ledger.Backup into --to DIR (incremental: only files the folder lacks cross the network).
int BackupCommand(LedgerConnection& stub, const Args& args);
// Offline: --from DIR [--index N] --data-dir NEW (or --list).
int RestoreCommand(const Args& args);

// commands_journal.cc
int Digest(LedgerConnection& stub);
int VerifyOffline(const std::string& dir);
// The audit (ledger/core/audit.h) of a node's data directory, opened read-only.
int AuditOffline(const std::string& dir, bool replay);
// The audit of a running node (Ledger.Audit), on a snapshot of its store.
int AuditOnline(LedgerConnection& stub, bool replay, int64_t timeout_seconds);
// Walks the journal through GetJournal: each entry's hash matches its bytes and links to the
// previous, and the last matches the digest the server reports.
int VerifyOnline(LedgerConnection& stub);
int Tail(LedgerConnection& stub, const Args& args);

// commands_cluster.cc
int ClusterCommand(LedgerConnection& connection, const Args& args);

// main.cc
int Run(int argc, char** argv);

}  // namespace ledger::ctl

#endif  // LEDGER_TOOLS_LEDGERCTL_LEDGERCTL_H_
