#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "knowledge/datasets.hpp"
#include "pipeline/batch_queue.hpp"
#include "pipeline/extract.hpp"
#include "store/runs.hpp"
#include "store/schema.hpp"
#include "train/train.hpp"

namespace knowthy::cli {
namespace {

Result<nlohmann::json> collect_status(store::Workspace& ws) {
  store::Db& db = ws.db();
  nlohmann::json j;
  j["workspace"] = ws.dir().string();
  j["schema_version"] = store::schema_version();
  auto acc = db.prepare("SELECT username, account_id, display_name FROM account LIMIT 1");
  if (!acc) return std::unexpected(acc.error());
  auto row = acc->step();
  if (!row) return std::unexpected(row.error());
  if (*row)
    j["account"] = {
        {"username", acc->column_text(0)}, {"account_id", acc->column_text(1)}, {"display_name", acc->column_text(2)}};
  else
    j["account"] = nullptr;
  // `original` counts quotes too and `replies` counts self-replies, so original + replies +
  // retweets = total (deleted tweets are not in total).
  auto st = db.prepare(R"sql(
SELECT COUNT(*),
       COALESCE(SUM(kind IN ('original','quote')), 0),
       COALESCE(SUM(kind IN ('reply','self_reply')), 0),
       COALESCE(SUM(kind = 'self_reply'), 0),
       COALESCE(SUM(kind = 'retweet'), 0),
       COALESCE(SUM(kind = 'quote'), 0),
       COALESCE(SUM(media_count > 0), 0),
       COALESCE(SUM(note_id IS NOT NULL), 0)
FROM tweets WHERE deleted = 0)sql");
  if (!st) return std::unexpected(st.error());
  if (auto r = st->step(); !r) return std::unexpected(r.error());
  auto deleted = db.query_int("SELECT COUNT(*) FROM tweets WHERE deleted = 1");
  auto likes = db.query_int("SELECT COUNT(*) FROM likes");
  auto imports = db.query_int("SELECT COUNT(*) FROM imports");
  if (!deleted || !likes || !imports) return std::unexpected(Error{ErrorKind::failed, "database", db.errmsg(), {}});
  j["tweets"] = {
      {"total", st->column_int(0)},        {"original", st->column_int(1)},     {"replies", st->column_int(2)},
      {"self_replies", st->column_int(3)}, {"retweets", st->column_int(4)},     {"quotes", st->column_int(5)},
      {"with_media", st->column_int(6)},   {"notes_merged", st->column_int(7)}, {"deleted", *deleted}};
  j["likes"] = *likes;
  j["imports"] = *imports;
  auto cfg = store::load_config(ws.config_path());
  if (!cfg) return std::unexpected(cfg.error());
  pipeline::BatchQueue queue(db, pipeline::queue_options(*cfg));
  auto c = queue.counts();
  if (!c) return std::unexpected(c.error());
  j["batches"] = {
      {"done", c->done}, {"failed", c->failed}, {"pending", c->pending}, {"tweets_remaining", c->tweets_remaining}};
  auto ds = knowledge::last_datasets_build(db);
  if (!ds) return std::unexpected(ds.error());
  j["datasets"] = *ds;
  auto pv = db.query_int("SELECT COALESCE(MAX(version), 0) FROM profile_versions");
  if (!pv) return std::unexpected(pv.error());
  j["profile_version"] = *pv;
  // Looking at the candidates settles those whose trainer died with its knowthy process.
  auto cands = train::list_candidates_recovered(db, std::chrono::seconds(cfg->train.stop_grace_s));
  if (!cands) return std::unexpected(cands.error());
  j["candidates"] = nlohmann::json::array();
  for (const auto& cand : *cands) j["candidates"].push_back(train::candidate_json(cand));
  auto tick = store::last_run(db, "tick");
  if (!tick) return std::unexpected(tick.error());
  j["last_tick"] = nullptr;
  if (*tick)
    j["last_tick"] = {{"started_at", (*tick)->started_at},
                      {"finished_at", (*tick)->finished_at},
                      {"status", (*tick)->status},
                      {"message", (*tick)->message}};
  return j;
}

}  // namespace

void register_status(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("status", "what the workspace holds");
  auto json_out = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_out, "print as JSON");
  cmd->callback([&g, &run, json_out] {
    run = [&g, json_out]() -> Status {
      auto ws = open_workspace(g);
      if (!ws) return std::unexpected(ws.error());
      auto j = collect_status(*ws);
      if (!j) return std::unexpected(j.error());
      if (*json_out) {
        std::printf("%s\n", j->dump().c_str());
        return {};
      }
      const auto& t = (*j)["tweets"];
      std::printf("workspace  %s\n", ws->dir().c_str());
      if ((*j)["account"].is_null()) {
        std::printf("account    (none yet: run `knowthy ingest <archive.zip>`)\n");
        return {};
      }
      std::printf("account    @%s (%s), id %s\n", (*j)["account"]["username"].get<std::string>().c_str(),
                  (*j)["account"]["display_name"].get<std::string>().c_str(),
                  (*j)["account"]["account_id"].get<std::string>().c_str());
      std::printf("tweets     %lld total: %lld original (%lld quotes), %lld replies (%lld to self), %lld retweets\n",
                  t["total"].get<long long>(), t["original"].get<long long>(), t["quotes"].get<long long>(),
                  t["replies"].get<long long>(), t["self_replies"].get<long long>(), t["retweets"].get<long long>());
      std::printf("           %lld with media, %lld long posts (note tweets), %lld deleted (kept, never used)\n",
                  t["with_media"].get<long long>(), t["notes_merged"].get<long long>(), t["deleted"].get<long long>());
      std::printf("likes      %lld\n", (*j)["likes"].get<long long>());
      const auto& b = (*j)["batches"];
      std::printf("batches    %lld done, %lld failed, %lld to go (%lld tweets not yet read)\n",
                  b["done"].get<long long>(), b["failed"].get<long long>(), b["pending"].get<long long>(),
                  b["tweets_remaining"].get<long long>());
      if (const auto& d = (*j)["datasets"]; !d.is_null())
        std::printf("datasets   dpo %lld train + %lld held out, sft %lld + %lld (profile v%lld)\n",
                    d["dpo_train"].get<long long>(), d["dpo_heldout"].get<long long>(), d["sft_train"].get<long long>(),
                    d["sft_heldout"].get<long long>(), (*j)["profile_version"].get<long long>());
      const auto& cands = (*j)["candidates"];
      if (!cands.empty()) {
        std::string line;
        for (size_t i = cands.size() > 3 ? cands.size() - 3 : 0; i < cands.size(); ++i)
          line += (line.empty() ? "" : ", ") + cands[i]["name"].get<std::string>() + " " +
                  cands[i]["state"].get<std::string>();
        std::printf("models     %zu candidate(s): %s%s\n", cands.size(), cands.size() > 3 ? "..., " : "", line.c_str());
      }
      if (const auto& lt = (*j)["last_tick"]; !lt.is_null())
        std::printf("last tick  %s: %s%s%s\n", lt["started_at"].get<std::string>().c_str(),
                    lt["status"].get<std::string>().c_str(), lt["message"].get<std::string>().empty() ? "" : ": ",
                    lt["message"].get<std::string>().c_str());
      return {};
    };
  });
}

}  // namespace knowthy::cli
