// ledgerctl: the Raft cluster: status, members, leadership.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/tools/ledgerctl/ledgerctl.h"

namespace ledger::ctl {

int ClusterCommand(LedgerConnection& connection, const Args& args) {
  if (args.positional.empty())
    UsageError("cluster needs one of: status add promote remove transfer");
  const std::string& verb = args.positional[0];
  auto member_id = [&]() -> uint64_t {
    if (args.positional.size() < 2)
      UsageError(absl::StrCat("cluster ", verb, " needs a member id"));
    const int64_t id = Int(args.positional[1], "member id");
    if (id <= 0) UsageError("member id: must be positive");
    return static_cast<uint64_t>(id);
  };
  if (verb == "status") {
    int failed = 0;
    bool members_printed = false;
    for (size_t i = 0; i < connection.addresses().size(); ++i) {
      const std::string& address = connection.addresses()[i];
      const std::vector<std::string>& operators = connection.operator_addresses();
      LedgerConnection node(address, i < operators.size() ? operators[i] : "",
                            connection.transport());
      v1::ClusterStatusReply reply;
      grpc::Status status = node.cluster().Status(
          ContextWithDeadline(std::chrono::seconds(3)).get(), v1::ClusterStatusRequest(), &reply);
      if (!status.ok()) {
        printf("%s: %s\n", address.c_str(),
               status.error_code() == grpc::StatusCode::UNIMPLEMENTED
                   ? "single node (no Raft)"
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
    if (args.Has("operator")) request.set_operator_address(args.options.at("operator"));
    status = connection.Call([&](LedgerConnection& c) {
      return c.cluster().AddMember(Context().get(), request, &reply);
    });
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

}  // namespace ledger::ctl
