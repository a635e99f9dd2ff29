// The gateway's static files (the web apps, ledgerd --web_root): which file a URL path names, its
// MIME type, and the headers every gateway response carries (a strict Content-Security-Policy).
//
// A URL path names a file under the root only if every segment is a plain name: no "..", no ".",
// no empty segment, no segment starting with "." (hidden files), no backslash or NUL; and the file,
// with symbolic links resolved, is a regular file inside the root. A path ending in "/" names its
// index.html. Anything else is NOT_FOUND (the reply does not say which rule).
#ifndef LEDGER_GATEWAY_STATIC_FILES_H_
#define LEDGER_GATEWAY_STATIC_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ledger::gateway {

inline constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

// The file `url_path` (already percent-decoded, starting with "/") names under `root`; NOT_FOUND
// otherwise. FAILED_PRECONDITION "redirect" when it names a directory without the trailing "/".
absl::StatusOr<std::string> StaticFilePath(const std::string& root, std::string_view url_path);

// The Content-Type for a file name by its extension; application/octet-stream when unknown.
std::string MimeType(std::string_view file_name);

}  // namespace ledger::gateway

#endif  // LEDGER_GATEWAY_STATIC_FILES_H_
