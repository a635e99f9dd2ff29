// The authority table: see authority_table.h.
#include "tests/authority_table.h"

#include <algorithm>

namespace ledger::testing {
namespace {

const char kAny[] = "any; never the ledger's own pendings (task reservations: `id_reserved`)";
const char kSettings[] =
    "settings; a campaign's or grant's BUDGET account pays only through the rules it names";
const char kFourEyes[] =
    "a proposal moves nothing; its approval (a second operator, not the proposer, before it "
    "expires) applies what was proposed, as the method itself would";
const char kHostTouches[] =
    "host → ESCROW; a city BUDGET only as granted (`subsidy_not_granted`); escrow → the task's "
    "visitors";
const char kResident[] =
    "her own devices, consents, step data, watchers; her points → retired, coin funding → the coin "
    "WALLET "
    "the request names (any resident's: not checked to be hers)";

}  // namespace

std::string RoleWords(Role role) {
  switch (role) {
    case Role::kOperator:
      return "operator (client certificate)";
    case Role::kTerminal:
      return "a terminal of the shop";
    case Role::kManager:
      return "a manager terminal of the shop";
    case Role::kWallet:
      return "the resident's wallet key";
    case Role::kDevice:
      return "her registered, unrevoked device";
    case Role::kWatcher:
      return "a watcher she named";
    case Role::kHost:
      return "a terminal of the task's host";
    case Role::kVisitor:
      return "the visitor's wallet key";
  }
  return "?";
}

std::string RoleName(Role role) {
  switch (role) {
    case Role::kOperator:
      return "operator";
    case Role::kTerminal:
      return "terminal";
    case Role::kManager:
      return "manager";
    case Role::kWallet:
      return "wallet";
    case Role::kDevice:
      return "device";
    case Role::kWatcher:
      return "watcher";
    case Role::kHost:
      return "host";
    case Role::kVisitor:
      return "visitor";
  }
  return "?";
}

const std::vector<AuthorityRow>& AuthorityTable() {
  using R = Role;
  static const auto* const table = new std::vector<AuthorityRow>{
      // ---- Ledger (operator) ----
      {"Ledger.CreateAssets", true, "Asset", {R::kOperator}, "", kAny},
      {"Ledger.CreateAccounts", true, "Account", {R::kOperator}, "", kAny},
      {"Ledger.CloseAccounts", true, "CloseAccount", {R::kOperator}, "", kAny},
      {"Ledger.CreateTransfers", true, "Transfer", {R::kOperator}, "", kAny},
      {"Ledger.RegisterKeys", true, "RegisterKey", {R::kOperator}, "", "the key's account"},
      {"Ledger.RevokeKeys", true, "RevokeKey", {R::kOperator}, "", "the key's account"},
      {"Ledger.SetFees", true, "PosFees", {R::kOperator}, "", kSettings},
      {"Ledger.SetMerchantProfiles", true, "SetMerchantProfile", {R::kOperator}, "", kSettings},
      {"Ledger.RegisterCards", true, "RegisterCard", {R::kOperator}, "", kSettings},
      {"Ledger.UnlockCards", true, "UnlockCard", {R::kOperator}, "", kSettings},
      {"Ledger.SetHealthProgram", true, "SetHealthProgram", {R::kOperator}, "", kSettings},
      {"Ledger.SetTaskRules", true, "SetTaskRules", {R::kOperator}, "", kSettings},
      {"Ledger.GrantSubsidies", true, "GrantSubsidy", {R::kOperator}, "", kSettings},
      {"Ledger.CreateCampaign", true, "CreateCampaign", {R::kOperator}, "", kSettings},
      {"Ledger.PauseCampaign", true, "PauseCampaign", {R::kOperator}, "", kSettings},
      {"Ledger.CloseCampaign", true, "CloseCampaign", {R::kOperator}, "", kSettings},
      {"Ledger.LinkAccounts", true, "LinkAccount", {R::kOperator}, "", kSettings},
      {"Ledger.SetOperatorRoles",
       true,
       "SetOperatorRoles",
       {R::kOperator},
       "a cluster admin",
       "the role table; no account"},
      {"Ledger.ReissueCards",
       true,
       "ReissueCard",
       {R::kOperator},
       "at the desk, who checked the resident's identity (`operator_name` is recorded and shown to "
       "her)",
       "the old card's wallet: the new card pays from it with the new PIN, the old card no more; "
       "nothing moves"},
      {"Ledger.Propose", true, "Propose", {R::kOperator}, "", kFourEyes},
      {"Ledger.Approve", true, "Approve", {R::kOperator}, "", kFourEyes},
      {"Ledger.RejectProposal", true, "RejectProposal", {R::kOperator}, "", kFourEyes},
      {"Ledger.SetFourEyes", true, "SetFourEyes", {R::kOperator}, "", kFourEyes},
      // ---- Pos (shop terminals) ----
      {"Pos.RegisterTerminal",
       true,
       "RegisterKey (by a terminal)",
       {R::kManager},
       "active; others `not_a_manager`",
       "ordinary terminals of its own shop"},
      {"Pos.RevokeTerminal",
       true,
       "RevokeKey (by a terminal)",
       {R::kManager},
       "active; others `not_a_manager`",
       "ordinary terminals of its own shop"},
      {"Pos.CreatePayment",
       true,
       "PosPayment (customer code)",
       {R::kTerminal, R::kManager},
       "with a code signed by the payer's wallet key",
       "the code's wallet → the shop (its account in the payer's asset)"},
      {"Pos.CardPayment",
       true,
       "PosPayment (card)",
       {R::kTerminal, R::kManager},
       "with the card's PIN",
       "the card's wallet → the shop"},
      {"Wallet.PayMpm", true, "PosPayment (shop code)", {R::kWallet}, "", "that wallet → the shop"},
      {"Pos.CreateMpm",
       true,
       "PosMpmOrder",
       {R::kTerminal, R::kManager},
       "",
       "the shop's own orders and reports"},
      {"Pos.CloseDay",
       true,
       "PosCloseDay",
       {R::kTerminal, R::kManager},
       "",
       "the shop's own orders and reports"},
      {"Pos.RefundPayment",
       true,
       "PosRefund",
       {R::kTerminal, R::kManager},
       "for the shop that took the payment",
       "that payment's accounts, back; campaign awards clawed back"},
      {"Pos.CancelPayment",
       true,
       "PosCancel",
       {R::kTerminal, R::kManager},
       "for the shop that took the payment",
       "that payment's accounts, back; campaign awards clawed back"},
      {"Pos.CashOut",
       true,
       "PosCashOut",
       {R::kTerminal, R::kManager},
       "",
       "the shop → issuer and FEE account; the shop → another MERCHANT and FEE"},
      {"Pos.PaySupplier",
       true,
       "PosSupplierPayment",
       {R::kTerminal, R::kManager},
       "",
       "the shop → issuer and FEE account; the shop → another MERCHANT and FEE"},
      {"Pos.PostTask", true, "PostTask", {R::kHost}, "", kHostTouches},
      {"Pos.DecideApplication", true, "DecideApplication", {R::kHost}, "", kHostTouches},
      {"Pos.CancelSlots", true, "CancelSlots", {R::kHost}, "", kHostTouches},
      {"Pos.ConfirmDay", true, "ConfirmDay", {R::kHost}, "", kHostTouches},
      // ---- Wallet (the resident's key) ----
      {"Wallet.Send", true, "WalletSend", {R::kWallet}, "", "debit: that wallet only"},
      {"Wallet.ApplyTask",
       true,
       "ApplyTask",
       {R::kVisitor},
       "check-in with the host device's signed code",
       "her own applications and days"},
      {"Wallet.CheckIn",
       true,
       "CheckIn",
       {R::kVisitor},
       "check-in with the host device's signed code",
       "her own applications and days"},
      // ---- Health ----
      {"Health.ReportSteps",
       true,
       "StepReport",
       {R::kDevice},
       "",
       "program funding → her points wallet"},
      {"Health.AckAlert", true, "AckAlert", {R::kWatcher}, "others `not_a_watcher`", "that alert"},
      // Reads may sit anywhere (the README lists writes only); these run before EraseStepData
      // erases the alert.
      {"Health.GetMileage", false, "", {R::kWallet}, "on her points wallet", "her own step data"},
      {"Health.WatchAlerts",
       false,
       "",
       {R::kWatcher},
       "",
       "the alerts of the residents who named her"},
      {"Health.RegisterDevice",
       true,
       "RegisterDevice",
       {R::kWallet},
       "on her points wallet",
       kResident},
      {"Health.RevokeDevice",
       true,
       "RegisterDevice",
       {R::kWallet},
       "on her points wallet",
       kResident},
      {"Health.SetConsent", true, "SetConsent", {R::kWallet}, "on her points wallet", kResident},
      {"Health.EraseStepData",
       true,
       "EraseStepData",
       {R::kWallet},
       "on her points wallet",
       kResident},
      {"Health.SetWatchOver",
       true,
       "SetWatchOver",
       {R::kWallet},
       "on her points wallet",
       kResident},
      {"Health.ExchangePoints",
       true,
       "ExchangePoints",
       {R::kWallet},
       "on her points wallet",
       kResident},
      // ---- Cluster (operator): Raft membership, no core command ----
      {"Cluster.AddMember", true, "", {R::kOperator}, "", "membership; no account"},
      {"Cluster.RemoveMember", true, "", {R::kOperator}, "", "membership; no account"},
      {"Cluster.PromoteMember", true, "", {R::kOperator}, "", "membership; no account"},
      {"Cluster.TransferLeadership", true, "", {R::kOperator}, "", "membership; no account"},
      // ---- Reads: nothing decided; who may read ----
      {"Ledger.GetTask", false, "", {R::kOperator}, "", "any"},
      {"Ledger.GetCampaign", false, "", {R::kOperator}, "", "any"},
      {"Ledger.ListStaffOperations", false, "", {R::kOperator}, "", "any"},
      {"Ledger.ListCashOuts", false, "", {R::kOperator}, "", "any"},
      {"Ledger.LookupAssets", false, "", {R::kOperator}, "", "any"},
      {"Ledger.LookupAccounts", false, "", {R::kOperator}, "", "any"},
      {"Ledger.LookupTransfers", false, "", {R::kOperator}, "", "any"},
      {"Ledger.GetAccountHistory", false, "", {R::kOperator}, "", "any"},
      {"Ledger.GetBalanceAt", false, "", {R::kOperator}, "", "any"},
      {"Ledger.GetDigest", false, "", {R::kOperator}, "", "any"},
      {"Ledger.GetJournal", false, "", {R::kOperator}, "", "any"},
      {"Ledger.Audit",
       false,
       "",
       {R::kOperator},
       "",
       "any (reads the whole state of the node asked)"},
      {"Ledger.Subscribe", false, "", {R::kOperator}, "", "any"},
      {"Ledger.Backup",
       false,
       "",
       {R::kOperator},
       "",
       "any (a copy of the whole state of the node asked)"},
      {"Ledger.ListOperators", false, "", {R::kOperator}, "", "the role table"},
      {"Ledger.ListProposals", false, "", {R::kOperator}, "", "any"},
      {"Pos.GetPayment", false, "", {R::kTerminal, R::kManager}, "", "the shop's own payments"},
      {"Pos.WatchPayment", false, "", {R::kTerminal, R::kManager}, "", "the shop's own payments"},
      {"Wallet.GetAccount", false, "", {R::kWallet}, "", "her own account"},
      {"Wallet.GetHistory", false, "", {R::kWallet}, "", "her own account"},
      {"Wallet.ListStaffOperations", false, "", {R::kWallet}, "", "her own account"},
      {"Cluster.Status", false, "", {R::kOperator}, "", "membership; no account"},
      {"Cluster.Clock",
       false,
       "",
       {R::kOperator},
       "",
       "no account (the node's clock, for its peers)"},
      {"Cluster.SnapshotChunk",
       false,
       "",
       {R::kOperator},
       "the nodes' own names only (node-<raft id>)",
       "no account (a Raft snapshot's files, for its peers)"},
  };
  return *table;
}

namespace {

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

std::string Who(const AuthorityRow& row) {
  std::vector<std::string> words;
  for (Role role : row.roles) words.push_back(RoleWords(role));
  std::string who = Join(words, " or ");
  if (!row.detail.empty()) who += ", " + row.detail;
  return who;
}

}  // namespace

std::string AuthorityReadmeTable() {
  std::string out =
      "| core command | API method | who may issue it | accounts it may touch |\n"
      "|---|---|---|---|\n";
  std::vector<AuthorityRow> table;
  for (const AuthorityRow& row : AuthorityTable()) {
    if (row.writes) table.push_back(row);
  }
  for (size_t i = 0; i < table.size();) {
    size_t end = i + 1;
    while (end < table.size() && table[end].roles == table[i].roles &&
           table[end].detail == table[i].detail && table[end].touches == table[i].touches) {
      ++end;
    }
    std::vector<std::string> commands, methods;
    std::string service;
    for (size_t j = i; j < end; ++j) {
      const std::string& command = table[j].command;
      // "PosPayment (card)": the command in backticks, then its note.
      const size_t space = command.find(' ');
      const std::string shown = "`" + command.substr(0, space) + "`" +
                                (space == std::string::npos ? "" : command.substr(space));
      if (!command.empty() &&
          std::find(commands.begin(), commands.end(), shown) == commands.end()) {
        commands.push_back(shown);
      }
      const std::string& method = table[j].method;
      const std::string method_service = method.substr(0, method.find('.'));
      methods.push_back(
          "`" + (method_service == service ? method.substr(method.find('.') + 1) : method) + "`");
      service = method_service;
    }
    out += "| " + (commands.empty() ? std::string("—") : Join(commands, ", ")) + " | " +
           Join(methods, ", ") + " | " + Who(table[i]) + " | " + table[i].touches + " |\n";
    i = end;
  }
  return out;
}

}  // namespace ledger::testing
