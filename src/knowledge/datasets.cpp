#include "knowledge/datasets.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <set>
#include <unordered_set>

#include "knowledge/pair_checks.hpp"
#include "pipeline/artifacts.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace knowthy::knowledge {
namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;
using nlohmann::json;

nlohmann::json DatasetsReport::to_json() const {
  return {{"dpo_train", dpo_train},
          {"dpo_heldout", dpo_heldout},
          {"sft_train", sft_train},
          {"sft_heldout", sft_heldout},
          {"pairs", pairs},
          {"examples", examples},
          {"dpo_flagged", dpo_flagged},
          {"sft_flagged", sft_flagged},
          {"flagged", flags},
          {"newly_split", newly_split}};
}

bool heldout_by_hash(std::int64_t batch_id, int percent) {
  const std::string s = std::to_string(batch_id);
  return XXH64(s.data(), s.size(), 0) % 100 < static_cast<std::uint64_t>(percent);
}

namespace {

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

// Fixes the split of every finished batch that has none yet.
Result<std::int64_t> assign_splits(store::Db& db, int percent) {
  auto ids = db.query_ints("SELECT id FROM batches WHERE split IS NULL AND status IN ('done','failed') ORDER BY id");
  if (!ids) return std::unexpected(ids.error());
  if (ids->empty()) return 0;
  auto tx = store::Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  auto st = db.prepare("UPDATE batches SET split = ?2 WHERE id = ?1");
  if (!st) return std::unexpected(st.error());
  for (std::int64_t id : *ids) {
    st->bind(1, id).bind(2, heldout_by_hash(id, percent) ? "heldout" : "train");
    if (auto s = st->exec(); !s) return std::unexpected(s.error());
  }
  if (auto s = tx->commit(); !s) return std::unexpected(s.error());
  return static_cast<std::int64_t>(ids->size());
}

// Whether the items of a normalized answer (candidates and examples) all still have evidence:
// critique-flagged items and items whose every tweet was deleted since do not.
bool all_grounded(const json& answer, const std::unordered_set<std::string>& deleted) {
  for (const char* key : {"knowledge_candidates", "training_examples"}) {
    if (!answer.contains(key) || !answer[key].is_array()) continue;
    for (const auto& item : answer[key]) {
      size_t live = 0;
      if (item.contains("evidence_tweet_ids") && item["evidence_tweet_ids"].is_array())
        for (const auto& id : item["evidence_tweet_ids"])
          if (id.is_string() && !deleted.contains(id.get<std::string>())) ++live;
      if (live == 0) return false;
    }
  }
  return true;
}

struct Outputs {
  std::string train, heldout, flagged;
};

}  // namespace

Result<DatasetsReport> run_datasets(store::Workspace& ws, const store::Config& cfg, DpoFormat format) {
  store::Db& db = ws.db();
  DatasetsReport rep;
  auto split = assign_splits(db, cfg.datasets.heldout_percent);
  if (!split) return std::unexpected(split.error());
  rep.newly_split = *split;

  // Tweets deleted by a later export: no longer evidence, and a prompt showing one is not trained on.
  std::unordered_set<std::string> deleted;
  std::set<std::int64_t> batches_with_deleted;
  {
    auto st = db.prepare("SELECT id, batch_id FROM tweets WHERE deleted = 1 AND batch_id IS NOT NULL");
    if (!st) return std::unexpected(st.error());
    auto s = st->each_row([&] {
      deleted.insert(std::to_string(static_cast<std::uint64_t>(st->column_int(0))));
      batches_with_deleted.insert(st->column_int(1));
    });
    if (!s) return std::unexpected(s.error());
  }
  const PairCheckOptions checks{cfg.datasets.near_identical_below, cfg.datasets.length_ratio_min,
                                cfg.datasets.length_ratio_max};
  const fs::path runs = ws.dir() / "runs";
  Outputs dpo, sft;
  struct PairRow {
    std::int64_t batch;
    bool heldout, clean;
  };
  std::vector<PairRow> pair_rows;  // for the train gate: what became of each batch's pair
  auto emit = [&rep](Outputs& out, const std::string& line, const std::vector<std::string>& flags, bool heldout,
                     std::int64_t& train_n, std::int64_t& heldout_n, std::int64_t& flagged_n) {
    for (const auto& f : flags) ++rep.flags[f];
    if (!flags.empty()) {
      out.flagged += line, ++flagged_n;
    } else if (heldout) {
      out.heldout += line, ++heldout_n;
    } else {
      out.train += line, ++train_n;
    }
  };

  auto st = db.prepare("SELECT id, status, split FROM batches WHERE status IN ('done','failed') ORDER BY id");
  if (!st) return std::unexpected(st.error());
  auto pairs = st->each_row([&]() -> Status {
    const std::int64_t id = st->column_int(0);
    const bool done = st->column_text(1) == "done", heldout = st->column_text(2) == "heldout";
    const fs::path dir = runs / pipeline::batch_dir_name(id);
    auto text = util::read_file(dir / "batch.json");
    if (!text)
      return fail(dir.string() + "/batch.json", text.error().why,
                  "run `knowthy verify`; `knowthy extract --redo " + std::to_string(id) + "` rebuilds the batch");
    const json batch = json::parse(*text, nullptr, false);
    if (!batch.is_object() || !batch.contains("prompt") || !batch["prompt"].is_array())
      return fail(dir.string() + "/batch.json", "does not parse or has no prompt",
                  "`knowthy extract --redo " + std::to_string(id) + "` rebuilds the batch");
    std::vector<std::string> flags;
    std::string chosen, rejected;
    if (done) {
      chosen = batch.value("chosen", "");
      rejected = batch.value("rejected", "");
      const json cj = json::parse(chosen, nullptr, false);
      if (cj.is_discarded() || json::parse(rejected, nullptr, false).is_discarded()) {
        flags.emplace_back("failed-parse");
      } else {
        if (!all_grounded(cj, deleted)) flags.emplace_back("missing-evidence");
        for (auto& f : pair_flags(chosen, rejected, checks)) flags.push_back(std::move(f));
      }
    } else {
      // A failed batch: the answers that did not parse, kept for inspection, never trained on.
      chosen = util::read_file(dir / "critique.txt").value_or("");
      rejected = util::read_file(dir / "draft.txt").value_or("");
      flags.emplace_back("failed-parse");
    }
    if (batches_with_deleted.contains(id)) flags.emplace_back("deleted-tweet");
    ++rep.pairs;
    ojson meta{{"batch_id", id},
               {"tweet_ids", batch.value("tweet_ids", json::array())},
               {"split", heldout ? "heldout" : "train"},
               {"flags", flags}};
    ojson line;
    if (format == DpoFormat::standard) {
      std::string prompt;
      for (const auto& m : batch["prompt"]) prompt += (prompt.empty() ? "" : "\n\n") + m.value("content", "");
      line = {{"prompt", prompt}, {"chosen", chosen}, {"rejected", rejected}, {"meta", meta}};
    } else {
      ojson prompt = ojson::array();
      for (const auto& m : batch["prompt"])
        prompt.push_back({{"role", m.value("role", "")}, {"content", m.value("content", "")}});
      line = {{"prompt", prompt},
              {"chosen", ojson::array({{{"role", "assistant"}, {"content", chosen}}})},
              {"rejected", ojson::array({{{"role", "assistant"}, {"content", rejected}}})},
              {"meta", meta}};
    }
    emit(dpo, dump(line) + "\n", flags, heldout, rep.dpo_train, rep.dpo_heldout, rep.dpo_flagged);
    pair_rows.push_back({id, heldout, flags.empty()});
    return {};
  });
  if (!pairs) return std::unexpected(pairs.error());

  // SFT: the critique's training examples of done batches.
  auto ex = db.prepare(R"sql(
SELECT x.batch_id, x.idx, x.prompt, x.response, x.evidence_tweet_ids, x.flags, b.split
FROM examples x JOIN batches b ON b.id = x.batch_id WHERE b.status = 'done' ORDER BY x.batch_id, x.idx)sql");
  if (!ex) return std::unexpected(ex.error());
  auto examples = ex->each_row([&] {
    json evidence = json::parse(ex->column_text(4), nullptr, false);
    json stored_flags = json::parse(ex->column_text(5), nullptr, false);
    ojson live = ojson::array();
    if (evidence.is_array())
      for (const auto& e : evidence)
        if (e.is_string() && !deleted.contains(e.get<std::string>())) live.push_back(e.get<std::string>());
    std::vector<std::string> flags;
    if (stored_flags.is_array())
      for (const auto& f : stored_flags)
        if (f.is_string()) flags.push_back(f.get<std::string>());
    if (live.empty() && std::find(flags.begin(), flags.end(), "missing-evidence") == flags.end())
      flags.emplace_back("missing-evidence");
    ++rep.examples;
    const bool heldout = ex->column_text(6) == "heldout";
    ojson line{{"messages", ojson::array({{{"role", "user"}, {"content", ex->column_text(2)}},
                                          {{"role", "assistant"}, {"content", ex->column_text(3)}}})},
               {"meta",
                {{"batch_id", ex->column_int(0)},
                 {"example", ex->column_int(1)},
                 {"evidence_tweet_ids", live},
                 {"split", heldout ? "heldout" : "train"},
                 {"flags", flags}}}};
    emit(sft, dump(line) + "\n", flags, heldout, rep.sft_train, rep.sft_heldout, rep.sft_flagged);
  });
  if (!examples) return std::unexpected(examples.error());

  const fs::path dir = ws.dir() / "datasets";
  if (auto s = util::make_private_dir(dir); !s) return std::unexpected(s.error());
  const std::string dpo_prefix = format == DpoFormat::standard ? "dpo.standard" : "dpo";
  for (auto [name, data] : {std::pair{dpo_prefix + ".train.jsonl", &dpo.train},
                            {dpo_prefix + ".heldout.jsonl", &dpo.heldout},
                            {dpo_prefix + ".flagged.jsonl", &dpo.flagged},
                            {std::string("sft.train.jsonl"), &sft.train},
                            {std::string("sft.heldout.jsonl"), &sft.heldout},
                            {std::string("sft.flagged.jsonl"), &sft.flagged}})
    if (auto s = util::write_file_atomic(dir / name, *data); !s) return std::unexpected(s.error());

  // The pairs and the build's counts change together, so the gate never sees half a build.
  auto tx = store::Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  if (auto s = db.exec("DELETE FROM dataset_pairs"); !s) return std::unexpected(s.error());
  auto pr = db.prepare("INSERT INTO dataset_pairs (batch_id, split, clean) VALUES (?1, ?2, ?3)");
  if (!pr) return std::unexpected(pr.error());
  for (const PairRow& r : pair_rows) {
    pr->bind(1, r.batch).bind(2, r.heldout ? "heldout" : "train").bind(3, r.clean ? 1 : 0);
    if (auto s = pr->exec(); !s) return std::unexpected(s.error());
  }
  auto ins = db.prepare(R"sql(
INSERT INTO dataset_builds (created_at, dpo_train, dpo_heldout, sft_train, sft_heldout, pairs, flagged)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql");
  if (!ins) return std::unexpected(ins.error());
  ins->bind(1, util::now_iso()).bind(2, rep.dpo_train).bind(3, rep.dpo_heldout).bind(4, rep.sft_train);
  ins->bind(5, rep.sft_heldout).bind(6, rep.pairs).bind(7, json(rep.flags).dump());
  if (auto s = ins->exec(); !s) return std::unexpected(s.error());
  if (auto s = tx->commit(); !s) return std::unexpected(s.error());
  return rep;
}

Result<nlohmann::json> last_datasets_build(store::Db& db) {
  auto st = db.prepare(
      "SELECT dpo_train, dpo_heldout, sft_train, sft_heldout, pairs, flagged, created_at FROM dataset_builds "
      "ORDER BY id DESC LIMIT 1");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return json(nullptr);
  json flagged = json::parse(st->column_text(5), nullptr, false);
  return json{{"dpo_train", st->column_int(0)}, {"dpo_heldout", st->column_int(1)},
              {"sft_train", st->column_int(2)}, {"sft_heldout", st->column_int(3)},
              {"pairs", st->column_int(4)},     {"flagged", flagged.is_object() ? flagged : json::object()},
              {"built_at", st->column_text(6)}};
}

}  // namespace knowthy::knowledge
