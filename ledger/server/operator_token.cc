// The operator token file: see operator_token.h.
#include "ledger/server/operator_token.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/storage/atomic_file.h"

namespace ledger {
namespace {

constexpr char kWhereLedgerdWritesIt[] =
    " (ledgerd creates it at its first start: DATA_DIR/operator.token, or its "
    "--operator_token_file)";

struct SmallFile {
  std::string contents;
  mode_t mode = 0;
};

// The whole file, if it is a regular file of at most kOperatorTokenFileBytesMax bytes. One open
// file is both checked and read, so the mode checked is the mode of what was read.
absl::StatusOr<SmallFile> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    const std::string message = absl::StrCat(path, ": cannot read: ", std::strerror(error));
    if (error == ENOENT) return absl::NotFoundError(absl::StrCat(message, kWhereLedgerdWritesIt));
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::UnavailableError(message);
  }
  SmallFile file;
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  file.mode = info.st_mode & 07777;
  char buffer[kOperatorTokenFileBytesMax + 1];
  ssize_t got = 0;
  while (file.contents.size() <= kOperatorTokenFileBytesMax &&
         (got = ::read(fd, buffer, sizeof buffer - file.contents.size())) > 0) {
    file.contents.append(buffer, static_cast<size_t>(got));
  }
  const int error = errno;
  ::close(fd);
  if (got < 0)
    return absl::UnavailableError(absl::StrCat(path, ": cannot read: ", std::strerror(error)));
  if (file.contents.size() > kOperatorTokenFileBytesMax) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": more than ", kOperatorTokenFileBytesMax,
                                                   " bytes: not an operator token file"));
  }
  return file;
}

// The token of a file ledgerd is to use: only the owner may read or write it.
absl::StatusOr<std::string> ServerToken(const std::string& path, const SmallFile& file) {
  if ((file.mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: mode %04o lets group or others read or write the operator token; chmod 600 %s", path,
        file.mode, path));
  }
  return ParseOperatorToken(file.contents, path);
}

// 64 lowercase hex digits of fresh random bytes and a newline.
absl::StatusOr<std::string> NewTokenFileContents() {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  unsigned char random[kOperatorTokenRandomBytes];
  randombytes_buf(random, sizeof random);
  char hex[2 * kOperatorTokenRandomBytes + 1];
  sodium_bin2hex(hex, sizeof hex, random, sizeof random);
  std::string contents = absl::StrCat(hex, "\n");
  sodium_memzero(random, sizeof random);
  sodium_memzero(hex, sizeof hex);
  return contents;
}

}  // namespace

absl::StatusOr<std::string> ParseOperatorToken(std::string_view contents,
                                               const std::string& source) {
  std::string_view token = contents;
  if (token.size() >= 2 && token.substr(token.size() - 2) == "\r\n") {
    token.remove_suffix(2);
  } else if (!token.empty() && token.back() == '\n') {
    token.remove_suffix(1);
  }
  if (token.empty())
    return absl::InvalidArgumentError(absl::StrCat(source, ": empty, no operator token"));
  if (token.size() < kOperatorTokenLengthMin || token.size() > kOperatorTokenLengthMax) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the operator token is ", token.size(), " characters; it must be ",
                     kOperatorTokenLengthMin, " to ", kOperatorTokenLengthMax,
                     " (ledgerd writes 64 hex digits)"));
  }
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: character %d of the operator token is 0x%02x; only printable ASCII "
                          "without spaces (one line)",
                          source, i + 1, c));
    }
  }
  return std::string(token);
}

absl::StatusOr<std::string> ReadOperatorTokenFile(const std::string& path) {
  absl::StatusOr<SmallFile> file = ReadSmallFile(path);
  if (!file.ok()) return file.status();
  return ParseOperatorToken(file->contents, path);
}

absl::StatusOr<OperatorTokenFile> LoadOrCreateOperatorTokenFile(const std::string& path) {
  absl::StatusOr<SmallFile> existing = ReadSmallFile(path);
  if (existing.ok()) {
    absl::StatusOr<std::string> token = ServerToken(path, *existing);
    if (!token.ok()) return token.status();
    return OperatorTokenFile{*std::move(token), false};
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();
  absl::StatusOr<std::string> contents = NewTokenFileContents();
  if (!contents.ok()) return contents.status();
  // Written whole under a name of this process, then linked to `path`: link() never replaces a
  // file, so when several nodes sharing one token file start at once, the first file stays and the
  // others read it.
  const std::string temporary = absl::StrCat(path, ".new.", ::getpid());
  absl::Status written = WriteFileAtomically(temporary, *contents, 0600);
  if (!written.ok()) return written;
  const bool linked = ::link(temporary.c_str(), path.c_str()) == 0;
  const int error = errno;
  ::unlink(temporary.c_str());
  if (!linked && error != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", std::strerror(error)));
  }
  absl::StatusOr<SmallFile> file = ReadSmallFile(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::string> token = ServerToken(path, *file);
  if (!token.ok()) return token.status();
  return OperatorTokenFile{*std::move(token), linked};
}

}  // namespace ledger
