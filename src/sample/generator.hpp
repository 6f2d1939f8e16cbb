#pragma once
// Writes the members of the sample archive (tweets in parallel chunks, notes, deleted tweets, likes,
// account, profile, manifest) into a Sink and gathers the ground truth on the way.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sample/archive.hpp"
#include "sample/rng.hpp"
#include "sample/sink.hpp"
#include "sample/truth.hpp"
#include "sample/tweet.hpp"
#include "util/result.hpp"

namespace knowthy::sample {

struct FileEntry {
  std::string file_name, global_name;
  uint64_t count;
};
struct DataType {
  std::string media_dir;
  std::vector<FileEntry> files;
};

// Writes every member of the archive into `sink`; run() returns the truth document.
class Generator {
 public:
  Generator(const SampleOptions& opt, Context& ctx, Sink& sink) : m_opt(opt), m_ctx(ctx), m_sink(sink) {}

  Result<json> run();  // the truth document

  uint64_t parts() const { return m_parts; }
  uint64_t total() const { return m_total; }

 private:
  void add_file(const std::string& type, const std::string& media_dir, std::string fname, std::string gname,
                uint64_t count);
  Result<json> write_deleted(Rng& side);
  Result<uint64_t> write_likes(Rng& side);
  Status write_account_profile(Rng& side);
  Status write_manifest();

  const SampleOptions& m_opt;
  Context& m_ctx;
  Sink& m_sink;
  std::map<std::string, DataType> m_types;
  uint64_t m_likes_without_text = 0, m_parts = 0, m_total = 0;
};

}  // namespace knowthy::sample
