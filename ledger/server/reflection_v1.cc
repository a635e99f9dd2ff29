#include "ledger/server/reflection_v1.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>

#include <set>
#include <string>
#include <vector>

#include "proto/reflection_v1.grpc.pb.h"

namespace ledger {
namespace {

namespace v1 = grpc::reflection::v1;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;

class ReflectionV1Service final : public v1::ServerReflection::Service {
 public:
  void SetServices(const std::vector<std::string>& services) { services_ = services; }

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ServerReflectionResponse, v1::ServerReflectionRequest>* stream)
      override {
    v1::ServerReflectionRequest request;
    std::set<std::string> sent;  // Files already sent on this stream (v1alpha does the same).
    while (stream->Read(&request)) {
      v1::ServerReflectionResponse response;
      response.set_valid_host(request.host());
      *response.mutable_original_request() = request;
      const DescriptorPool* pool = DescriptorPool::generated_pool();
      switch (request.message_request_case()) {
        case v1::ServerReflectionRequest::kFileByFilename:
          Files(pool->FindFileByName(request.file_by_filename()),
                "file " + request.file_by_filename(), &sent, &response);
          break;
        case v1::ServerReflectionRequest::kFileContainingSymbol:
          Files(pool->FindFileContainingSymbol(request.file_containing_symbol()),
                "symbol " + request.file_containing_symbol(), &sent, &response);
          break;
        case v1::ServerReflectionRequest::kFileContainingExtension: {
          const v1::ExtensionRequest& ask = request.file_containing_extension();
          const google::protobuf::Descriptor* type =
              pool->FindMessageTypeByName(ask.containing_type());
          const google::protobuf::FieldDescriptor* extension =
              type == nullptr ? nullptr : pool->FindExtensionByNumber(type, ask.extension_number());
          Files(extension == nullptr ? nullptr : extension->file(),
                "extension " + std::to_string(ask.extension_number()) + " of " +
                    ask.containing_type(),
                &sent, &response);
          break;
        }
        case v1::ServerReflectionRequest::kAllExtensionNumbersOfType: {
          const google::protobuf::Descriptor* type =
              pool->FindMessageTypeByName(request.all_extension_numbers_of_type());
          if (type == nullptr) {
            Error(grpc::StatusCode::NOT_FOUND,
                  "type " + request.all_extension_numbers_of_type() + " not found", &response);
            break;
          }
          std::vector<const google::protobuf::FieldDescriptor*> extensions;
          pool->FindAllExtensions(type, &extensions);
          v1::ExtensionNumberResponse* numbers = response.mutable_all_extension_numbers_response();
          numbers->set_base_type_name(type->full_name());
          for (const google::protobuf::FieldDescriptor* extension : extensions) {
            numbers->add_extension_number(extension->number());
          }
          break;
        }
        case v1::ServerReflectionRequest::kListServices:
          for (const std::string& name : services_) {
            response.mutable_list_services_response()->add_service()->set_name(name);
          }
          break;
        default:
          Error(grpc::StatusCode::UNIMPLEMENTED, "request: no message_request set", &response);
      }
      if (!stream->Write(response)) break;
      if (context->IsCancelled()) break;
    }
    return grpc::Status::OK;
  }

 private:
  static void Error(grpc::StatusCode code, const std::string& message,
                    v1::ServerReflectionResponse* response) {
    response->mutable_error_response()->set_error_code(static_cast<int32_t>(code));
    response->mutable_error_response()->set_error_message(message);
  }

  // `file` and the files it depends on, each once per stream; NOT_FOUND naming `what` for nullptr.
  static void Files(const FileDescriptor* file, const std::string& what,
                    std::set<std::string>* sent, v1::ServerReflectionResponse* response) {
    if (file == nullptr) {
      Error(grpc::StatusCode::NOT_FOUND, what + " not found", response);
      return;
    }
    v1::FileDescriptorResponse* files = response->mutable_file_descriptor_response();
    std::vector<const FileDescriptor*> pending = {file};
    while (!pending.empty()) {
      const FileDescriptor* next = pending.back();
      pending.pop_back();
      if (!sent->insert(next->name()).second) continue;
      google::protobuf::FileDescriptorProto proto;
      next->CopyTo(&proto);
      files->add_file_descriptor_proto(proto.SerializeAsString());
      for (int i = 0; i < next->dependency_count(); ++i) pending.push_back(next->dependency(i));
    }
  }

  std::vector<std::string> services_;
};

// Registers the service when the server is built and gives it the server's service list, as gRPC's
// v1alpha plugin does.
class ReflectionV1Plugin final : public grpc::ServerBuilderPlugin {
 public:
  std::string name() override { return "ledger_reflection_v1"; }
  void InitServer(grpc::ServerInitializer* si) override { si->RegisterService(service_); }
  void Finish(grpc::ServerInitializer* si) override {
    service_->SetServices(*si->GetServiceList());
  }
  void ChangeArguments(const std::string&, void*) override {}
  bool has_sync_methods() const override { return true; }

 private:
  std::shared_ptr<ReflectionV1Service> service_ = std::make_shared<ReflectionV1Service>();
};

class ReflectionV1BuilderOption final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<ReflectionV1Plugin>());
  }
};

}  // namespace

std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1Option() {
  return std::make_unique<ReflectionV1BuilderOption>();
}

}  // namespace ledger
