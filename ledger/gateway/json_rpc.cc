#include "ledger/gateway/json_rpc.h"

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ledger::gateway {
namespace {

namespace pb = google::protobuf;

constexpr char kPackage[] = "ledger.v1";

bool Serves(const std::string& service, Listener listener) {
  static const std::set<std::string> kPublic = {"Pos", "Wallet", "Health"};
  static const std::set<std::string> kOperator = {"Ledger", "Cluster"};
  if (kPublic.count(service) != 0) return true;
  return listener == Listener::kOperator && kOperator.count(service) != 0;
}

std::unique_ptr<pb::Message> NewMessage(const pb::Descriptor* type) {
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(type);
  return prototype == nullptr ? nullptr : std::unique_ptr<pb::Message>(prototype->New());
}

}  // namespace

absl::StatusOr<GatewayMethod> FindMethod(std::string_view url_path, Listener listener) {
  const std::string path(url_path);
  const absl::Status not_found = absl::NotFoundError(absl::StrCat(
      "no method ", path, " on this listener (POST /v1/",
      listener == Listener::kPublic ? "{Pos,Wallet,Health}" : "{Pos,Wallet,Health,Ledger,Cluster}",
      "/<Method>)"));
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  if (parts.size() != 4 || !parts[0].empty() || parts[1] != "v1") return not_found;
  const std::string& service_name = parts[2];
  if (!Serves(service_name, listener)) return not_found;
  const pb::ServiceDescriptor* service = pb::DescriptorPool::generated_pool()->FindServiceByName(
      absl::StrCat(kPackage, ".", service_name));
  if (service == nullptr) return not_found;
  const pb::MethodDescriptor* method = service->FindMethodByName(parts[3]);
  if (method == nullptr || method->client_streaming()) return not_found;
  GatewayMethod found;
  found.grpc_path = absl::StrCat("/", service->full_name(), "/", method->name());
  found.service = service_name;
  found.method = method;
  found.server_streaming = method->server_streaming();
  found.operator_service = service_name == "Ledger" || service_name == "Cluster";
  return found;
}

absl::StatusOr<std::string> JsonToRequest(const GatewayMethod& method, std::string_view json) {
  std::unique_ptr<pb::Message> request = NewMessage(method.method->input_type());
  if (request == nullptr) return absl::InternalError("no generated type for the request");
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()),
                                                    request.get(), options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("request body is not a ",
                                                   method.method->input_type()->full_name(),
                                                   " in JSON: ", std::string(parsed.message())));
  }
  std::string bytes;
  if (!request->SerializeToString(&bytes)) return absl::InternalError("cannot encode the request");
  return bytes;
}

absl::StatusOr<std::string> ReplyToJson(const GatewayMethod& method, std::string_view bytes) {
  std::unique_ptr<pb::Message> reply = NewMessage(method.method->output_type());
  if (reply == nullptr || !reply->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InternalError("the service's reply does not parse");
  }
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = false;
  std::string json;
  const auto printed = pb::util::MessageToJsonString(*reply, &json, options);
  if (!printed.ok()) return absl::InternalError(std::string(printed.message()));
  return json;
}

}  // namespace ledger::gateway
