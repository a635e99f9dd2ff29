#include "ledger/gateway/static_files.h"

#include <filesystem>
#include <map>
#include <system_error>
#include <vector>

#include "absl/strings/str_split.h"

namespace ledger::gateway {
namespace {

bool PlainSegment(const std::string& segment) {
  if (segment.empty() || segment.front() == '.') return false;
  for (const char c : segment) {
    if (c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> StaticFilePath(const std::string& root, std::string_view url_path) {
  const absl::Status not_found = absl::NotFoundError("no such file");
  if (root.empty() || url_path.empty() || url_path.front() != '/') return not_found;
  std::string_view rest = url_path.substr(1);
  const bool directory = rest.empty() || rest.back() == '/';
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::filesystem::path path = root;
  if (!rest.empty()) {
    const std::vector<std::string> segments = absl::StrSplit(std::string(rest), '/');
    for (const std::string& segment : segments) {
      if (!PlainSegment(segment)) return not_found;
      path /= segment;
    }
  }
  std::error_code error;
  const std::filesystem::path real_root = std::filesystem::canonical(root, error);
  if (error) return not_found;
  std::filesystem::path real = std::filesystem::canonical(path, error);
  if (error) return not_found;
  if (std::filesystem::is_directory(real, error)) {
    if (!directory) return absl::FailedPreconditionError("redirect");
    real = std::filesystem::canonical(real / "index.html", error);
    if (error) return not_found;
  } else if (directory) {
    return not_found;
  }
  // Symbolic links resolved: the file must still be inside the root.
  const std::string inside = real_root.string() + "/";
  if (real.string().compare(0, inside.size(), inside) != 0) return not_found;
  if (!std::filesystem::is_regular_file(real, error)) return not_found;
  return real.string();
}

std::string MimeType(std::string_view file_name) {
  static const std::map<std::string, std::string> kTypes = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"txt", "text/plain; charset=utf-8"},
      {"map", "application/json"},
      {"wasm", "application/wasm"},
      {"mp4", "video/mp4"},
      {"y4m", "video/x-raw"},
  };
  const size_t dot = file_name.rfind('.');
  const size_t slash = file_name.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string extension(file_name.substr(dot + 1));
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto found = kTypes.find(extension);
  return found == kTypes.end() ? "application/octet-stream" : found->second;
}

}  // namespace ledger::gateway
