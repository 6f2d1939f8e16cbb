#pragma once
// Where the sample archive's members go: a reproducible zip (libarchive) or a folder, and the
// `window.YTD.<name>.partN = [ ... ]` data files streamed into it.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

struct archive;  // libarchive's writer handle (<archive.h>)

namespace knowthy::sample {

using std::int64_t;
using std::uint64_t;

// Archive members go into a zip (fixed timestamps, so the bytes are reproducible) or a folder.
class Sink {
 public:
  Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  ~Sink();

  Status open_zip(const std::filesystem::path& file, int level, int64_t mtime);

  void open_dir(const std::filesystem::path& dir) { m_dir = dir; }
  void set_root(std::string root) { m_root = std::move(root); }
  // Members at these paths (or under these folders) are not written, as when a person removes
  // files from an export; the manifest still lists them.
  void omit(std::vector<std::string> paths) { m_omit = std::move(paths); }

  // Starts a member; size < 0 = unknown (streamed).
  Status begin(std::string_view rel, int64_t size);
  Status write(std::string_view data);
  Status end();
  Status put(std::string_view rel, std::string_view data);
  Status close();

  uint64_t bytes() const { return m_bytes; }

 private:
  Status zip_error(const std::string& what);

  ::archive* m_zip = nullptr;
  std::FILE* m_file = nullptr;
  std::filesystem::path m_dir;
  std::string m_root, m_current;
  std::vector<std::string> m_omit;
  bool m_skipping = false;  // the current member is omitted
  int64_t m_mtime = 0;
  uint64_t m_bytes = 0;
};

// `window.YTD.<name>.partN = [ records ]`, streamed in buffered pieces.
class ArrayFile {
 public:
  ArrayFile(Sink& sink, bool modern) : m_sink(sink), m_modern(modern) {}

  Status open(std::string_view rel, std::string_view global_name);
  // Appends records already rendered and joined by separator().
  Status add(std::string_view rendered, uint64_t n);
  Status close();
  uint64_t count() const { return m_count; }
  std::string_view separator() const { return m_modern ? ",\n  " : ", "; }

 private:
  Status flush();

  Sink& m_sink;
  bool m_modern;
  std::string m_buf;
  uint64_t m_count = 0;
};

}  // namespace knowthy::sample
