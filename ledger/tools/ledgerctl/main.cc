// ledgerctl's entry: the options before the command, the operator token, and the dispatch of each
// command to its handler in a commands_*.cc file. What ledgerctl is and its exit codes:
// ledgerctl.h.
#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ledger/server/operator_token.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

namespace {

constexpr char kUsage[] = R"(ledgerctl: command-line client of the regional ledger.

Usage: ledgerctl [--addr=HOST:PORT[,HOST:PORT...]] [--operator_addr=HOST:PORT[,...]]
                 [--tls_ca=FILE] [--tls_cert=FILE --tls_key=FILE] COMMAND [OPTIONS]
       ledgerctl --plaintext [--addr=...] [--operator_token_file=FILE] [--operator=NAME] COMMAND ...
Defaults: --addr 127.0.0.1:7400; --operator_addr each --addr's port + 2 (ledgerd --operator_listen as
ops/run and ops/cluster start it); --tls_ca var/pki/ca.crt; --tls_cert/--tls_key var/pki/operators/demo.crt
and .key (the `demo` operator, which ops/run's ops/pki makes).
With several addresses (a Raft cluster) requests go to the leader: ledgerctl follows the "leader=" hint
of a follower's answer and moves to the next address when a node is down or an election is running.
Everything travels over TLS. Commands of the city (the operator API: the Ledger and Cluster services)
go to --operator_addr with mutual TLS: the client certificate's CN is the operator. The signed commands
of residents, devices and task hosts (health report|register-device|revoke-device|consent|exchange|
mileage|erase|watch-over|alerts|ack, task post|decide|cancel-slots|confirm|code|apply|check-in) go to
--addr and need only the CA. --plaintext talks to a ledgerd --plaintext (development, loopback only)
with the operator token of --operator_token_file (default var/ledger/operator.token), acting as
--operator NAME (default "dev").
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
  history --operator NAME [--from N]               the commands that operator sent (journal scan from entry N)
  operators list [--name NAME]                     the role table: each operator and its roles
  operators set NAME --roles=ROLE[,ROLE...]|none   set an operator's roles (cluster_admin); none removes it
  history ID [--from T] [--to T] [--limit N] [--reverse]
  balance-at ID --at T
  digest                                           journal index, head hash and logical clock
  verify [--data-dir DIR]                          re-walk the journal's hash chain and check each operator
                                                   command's operator id against the roles it held then
                                                   (replaying SetOperatorRoles); report the first mismatch
                                                   (through the API, or offline on a stopped node's directory)
  backup --to DIR                                  an online backup of the node asked (--addr), which goes on
                                                   serving: a RocksDB checkpoint streamed into DIR, only the
                                                   files DIR does not hold yet (incremental); prints the
                                                   journal index and head hash it holds
  restore --from DIR --data-dir NEW [--index N]    offline: the newest backup in DIR (or the one of journal
                                                   index N) into the new folder NEW, each file's SHA-256
                                                   checked, the journal head and hash chain verified (exit 4
                                                   on a mismatch); then run ledgerd --data_dir NEW
  restore --from DIR --list                        the journal indexes of the backups in DIR
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
  campaign pause --id N | campaign resume --id N | campaign close --id N | campaign show --id N
  link --wallet ID --to ID                         a resident's account of another asset (awards in points)
Four-eyes (operator; --operator NAME says who acts: the proposer, the approver):
  four-eyes enable [--threshold N]                 turn the rule on: issuance from an ISSUER account above N
                                                   (default 1,000,000), fees and subsidy grants need a proposal
                                                   and a second operator's approval; later changes are proposed
  propose issue --proposal ID --id ID --from ISSUER --to ID --amount N [--lifetime S]
  propose fees --proposal ID (set-fees options) | propose grant-subsidy --proposal ID (grant options)
  propose four-eyes --proposal ID --threshold N    (--lifetime S: default 24 hours, at most 7 days)
  proposals                                        pending proposals: who proposed what, until when
  approve PROPOSAL_ID                              a second operator applies it (not its proposer)
  reject PROPOSAL_ID                               reject it (or, its proposer, withdraw it)
  cluster status                                   each --addr node's Raft view: role, term, indexes, members
  cluster add --id N --raft HOST:PORT --grpc HOST:PORT [--operator HOST:PORT]
                                          add a node as standby (it catches up, no vote); --operator:
                                          its --operator_listen (leader hints, clock samples)
  cluster promote N                                make a caught-up member a voter
  cluster remove N                                 remove a member (before wiping its disk)
  cluster transfer [N]                             hand leadership to member N (default: the most up to date)
  help                                             this text; `ledgerctl COMMAND --help` too
)";

using Handler = std::function<int(LedgerConnection&, const Args&)>;

// Every command that talks to a node, by name.
const std::map<std::string, Handler>& Commands() {
  static const auto* const commands = new std::map<std::string, Handler>{
      {"cluster", ClusterCommand},
      {"create-asset", CreateAsset},
      {"create-account", CreateAccount},
      {"close-account", CloseAccountCommand},
      {"transfer",
       [](LedgerConnection& stub, const Args& args) { return TransferCommand(stub, args, 0); }},
      {"post", [](LedgerConnection& stub,
                  const Args& args) { return TransferCommand(stub, args, v1::POST_PENDING); }},
      {"void", [](LedgerConnection& stub,
                  const Args& args) { return TransferCommand(stub, args, v1::VOID_PENDING); }},
      {"account", LookupAccounts},
      {"register-key", RegisterKeyCommand},
      {"revoke-key", RevokeKeyCommand},
      {"set-fees", SetFeesCommand},
      {"merchant-profile", MerchantProfileCommand},
      {"register-card", RegisterCardCommand},
      {"unlock-card", UnlockCardCommand},
      {"reissue-card", ReissueCardCommand},
      {"staff-ops", StaffOpsCommand},
      {"payouts", PayoutsCommand},
      {"base-date-report", BaseDateReportCommand},
      {"health", HealthCommand},
      {"task", TaskCommand},
      {"campaign", CampaignCommand},
      {"link", LinkCommand},
      {"lookup-transfer", LookupTransfers},
      {"asset", LookupAssets},
      {"history",
       [](LedgerConnection& stub, const Args& args) {
         return args.Has("operator") ? OperatorHistoryCommand(stub, args) : History(stub, args);
       }},
      {"operators", OperatorsCommand},
      {"balance-at", BalanceAtCommand},
      {"digest", [](LedgerConnection& stub, const Args&) { return Digest(stub); }},
      {"verify", [](LedgerConnection& stub, const Args&) { return VerifyOnline(stub); }},
      {"audit",
       [](LedgerConnection& stub, const Args& args) {
         return AuditOnline(stub, !args.Has("no-replay"), IntOption(args, "timeout-seconds", 600));
       }},
      {"tail", Tail},
      {"backup", BackupCommand},
      {"propose", ProposeCommand},
      {"approve", ApproveCommand},
      {"reject", RejectCommand},
      {"proposals", ProposalsCommand},
      {"four-eyes", FourEyesCommand},
  };
  return *commands;
}

// Whether `command` calls the operator services (Ledger, Cluster) and so needs the operator token.
// The signed commands of residents, devices and task hosts go to the public Health, Wallet and Pos
// services.
bool UsesOperatorApi(const std::string& command, const Args& args) {
  const std::string sub = args.positional.empty() ? "" : args.positional[0];
  if (command == "health") return sub == "program";
  if (command == "task") return sub == "rules" || sub == "show" || sub == "grant-subsidy";
  return true;
}

// The operator token of `token_file` into *token; false (printed) when it cannot be read.
bool ReadOperatorToken(const std::string& token_file, const std::string& command,
                       std::string* token) {
  absl::StatusOr<std::string> read = ReadOperatorTokenFile(token_file);
  if (!read.ok()) {
    fprintf(stderr,
            "ledgerctl: --operator_token_file %s\n(`%s` uses the operator API, which needs the "
            "token)\n",
            std::string(read.status().message()).c_str(), command.c_str());
    return false;
  }
  *token = *std::move(read);
  return true;
}

}  // namespace

int Run(int argc, char** argv) {
  const GlobalOptions global = ParseGlobalOptions(argc, argv);
  if (global.help) {
    printf("%s", kUsage);
    return 0;
  }
  if (global.command >= argc) {
    fprintf(stderr, "%s", kUsage);
    return 2;
  }
  const std::string command = argv[global.command];
  const Args args = Parse(argc, argv, global.command + 1);
  if (command == "help" || args.Has("help")) {
    printf("%s", kUsage);
    return 0;
  }
  if (command == "verify" && args.Has("data-dir"))
    return VerifyOffline(args.options.at("data-dir"));
  if (command == "audit" && args.Has("data-dir"))
    return AuditOffline(args.options.at("data-dir"), !args.Has("no-replay"));
  if (command == "restore") return RestoreCommand(args);
  Transport transport;
  if (global.plaintext) {
    std::string operator_token;
    if (UsesOperatorApi(command, args) &&
        !ReadOperatorToken(global.token_file, command, &operator_token))
      return 2;
    transport = PlaintextTransport(operator_token, global.operator_name);
  } else {
    transport.ca_file = global.tls_ca;
    if (UsesOperatorApi(command, args)) {
      transport.cert_file = global.tls_cert;
      transport.key_file = global.tls_key;
    }
    if (absl::Status loaded = LoadTransport(&transport); !loaded.ok()) {
      fprintf(stderr, "ledgerctl: %s\n", std::string(loaded.message()).c_str());
      return 2;
    }
  }
  LedgerConnection connection(global.address, global.plaintext ? "" : global.operator_address,
                              transport);
  const auto handler = Commands().find(command);
  if (handler == Commands().end()) UsageError(absl::StrCat("unknown command '", command, "'"));
  return handler->second(connection, args);
}

}  // namespace ledger::ctl

int main(int argc, char** argv) { return ledger::ctl::Run(argc, argv); }
