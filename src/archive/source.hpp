#pragma once
// Where an export's files come from: the zip itself (read in place, never extracted to disk) or an
// extracted folder. Entry names are relative to the archive's top (a zip whose contents sit under
// one extra folder is seen through that folder).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace knowthy::archive {

// A stream of one entry's uncompressed bytes.
class EntryReader {
 public:
  virtual ~EntryReader() = default;
  // Reads up to `n` bytes into `buf`; 0 at the end. A corrupt entry is an error naming it.
  virtual Result<size_t> read(char* buf, size_t n) = 0;
};

struct Entry {
  std::string name;          // e.g. "data/tweets.js", relative to the archive's top
  std::uint64_t size = 0;    // uncompressed
  std::uint64_t stored = 0;  // bytes on disk (compressed size for a zip)
};

class ArchiveSource {
 public:
  virtual ~ArchiveSource() = default;
  virtual const std::vector<Entry>& entries() const = 0;
  virtual Result<std::unique_ptr<EntryReader>> open(const std::string& name) const = 0;
  virtual std::uint64_t total_bytes() const = 0;  // the source's size on disk
  const Entry* find(const std::string& name) const;
  // Reads a whole (small) entry.
  Result<std::string> read_all(const std::string& name) const;
};

// Opens a zip file or a folder; bad input (not a zip, truncated, no data/ folder) is an error
// naming the path.
Result<std::unique_ptr<ArchiveSource>> open_source(const std::filesystem::path& path);

}  // namespace knowthy::archive
