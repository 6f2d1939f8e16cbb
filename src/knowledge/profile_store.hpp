#pragma once
// `knowthy consolidate` on a workspace: reads the verified claims of every done batch from the
// database, consolidates them, and publishes profile/profile.json and profile.md. A result that
// differs from the last one becomes a new version, profile/versions/NNNNNN.json (with a row in
// profile_versions), so every earlier profile stays available for `knowthy profile diff`.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "knowledge/profile_io.hpp"
#include "store/config.hpp"
#include "store/workspace.hpp"

namespace knowthy::knowledge {

struct ConsolidateReport {
  std::int64_t version = 0;  // the profile's version now (0: no done batch yet)
  bool changed = false;      // a new version was written
  std::int64_t entries = 0, batches = 0, claims = 0;
  std::int64_t skipped_missing_evidence = 0;  // claims flagged by the critique: never merged
  std::int64_t skipped_deleted = 0;           // claims whose every tweet was deleted since
  std::int64_t deleted_evidence = 0;          // evidence ids dropped because the tweet was deleted
  std::int64_t contradictions = 0;            // linked pairs of entries
  std::int64_t added = 0, dropped = 0, modified = 0;
  nlohmann::json to_json() const;
};

std::filesystem::path profile_dir(const store::Workspace& ws);
std::filesystem::path version_path(const store::Workspace& ws, std::int64_t version);

// Reads the inputs consolidation works on, for the workspace or a benchmark.
struct ConsolidateInputs {
  std::vector<ClaimInput> claims;
  std::unordered_map<std::uint64_t, std::string> dates;
  std::string username;
  std::int64_t skipped_missing_evidence = 0, skipped_deleted = 0, deleted_evidence = 0;
};
Result<ConsolidateInputs> load_consolidate_inputs(store::Db& db);

Result<ConsolidateReport> run_consolidate(store::Workspace& ws, const store::Config& cfg);

// Versions that exist, oldest first.
Result<std::vector<std::int64_t>> profile_versions(store::Db& db);
Result<Profile> load_profile_version(const store::Workspace& ws, std::int64_t version);

}  // namespace knowthy::knowledge
