#include "util/hash.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace knowthy::util {

namespace {
struct MdFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
struct FdGuard {
  int fd;
  ~FdGuard() { ::close(fd); }
};
}  // namespace

Result<FileDigest> sha256_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(path.string(), std::strerror(errno));
  const FdGuard guard{fd};
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<EVP_MD_CTX, MdFree> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1) return fail("sha256", "OpenSSL cannot hash");
  std::vector<unsigned char> buf(1 << 20);
  FileDigest d;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(path.string(), std::strerror(errno));
    if (n == 0) break;
    EVP_DigestUpdate(md.get(), buf.data(), static_cast<size_t>(n));
    d.bytes += static_cast<std::uint64_t>(n);
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(md.get(), out, &len);
  static constexpr char k_hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    d.sha256 += k_hex[out[i] >> 4];
    d.sha256 += k_hex[out[i] & 15];
  }
  return d;
}

std::string sha256_base64(std::string_view data) {
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  unsigned char out[64];
  const int n = EVP_EncodeBlock(out, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

}  // namespace knowthy::util
