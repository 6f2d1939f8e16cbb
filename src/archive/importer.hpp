#pragma once
// `knowthy ingest`: reads an export (zip or folder) into the workspace database in one
// transaction, so a bad archive leaves the database exactly as it was.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace knowthy::archive {

struct ImportOptions {
  bool progress = true;  // a bar on a terminal
};

struct ImportReport {
  std::string account_id, username, display_name;
  std::uint64_t tweets_seen = 0, tweets_added = 0;
  std::uint64_t deleted_seen = 0, deleted_added = 0;
  std::uint64_t notes_seen = 0, notes_merged = 0;
  std::uint64_t likes_seen = 0, likes_added = 0;
  std::uint64_t bytes = 0;  // uncompressed bytes of the data files read
  double seconds = 0;
  std::vector<std::string> files;    // data files read, in order
  std::vector<std::string> skipped;  // listed in data/manifest.js but not in the archive
};

Result<ImportReport> import_archive(store::Db& db, const std::filesystem::path& path, const ImportOptions& opt);

}  // namespace knowthy::archive
