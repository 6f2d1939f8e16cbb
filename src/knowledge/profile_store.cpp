#include "knowledge/profile_store.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>

#include "util/fs.hpp"
#include "util/text.hpp"

namespace knowthy::knowledge {
namespace fs = std::filesystem;

nlohmann::json ConsolidateReport::to_json() const {
  return {{"version", version},
          {"changed", changed},
          {"entries", entries},
          {"batches", batches},
          {"claims", claims},
          {"skipped_missing_evidence", skipped_missing_evidence},
          {"skipped_deleted", skipped_deleted},
          {"deleted_evidence", deleted_evidence},
          {"contradictions", contradictions},
          {"added", added},
          {"dropped", dropped},
          {"changed_entries", modified}};
}

fs::path profile_dir(const store::Workspace& ws) { return ws.dir() / "profile"; }

fs::path version_path(const store::Workspace& ws, std::int64_t version) {
  return profile_dir(ws) / "versions" / fmt::format("{:06}.json", version);
}

namespace {

// The evidence column holds a JSON array of decimal id strings that knowthy wrote itself, so the
// ids are its runs of digits.
void parse_ids(std::string_view json, std::vector<std::uint64_t>& out) {
  std::uint64_t v = 0;
  bool in = false;
  for (char c : json) {
    if (c >= '0' && c <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
      in = true;
    } else if (in) {
      out.push_back(v);
      v = 0, in = false;
    }
  }
}

}  // namespace

Result<ConsolidateInputs> load_consolidate_inputs(store::Db& db) {
  ConsolidateInputs in;
  {
    auto st = db.prepare("SELECT username FROM account LIMIT 1");
    if (!st) return std::unexpected(st.error());
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (*row) in.username = st->column_text(0);
  }
  // The claims first, then the dates of the tweets they cite (a table scan, keeping only those).
  struct Row {
    ClaimInput claim;
    std::vector<std::uint64_t> ids;
  };
  std::vector<Row> rows;
  std::vector<std::uint64_t> cited;
  {
    auto st = db.prepare(R"sql(
SELECT c.batch_id, c.idx, c.category, c.claim, c.evidence_tweet_ids, c.confidence, c.flags
FROM candidates c JOIN batches b ON b.id = c.batch_id WHERE b.status = 'done'
ORDER BY c.batch_id, c.idx)sql");
    if (!st) return std::unexpected(st.error());
    auto s = st->each_row([&] {
      if (st->column_text(6).find("missing-evidence") != std::string::npos) {
        ++in.skipped_missing_evidence;
        return;
      }
      Row r;
      parse_ids(st->column_text(4), r.ids);
      cited.insert(cited.end(), r.ids.begin(), r.ids.end());
      r.claim.batch_id = st->column_int(0);
      r.claim.idx = static_cast<int>(st->column_int(1));
      r.claim.category = st->column_text(2);
      r.claim.claim = st->column_text(3);
      r.claim.confidence = st->column_double(5);
      rows.push_back(std::move(r));
    });
    if (!s) return std::unexpected(s.error());
  }
  std::sort(cited.begin(), cited.end());
  cited.erase(std::unique(cited.begin(), cited.end()), cited.end());
  {
    // Deleted tweets stay out: a tweet deleted by a later export no longer supports anything.
    auto st = db.prepare(R"sql(
SELECT t.id, t.created_at FROM tweets t JOIN batches b ON b.id = t.batch_id
WHERE b.status = 'done' AND t.deleted = 0)sql");
    if (!st) return std::unexpected(st.error());
    in.dates.reserve(cited.size());
    auto s = st->each_row([&] {
      const auto id = static_cast<std::uint64_t>(st->column_int(0));
      if (std::binary_search(cited.begin(), cited.end(), id)) in.dates.emplace(id, st->column_text(1));
    });
    if (!s) return std::unexpected(s.error());
  }
  in.claims.reserve(rows.size());
  for (auto& r : rows) {
    for (std::uint64_t id : r.ids) {
      if (in.dates.contains(id))
        r.claim.evidence.push_back(id);
      else
        ++in.deleted_evidence;
    }
    if (r.claim.evidence.empty()) {
      ++in.skipped_deleted;
      continue;
    }
    in.claims.push_back(std::move(r.claim));
  }
  return in;
}

Result<std::vector<std::int64_t>> profile_versions(store::Db& db) {
  return db.query_ints("SELECT version FROM profile_versions ORDER BY version");
}

Result<Profile> load_profile_version(const store::Workspace& ws, std::int64_t version) {
  auto text = util::read_file(version_path(ws, version));
  if (!text)
    return bad_input(fmt::format("profile version {}", version), "its file is missing (" + text.error().why + ")",
                     "`knowthy profile diff` lists the versions that are kept");
  return parse_profile(*text);
}

Result<ConsolidateReport> run_consolidate(store::Workspace& ws, const store::Config& cfg) {
  store::Db& db = ws.db();
  ConsolidateReport rep;
  auto in = load_consolidate_inputs(db);
  if (!in) return std::unexpected(in.error());
  rep.skipped_missing_evidence = in->skipped_missing_evidence;
  rep.skipped_deleted = in->skipped_deleted;
  rep.deleted_evidence = in->deleted_evidence;
  auto batches = db.query_int("SELECT COUNT(*) FROM batches WHERE status = 'done'");
  if (!batches) return std::unexpected(batches.error());

  Profile p = consolidate(std::move(in->claims), in->dates, {cfg.consolidate.similarity});
  p.username = in->username;
  p.batches = *batches;  // done batches, with claims or not
  rep.entries = static_cast<std::int64_t>(p.entries.size());
  rep.batches = p.batches;
  rep.claims = p.claims;
  for (const auto& e : p.entries) rep.contradictions += static_cast<std::int64_t>(e.contradicts.size());
  rep.contradictions /= 2;

  const std::string json = profile_json(p);
  const std::string hash = fmt::format("{:016x}", XXH3_64bits(json.data(), json.size()));
  auto versions = profile_versions(db);
  if (!versions) return std::unexpected(versions.error());
  const std::int64_t last = versions->empty() ? 0 : versions->back();
  std::string last_hash;
  if (last) {
    auto st = db.prepare("SELECT hash FROM profile_versions WHERE version = ?1");
    if (!st) return std::unexpected(st.error());
    st->bind(1, last);
    if (auto row = st->step(); !row) return std::unexpected(row.error());
    last_hash = st->column_text(0);
  }
  const fs::path dir = profile_dir(ws);
  if (auto s = util::make_private_dir(dir / "versions"); !s) return std::unexpected(s.error());
  std::error_code ec;
  const bool published = fs::exists(dir / "profile.json", ec) && fs::exists(dir / "profile.md", ec) &&
                         fs::exists(version_path(ws, last), ec);
  if (last && hash == last_hash && published) {
    rep.version = last;
    return rep;  // nothing changed: no new version
  }
  if (last && hash == last_hash) {  // the same profile, but a file went missing: put it back
    rep.version = last;
  } else {
    rep.version = last + 1;
    rep.changed = true;
    Profile before;
    if (last) {
      auto prev = load_profile_version(ws, last);
      if (prev) before = std::move(*prev);  // a lost earlier version only makes this diff larger
    }
    const ProfileDiff d = diff_profiles(before, p);
    rep.added = static_cast<std::int64_t>(d.added.size());
    rep.dropped = static_cast<std::int64_t>(d.dropped.size());
    rep.modified = static_cast<std::int64_t>(d.changed.size());
  }
  // Files first, then the row: a crash in between leaves files the next run rewrites.
  if (auto s = util::write_file_atomic(version_path(ws, rep.version), json); !s) return std::unexpected(s.error());
  // profile.json is the version file under a second name: 200 MB at a million claims, written once.
  if (auto s = util::link_or_write_atomic(version_path(ws, rep.version), dir / "profile.json", json); !s)
    return std::unexpected(s.error());
  if (auto s = util::write_file_atomic(dir / "profile.md", profile_markdown(p)); !s) return std::unexpected(s.error());
  if (rep.changed) {
    auto st = db.prepare(R"sql(
INSERT INTO profile_versions (version, created_at, hash, entries, batches, candidates, added, dropped, changed)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql");
    if (!st) return std::unexpected(st.error());
    st->bind(1, rep.version).bind(2, util::now_iso()).bind(3, hash).bind(4, rep.entries).bind(5, rep.batches);
    st->bind(6, rep.claims).bind(7, rep.added).bind(8, rep.dropped).bind(9, rep.modified);
    if (auto s = st->exec(); !s) return std::unexpected(s.error());
    // Earlier versions beyond keep_versions go, oldest first (their rows stay, as history).
    if (cfg.consolidate.keep_versions > 0)
      for (std::int64_t v : *versions)
        if (v <= rep.version - 1 - cfg.consolidate.keep_versions) fs::remove(version_path(ws, v), ec);
  }
  return rep;
}

}  // namespace knowthy::knowledge
