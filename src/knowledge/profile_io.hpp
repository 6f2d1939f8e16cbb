#pragma once
// The profile on disk: profile.json (for programs; read back for diffs) and profile.md (for the
// person: grouped by category, every claim with links to its tweets). Neither holds a timestamp,
// so the same batches give byte-identical files.
#include <string>
#include <string_view>
#include <vector>

#include "knowledge/consolidate.hpp"
#include "util/result.hpp"

namespace knowthy::knowledge {

std::string profile_json(const Profile& p);
std::string profile_markdown(const Profile& p);
Result<Profile> parse_profile(std::string_view json_text);

std::string status_url(const std::string& username, std::uint64_t tweet_id);

struct EntryChange {
  std::string id, category, claim;
  std::vector<std::string> what;  // "support 2 -> 3", "wording: ...", "evidence +2"
};

struct ProfileDiff {
  std::vector<ProfileEntry> added, dropped;
  std::vector<EntryChange> changed;
  bool empty() const { return added.empty() && dropped.empty() && changed.empty(); }
};

// Entries match by id (their earliest claim), which does not change as batches are added.
ProfileDiff diff_profiles(const Profile& before, const Profile& after);

}  // namespace knowthy::knowledge
