#include "pipeline/artifacts.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "util/crash_point.hpp"
#include "util/fs.hpp"

namespace knowthy::pipeline {
namespace fs = std::filesystem;

namespace {

// Temp names start with a dot so that nothing listing runs/ mistakes them for batches.
fs::path temp_dir(const fs::path& runs, std::int64_t id) {
  return runs / fmt::format(".{}.tmp.{}", batch_dir_name(id), ::getpid());
}
fs::path old_dir(const fs::path& runs, std::int64_t id) {
  return runs / fmt::format(".{}.old.{}", batch_dir_name(id), ::getpid());
}

Status remove_tree(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
  if (ec) return fail(p.string(), "cannot remove: " + ec.message());
  return {};
}

}  // namespace

const std::vector<std::string>& batch_files() {
  static const std::vector<std::string> k{"draft.txt",       "critique.txt",   "notes.md",
                                          "candidates.json", "training.jsonl", "batch.json"};
  return k;
}

std::string batch_dir_name(std::int64_t batch_id) { return fmt::format("batch_{:06d}", batch_id); }

std::int64_t batch_id_of(const std::string& name) {
  if (!name.starts_with("batch_") || name.size() < 12) return -1;
  std::int64_t v = 0;
  for (size_t i = 6; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || v > (INT64_MAX - 9) / 10) return -1;
    v = v * 10 + (name[i] - '0');
  }
  return batch_dir_name(v) == name ? v : -1;
}

Status publish_batch_dir(const fs::path& runs, std::int64_t id, const FileList& files) {
  std::error_code ec;
  if (!fs::is_directory(runs, ec))
    if (auto s = util::make_private_dir(runs); !s) return s;
  const fs::path tmp = temp_dir(runs, id);
  if (::mkdir(tmp.c_str(), 0700) != 0) {  // a leftover of this pid: start it afresh
    if (auto s = remove_tree(tmp); !s) return s;
    if (auto s = util::make_private_dir(tmp); !s) return s;
  }
  // The files are flushed once, after the rename, with one filesystem flush for all of them:
  // a device flush is most of a batch's I/O cost, and an fdatasync per file costs one each.
  // Nothing depends on the folder before the database commit that follows the flush; a crash or
  // power loss before that commit leaves a batch that is not done, whose folder recovery removes.
  for (const auto& [name, content] : files) {
    if (auto s = util::write_file(tmp / name, content); !s) return s;
    util::crash_point("publish_file");
  }
  const fs::path final_dir = runs / batch_dir_name(id);
  const bool replacing = fs::exists(final_dir, ec);
  const fs::path old = old_dir(runs, id);
  if (replacing && std::rename(final_dir.c_str(), old.c_str()) != 0)
    return fail(final_dir.string(), "cannot move the previous attempt's folder aside");
  util::crash_point("publish_swap");
  if (std::rename(tmp.c_str(), final_dir.c_str()) != 0) return fail(final_dir.string(), "cannot rename into place");
  if (auto s = util::sync_filesystem(runs); !s) return s;
  if (replacing) return remove_tree(old);
  return {};
}

Status remove_batch_dir(const fs::path& runs, std::int64_t id) {
  std::error_code ec;
  if (!fs::exists(runs / batch_dir_name(id), ec)) return {};
  if (auto s = remove_tree(runs / batch_dir_name(id)); !s) return s;
  return util::fsync_dir(runs);
}

Result<int> clean_runs_dir(const fs::path& runs) {
  std::error_code ec;
  if (!fs::exists(runs, ec)) return 0;
  int n = 0;
  for (const auto& e : fs::directory_iterator(runs, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(".batch_") &&
        (name.find(".tmp.") != std::string::npos || name.find(".old.") != std::string::npos)) {
      if (auto s = remove_tree(e.path()); !s) return std::unexpected(s.error());
      ++n;
    }
  }
  if (ec) return fail(runs.string(), "cannot list: " + ec.message());
  return n;
}

}  // namespace knowthy::pipeline
