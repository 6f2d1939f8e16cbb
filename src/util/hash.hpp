#pragma once
// SHA-256 of files (OpenSSL), for manifests that must say exactly which bytes a model was made from.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace knowthy::util {

struct FileDigest {
  std::string sha256;  // lowercase hex
  std::uint64_t bytes = 0;
};

// Reads the file once, in 1 MiB blocks.
Result<FileDigest> sha256_file(const std::filesystem::path& path);

// The SHA-256 of `data`, base64 (a Content-Security-Policy hash source).
std::string sha256_base64(std::string_view data);

}  // namespace knowthy::util
