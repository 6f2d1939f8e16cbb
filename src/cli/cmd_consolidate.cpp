// knowthy consolidate: merges the verified claims of every done batch into the profile.
// knowthy profile diff [A B]: what changed between two profile versions.
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "knowledge/profile_store.hpp"
#include "store/lock.hpp"

namespace knowthy::cli {
namespace {

Status consolidate(const GlobalOptions& g, bool json_out) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  // Under the lock: two consolidations must not number the same version.
  auto lock = store::WorkspaceLock::acquire(ws->dir(), "consolidate");
  if (!lock) return std::unexpected(lock.error());
  auto rep = knowledge::run_consolidate(*ws, *cfg);
  if (!rep) return std::unexpected(rep.error());
  if (json_out) {
    std::printf("%s\n", rep->to_json().dump().c_str());
    return {};
  }
  if (rep->version == 0 && rep->batches == 0) {
    std::printf("no done batches yet: run `knowthy extract` first (an empty profile was written)\n");
  }
  std::printf("profile v%lld%s: %lld entries from %lld claims of %lld batches (%lld contradictions linked)\n",
              static_cast<long long>(rep->version), rep->changed ? "" : " (unchanged)",
              static_cast<long long>(rep->entries), static_cast<long long>(rep->claims),
              static_cast<long long>(rep->batches), static_cast<long long>(rep->contradictions));
  if (rep->changed)
    std::printf("  %lld added, %lld dropped, %lld changed since the previous version\n",
                static_cast<long long>(rep->added), static_cast<long long>(rep->dropped),
                static_cast<long long>(rep->modified));
  if (rep->skipped_missing_evidence || rep->skipped_deleted)
    std::printf("  not merged: %lld claims without evidence, %lld whose tweets were all deleted since\n",
                static_cast<long long>(rep->skipped_missing_evidence), static_cast<long long>(rep->skipped_deleted));
  std::printf("  %s\n", (knowledge::profile_dir(*ws) / "profile.md").c_str());
  return {};
}

nlohmann::json entry_json(const knowledge::ProfileEntry& e) {
  return {{"id", e.id}, {"category", e.category}, {"claim", e.claim}, {"support", e.support}};
}

Status diff(const GlobalOptions& g, std::vector<std::int64_t> which, bool json_out) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto versions = knowledge::profile_versions(ws->db());
  if (!versions) return std::unexpected(versions.error());
  if (which.size() == 1 || which.size() > 2)
    return bad_input("profile diff", "give two versions or none", "e.g. `knowthy profile diff 3 5`");
  if (which.empty()) {
    if (versions->empty())
      return bad_input("profile diff", "there is no profile version yet", "run `knowthy consolidate` first");
    const std::int64_t last = versions->back();
    which = {versions->size() > 1 ? (*versions)[versions->size() - 2] : 0, last};
  }
  knowledge::Profile a, b;  // version 0: the empty profile before the first
  for (auto [v, out] : {std::pair{which[0], &a}, std::pair{which[1], &b}}) {
    if (v == 0) continue;
    if (std::find(versions->begin(), versions->end(), v) == versions->end())
      return bad_input(fmt::format("profile version {}", v), "no such version",
                       versions->empty() ? std::string("run `knowthy consolidate` first")
                                         : fmt::format("versions are 1 to {}", versions->back()));
    auto p = knowledge::load_profile_version(*ws, v);
    if (!p) return std::unexpected(p.error());
    *out = std::move(*p);
  }
  const auto d = knowledge::diff_profiles(a, b);
  if (json_out) {
    nlohmann::json j{{"from", which[0]}, {"to", which[1]}};
    j["added"] = nlohmann::json::array();
    j["dropped"] = nlohmann::json::array();
    j["changed"] = nlohmann::json::array();
    for (const auto& e : d.added) j["added"].push_back(entry_json(e));
    for (const auto& e : d.dropped) j["dropped"].push_back(entry_json(e));
    for (const auto& c : d.changed)
      j["changed"].push_back({{"id", c.id}, {"category", c.category}, {"claim", c.claim}, {"what", c.what}});
    std::printf("%s\n", j.dump().c_str());
    return {};
  }
  std::printf("profile v%lld -> v%lld: %zu added, %zu dropped, %zu changed\n", static_cast<long long>(which[0]),
              static_cast<long long>(which[1]), d.added.size(), d.dropped.size(), d.changed.size());
  for (const auto& e : d.added) std::printf("+ [%s] %s\n", e.category.c_str(), e.claim.c_str());
  for (const auto& e : d.dropped) std::printf("- [%s] %s\n", e.category.c_str(), e.claim.c_str());
  for (const auto& c : d.changed) {
    std::string what;
    for (const auto& w : c.what) what += (what.empty() ? "" : "; ") + w;
    std::printf("~ [%s] %s (%s)\n", c.category.c_str(), c.claim.c_str(), what.c_str());
  }
  return {};
}

}  // namespace

void register_consolidate(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("consolidate", "merge the verified claims of every done batch into the profile");
  auto json_out = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_out, "print as JSON");
  cmd->callback([&g, &run, json_out] { run = [&g, json_out] { return consolidate(g, *json_out); }; });

  auto* profile = app.add_subcommand("profile", "the profile's versions");
  profile->require_subcommand(1);
  auto* d = profile->add_subcommand("diff",
                                    "what was added, dropped or changed between two versions (default: the last two)");
  auto versions = std::make_shared<std::vector<std::int64_t>>();
  auto diff_json = std::make_shared<bool>(false);
  d->add_option("versions", *versions, "two version numbers, A B (0 is the empty profile)");
  d->add_flag("--json", *diff_json, "print as JSON");
  d->callback(
      [&g, &run, versions, diff_json] { run = [&g, versions, diff_json] { return diff(g, *versions, *diff_json); }; });
}

}  // namespace knowthy::cli
