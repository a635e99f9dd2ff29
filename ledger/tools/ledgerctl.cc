// ledgerctl: the command-line client of the ledger. Every command goes through the public gRPC API
// (except `verify --data-dir` and `audit --data-dir`, which read a stopped node's RocksDB directly).
//
// Exit codes: 0 success; 1 the request failed (gRPC error, or the store could not be opened); 2 usage
// error; 3 some item was refused (its per-item result is printed); 4 verification or the audit found a
// mismatch.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/client/client.h"
#include "ledger/core/audit.h"
#include "ledger/core/campaigns.h"
#include "ledger/core/health.h"
#include "ledger/core/journal.h"
#include "ledger/core/tasks.h"
#include "ledger/core/pos.h"
#include "ledger/core/records.h"
#include "ledger/server/convert.h"
#include "ledger/server/operator_token.h"
#include "ledger/storage/atomic_file.h"
#include "ledger/storage/rocks_store.h"
#include "merchant/pos_client.h"
#include "formats/keys.h"
#include "wallet/prompt.h"
#include "wallet/wallet_client.h"

namespace ledger {
namespace {

constexpr char kUsage[] = R"(ledgerctl: command-line client of the regional ledger.

Usage: ledgerctl [--addr=HOST:PORT[,HOST:PORT...]] [--operator_token_file=FILE] COMMAND [OPTIONS]
                                            (defaults: --addr 127.0.0.1:7400, --operator_token_file
                                            var/ledger/operator.token, which ops/run's ledgerd writes)
With several addresses (a Raft cluster) requests go to the leader: ledgerctl follows the "leader=" hint
of a follower's answer and moves to the next address when a node is down or an election is running.
Commands of the city (the operator API: the Ledger and Cluster services) send the operator token of
--operator_token_file (the ledgerd's --operator_token_file, by default its DATA_DIR/operator.token);
the signed commands of residents, devices and task hosts (health report|register-device|revoke-device|
consent|exchange|mileage|erase|watch-over|alerts|ack, task post|decide|cancel-slots|confirm|code|apply|
check-in) need no token. The connection is plaintext: use it over loopback or a private network.
Ids are hex (up to 32 digits; "1f" means 0x...1f). Amounts are integers in the asset's minor unit.
Times are nanoseconds on the ledger's logical clock.

Commands:
  create-asset --id N --code CODE --breakage ID [--expiry-seconds S] [--granularity-seconds S] [--scale N]
  create-account --id ID --asset N --kind KIND [--non-negative] [--category C] [--user-data N]
                 KIND: issuer wallet merchant escrow breakage fee budget external
  close-account ID
  transfer --id ID --debit ID --credit ID --amount N [--code N] [--user-data N]
           [--pending [--timeout S]] [--linked]
  post --id ID --pending-id ID [--amount N]        post a pending transfer (amount omitted: all of it)
  void --id ID --pending-id ID                     void a pending transfer
  account ID [ID ...]                              look up accounts
  lookup-transfer ID [ID ...]                      look up transfers (with their decided result)
  asset N [N ...]                                  look up assets
  history ID [--from T] [--to T] [--limit N] [--reverse]
  balance-at ID --at T
  digest                                           journal index, head hash and logical clock
  verify [--data-dir DIR]                          re-walk the journal's hash chain; report the first mismatch
                                                   (through the API, or offline on a stopped node's directory)
  audit [--data-dir DIR] [--no-replay] [--timeout-seconds N]
                                                   the invariant audit: every asset sums to zero, lots equal
                                                   balance minus pending debits, pending totals equal the open
                                                   pendings, campaigns, the hash chain, and the journal
                                                   re-applied from empty gives each stored entry and the stored
                                                   state (stops before the first step report: the journal keeps
                                                   only its commitment); prints the counts and the first
                                                   violation (exit 4). Online (Ledger.Audit, on a consistent
                                                   snapshot of the node asked, which goes on serving; replay
                                                   bounded by --timeout-seconds, default 600) or offline on a
                                                   stopped node's directory (--data-dir, opened read-only).
  tail [--from N] [--json] [--follow]              print the change stream (committed events)
  register-key --account ID --public-key HEX [--terminal T [--manager]]
                                                   register a wallet's key (or a shop terminal's, with --terminal;
                                                   a --manager terminal adds and revokes the shop's terminals
                                                   itself: pos add-terminal / revoke-terminal); after
                                                   revoke-key, the same command with a new key rotates it
  revoke-key --account ID [--terminal T]           revoke a wallet's (or terminal's) key at once: lost phone,
                                                   stolen terminal; that key is never accepted there again
  set-fees --asset N --issuer ID --fee-account ID --cashout-bps N --member-bps N --supplier-bps N
                                                   the asset's shop fee schedule (basis points; fees round down)
  merchant-profile --account ID --member yes|no [--accepts ID[,ID]]
                                                   the operator's register of a MERCHANT account: chamber member
                                                   (member cash-out rate)? which of the shop's MERCHANT accounts
                                                   in other assets (e.g. points) take payments in those assets?
  register-card --card DIGITS --account ID [--pin DIGITS] [--attempts-max N]     (PIN else $CARD_PIN)
                                                   issue a custodial card (staff charge it with the PIN)
  unlock-card --card DIGITS --operator NAME        unlock a card wrong PINs locked (listed in the resident's staff-ops)
  reissue-card --card DIGITS --new-card DIGITS --operator NAME [--pin DIGITS]     (PIN else $CARD_PIN)
                                                   re-issue a lost or locked card: the new card pays from the same
                                                   wallet with the new PIN, the old one is CARD_REPLACED for good
                                                   (listed in the resident's staff-ops, with NAME)
  staff-ops --account ID [--limit N]               what staff did with a resident's card
  payouts --from YYYY-MM-DD --to YYYY-MM-DD [--merchant ID] [--payees FILE --csv FILE] [--report FILE]
                                                   accepted cash-outs of those days (Japan time): the bank
                                                   transfer CSV (one row per merchant; FILE of payees:
                                                   merchant,bank_code,branch_code,account_type,
                                                   account_number,account_holder) and the settlement
                                                   report (every cash-out, per merchant, totals; to stdout
                                                   unless --report)
  base-date-report --date YYYY-MM-DD [--asset N[,N...]] [--points N[,N...]] [--csv FILE] [--as-of-timestamp T]
                                                   the prepaid base-date report (資金決済法) as of 24:00 JST of
                                                   --date: per asset issued, unused balance (held by wallets,
                                                   merchants, escrow), deposit due (half when above 10,000,000
                                                   yen; not for --points assets) and breakage since the
                                                   previous base date (31 Mar / 30 Sep); --as-of-timestamp cuts
                                                   at a logical time instead (tests)
Health mileage (resident commands are signed with the resident's wallet key file, --key, passphrase from
$WALLET_PASSPHRASE or asked; a device's key is a key file too, `wallet init`, passphrase $DEVICE_PASSPHRASE):
  health program --program N --effective DATE --funding ID [--tiers STEPS:PT,...] [--daily-cap N]
                 [--bonus DAYS:PT | --no-bonus] [--steps-max N] [--window-days N]
                 [--exchange PT:COIN --retire ID --coin-funding ID]
                                                   set a program version from DATE (defaults: 2000:1,4000:2,
                                                   6000:3,8000:4,10000:5; cap 5; bonus 10:10; 60,000; 7 days)
  health report --device-key FILE --program N --resident ID --device D --day DATE --steps N
                                                   a device's signed daily step report (as a phone sends it)
  health register-device --key FILE --resident ID --device D --public-key HEX
  health revoke-device --key FILE --resident ID --device D
  health consent --key FILE --resident ID --purpose earning|watch-over|statistics --grant|--revoke
  health exchange --key FILE --resident ID --program N --coin-wallet ID --points N --exchange-id X
  health mileage --key FILE --resident ID [--program N] [--from DATE] [--to DATE]
                                                   your steps and points per day, devices, consents
  health erase --key FILE --resident ID            erase your step data and alerts (points and the journal stay)
  health watch-over --key FILE --resident ID --watchers ID[,ID...] | --stop [--silent-days 2] [--drop-percent 30]
                    [--baseline-days 14] [--min-baseline-days 5]
                                                   name who is alerted (needs consent to watch-over)
  health alerts --key FILE --watcher ID [--all] [--follow]
                                                   a watcher's alerts (open ones; --all also acknowledged)
  health ack --key FILE --watcher ID --resident ID --alert N   acknowledge an alert
Farm help and workcation tasks (the host signs with its terminal key, `pos init-terminal`, $POS_PASSPHRASE;
its device that shows check-in codes has a key file too, $DEVICE_PASSPHRASE; the visitor signs with her
wallet key, $WALLET_PASSPHRASE):
  task rules [--weekly-hours 38] [--monthly-max 78000] [--dispute-hours 72]     the deployment's caps
  task grant-subsidy --budget ID (--host ID | --category C) (--percent N --monthly-max N | --withdraw)
                                                   (operator) let a host, or every shop of a category, name
                                                   the BUDGET as a task's subsidy up to N %, and up to
                                                   --monthly-max a month per host; --withdraw ends it
  task post --terminal-key F --host ID --terminal T --task X --title S --from DATE --to DATE --slots N
            --per-day N --escrow ID [--subsidy ID --subsidy-percent N] [--hours 4] --device-key F [--wage-ref S]
                                                   post a task: every slot-day is reserved in escrow
  task decide --terminal-key F --host ID --terminal T --task X --visitor ID --accept|--decline
  task cancel-slots --terminal-key F --host ID --terminal T --task X --count N   give up free slots
  task confirm --terminal-key F --host ID --terminal T --task X --visitor ID --day DATE [--dispute|--cancel]
  task code --device-key F --host ID --task X --visitor ID [--out] [--day DATE]
                                                   the check-in (or --out) code the host's device shows
  task apply --key F --visitor ID --host ID --task X
  task check-in --key F --visitor ID --host ID --task X --code HEX [--out]
  task show --host ID --task X                     the task, its slots and each visitor's days
Campaigns (operator):
  campaign create --id N --name S --funding ID --asset N [--category C | --merchants ID,...] --from DATE --to DATE
                  [--hours HH:MM-HH:MM] [--min N] --percent P | --fixed N [--per-person-month N] --budget N
                                                   award qualifying shop payments (Japan dates, --to inclusive);
                                                   refunds claw back their share
  campaign close --id N | campaign show --id N
  link --wallet ID --to ID                         a resident's account of another asset (awards in points)
  cluster status                                   each --addr node's Raft view: role, term, indexes, members
  cluster add --id N --raft HOST:PORT --grpc HOST:PORT   add a node as standby (it catches up, no vote)
  cluster promote N                                make a caught-up member a voter
  cluster remove N                                 remove a member (before wiping its disk)
  cluster transfer [N]                             hand leadership to member N (default: the most up to date)
  help                                             this text; `ledgerctl COMMAND --help` too
)";

// Parsed command line: positional words and --name[=value] options.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool Has(const std::string& name) const { return options.count(name) > 0; }
};

[[noreturn]] void UsageError(const std::string& message) {
  fprintf(stderr, "ledgerctl: %s\nRun `ledgerctl help` for usage.\n", message.c_str());
  exit(2);
}

// Options that take no value.
bool IsSwitch(const std::string& name) {
  return name == "non-negative" || name == "pending" || name == "linked" || name == "reverse" ||
         name == "json" || name == "follow" || name == "help" || name == "no-bonus" || name == "grant" ||
         name == "revoke" || name == "stop" || name == "all" || name == "accept" || name == "decline" ||
         name == "out" || name == "dispute" || name == "cancel" || name == "manager" || name == "no-replay";
}

Args Parse(int argc, char** argv, int first) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0) {
      args.positional.push_back(word);
      continue;
    }
    word = word.substr(2);
    const size_t equals = word.find('=');
    if (equals != std::string::npos) {
      args.options[word.substr(0, equals)] = word.substr(equals + 1);
    } else if (IsSwitch(word)) {
      args.options[word] = "true";
    } else if (i + 1 < argc) {
      args.options[word] = argv[++i];
    } else {
      UsageError(absl::StrCat("--", word, " needs a value"));
    }
  }
  return args;
}

std::string Required(const Args& args, const std::string& name) {
  auto it = args.options.find(name);
  if (it == args.options.end()) UsageError(absl::StrCat("--", name, " is required"));
  return it->second;
}

int64_t Int(const std::string& text, const std::string& name) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) UsageError(absl::StrCat("--", name, ": not an integer: '", text, "'"));
  return value;
}

int64_t IntOption(const Args& args, const std::string& name, int64_t fallback) {
  return args.Has(name) ? Int(args.options.at(name), name) : fallback;
}

std::string IdArg(const std::string& text, const std::string& name) {
  std::optional<Id128> id = Id128::FromHex(text);
  if (!id) UsageError(absl::StrCat(name, ": not a hex id of up to 32 digits: '", text, "'"));
  return id->ToBytes();
}

std::string Hex(const std::string& bytes) {
  std::optional<Id128> id = Id128::FromBytes(bytes);
  return id ? id->ToHex() : "-";
}

std::string ShortHex(const std::string& bytes) {
  std::string hex = Hex(bytes);
  const size_t first = hex.find_first_not_of('0');
  return first == std::string::npos ? "0" : hex.substr(first);
}

int RpcFailed(const grpc::Status& status) {
  fprintf(stderr, "ledgerctl: request failed: %s: %s\n",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
          status.error_message().c_str());
  return 1;
}

int PrintResults(const v1::CreateReply& reply) {
  int refused = 0;
  for (const v1::ItemResult& item : reply.results()) {
    const char* name = ResultName(static_cast<Result>(item.result()));
    printf("item %u: %s%s\n", item.index(), name, item.duplicate() ? " (duplicate: original outcome)" : "");
    refused += item.result() != v1::OK;
  }
  printf("journal index %llu\n", static_cast<unsigned long long>(reply.journal_index()));
  return refused ? 3 : 0;
}

std::unique_ptr<grpc::ClientContext> Context() { return ContextWithDeadline(std::chrono::seconds(30)); }

int CreateAsset(LedgerConnection& stub, const Args& args) {
  v1::CreateAssetsRequest request;
  v1::Asset* asset = request.add_assets();
  asset->set_id(static_cast<uint32_t>(Int(Required(args, "id"), "id")));
  asset->set_code(Required(args, "code"));
  asset->set_breakage_account_id(IdArg(Required(args, "breakage"), "--breakage"));
  asset->set_expiry_seconds(IntOption(args, "expiry-seconds", 0));
  asset->set_expiry_granularity_seconds(IntOption(args, "granularity-seconds", 86400));
  asset->set_scale(static_cast<uint32_t>(IntOption(args, "scale", 0)));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().CreateAssets(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int CreateAccount(LedgerConnection& stub, const Args& args) {
  v1::CreateAccountsRequest request;
  v1::Account* account = request.add_accounts();
  account->set_id(IdArg(Required(args, "id"), "--id"));
  account->set_asset(static_cast<uint32_t>(Int(Required(args, "asset"), "asset")));
  std::optional<AccountKind> kind = AccountKindFromName(Required(args, "kind"));
  if (!kind) UsageError("--kind: one of issuer wallet merchant escrow breakage fee budget external");
  account->set_kind(static_cast<v1::AccountKind>(*kind));
  account->set_flags(args.Has("non-negative") ? v1::NON_NEGATIVE : 0);
  account->set_category(args.Has("category") ? args.options.at("category") : "");
  account->set_user_data(static_cast<uint64_t>(IntOption(args, "user-data", 0)));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().CreateAccounts(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int CloseAccountCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("close-account needs an account id");
  v1::CloseAccountsRequest request;
  for (const std::string& id : args.positional) request.add_ids(IdArg(id, "account id"));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().CloseAccounts(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int TransferCommand(LedgerConnection& stub, const Args& args, uint32_t phase) {
  v1::CreateTransfersRequest request;
  v1::Transfer* t = request.add_transfers();
  t->set_id(IdArg(Required(args, "id"), "--id"));
  uint32_t flags = phase;
  if (phase == 0) {
    t->set_debit_account_id(IdArg(Required(args, "debit"), "--debit"));
    t->set_credit_account_id(IdArg(Required(args, "credit"), "--credit"));
    t->set_amount(Int(Required(args, "amount"), "amount"));
    if (args.Has("pending")) flags |= v1::PENDING;
    t->set_timeout_seconds(IntOption(args, "timeout", 0));
  } else {
    t->set_pending_id(IdArg(Required(args, "pending-id"), "--pending-id"));
    t->set_amount(IntOption(args, "amount", 0));
  }
  if (args.Has("linked")) flags |= v1::LINKED;
  t->set_flags(flags);
  t->set_code(static_cast<uint32_t>(IntOption(args, "code", 1)));
  t->set_user_data(static_cast<uint64_t>(IntOption(args, "user-data", 0)));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().CreateTransfers(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

std::string HexBytes(const std::string& hex, const char* field) {
  std::string out;
  if (hex.size() % 2 != 0) UsageError(absl::StrCat(field, ": an even number of hex digits"));
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = std::isxdigit(static_cast<unsigned char>(hex[i])) ? std::stoi(hex.substr(i, 1), nullptr, 16) : -1;
    const int low = std::isxdigit(static_cast<unsigned char>(hex[i + 1])) ? std::stoi(hex.substr(i + 1, 1), nullptr, 16) : -1;
    if (high < 0 || low < 0) UsageError(absl::StrCat(field, ": not hex"));
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

int RegisterKeyCommand(LedgerConnection& stub, const Args& args) {
  v1::RegisterKeysRequest request;
  v1::PublicKey* key = request.add_keys();
  key->set_account_id(IdArg(Required(args, "account"), "--account"));
  key->set_public_key(HexBytes(Required(args, "public-key"), "--public-key"));
  if (args.Has("terminal")) key->set_key_id(args.options.at("terminal"));
  if (args.Has("manager")) {
    if (!args.Has("terminal")) UsageError("--manager: only a terminal's key (--terminal T) can be a manager");
    key->set_manager(true);
  }
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().RegisterKeys(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int RevokeKeyCommand(LedgerConnection& stub, const Args& args) {
  v1::RevokeKeysRequest request;
  v1::KeyRef* key = request.add_keys();
  key->set_account_id(IdArg(Required(args, "account"), "--account"));
  if (args.Has("terminal")) key->set_key_id(args.options.at("terminal"));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().RevokeKeys(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int SetFeesCommand(LedgerConnection& stub, const Args& args) {
  v1::SetFeesRequest request;
  v1::FeeSchedule* fees = request.add_schedules();
  fees->set_asset(static_cast<uint32_t>(Int(Required(args, "asset"), "asset")));
  fees->set_issuer_account_id(IdArg(Required(args, "issuer"), "--issuer"));
  fees->set_fee_account_id(IdArg(Required(args, "fee-account"), "--fee-account"));
  fees->set_cashout_bps(static_cast<uint32_t>(Int(Required(args, "cashout-bps"), "cashout-bps")));
  fees->set_member_cashout_bps(static_cast<uint32_t>(Int(Required(args, "member-bps"), "member-bps")));
  fees->set_supplier_bps(static_cast<uint32_t>(Int(Required(args, "supplier-bps"), "supplier-bps")));
  v1::CreateReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().SetFees(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int MerchantProfileCommand(LedgerConnection& stub, const Args& args) {
  v1::SetMerchantProfilesRequest request;
  v1::MerchantProfile* profile = request.add_profiles();
  profile->set_merchant_id(IdArg(Required(args, "account"), "--account"));
  const std::string member = Required(args, "member");
  if (member != "yes" && member != "no") UsageError("--member: yes or no");
  profile->set_chamber_member(member == "yes");
  if (args.Has("accepts")) {
    for (absl::string_view id : absl::StrSplit(args.options.at("accepts"), ',', absl::SkipEmpty())) {
      profile->add_accepts_account_ids(IdArg(std::string(id), "--accepts"));
    }
  }
  v1::CreateReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return c.ledger().SetMerchantProfiles(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int RegisterCardCommand(LedgerConnection& stub, const Args& args) {
  v1::RegisterCardsRequest request;
  v1::Card* card = request.add_cards();
  card->set_card_number(Required(args, "card"));
  card->set_account_id(IdArg(Required(args, "account"), "--account"));
  const char* pin = std::getenv("CARD_PIN");  // Keeps the PIN out of the process list.
  card->set_pin(args.Has("pin") ? args.options.at("pin") : pin ? pin : "");
  if (card->pin().empty()) UsageError("--pin (or $CARD_PIN) is required");
  card->set_attempts_max(static_cast<uint32_t>(IntOption(args, "attempts-max", 0)));
  v1::CreateReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return c.ledger().RegisterCards(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int UnlockCardCommand(LedgerConnection& stub, const Args& args) {
  v1::UnlockCardsRequest request;
  v1::CardUnlock* card = request.add_cards();
  card->set_card_number(Required(args, "card"));
  card->set_operator_name(Required(args, "operator"));
  v1::CreateReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return c.ledger().UnlockCards(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int ReissueCardCommand(LedgerConnection& stub, const Args& args) {
  v1::ReissueCardsRequest request;
  v1::CardReissue* card = request.add_cards();
  card->set_card_number(Required(args, "card"));
  card->set_new_card_number(Required(args, "new-card"));
  card->set_operator_name(Required(args, "operator"));
  const char* pin = std::getenv("CARD_PIN");  // Keeps the PIN out of the process list.
  card->set_pin(args.Has("pin") ? args.options.at("pin") : pin ? pin : "");
  if (card->pin().empty()) UsageError("--pin (or $CARD_PIN) is required: the new card's PIN");
  v1::CreateReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return c.ledger().ReissueCards(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

const absl::TimeZone& Japan() {
  static const absl::TimeZone zone = absl::FixedTimeZone(static_cast<int>(kJapanOffsetSeconds));  // Business days.
  return zone;
}

std::string JapanTime(uint64_t timestamp) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixNanos(static_cast<int64_t>(timestamp)), Japan());
}

// ----- health mileage -----

uint32_t DayArg(const std::string& text, const std::string& name) {
  std::string digits = text;
  digits.erase(std::remove(digits.begin(), digits.end(), '-'), digits.end());
  uint32_t day = 0;
  if (!absl::SimpleAtoi(digits, &day) || !DayIndexOf(day)) {
    UsageError(absl::StrCat("--", name, ": not a date (YYYY-MM-DD or YYYYMMDD): '", text, "'"));
  }
  return day;
}

// "A:B,C:D" -> pairs of integers.
std::vector<std::pair<int64_t, int64_t>> PairsArg(const std::string& text, const std::string& name) {
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::vector<std::string> parts = absl::StrSplit(item, ':');
    int64_t a = 0, b = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &a) || !absl::SimpleAtoi(parts[1], &b) || a < 0 || b < 0) {
      UsageError(absl::StrCat("--", name, ": expected N:M[,N:M...], got '", text, "'"));
    }
    pairs.emplace_back(a, b);
  }
  return pairs;
}

// A sealed Ed25519 key file (as `wallet init` writes it), opened with the passphrase from `env` or a prompt.
wallet::KeyPair OpenKey(const Args& args, const std::string& option, const char* env) {
  absl::StatusOr<std::string> sealed = wallet::ReadKeyFile(Required(args, option));
  if (!sealed.ok()) UsageError(absl::StrCat("--", option, ": ", sealed.status().message()));
  absl::StatusOr<wallet::KeyPair> keys =
      wallet::Open(*sealed, wallet::ReadSecret(env, absl::StrCat("Passphrase for ", args.options.at(option), ": ")));
  if (!keys.ok()) UsageError(absl::StrCat("--", option, ": ", keys.status().message()));
  return *keys;
}

uint64_t WallMs() {
  return static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
}

int PrintWalletReply(const v1::WalletReply& reply) {
  printf("%s%s at %s (journal index %llu)\n", ResultName(static_cast<Result>(reply.result())),
         reply.duplicate() ? " (duplicate: original outcome)" : "", JapanTime(reply.timestamp()).c_str(),
         static_cast<unsigned long long>(reply.journal_index()));
  if (reply.result() == v1::EXCEEDS_BALANCE) printf("available: %lld\n", static_cast<long long>(reply.available()));
  return reply.result() == v1::OK ? 0 : 3;
}

int HealthProgramCommand(LedgerConnection& stub, const Args& args) {
  v1::HealthProgram program;
  program.set_program(static_cast<uint32_t>(Int(Required(args, "program"), "program")));
  program.set_effective_day(DayArg(Required(args, "effective"), "effective"));
  program.set_funding_account_id(IdArg(Required(args, "funding"), "--funding"));
  if (args.Has("tiers")) {
    for (auto [steps, points] : PairsArg(args.options.at("tiers"), "tiers")) {
      v1::StepTier* tier = program.add_tiers();
      tier->set_steps_min(static_cast<uint32_t>(steps));
      tier->set_points(static_cast<uint32_t>(points));
    }
  }
  program.set_daily_cap(static_cast<uint32_t>(IntOption(args, "daily-cap", 0)));
  if (args.Has("no-bonus")) {
    program.set_no_bonus(true);
  } else if (args.Has("bonus")) {
    auto bonus = PairsArg(args.options.at("bonus"), "bonus");
    if (bonus.size() != 1) UsageError("--bonus: DAYS:POINTS");
    program.set_bonus_days(static_cast<uint32_t>(bonus[0].first));
    program.set_bonus_points(static_cast<uint32_t>(bonus[0].second));
  }
  program.set_steps_max(static_cast<uint32_t>(IntOption(args, "steps-max", 0)));
  program.set_report_window_days(static_cast<uint32_t>(IntOption(args, "window-days", 0)));
  if (args.Has("exchange")) {
    auto rate = PairsArg(args.options.at("exchange"), "exchange");
    if (rate.size() != 1) UsageError("--exchange: POINTS:COIN");
    program.set_exchange_points(static_cast<uint32_t>(rate[0].first));
    program.set_exchange_coin(rate[0].second);
    program.set_exchange_retire_account_id(IdArg(Required(args, "retire"), "--retire"));
    program.set_coin_funding_account_id(IdArg(Required(args, "coin-funding"), "--coin-funding"));
  }
  v1::CreateReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return c.ledger().SetHealthProgram(Context().get(), program, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int HealthReportCommand(LedgerConnection& stub, const Args& args) {
  const wallet::KeyPair device = OpenKey(args, "device-key", "DEVICE_PASSPHRASE");
  v1::StepReportRequest report;
  report.set_program(static_cast<uint32_t>(Int(Required(args, "program"), "program")));
  report.set_resident_id(IdArg(Required(args, "resident"), "--resident"));
  report.set_device_id(Required(args, "device"));
  report.set_day(DayArg(Required(args, "day"), "day"));
  const int64_t steps = Int(Required(args, "steps"), "steps");
  if (steps < 0 || steps > UINT32_MAX) UsageError("--steps: 0 or more");
  report.set_steps(static_cast<uint32_t>(steps));
  report.set_nonce(wallet::RandomNonce());
  report.set_signature(wallet::Sign(device, StepReportSignedBytes(report.program(), *Id128::FromBytes(report.resident_id()),
                                                                  report.device_id(), report.day(), report.steps(),
                                                                  report.nonce())));
  v1::StepReportReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return c.health().ReportSteps(Context().get(), report, &reply); });
  if (!status.ok()) return RpcFailed(status);
  printf("%s: %lld pt awarded; %u pt for %u so far; %u qualifying days this month (journal index %llu)\n",
         ResultName(static_cast<Result>(reply.result())), static_cast<long long>(reply.points_awarded()),
         reply.day_points(), report.day(), reply.month_qualifying_days(),
         static_cast<unsigned long long>(reply.journal_index()));
  return reply.result() == v1::OK ? 0 : 3;
}

// `method` with `body` for the account --<signer>, signed with the wallet key file --key ($WALLET_PASSPHRASE).
// One signed request (one nonce) serves all retries: a replayed nonce would be refused.
v1::WalletRequest SignedWithKeyFile(const Args& args, const std::string& signer, const char* method,
                                    const google::protobuf::Message& body) {
  const wallet::KeyPair keys = OpenKey(args, "key", "WALLET_PASSPHRASE");
  return wallet::SignWalletRequest(keys, IdArg(Required(args, signer), "--" + signer), method, body, WallMs(),
                                   wallet::RandomNonce());
}

// A resident's own request, signed with their wallet key.
template <typename Body, typename Reply>
grpc::Status ResidentCall(LedgerConnection& stub, const Args& args, const char* method, const Body& body, Reply* reply,
                          grpc::Status (v1::Health::Stub::*rpc)(grpc::ClientContext*, const v1::WalletRequest&, Reply*),
                          const std::string& signer = "resident") {
  const v1::WalletRequest request = SignedWithKeyFile(args, signer, method, body);
  return stub.Call([&](LedgerConnection& c) { return (c.health().*rpc)(Context().get(), request, reply); });
}

int HealthResidentCommand(LedgerConnection& stub, const std::string& sub, const Args& args) {
  v1::WalletReply reply;
  grpc::Status status;
  if (sub == "register-device") {
    v1::RegisterDeviceRequest body;
    body.set_device_id(Required(args, "device"));
    const std::string key = HexBytes(Required(args, "public-key"), "--public-key");
    if (key.size() != 32) UsageError("--public-key: 64 hex digits (an Ed25519 public key)");
    body.set_public_key(key);
    status = ResidentCall(stub, args, "RegisterDevice", body, &reply, &v1::Health::Stub::RegisterDevice);
  } else if (sub == "revoke-device") {
    v1::RevokeDeviceRequest body;
    body.set_device_id(Required(args, "device"));
    status = ResidentCall(stub, args, "RevokeDevice", body, &reply, &v1::Health::Stub::RevokeDevice);
  } else if (sub == "consent") {
    v1::ConsentRequest body;
    const std::string purpose = Required(args, "purpose");
    if (purpose == "earning") {
      body.set_purpose(v1::EARNING);
    } else if (purpose == "watch-over") {
      body.set_purpose(v1::WATCH_OVER);
    } else if (purpose == "statistics") {
      body.set_purpose(v1::STATISTICS);
    } else {
      UsageError("--purpose: earning, watch-over or statistics");
    }
    if (args.Has("grant") == args.Has("revoke")) UsageError("consent: give --grant or --revoke");
    body.set_granted(args.Has("grant"));
    status = ResidentCall(stub, args, "SetConsent", body, &reply, &v1::Health::Stub::SetConsent);
  } else if (sub == "exchange") {
    v1::ExchangePointsRequest body;
    body.set_program(static_cast<uint32_t>(Int(Required(args, "program"), "program")));
    body.set_coin_wallet_id(IdArg(Required(args, "coin-wallet"), "--coin-wallet"));
    body.set_points(Int(Required(args, "points"), "points"));
    body.set_exchange_id(Required(args, "exchange-id"));
    status = ResidentCall(stub, args, "ExchangePoints", body, &reply, &v1::Health::Stub::ExchangePoints);
  } else if (sub == "watch-over") {
    v1::WatchOverRequest body;
    if (!args.Has("stop")) {
      for (absl::string_view id : absl::StrSplit(Required(args, "watchers"), ',')) {
        body.add_watcher_ids(IdArg(std::string(id), "--watchers"));
      }
    }
    body.set_silent_days(static_cast<uint32_t>(IntOption(args, "silent-days", 0)));
    body.set_drop_percent(static_cast<uint32_t>(IntOption(args, "drop-percent", 0)));
    body.set_baseline_days(static_cast<uint32_t>(IntOption(args, "baseline-days", 0)));
    body.set_min_baseline_days(static_cast<uint32_t>(IntOption(args, "min-baseline-days", 0)));
    status = ResidentCall(stub, args, "SetWatchOver", body, &reply, &v1::Health::Stub::SetWatchOver);
  } else if (sub == "ack") {
    v1::AckAlertRequest body;
    body.set_resident_id(IdArg(Required(args, "resident"), "--resident"));
    body.set_alert(static_cast<uint32_t>(Int(Required(args, "alert"), "alert")));
    status = ResidentCall(stub, args, "AckAlert", body, &reply, &v1::Health::Stub::AckAlert, "watcher");
  } else if (sub == "erase") {
    status = ResidentCall(stub, args, "EraseStepData", v1::EraseStepDataRequest(), &reply,
                          &v1::Health::Stub::EraseStepData);
  } else {
    UsageError(absl::StrCat("health: unknown subcommand '", sub, "'"));
  }
  return status.ok() ? PrintWalletReply(reply) : RpcFailed(status);
}

int HealthMileageCommand(LedgerConnection& stub, const Args& args) {
  v1::MileageRequest body;
  body.set_program(static_cast<uint32_t>(IntOption(args, "program", 0)));
  if (args.Has("from")) body.set_from_day(DayArg(args.options.at("from"), "from"));
  if (args.Has("to")) body.set_to_day(DayArg(args.options.at("to"), "to"));
  v1::MileageReply reply;
  grpc::Status status = ResidentCall(stub, args, "GetMileage", body, &reply, &v1::Health::Stub::GetMileage);
  if (!status.ok()) return RpcFailed(status);
  printf("%-10s %8s %6s\n", "day", "steps", "points");
  for (const v1::MileageDay& day : reply.days()) {
    printf("%-10u %8s %6u\n", day.day(), day.has_steps() ? absl::StrCat(day.steps()).c_str() : "-", day.points());
  }
  printf("this month: %u qualifying days, bonus %u pt; points available: %lld\n", reply.month_qualifying_days(),
         reply.month_bonus_points(), static_cast<long long>(reply.points_balance()));
  for (const v1::MileageDevice& device : reply.devices()) {
    printf("device %s%s, registered %s\n", device.device_id().c_str(), device.revoked() ? " (revoked)" : "",
           JapanTime(device.registered()).c_str());
  }
  std::vector<std::string> consents;
  for (int purpose : reply.consents()) consents.push_back(v1::ConsentPurpose_Name(purpose));
  printf("consents: %s\n", consents.empty() ? "none" : absl::StrJoin(consents, ", ").c_str());
  return 0;
}

// A watcher's alerts: those open now (and acknowledged ones with --all), then, with --follow, each new one
// and each acknowledgement as it happens; without --follow it stops after 3 s of quiet.
int HealthAlertsCommand(LedgerConnection& stub, const Args& args) {
  v1::WatchAlertsRequest body;
  body.set_include_acknowledged(args.Has("all"));
  const v1::WalletRequest request = SignedWithKeyFile(args, "watcher", "WatchAlerts", body);
  const bool follow = args.Has("follow");
  int shown = 0;
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    grpc::ClientContext context;
    if (!follow) context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    std::unique_ptr<grpc::ClientReader<v1::Alert>> reader = c.health().WatchAlerts(&context, request);
    v1::Alert alert;
    while (reader->Read(&alert)) {
      ++shown;
      printf("resident %s alert %u: %s on %u", ShortHex(alert.resident_id()).c_str(), alert.seq(), alert.kind().c_str(),
             alert.day());
      if (alert.kind() == "no_reports") printf(" (%u days without a report)", alert.days_silent());
      if (alert.kind() == "steps_fell") printf(" (%u %% of the usual steps)", alert.percent_of_baseline());
      printf(", raised %s", JapanTime(alert.raised_at()).c_str());
      if (!alert.acknowledged_by().empty()) {
        printf("; acknowledged by %s at %s", ShortHex(alert.acknowledged_by()).c_str(),
               JapanTime(alert.acknowledged_at()).c_str());
      }
      printf("\n");
      fflush(stdout);
    }
    grpc::Status finished = reader->Finish();
    return !follow && finished.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? grpc::Status::OK : finished;
  });
  if (!status.ok()) return RpcFailed(status);
  if (shown == 0) printf("no alerts\n");
  return 0;
}

int HealthCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("health: which subcommand? (see `ledgerctl help`)");
  const std::string& sub = args.positional[0];
  if (sub == "program") return HealthProgramCommand(stub, args);
  if (sub == "report") return HealthReportCommand(stub, args);
  if (sub == "mileage") return HealthMileageCommand(stub, args);
  if (sub == "alerts") return HealthAlertsCommand(stub, args);
  return HealthResidentCommand(stub, sub, args);
}

// ----- farm help and workcation tasks -----

// The host's terminal (merchant, terminal id, its sealed key from `pos init-terminal`, $POS_PASSPHRASE).
merchant::Terminal HostTerminal(const Args& args) {
  return merchant::Terminal{IdArg(Required(args, "host"), "--host"), Required(args, "terminal"),
                            OpenKey(args, "terminal-key", "POS_PASSPHRASE")};
}

int PrintPosReply(const v1::PosReply& reply) {
  printf("%s%s at %s (journal index %llu)\n", ResultName(static_cast<Result>(reply.result())),
         reply.duplicate() ? " (duplicate: original outcome)" : "", JapanTime(reply.timestamp()).c_str(),
         static_cast<unsigned long long>(reply.journal_index()));
  if (reply.result() == v1::EXCEEDS_BALANCE) printf("available: %lld\n", static_cast<long long>(reply.available()));
  return reply.result() == v1::OK ? 0 : 3;
}

int HostCall(LedgerConnection& stub, const Args& args, const char* method, const google::protobuf::Message& body,
             grpc::Status (v1::Pos::Stub::*rpc)(grpc::ClientContext*, const v1::SignedRequest&, v1::PosReply*)) {
  const v1::SignedRequest request = merchant::SignRequest(HostTerminal(args), method, body, WallMs());
  v1::PosReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return (c.pos().*rpc)(Context().get(), request, &reply); });
  return status.ok() ? PrintPosReply(reply) : RpcFailed(status);
}

int VisitorCall(LedgerConnection& stub, const Args& args, const char* method, const google::protobuf::Message& body,
                grpc::Status (v1::Wallet::Stub::*rpc)(grpc::ClientContext*, const v1::WalletRequest&, v1::WalletReply*)) {
  const v1::WalletRequest request = SignedWithKeyFile(args, "visitor", method, body);
  v1::WalletReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return (c.wallet().*rpc)(Context().get(), request, &reply); });
  return status.ok() ? PrintWalletReply(reply) : RpcFailed(status);
}

uint32_t TodayInJapan() { return BusinessDay(static_cast<Timestamp>(absl::ToUnixNanos(absl::Now()))); }

int GrantSubsidyCommand(LedgerConnection& stub, const Args& args) {
  v1::GrantSubsidiesRequest request;
  v1::SubsidyGrant* grant = request.add_grants();
  grant->set_budget_account_id(IdArg(Required(args, "budget"), "--budget"));
  if (args.Has("host") == args.Has("category")) UsageError("task grant-subsidy: one of --host and --category");
  if (args.Has("host")) grant->set_host_account_id(IdArg(args.options.at("host"), "--host"));
  if (args.Has("category")) grant->set_category(args.options.at("category"));
  if (!args.Has("withdraw")) {
    grant->set_percent_max(static_cast<uint32_t>(Int(Required(args, "percent"), "percent")));
    grant->set_monthly_max(Int(Required(args, "monthly-max"), "monthly-max"));
  }
  v1::CreateReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return c.ledger().GrantSubsidies(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int TaskCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("task: which subcommand? (see `ledgerctl help`)");
  const std::string& sub = args.positional[0];
  if (sub == "grant-subsidy") return GrantSubsidyCommand(stub, args);
  const std::string task_id = sub == "rules" ? "" : Required(args, "task");
  if (sub == "rules") {
    v1::TaskRules rules;
    rules.set_weekly_hours_max(static_cast<uint32_t>(IntOption(args, "weekly-hours", 0)));
    rules.set_monthly_max(IntOption(args, "monthly-max", 0));
    rules.set_dispute_hours(static_cast<uint32_t>(IntOption(args, "dispute-hours", 0)));
    v1::CreateReply reply;
    grpc::Status status =
        stub.Call([&](LedgerConnection& c) { return c.ledger().SetTaskRules(Context().get(), rules, &reply); });
    return status.ok() ? PrintResults(reply) : RpcFailed(status);
  }
  if (sub == "show") {
    v1::GetTaskRequest request;
    request.set_host_account_id(IdArg(Required(args, "host"), "--host"));
    request.set_task_id(task_id);
    v1::GetTaskReply reply;
    grpc::Status status =
        stub.Call([&](LedgerConnection& c) { return c.ledger().GetTask(Context().get(), request, &reply); });
    if (!status.ok()) return RpcFailed(status);
    const v1::PostTaskRequest& t = reply.task();
    printf("task %s: %s\n  %u..%u, %u slots (%u accepted, %u given up), %lld coin a day, %u h a day%s\n",
           t.task_id().c_str(), t.title().c_str(), t.first_day(), t.last_day(), t.slots(), reply.accepted(),
           reply.cancelled(), static_cast<long long>(t.per_day()), t.hours_per_day(), reply.closed() ? ", closed" : "");
    if (t.subsidy_percent() > 0) {
      printf("  city subsidy %u %% from %s\n", t.subsidy_percent(), ShortHex(t.subsidy_account_id()).c_str());
    }
    if (!t.wage_reference().empty()) printf("  yen wage (outside the ledger): %s\n", t.wage_reference().c_str());
    for (const v1::TaskApplicationInfo& a : reply.applications()) {
      printf("  visitor %s: %s", ShortHex(a.visitor_account_id()).c_str(), a.state().c_str());
      if (a.slot() > 0) printf(" (slot %u)", a.slot());
      for (const v1::TaskDayInfo& d : a.days()) printf("  %u %s", d.day(), d.state().c_str());
      printf("\n");
    }
    return 0;
  }
  if (sub == "code") {  // What the host's device shows: its signature for this visitor, today.
    const wallet::KeyPair device = OpenKey(args, "device-key", "DEVICE_PASSPHRASE");
    const uint32_t day = args.Has("day") ? DayArg(args.options.at("day"), "day") : TodayInJapan();
    const std::string signature = wallet::Sign(
        device, TaskCodeSignedBytes(*Id128::FromBytes(IdArg(Required(args, "host"), "--host")), task_id,
                                    *Id128::FromBytes(IdArg(Required(args, "visitor"), "--visitor")), day,
                                    args.Has("out")));
    printf("%s\n", wallet::Hex(signature).c_str());
    return 0;
  }
  if (sub == "post") {
    v1::PostTaskRequest body;
    body.set_task_id(task_id);
    body.set_title(args.Has("title") ? args.options.at("title") : "");
    body.set_first_day(DayArg(Required(args, "from"), "from"));
    body.set_last_day(DayArg(Required(args, "to"), "to"));
    body.set_slots(static_cast<uint32_t>(Int(Required(args, "slots"), "slots")));
    body.set_per_day(Int(Required(args, "per-day"), "per-day"));
    body.set_escrow_account_id(IdArg(Required(args, "escrow"), "--escrow"));
    if (args.Has("subsidy")) {
      body.set_subsidy_account_id(IdArg(args.options.at("subsidy"), "--subsidy"));
      body.set_subsidy_percent(static_cast<uint32_t>(Int(Required(args, "subsidy-percent"), "subsidy-percent")));
    }
    body.set_hours_per_day(static_cast<uint32_t>(IntOption(args, "hours", 4)));
    body.set_host_key(OpenKey(args, "device-key", "DEVICE_PASSPHRASE").public_key);
    if (args.Has("wage-ref")) body.set_wage_reference(args.options.at("wage-ref"));
    return HostCall(stub, args, "PostTask", body, &v1::Pos::Stub::PostTask);
  }
  if (sub == "decide") {
    if (args.Has("accept") == args.Has("decline")) UsageError("task decide: give --accept or --decline");
    v1::DecideApplicationRequest body;
    body.set_task_id(task_id);
    body.set_visitor_account_id(IdArg(Required(args, "visitor"), "--visitor"));
    body.set_accept(args.Has("accept"));
    return HostCall(stub, args, "DecideApplication", body, &v1::Pos::Stub::DecideApplication);
  }
  if (sub == "cancel-slots") {
    v1::CancelSlotsRequest body;
    body.set_task_id(task_id);
    body.set_count(static_cast<uint32_t>(Int(Required(args, "count"), "count")));
    return HostCall(stub, args, "CancelSlots", body, &v1::Pos::Stub::CancelSlots);
  }
  if (sub == "confirm") {
    v1::ConfirmDayRequest body;
    body.set_task_id(task_id);
    body.set_visitor_account_id(IdArg(Required(args, "visitor"), "--visitor"));
    body.set_day(DayArg(Required(args, "day"), "day"));
    if (args.Has("dispute") && args.Has("cancel")) UsageError("task confirm: --dispute or --cancel, not both");
    body.set_action(args.Has("dispute") ? "dispute" : args.Has("cancel") ? "cancel" : "confirm");
    return HostCall(stub, args, "ConfirmDay", body, &v1::Pos::Stub::ConfirmDay);
  }
  if (sub == "apply") {
    v1::ApplyTaskRequest body;
    body.set_host_account_id(IdArg(Required(args, "host"), "--host"));
    body.set_task_id(task_id);
    return VisitorCall(stub, args, "ApplyTask", body, &v1::Wallet::Stub::ApplyTask);
  }
  if (sub == "check-in") {
    v1::CheckInRequest body;
    body.set_host_account_id(IdArg(Required(args, "host"), "--host"));
    body.set_task_id(task_id);
    body.set_out(args.Has("out"));
    body.set_host_signature(HexBytes(Required(args, "code"), "--code"));
    return VisitorCall(stub, args, "CheckIn", body, &v1::Wallet::Stub::CheckIn);
  }
  UsageError(absl::StrCat("task: unknown subcommand '", sub, "'"));
}

// ----- campaigns -----


uint32_t MinuteArg(absl::string_view text, const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  uint32_t hours = 0, minutes = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &hours) || !absl::SimpleAtoi(parts[1], &minutes) ||
      hours > 24 || minutes > 59 || hours * 60 + minutes > 1440) {
    UsageError(absl::StrCat("--", name, ": HH:MM-HH:MM (Japan time), got '", text, "'"));
  }
  return hours * 60 + minutes;
}

int CampaignCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("campaign: create, close or show");
  const std::string& sub = args.positional[0];
  const uint32_t id = static_cast<uint32_t>(Int(Required(args, "id"), "id"));
  if (sub == "create") {
    v1::Campaign c;
    c.set_campaign(id);
    c.set_name(args.Has("name") ? args.options.at("name") : "");
    c.set_funding_account_id(IdArg(Required(args, "funding"), "--funding"));
    c.set_payment_asset(static_cast<uint32_t>(Int(Required(args, "asset"), "asset")));
    if (args.Has("category")) c.set_category(args.options.at("category"));
    if (args.Has("merchants")) {
      for (absl::string_view merchant : absl::StrSplit(args.options.at("merchants"), ',')) {
        c.add_merchant_ids(IdArg(std::string(merchant), "--merchants"));
      }
    }
    c.set_starts_at(BusinessDayStart(*DayIndexOf(DayArg(Required(args, "from"), "from"))));
    c.set_ends_at(BusinessDayStart(*DayIndexOf(DayArg(Required(args, "to"), "to")) + 1));  // Through --to.
    if (args.Has("hours")) {
      std::vector<std::string> range = absl::StrSplit(args.options.at("hours"), '-');
      if (range.size() != 2) UsageError("--hours: HH:MM-HH:MM");
      c.set_from_minute(MinuteArg(range[0], "hours"));
      c.set_to_minute(MinuteArg(range[1], "hours"));
    }
    c.set_min_amount(IntOption(args, "min", 0));
    if (args.Has("percent") == args.Has("fixed")) UsageError("campaign create: --percent or --fixed");
    if (args.Has("percent")) {
      double percent = 0;
      if (!absl::SimpleAtod(args.options.at("percent"), &percent) || percent <= 0 || percent > 100) {
        UsageError("--percent: a number above 0, at most 100");
      }
      c.set_percent_bps(static_cast<uint32_t>(percent * 100 + 0.5));
    } else {
      c.set_fixed(Int(args.options.at("fixed"), "fixed"));
    }
    c.set_per_person_month(IntOption(args, "per-person-month", 0));
    c.set_budget(Int(Required(args, "budget"), "budget"));
    v1::CreateReply reply;
    grpc::Status status =
        stub.Call([&](LedgerConnection& conn) { return conn.ledger().CreateCampaign(Context().get(), c, &reply); });
    return status.ok() ? PrintResults(reply) : RpcFailed(status);
  }
  if (sub == "close") {
    v1::CloseCampaignRequest request;
    request.set_campaign(id);
    v1::CreateReply reply;
    grpc::Status status =
        stub.Call([&](LedgerConnection& conn) { return conn.ledger().CloseCampaign(Context().get(), request, &reply); });
    return status.ok() ? PrintResults(reply) : RpcFailed(status);
  }
  if (sub == "show") {
    v1::GetCampaignRequest request;
    request.set_campaign(id);
    v1::Campaign c;
    grpc::Status status =
        stub.Call([&](LedgerConnection& conn) { return conn.ledger().GetCampaign(Context().get(), request, &c); });
    if (!status.ok()) return RpcFailed(status);
    printf("campaign %u \"%s\"%s: %s %s, asset %u payments", c.campaign(), c.name().c_str(), c.closed() ? " (closed)" : "",
           JapanTime(c.starts_at()).c_str(), JapanTime(c.ends_at()).c_str(), c.payment_asset());
    if (!c.category().empty()) printf(" at %s shops", c.category().c_str());
    if (c.merchant_ids_size() > 0) printf(" at %d listed shops", c.merchant_ids_size());
    printf(", %02u:%02u-%02u:%02u, from %lld\n", c.from_minute() / 60, c.from_minute() % 60, c.to_minute() / 60,
           c.to_minute() % 60, static_cast<long long>(c.min_amount()));
    if (c.percent_bps() > 0) {
      printf("  award %u.%02u %%", c.percent_bps() / 100, c.percent_bps() % 100);
    } else {
      printf("  award %lld per payment", static_cast<long long>(c.fixed()));
    }
    printf(" from %s; per person a month %lld; budget %lld, awarded %lld in %llu payments\n",
           ShortHex(c.funding_account_id()).c_str(), static_cast<long long>(c.per_person_month()),
           static_cast<long long>(c.budget()), static_cast<long long>(c.awarded()),
           static_cast<unsigned long long>(c.awards()));
    return 0;
  }
  UsageError(absl::StrCat("campaign: unknown subcommand '", sub, "'"));
}

int LinkCommand(LedgerConnection& stub, const Args& args) {
  v1::LinkAccountsRequest request;
  v1::AccountLink* link = request.add_links();
  link->set_wallet_id(IdArg(Required(args, "wallet"), "--wallet"));
  link->set_linked_id(IdArg(Required(args, "to"), "--to"));
  v1::CreateReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& conn) { return conn.ledger().LinkAccounts(Context().get(), request, &reply); });
  return status.ok() ? PrintResults(reply) : RpcFailed(status);
}

int StaffOpsCommand(LedgerConnection& stub, const Args& args) {
  v1::ListStaffOperationsRequest request;
  request.set_account_id(IdArg(Required(args, "account"), "--account"));
  request.set_limit(static_cast<uint32_t>(IntOption(args, "limit", 100)));
  v1::ListStaffOperationsReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return c.ledger().ListStaffOperations(Context().get(), request, &reply); });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::StaffOperation& op : reply.operations()) {
    printf("%s JST  %-12s  staff %s  shop %s terminal %s  payment %s  amount %lld  %s\n",
           JapanTime(op.timestamp()).c_str(), op.operation().c_str(), op.staff_id().c_str(),
           ShortHex(op.merchant_id()).c_str(), op.terminal_id().c_str(), op.payment_id().c_str(),
           static_cast<long long>(op.amount()), ResultName(static_cast<Result>(op.result())));
  }
  if (reply.operations().empty()) printf("no staff operations\n");
  return 0;
}

// The first nanosecond of a Japan-time day given as YYYY-MM-DD.
uint64_t DayStart(const std::string& text, const std::string& name) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) UsageError(absl::StrCat("--", name, ": not a date YYYY-MM-DD: '", text, "'"));
  return static_cast<uint64_t>(absl::ToUnixNanos(absl::FromCivil(day, Japan())));
}

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string Yen(int64_t amount) {  // 12345 -> "12,345"
  std::string digits = std::to_string(amount < 0 ? -amount : amount);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return amount < 0 ? "-" + digits : digits;
}

struct Payee {
  std::vector<std::string> fields;  // bank_code, branch_code, account_type, account_number, account_holder.
};

std::map<std::string, Payee> ReadPayees(const std::string& path) {
  std::ifstream in(path);
  if (!in) UsageError(absl::StrCat("--payees: cannot read '", path, "'"));
  std::map<std::string, Payee> payees;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#' || (number == 1 && line.rfind("merchant,", 0) == 0)) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() != 6) {
      UsageError(absl::StrCat("--payees ", path, " line ", number, ": 6 fields expected (merchant,bank_code,",
                              "branch_code,account_type,account_number,account_holder), found ", fields.size()));
    }
    for (const std::string& field : fields) {
      if (!field.empty() && field[0] == '"') {
        UsageError(absl::StrCat("--payees ", path, " line ", number, ": quoted fields are not supported (no commas in names)"));
      }
    }
    const std::string merchant = IdArg(fields[0], absl::StrCat("--payees line ", number, " merchant"));
    if (fields[1].size() != 4 || fields[2].size() != 3 ||
        !std::all_of(fields[1].begin(), fields[1].end(), ::isdigit) ||
        !std::all_of(fields[2].begin(), fields[2].end(), ::isdigit)) {
      UsageError(absl::StrCat("--payees ", path, " line ", number, ": bank_code is 4 digits, branch_code 3"));
    }
    payees[merchant].fields.assign(fields.begin() + 1, fields.end());
  }
  return payees;
}

int PayoutsCommand(LedgerConnection& stub, const Args& args) {
  const std::string from_text = Required(args, "from"), to_text = Required(args, "to");
  const uint64_t from = DayStart(from_text, "from");
  const uint64_t to = DayStart(to_text, "to") + 86400ULL * 1'000'000'000ULL;  // Through the end of that day.
  if (to <= from) UsageError("--to: must not be before --from");
  if (args.Has("csv") != args.Has("payees")) UsageError("--csv and --payees go together: the bank needs accounts");
  v1::ListCashOutsRequest request;
  request.set_from_timestamp(from);
  request.set_to_timestamp(to);
  if (args.Has("merchant")) request.set_merchant_id(IdArg(args.options.at("merchant"), "--merchant"));
  v1::ListCashOutsReply reply;
  grpc::Status status =
      stub.Call([&](LedgerConnection& c) { return c.ledger().ListCashOuts(Context().get(), request, &reply); });
  if (!status.ok()) return RpcFailed(status);
  if (reply.truncated()) {
    fprintf(stderr, "ledgerctl: more than %d cash-outs in that range: split it into shorter ones\n",
            reply.cash_outs_size());
    return 1;
  }
  // Payouts are in yen at 1 coin = 1 yen: only assets without decimals qualify.
  std::map<uint32_t, v1::Asset> assets;
  {
    std::set<uint32_t> ids;  // Each asset once: a month of cash-outs names the same one or two.
    for (const v1::CashOutRecord& c : reply.cash_outs()) ids.insert(c.asset());
    v1::LookupAssetsRequest lookup;
    for (uint32_t id : ids) lookup.add_ids(id);
    v1::LookupAssetsReply found;
    status = stub.Call([&](LedgerConnection& c) { return c.ledger().LookupAssets(Context().get(), lookup, &found); });
    if (!status.ok()) return RpcFailed(status);
    for (const v1::Asset& a : found.assets()) assets[a.id()] = a;
  }
  for (const v1::CashOutRecord& c : reply.cash_outs()) {
    auto it = assets.find(c.asset());
    if (it == assets.end() || it->second.scale() != 0) {
      fprintf(stderr, "ledgerctl: cash-out %s of merchant %s is in asset %u, which %s: payouts assume 1 coin = 1 yen\n",
              c.cash_out_id().c_str(), ShortHex(c.merchant_id()).c_str(), c.asset(),
              it == assets.end() ? "is unknown" : "has decimals (scale > 0)");
      return 1;
    }
  }
  struct Totals {
    int count = 0;
    int64_t amount = 0, fee = 0, payout = 0;
  };
  std::map<std::string, Totals> per_merchant;  // Merchant id bytes -> totals (key order = id order).
  Totals all;
  std::ostringstream report;
  report << "Settlement of cash-outs (換金), " << from_text << " to " << to_text << " (Japan time)\n";
  report << "Fee = floor(coin x rate / 10,000), kept by the FEE account; payout = coin - fee, in yen; the coin "
            "is retired to the issuer; bps \"m\" = chamber member rate.\n\n";
  char line[512];
  snprintf(line, sizeof line, "%-10s %-24s %-19s %5s %12s %6s %10s %12s\n", "merchant", "cash-out id",
           "time (JST)", "asset", "coin", "bps", "fee", "payout (yen)");
  report << line;
  for (const v1::CashOutRecord& c : reply.cash_outs()) {
    snprintf(line, sizeof line, "%-10s %-24s %-19s %5u %12s %5u%s %10s %12s\n", ShortHex(c.merchant_id()).c_str(),
             c.cash_out_id().c_str(), JapanTime(c.timestamp()).c_str(), c.asset(), Yen(c.amount()).c_str(), c.bps(),
             c.member() ? "m" : " ", Yen(c.fee()).c_str(), Yen(c.payout()).c_str());
    report << line;
    Totals& t = per_merchant[c.merchant_id()];
    for (Totals* x : {&t, &all}) {
      ++x->count;
      x->amount += c.amount();
      x->fee += c.fee();
      x->payout += c.payout();
    }
  }
  report << "\nPer merchant:\n";
  for (const auto& [merchant, t] : per_merchant) {
    snprintf(line, sizeof line, "  merchant %-10s %4d cash-out(s)  coin %12s  fees %10s  payout %12s yen\n",
             ShortHex(merchant).c_str(), t.count, Yen(t.amount).c_str(), Yen(t.fee).c_str(), Yen(t.payout).c_str());
    report << line;
  }
  snprintf(line, sizeof line,
           "\nTotal: %d cash-out(s) from %zu merchant(s): coin retired %s = payouts %s yen + fees %s  (%s)\n",
           all.count, per_merchant.size(), Yen(all.amount).c_str(), Yen(all.payout).c_str(), Yen(all.fee).c_str(),
           all.amount == all.payout + all.fee ? "balanced" : "DOES NOT BALANCE");
  report << line;
  if (all.amount != all.payout + all.fee) {
    fprintf(stderr, "%s", report.str().c_str());
    return 4;
  }

  if (args.Has("csv")) {
    const std::map<std::string, Payee> payees = ReadPayees(args.options.at("payees"));
    std::string csv =
        "merchant_id,bank_code,branch_code,account_type,account_number,account_holder,amount_yen,cash_outs\n";
    for (const auto& [merchant, t] : per_merchant) {
      auto it = payees.find(merchant);
      if (it == payees.end()) {
        fprintf(stderr, "ledgerctl: merchant %s has cash-outs but no line in %s: no file written\n",
                ShortHex(merchant).c_str(), args.options.at("payees").c_str());
        return 3;
      }
      std::vector<std::string> row = {ShortHex(merchant)};
      for (const std::string& f : it->second.fields) row.push_back(CsvField(f));
      row.push_back(std::to_string(t.payout));
      row.push_back(std::to_string(t.count));
      csv += absl::StrJoin(row, ",") + "\n";
    }
    if (absl::Status written = WriteFileAtomically(args.options.at("csv"), csv); !written.ok()) {
      fprintf(stderr, "ledgerctl: %s\n", std::string(written.message()).c_str());
      return 1;
    }
    fprintf(stderr, "ledgerctl: %zu payout(s), %s yen in total, written to %s\n", per_merchant.size(),
            Yen(all.payout).c_str(), args.options.at("csv").c_str());
  }
  if (args.Has("report")) {
    if (absl::Status written = WriteFileAtomically(args.options.at("report"), report.str()); !written.ok()) {
      fprintf(stderr, "ledgerctl: %s\n", std::string(written.message()).c_str());
      return 1;
    }
    fprintf(stderr, "ledgerctl: settlement report written to %s\n", args.options.at("report").c_str());
  } else {
    printf("%s", report.str().c_str());
  }
  return 0;
}

// ----- the prepaid base-date report (資金決済法) -----

// What an account of this kind holds is not owed to any holder: the issuer's own side (what it issued, as
// a negative balance), its programme budgets, its fee income, lapsed value, and coin cashed out to yen.
// Everything else (wallets, merchants, escrow held for a pending obligation) is outstanding to holders.
bool IsIssuerSide(int kind) {
  return kind == v1::ISSUER || kind == v1::BUDGET || kind == v1::FEE || kind == v1::BREAKAGE ||
         kind == v1::EXTERNAL;
}

// The latest base date (31 March or 30 September) strictly before `day`.
absl::CivilDay PreviousBaseDate(absl::CivilDay day) {
  const int64_t y = day.year();
  const absl::CivilDay march(y, 3, 31), september(y, 9, 30);
  if (day > september) return september;
  if (day > march) return march;
  return absl::CivilDay(y - 1, 9, 30);
}

// An amount in minor units as a decimal of the display unit: 1234567 at scale 2 -> "12,345.67".
std::string Decimal(int64_t amount, uint32_t scale) {
  if (scale == 0) return Yen(amount);
  unsigned __int128 magnitude = amount < 0 ? static_cast<unsigned __int128>(-(amount + 1)) + 1 : amount;
  unsigned __int128 unit = 1;
  for (uint32_t i = 0; i < scale; ++i) unit *= 10;
  std::string fraction = std::to_string(static_cast<uint64_t>(magnitude % unit));
  fraction.insert(0, scale - fraction.size(), '0');
  const std::string whole = Yen(static_cast<int64_t>(magnitude / unit));
  return absl::StrCat(amount < 0 ? "-" : "", whole, ".", fraction);
}

std::vector<uint32_t> AssetList(const Args& args, const std::string& name) {
  std::vector<uint32_t> ids;
  if (!args.Has(name)) return ids;
  const std::vector<std::string> parts = absl::StrSplit(args.options.at(name), ',');
  for (const std::string& part : parts) {
    const int64_t id = Int(part, name);
    if (id <= 0 || id > 0x7fffffff) UsageError(absl::StrCat("--", name, ": asset ids are 1..2^31-1"));
    ids.push_back(static_cast<uint32_t>(id));
  }
  return ids;
}

// Reads the journal from entry `from` to entry `to` (GetJournal pages of `page` entries), decodes it here
// and calls `visit` with each entry's events in order until it returns false. 0 when done or stopped; the
// exit code of a failure otherwise (printed).
int ForEachJournalEvent(LedgerConnection& stub, uint64_t from, uint64_t to, int page,
                        const std::function<bool(const v1::Event&)>& visit) {
  uint64_t next = from;
  while (next <= to) {
    v1::GetJournalRequest request;
    request.set_from_index(next);
    request.set_limit(page);
    v1::GetJournalReply reply;
    grpc::Status status =
        stub.Call([&](LedgerConnection& c) { return c.ledger().GetJournal(Context().get(), request, &reply); });
    if (!status.ok()) return RpcFailed(status);
    if (reply.entries_size() == 0) break;
    for (const v1::JournalEntryBytes& stored : reply.entries()) {
      if (stored.index() > to) return 0;
      std::optional<JournalEntry> entry = DecodeJournalEntry(stored.data());
      if (!entry) {
        fprintf(stderr, "ledgerctl: journal entry %llu is undecodable\n", static_cast<unsigned long long>(stored.index()));
        return 4;
      }
      for (const v1::Event& event : EventsFromEntry(*entry)) {
        if (!visit(event)) return 0;
      }
      next = stored.index() + 1;
    }
  }
  return 0;
}

int BaseDateReportCommand(LedgerConnection& stub, const Args& args) {
  const std::string date_text = Required(args, "date");
  absl::CivilDay date;
  if (!absl::ParseCivilTime(date_text, &date) || date.year() < 1971 || date.year() > 2200) {
    UsageError(absl::StrCat("--date: not a date YYYY-MM-DD between 1971 and 2200: '", date_text, "'"));
  }
  const absl::CivilDay previous = PreviousBaseDate(date);
  // The end of a Japan-time day: the last nanosecond before the next day's 00:00 JST.
  auto day_end = [](absl::CivilDay day) {
    return static_cast<uint64_t>(absl::ToUnixNanos(absl::FromCivil(day + 1, Japan()))) - 1;
  };
  uint64_t as_of = day_end(date);
  const uint64_t previous_end = day_end(previous);
  if (args.Has("as-of-timestamp")) {  // For tests: cut at this logical time instead of the end of --date.
    const int64_t t = Int(args.options.at("as-of-timestamp"), "as-of-timestamp");
    if (t <= 0) UsageError("--as-of-timestamp: must be positive");
    as_of = static_cast<uint64_t>(t);
    if (as_of <= previous_end) UsageError("--as-of-timestamp: must be after the previous base date's end");
  }
  const std::vector<uint32_t> requested = AssetList(args, "asset");
  const std::vector<uint32_t> points_list = AssetList(args, "points");
  const std::set<uint32_t> points(points_list.begin(), points_list.end());

  v1::GetDigestReply digest;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().GetDigest(Context().get(), v1::GetDigestRequest(), &digest); });
  if (!status.ok()) return RpcFailed(status);

  // Which assets existed by then, and their issuer-side accounts: from the journal up to the cut (accounts
  // created later had a zero balance then). Only issuer-side accounts are kept; wallets are not listed.
  std::vector<uint32_t> seen_assets;
  std::map<uint32_t, std::vector<std::pair<std::string, int>>> issuer_side;  // asset -> (id, kind).
  if (int failed = ForEachJournalEvent(stub, 1, digest.journal_index(), 1024,
                                       [&](const v1::Event& event) {
                                         if (event.timestamp() > as_of) return false;
                                         if (event.has_asset_created()) seen_assets.push_back(event.asset_created().id());
                                         if (event.has_account_created() && IsIssuerSide(event.account_created().kind())) {
                                           issuer_side[event.account_created().asset()].emplace_back(
                                               event.account_created().id(), event.account_created().kind());
                                         }
                                         return true;
                                       });
      failed != 0) {
    return failed;
  }
  const std::vector<uint32_t>& asset_ids = requested.empty() ? seen_assets : requested;
  std::map<uint32_t, v1::Asset> assets;
  if (!asset_ids.empty()) {
    v1::LookupAssetsRequest lookup;
    for (uint32_t id : asset_ids) lookup.add_ids(id);
    v1::LookupAssetsReply found;
    status = stub.Call([&](LedgerConnection& c) { return c.ledger().LookupAssets(Context().get(), lookup, &found); });
    if (!status.ok()) return RpcFailed(status);
    for (const v1::Asset& a : found.assets()) assets[a.id()] = a;
    for (uint32_t id : asset_ids) {
      if (assets.count(id) == 0) {
        fprintf(stderr, "ledgerctl: --asset %u: no such asset\n", id);
        return 3;
      }
    }
  }
  auto balance_at = [&](const std::string& account, uint64_t at, int64_t* balance) {
    v1::GetBalanceAtRequest request;
    request.set_account_id(account);
    request.set_timestamp(at);
    v1::GetBalanceAtReply reply;
    grpc::Status s = stub.Call([&](LedgerConnection& c) { return c.ledger().GetBalanceAt(Context().get(), request, &reply); });
    *balance = reply.balance();
    return s;
  };

  std::ostringstream out;
  const std::string as_of_text = args.Has("as-of-timestamp")
                                     ? absl::StrCat(JapanTime(as_of), " JST (--as-of-timestamp ", as_of, ")")
                                     : absl::StrCat(date_text, " 24:00 JST");
  out << "Prepaid base-date report (資金決済法): unused balance as of " << as_of_text << "\n";
  out << "Breakage counted after the previous base date, " << absl::FormatCivilTime(previous) << " 24:00 JST.\n";
  if (as_of > digest.timestamp()) {
    out << "Note: that time has not come yet on the ledger (clock " << JapanTime(digest.timestamp())
        << " JST): the figures are those so far.\n";
  }
  out << "Unused = held by wallets, merchants and escrow = issued - budgets - fees - breakage - cashed out "
         "(external).\n";
  std::string csv =
      "base_date,as_of_timestamp,asset,code,scale,kind,issued,budget,fee,breakage_balance,external,unused,"
      "deposit_threshold,deposit_due,breakage_since_previous,previous_base_date\n";
  for (uint32_t id : asset_ids) {
    const v1::Asset& asset = assets.at(id);
    int64_t sums[9] = {0};  // By kind.
    for (const auto& [account, kind] : issuer_side[id]) {
      int64_t balance = 0;
      status = balance_at(account, as_of, &balance);
      if (!status.ok()) return RpcFailed(status);
      sums[kind] += balance;
    }
    const int64_t issued = -sums[v1::ISSUER];
    const int64_t unused = issued - sums[v1::BUDGET] - sums[v1::FEE] - sums[v1::BREAKAGE] - sums[v1::EXTERNAL];
    // Breakage: credits to the asset's breakage account after the previous base date's end, up to the cut.
    int64_t breakage = 0;
    uint64_t from = previous_end + 1;
    while (from != 0 && from <= as_of) {
      v1::GetAccountHistoryRequest request;
      request.set_account_id(asset.breakage_account_id());
      request.set_from_timestamp(from);
      request.set_to_timestamp(as_of);
      request.set_limit(8190);
      v1::GetAccountHistoryReply reply;
      status = stub.Call([&](LedgerConnection& c) { return c.ledger().GetAccountHistory(Context().get(), request, &reply); });
      if (!status.ok()) return RpcFailed(status);
      for (const v1::HistoryEntry& e : reply.entries()) {
        if (e.delta() > 0) breakage += e.delta();
      }
      from = reply.next_timestamp();
    }
    const bool prepaid = points.count(id) == 0;
    __int128 threshold = 10'000'000;
    for (uint32_t i = 0; i < asset.scale(); ++i) threshold *= 10;
    int64_t deposit = 0;
    if (prepaid && unused > threshold) {
      // Half, rounded up to a whole yen (the deposit is made in yen).
      const __int128 unit = threshold / 10'000'000;
      const __int128 half = (static_cast<__int128>(unused) + 1) / 2;
      deposit = static_cast<int64_t>((half + unit - 1) / unit * unit);
    }
    const std::string threshold_text =
        threshold > INT64_MAX ? "over int64" : std::to_string(static_cast<int64_t>(threshold));
    const uint32_t s = asset.scale();
    out << "\nasset " << id << " " << asset.code() << " (scale " << s << ", "
        << (prepaid ? "prepaid coin in yen" : "points: not a prepaid instrument, no deposit") << ")\n";
    char line[256];
    auto row = [&](const char* label, int64_t value) {
      snprintf(line, sizeof line, "  %-44s %22s\n", label, Decimal(value, s).c_str());
      out << line;
    };
    row("issued (net of coin returned to the issuer)", issued);
    row("  less: budgets (BUDGET)", sums[v1::BUDGET]);
    row("  less: fees (FEE)", sums[v1::FEE]);
    row("  less: lapsed (BREAKAGE)", sums[v1::BREAKAGE]);
    row("  less: cashed out (EXTERNAL)", sums[v1::EXTERNAL]);
    row("unused balance", unused);
    if (prepaid) {
      snprintf(line, sizeof line, "  %-44s %22s\n",
               unused > threshold ? "deposit due (half, above 10,000,000 yen)" : "deposit due (not above 10,000,000 yen)",
               Decimal(deposit, s).c_str());
      out << line;
    }
    row("breakage since the previous base date", breakage);
    csv += absl::StrJoin({date_text, std::to_string(as_of), std::to_string(id), asset.code(), std::to_string(s),
                          std::string(prepaid ? "prepaid" : "points"), std::to_string(issued),
                          std::to_string(sums[v1::BUDGET]), std::to_string(sums[v1::FEE]),
                          std::to_string(sums[v1::BREAKAGE]), std::to_string(sums[v1::EXTERNAL]),
                          std::to_string(unused), prepaid ? threshold_text : std::string(),
                          std::to_string(deposit), std::to_string(breakage), absl::FormatCivilTime(previous)},
                         ",") +
           "\n";
  }
  if (asset_ids.empty()) out << "\nNo asset existed by then.\n";
  printf("%s", out.str().c_str());
  if (args.Has("csv")) {
    if (absl::Status written = WriteFileAtomically(args.options.at("csv"), csv); !written.ok()) {
      fprintf(stderr, "ledgerctl: %s\n", std::string(written.message()).c_str());
      return 1;
    }
    fprintf(stderr, "ledgerctl: %zu asset(s) written to %s\n", asset_ids.size(), args.options.at("csv").c_str());
  }
  return 0;
}

int LookupAccounts(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("account needs at least one id");
  v1::LookupAccountsRequest request;
  for (const std::string& id : args.positional) request.add_ids(IdArg(id, "account id"));
  v1::LookupAccountsReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().LookupAccounts(Context().get(), request, &reply); });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::Account& a : reply.accounts()) {
    printf("account %s  asset %u  kind %s%s%s  balance %lld  pending debits %lld  pending credits %lld%s\n",
           ShortHex(a.id()).c_str(), a.asset(), AccountKindName(static_cast<AccountKind>(a.kind())),
           a.category().empty() ? "" : " category ", a.category().c_str(), static_cast<long long>(a.balance()),
           static_cast<long long>(a.debits_pending()), static_cast<long long>(a.credits_pending()),
           (a.flags() & v1::CLOSED) ? "  CLOSED" : "");
  }
  const int missing = request.ids_size() - reply.accounts_size();
  if (missing > 0) fprintf(stderr, "ledgerctl: %d id(s) not found\n", missing);
  return missing > 0 ? 3 : 0;
}

int LookupTransfers(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("lookup-transfer needs at least one id");
  v1::LookupTransfersRequest request;
  for (const std::string& id : args.positional) request.add_ids(IdArg(id, "transfer id"));
  v1::LookupTransfersReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().LookupTransfers(Context().get(), request, &reply); });
  if (!status.ok()) return RpcFailed(status);
  static const char* kStates[] = {"", "pending", "posted", "voided", "expired"};
  for (const v1::Transfer& t : reply.transfers()) {
    printf("transfer %s  %s -> %s  amount %lld  asset %u  code %u  result %s%s%s  at %llu\n",
           ShortHex(t.id()).c_str(), ShortHex(t.debit_account_id()).c_str(),
           ShortHex(t.credit_account_id()).c_str(), static_cast<long long>(t.amount()), t.asset(), t.code(),
           ResultName(static_cast<Result>(t.result())), t.pending_state() ? "  state " : "",
           kStates[t.pending_state() % 5], static_cast<unsigned long long>(t.timestamp()));
  }
  const int missing = request.ids_size() - reply.transfers_size();
  if (missing > 0) fprintf(stderr, "ledgerctl: %d id(s) not found\n", missing);
  return missing > 0 ? 3 : 0;
}

int LookupAssets(LedgerConnection& stub, const Args& args) {
  if (args.positional.empty()) UsageError("asset needs at least one asset id");
  v1::LookupAssetsRequest request;
  for (const std::string& id : args.positional) request.add_ids(static_cast<uint32_t>(Int(id, "asset id")));
  v1::LookupAssetsReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().LookupAssets(Context().get(), request, &reply); });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::Asset& a : reply.assets()) {
    printf("asset %u  %s  scale %u  expiry %lld s (granularity %lld s)  breakage %s\n", a.id(), a.code().c_str(),
           a.scale(), static_cast<long long>(a.expiry_seconds()),
           static_cast<long long>(a.expiry_granularity_seconds()), ShortHex(a.breakage_account_id()).c_str());
  }
  return reply.assets_size() == request.ids_size() ? 0 : 3;
}

int History(LedgerConnection& stub, const Args& args) {
  if (args.positional.size() != 1) UsageError("history needs one account id");
  v1::GetAccountHistoryRequest request;
  request.set_account_id(IdArg(args.positional[0], "account id"));
  request.set_from_timestamp(static_cast<uint64_t>(IntOption(args, "from", 0)));
  request.set_to_timestamp(static_cast<uint64_t>(IntOption(args, "to", 0)));
  request.set_limit(static_cast<uint32_t>(IntOption(args, "limit", 20)));
  request.set_reverse(args.Has("reverse"));
  v1::GetAccountHistoryReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().GetAccountHistory(Context().get(), request, &reply); });
  if (!status.ok()) return RpcFailed(status);
  for (const v1::HistoryEntry& e : reply.entries()) {
    printf("%llu  transfer %s  %+lld  balance %lld\n", static_cast<unsigned long long>(e.timestamp()),
           ShortHex(e.transfer_id()).c_str(), static_cast<long long>(e.delta()),
           static_cast<long long>(e.balance_after()));
  }
  if (reply.next_timestamp() != 0) {
    printf("more: --%s %llu\n", args.Has("reverse") ? "to" : "from",
           static_cast<unsigned long long>(reply.next_timestamp()));
  }
  return 0;
}

int BalanceAtCommand(LedgerConnection& stub, const Args& args) {
  if (args.positional.size() != 1) UsageError("balance-at needs one account id");
  v1::GetBalanceAtRequest request;
  request.set_account_id(IdArg(args.positional[0], "account id"));
  request.set_timestamp(static_cast<uint64_t>(Int(Required(args, "at"), "at")));
  v1::GetBalanceAtReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().GetBalanceAt(Context().get(), request, &reply); });
  if (!status.ok()) return RpcFailed(status);
  printf("balance %lld (as of change at %llu)\n", static_cast<long long>(reply.balance()),
         static_cast<unsigned long long>(reply.as_of_timestamp()));
  return 0;
}

int Digest(LedgerConnection& stub) {
  v1::GetDigestReply reply;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().GetDigest(Context().get(), v1::GetDigestRequest(), &reply); });
  if (!status.ok()) return RpcFailed(status);
  std::string hash;
  for (unsigned char c : reply.head_hash()) absl::StrAppend(&hash, absl::Hex(c, absl::kZeroPad2));
  printf("journal index %llu\nhead hash %s\nclock %llu\n", static_cast<unsigned long long>(reply.journal_index()),
         hash.c_str(), static_cast<unsigned long long>(reply.timestamp()));
  return 0;
}

int VerifyOffline(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir);
  if (!store.ok()) {
    fprintf(stderr, "ledgerctl: %s (is ledgerd still running on it?)\n", store.status().ToString().c_str());
    return 1;
  }
  VerifyReport report = VerifyJournal(**store, [](uint64_t index) {
    fprintf(stderr, "verify: %llu entries checked\r", static_cast<unsigned long long>(index));
  });
  if (!report.ok) {
    printf("MISMATCH at entry %llu: %s\n", static_cast<unsigned long long>(report.first_bad_index),
           report.problem.c_str());
    return 4;
  }
  printf("journal verifies: %llu entries, chain intact\n", static_cast<unsigned long long>(report.entries_checked));
  return 0;
}

// The audit (ledger/core/audit.h) of a node's data directory, opened read-only.
int AuditOffline(const std::string& dir, bool replay) {
  RocksStore::Options options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(dir, options);
  if (!store.ok()) {
    fprintf(stderr, "ledgerctl: %s\n", store.status().ToString().c_str());
    return 1;
  }
  AuditOptions audit;
  audit.replay = replay;
  audit.progress = [](const std::string& line) { fprintf(stderr, "audit: %s\r", line.c_str()); };
  fprintf(stderr, "audit: checking sums, lots and pendings\n");
  const AuditReport report = Audit(**store, audit);
  fprintf(stderr, "\n");
  printf("%s", report.Summary().c_str());
  return report.ok() ? 0 : 4;
}

// The audit of a running node (Ledger.Audit), on a snapshot of its store.
int AuditOnline(LedgerConnection& stub, bool replay, int64_t timeout_seconds) {
  if (timeout_seconds <= 0) UsageError("--timeout-seconds: must be at least 1");
  v1::AuditRequest request;
  request.set_replay(replay);
  v1::AuditReply reply;
  fprintf(stderr, "audit: asking the node to check its state%s (at most %lld s)\n",
          replay ? " and replay its journal" : "", static_cast<long long>(timeout_seconds));
  grpc::Status status = stub.Call([&](LedgerConnection& c) {
    return c.ledger().Audit(ContextWithDeadline(std::chrono::seconds(timeout_seconds)).get(), request, &reply);
  });
  if (!status.ok()) return RpcFailed(status);
  printf("audited state at journal entry %llu\n%s", static_cast<unsigned long long>(reply.journal_index()),
         reply.summary().c_str());
  return reply.ok() ? 0 : 4;
}

// Walks the journal through GetJournal: each entry's hash matches its bytes and links to the previous,
// and the last matches the digest the server reports.
int VerifyOnline(LedgerConnection& stub) {
  v1::GetDigestReply digest;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().GetDigest(Context().get(), v1::GetDigestRequest(), &digest); });
  if (!status.ok()) return RpcFailed(status);
  std::string previous(32, '\0');
  uint64_t next = 1;
  while (next <= digest.journal_index()) {
    v1::GetJournalRequest request;
    request.set_from_index(next);
    request.set_limit(1024);
    v1::GetJournalReply reply;
    status = stub.Call([&](LedgerConnection& c) { return c.ledger().GetJournal(Context().get(), request, &reply); });
    if (!status.ok()) return RpcFailed(status);
    if (reply.entries_size() == 0) break;
    for (const v1::JournalEntryBytes& stored : reply.entries()) {
      auto mismatch = [&](const std::string& what) {
        printf("MISMATCH at entry %llu: %s\n", static_cast<unsigned long long>(next), what.c_str());
        return 4;
      };
      if (stored.index() != next) return mismatch(absl::StrCat("entry ", next, " is missing"));
      if (!EntryHashMatches(stored.data())) return mismatch("stored hash does not match its bytes");
      std::optional<JournalEntry> entry = DecodeJournalEntry(stored.data());
      if (!entry || entry->index != next) return mismatch("undecodable or wrong index");
      if (entry->previous_hash != previous) return mismatch("previous-hash link does not match");
      previous = std::string(StoredEntryHash(stored.data()));
      if (next % 4096 == 0) fprintf(stderr, "verify: %llu entries checked\r", static_cast<unsigned long long>(next));
      ++next;
      if (next > digest.journal_index()) break;
    }
  }
  if (next - 1 != digest.journal_index() || (digest.journal_index() > 0 && previous != digest.head_hash())) {
    printf("MISMATCH: walked %llu entries, digest says %llu with a different head hash\n",
           static_cast<unsigned long long>(next - 1), static_cast<unsigned long long>(digest.journal_index()));
    return 4;
  }
  printf("journal verifies: %llu entries, chain intact, head matches the digest\n",
         static_cast<unsigned long long>(digest.journal_index()));
  return 0;
}

std::string FlagNames(uint32_t flags) {
  std::vector<std::string> names;
  if (flags & v1::LINKED) names.push_back("\"linked\"");
  if (flags & v1::PENDING) names.push_back("\"pending\"");
  if (flags & v1::POST_PENDING) names.push_back("\"post_pending\"");
  if (flags & v1::VOID_PENDING) names.push_back("\"void_pending\"");
  return absl::StrCat("[", absl::StrJoin(names, ","), "]");
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void PrintEvent(const v1::Event& e, bool json) {
  const auto index = static_cast<unsigned long long>(e.journal_index());
  const auto at = static_cast<unsigned long long>(e.timestamp());
  if (e.has_asset_created()) {
    const v1::Asset& a = e.asset_created();
    if (json) {
      printf("{\"type\":\"asset\",\"index\":%llu,\"timestamp\":%llu,\"asset\":%u,\"code\":%s,\"expiry_seconds\":%lld}\n",
             index, at, a.id(), JsonString(a.code()).c_str(), static_cast<long long>(a.expiry_seconds()));
    } else {
      printf("%llu %llu asset %u %s created\n", index, at, a.id(), a.code().c_str());
    }
  } else if (e.has_account_created()) {
    const v1::Account& a = e.account_created();
    const char* kind = AccountKindName(static_cast<AccountKind>(a.kind()));
    if (json) {
      printf("{\"type\":\"account\",\"index\":%llu,\"timestamp\":%llu,\"id\":\"%s\",\"asset\":%u,\"kind\":\"%s\",\"category\":%s}\n",
             index, at, Hex(a.id()).c_str(), a.asset(), kind, JsonString(a.category()).c_str());
    } else {
      printf("%llu %llu account %s asset %u %s %s created\n", index, at, ShortHex(a.id()).c_str(), a.asset(), kind,
             a.category().c_str());
    }
  } else if (e.has_account_closed()) {
    if (json) {
      printf("{\"type\":\"account_closed\",\"index\":%llu,\"timestamp\":%llu,\"id\":\"%s\"}\n", index, at,
             Hex(e.account_closed()).c_str());
    } else {
      printf("%llu %llu account %s closed\n", index, at, ShortHex(e.account_closed()).c_str());
    }
  } else {
    const bool expired = e.has_pending_expired();
    const v1::Transfer& t = expired ? e.pending_expired() : e.transfer();
    if (json) {
      printf("{\"type\":\"%s\",\"index\":%llu,\"timestamp\":%llu,\"id\":\"%s\",\"debit_account\":\"%s\","
             "\"credit_account\":\"%s\",\"amount\":%lld,\"asset\":%u,\"code\":%u,\"flags\":%s}\n",
             expired ? "pending_expired" : "transfer", index, at, Hex(t.id()).c_str(),
             Hex(t.debit_account_id()).c_str(), Hex(t.credit_account_id()).c_str(),
             static_cast<long long>(t.amount()), t.asset(), t.code(), FlagNames(t.flags()).c_str());
    } else {
      printf("%llu %llu %s %s %s -> %s %lld (asset %u, code %u)%s\n", index, at,
             expired ? "pending-expired" : "transfer", ShortHex(t.id()).c_str(),
             ShortHex(t.debit_account_id()).c_str(), ShortHex(t.credit_account_id()).c_str(),
             static_cast<long long>(t.amount()), t.asset(), t.code(),
             t.flags() ? (" " + FlagNames(t.flags())).c_str() : "");
    }
  }
}

int Tail(LedgerConnection& stub, const Args& args) {
  const bool json = args.Has("json");
  const uint64_t from = static_cast<uint64_t>(std::max<int64_t>(IntOption(args, "from", 1), 1));
  if (args.Has("follow")) {
    grpc::ClientContext context;
    v1::SubscribeRequest request;
    request.set_from_index(from);
    std::unique_ptr<grpc::ClientReader<v1::Event>> reader = stub.ledger().Subscribe(&context, request);
    v1::Event event;
    while (reader->Read(&event)) {
      PrintEvent(event, json);
      fflush(stdout);
    }
    grpc::Status status = reader->Finish();
    return status.ok() ? 0 : RpcFailed(status);
  }
  // Without --follow: read the journal up to the current head, decode it here, and stop.
  v1::GetDigestReply digest;
  grpc::Status status = stub.Call([&](LedgerConnection& c) { return c.ledger().GetDigest(Context().get(), v1::GetDigestRequest(), &digest); });
  if (!status.ok()) return RpcFailed(status);
  return ForEachJournalEvent(stub, from, digest.journal_index(), 256, [&](const v1::Event& event) {
    PrintEvent(event, json);
    return true;
  });
}

void PrintClusterStatus(const std::string& address, const v1::ClusterStatusReply& reply, bool members) {
  printf("%s: node %llu %s term %llu leader %s commit %llu applied %llu last %llu journal %llu\n", address.c_str(),
         static_cast<unsigned long long>(reply.id()), reply.role().c_str(),
         static_cast<unsigned long long>(reply.term()),
         reply.leader_id() == 0 ? "unknown"
                                : absl::StrCat(reply.leader_id(), reply.leader_address().empty() ? "" : " at ",
                                               reply.leader_address())
                                      .c_str(),
         static_cast<unsigned long long>(reply.commit_index()), static_cast<unsigned long long>(reply.applied_index()),
         static_cast<unsigned long long>(reply.last_index()), static_cast<unsigned long long>(reply.journal_index()));
  if (!members) return;
  for (const v1::ClusterMember& member : reply.members()) {
    printf("  member %llu %s raft %s grpc %s\n", static_cast<unsigned long long>(member.id()), member.role().c_str(),
           member.raft_address().c_str(), member.grpc_address().empty() ? "?" : member.grpc_address().c_str());
  }
}

int ClusterCommand(LedgerConnection& connection, const Args& args) {
  if (args.positional.empty()) UsageError("cluster needs one of: status add promote remove transfer");
  const std::string& verb = args.positional[0];
  auto member_id = [&]() -> uint64_t {
    if (args.positional.size() < 2) UsageError(absl::StrCat("cluster ", verb, " needs a member id"));
    const int64_t id = Int(args.positional[1], "member id");
    if (id <= 0) UsageError("member id: must be positive");
    return static_cast<uint64_t>(id);
  };
  if (verb == "status") {
    int failed = 0;
    bool members_printed = false;
    for (const std::string& address : connection.addresses()) {
      LedgerConnection node(address, connection.operator_token());
      v1::ClusterStatusReply reply;
      grpc::Status status =
          node.cluster().Status(ContextWithDeadline(std::chrono::seconds(3)).get(), v1::ClusterStatusRequest(), &reply);
      if (!status.ok()) {
        printf("%s: %s\n", address.c_str(),
               status.error_code() == grpc::StatusCode::UNIMPLEMENTED ? "single node (no Raft)"
                                                                      : status.error_message().c_str());
        ++failed;
        continue;
      }
      PrintClusterStatus(address, reply, !members_printed);
      members_printed = true;
    }
    return failed == static_cast<int>(connection.addresses().size()) ? 1 : 0;
  }
  v1::ClusterReply reply;
  grpc::Status status;
  if (verb == "add") {
    v1::AddMemberRequest request;
    const int64_t id = Int(Required(args, "id"), "id");
    if (id <= 0) UsageError("--id: must be positive");
    request.set_id(static_cast<uint64_t>(id));
    request.set_raft_address(Required(args, "raft"));
    request.set_grpc_address(Required(args, "grpc"));
    status = connection.Call([&](LedgerConnection& c) { return c.cluster().AddMember(Context().get(), request, &reply); });
  } else if (verb == "promote" || verb == "remove" || verb == "transfer") {
    v1::MemberRequest request;
    request.set_id(verb == "transfer" && args.positional.size() < 2 ? 0 : member_id());
    status = connection.Call([&](LedgerConnection& c) {
      if (verb == "promote") return c.cluster().PromoteMember(Context().get(), request, &reply);
      if (verb == "remove") return c.cluster().RemoveMember(Context().get(), request, &reply);
      return c.cluster().TransferLeadership(Context().get(), request, &reply);
    });
  } else {
    UsageError(absl::StrCat("unknown cluster command '", verb, "'"));
  }
  if (!status.ok()) return RpcFailed(status);
  printf("cluster %s: done (answered by %s)\n", verb.c_str(), connection.address().c_str());
  return 0;
}

// Whether `command` calls the operator services (Ledger, Cluster) and so needs the operator token. The
// signed commands of residents, devices and task hosts go to the public Health, Wallet and Pos services.
bool UsesOperatorApi(const std::string& command, const Args& args) {
  const std::string sub = args.positional.empty() ? "" : args.positional[0];
  if (command == "health") return sub == "program";
  if (command == "task") return sub == "rules" || sub == "show" || sub == "grant-subsidy";
  return true;
}

int Run(int argc, char** argv) {
  std::string address = "127.0.0.1:7400";
  std::string token_file = kOperatorTokenFileDefault;
  int first = 1;
  while (first < argc && std::string(argv[first]).rfind("--", 0) == 0) {
    const std::string word = argv[first];
    if (word == "--help" || word == "-h") {
      printf("%s", kUsage);
      return 0;
    }
    if (word.rfind("--addr=", 0) == 0) {
      address = word.substr(7);
    } else if (word == "--addr" && first + 1 < argc) {
      address = argv[++first];
    } else if (word.rfind("--operator_token_file=", 0) == 0) {
      token_file = word.substr(22);
    } else if (word == "--operator_token_file" && first + 1 < argc) {
      token_file = argv[++first];
    } else {
      UsageError(absl::StrCat("unknown option before the command: ", word));
    }
    ++first;
  }
  if (first >= argc) {
    fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const std::string command = argv[first];
  const Args args = Parse(argc, argv, first + 1);
  if (command == "help" || args.Has("help")) {
    printf("%s", kUsage);
    return 0;
  }
  if (command == "verify" && args.Has("data-dir")) return VerifyOffline(args.options.at("data-dir"));
  if (command == "audit" && args.Has("data-dir")) return AuditOffline(args.options.at("data-dir"), !args.Has("no-replay"));
  std::string operator_token;
  if (UsesOperatorApi(command, args)) {
    absl::StatusOr<std::string> token = ReadOperatorTokenFile(token_file);
    if (!token.ok()) {
      fprintf(stderr, "ledgerctl: --operator_token_file %s\n(`%s` uses the operator API, which needs the token)\n",
              std::string(token.status().message()).c_str(), command.c_str());
      return 2;
    }
    operator_token = *std::move(token);
  }
  LedgerConnection connection(address, operator_token);
  LedgerConnection* stub = &connection;
  if (command == "cluster") return ClusterCommand(connection, args);
  if (command == "create-asset") return CreateAsset(*stub, args);
  if (command == "create-account") return CreateAccount(*stub, args);
  if (command == "close-account") return CloseAccountCommand(*stub, args);
  if (command == "transfer") return TransferCommand(*stub, args, 0);
  if (command == "post") return TransferCommand(*stub, args, v1::POST_PENDING);
  if (command == "void") return TransferCommand(*stub, args, v1::VOID_PENDING);
  if (command == "account") return LookupAccounts(*stub, args);
  if (command == "register-key") return RegisterKeyCommand(*stub, args);
  if (command == "revoke-key") return RevokeKeyCommand(*stub, args);
  if (command == "set-fees") return SetFeesCommand(*stub, args);
  if (command == "merchant-profile") return MerchantProfileCommand(*stub, args);
  if (command == "register-card") return RegisterCardCommand(*stub, args);
  if (command == "unlock-card") return UnlockCardCommand(*stub, args);
  if (command == "reissue-card") return ReissueCardCommand(*stub, args);
  if (command == "staff-ops") return StaffOpsCommand(*stub, args);
  if (command == "payouts") return PayoutsCommand(*stub, args);
  if (command == "base-date-report") return BaseDateReportCommand(*stub, args);
  if (command == "health") return HealthCommand(*stub, args);
  if (command == "task") return TaskCommand(*stub, args);
  if (command == "campaign") return CampaignCommand(*stub, args);
  if (command == "link") return LinkCommand(*stub, args);
  if (command == "lookup-transfer") return LookupTransfers(*stub, args);
  if (command == "asset") return LookupAssets(*stub, args);
  if (command == "history") return History(*stub, args);
  if (command == "balance-at") return BalanceAtCommand(*stub, args);
  if (command == "digest") return Digest(*stub);
  if (command == "verify") return VerifyOnline(*stub);
  if (command == "audit") return AuditOnline(*stub, !args.Has("no-replay"), IntOption(args, "timeout-seconds", 600));
  if (command == "tail") return Tail(*stub, args);
  UsageError(absl::StrCat("unknown command '", command, "'"));
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) { return ledger::Run(argc, argv); }
