#include "eval/eval.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "eval/score.hpp"
#include "eval/verdict.hpp"
#include "train/command_trainer.hpp"
#include "train/manifest.hpp"
#include "train/promote.hpp"
#include "train/train.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"
#include "util/progress.hpp"
#include "util/supervise.hpp"
#include "util/text.hpp"

namespace knowthy::eval {

namespace fs = std::filesystem;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

json EvalReport::to_json() const {
  json j{{"evaluated", evaluated}};
  if (!evaluated) {
    j["reason"] = nothing_reason;
    return j;
  }
  j["candidate"] = train::candidate_json(*candidate);
  j["candidate"]["dir"] = dir.string();
  j["verdict"] = passed ? "passed" : "failed";
  j["evaluation_failed"] = broken;
  j["reasons"] = reasons;
  j["eval"] = result;
  return j;
}

namespace {

struct HeldoutPair {
  std::vector<llm::Message> prompt;
  std::string chosen, rejected;
};

std::string assistant_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && !v.empty() && v.back().is_object()) return v.back().value("content", "");
  return {};
}

// data/dpo.heldout.jsonl, conversational (prompt: messages) or plain (prompt: text).
Result<std::vector<HeldoutPair>> read_pairs(const fs::path& path) {
  std::ifstream f(path);
  if (!f) return fail(path.string(), "cannot be read", "the candidate's frozen data is missing: train again");
  std::vector<HeldoutPair> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object()) return bad_input(path.string(), "holds a line that is not a JSON object");
    HeldoutPair p;
    const json& prompt = j.contains("prompt") ? j["prompt"] : json();
    if (prompt.is_array()) {
      for (const auto& m : prompt) p.prompt.push_back({m.value("role", ""), m.value("content", "")});
    } else if (prompt.is_string()) {
      p.prompt.push_back({"user", prompt.get<std::string>()});
    }
    p.chosen = assistant_text(j.value("chosen", json()));
    p.rejected = assistant_text(j.value("rejected", json()));
    if (p.prompt.empty() || p.chosen.empty() || p.rejected.empty()) continue;
    out.push_back(std::move(p));
  }
  return out;
}

Result<store::CandidateRow> pick(store::Db& db, std::optional<std::int64_t> id, std::string& nothing) {
  using S = store::CandidateState;
  if (id) {
    auto row = store::find_candidate(db, *id);
    if (!row) return std::unexpected(row.error());
    if (!*row) return bad_input(fmt::format("--candidate {}", *id), "no such candidate", "`knowthy models` lists them");
    const S s = (*row)->state;
    if (s != S::awaiting_eval && s != S::passed && s != S::failed)
      return bad_input((*row)->name,
                       fmt::format("is {}: only a trained candidate (awaiting_eval, passed or failed) "
                                   "can be evaluated",
                                   store::to_string(s)),
                       "`knowthy models` lists the candidates and their states");
    return **row;
  }
  auto rows = store::list_candidates(db);
  if (!rows) return std::unexpected(rows.error());
  for (auto it = rows->rbegin(); it != rows->rend(); ++it)
    if (it->state == S::awaiting_eval) return *it;
  nothing = "no candidate is awaiting evaluation";
  return store::CandidateRow{};
}

// A bar over both models' items from the child's "progress model=... done=N total=M" lines.
class EvalProgress {
 public:
  EvalProgress(fs::path log, bool enabled, std::string label, size_t models)
      : m_log(std::move(log)), m_enabled(enabled && ::isatty(2)), m_label(std::move(label)), m_models(models) {}
  void tick() {
    if (!m_enabled) return;
    const std::string line = util::last_line(m_log);
    if (!line.starts_with("progress ")) return;
    const auto num = [&](const char* key) {
      const auto p = line.find(key);
      return p == std::string::npos ? 0ULL : std::strtoull(line.c_str() + p + std::strlen(key), nullptr, 10);
    };
    const auto model_at = line.find("model=");
    const std::string model = line.substr(model_at + 6, line.find(' ', model_at) - model_at - 6);
    const auto done = num(" done="), total = num(" total=");
    if (total == 0) return;
    if (model != m_model) {
      if (!m_model.empty()) ++m_index;
      m_model = model;
    }
    if (!m_bar) m_bar.emplace(m_label, total * m_models, "items");
    m_bar->set_detail(m_model);
    m_bar->update(m_index * total + done);
  }
  void finish() {
    if (m_bar) m_bar->finish();
    m_bar.reset();
  }

 private:
  fs::path m_log;
  bool m_enabled;
  std::string m_label;
  size_t m_models;
  std::string m_model;
  size_t m_index = 0;
  std::optional<util::Progress> m_bar;
};

struct Outcome {
  bool passed = false;
  std::vector<std::string> reasons;
  ojson metrics = ojson::object();
  ojson details = ojson::object();  // deterministic facts about the run (data, models, tokens)
  ojson timing = ojson::object();
  bool cancelled = false;
  bool broken = false;  // the evaluation itself failed (crash, time-out, unreadable verdict): no verdict on the model
};

Outcome run_child(const std::vector<std::string>& argv, const fs::path& log, const fs::path& out,
                  const store::Config& cfg, EvalProgress* progress, const char* who) {
  Outcome o;
  util::CancelOnSignal cancel;
  auto child = util::spawn_logged({.argv = argv, .log = log, .out = out, .env = {}});
  if (!child) {
    o.reasons.push_back(child.error().why);
    o.broken = true;
    return o;
  }
  const util::Finish f = util::wait_supervised(
      *child, {.timeout = std::chrono::milliseconds(static_cast<long long>(cfg.eval.timeout_minutes * 60000)),
               .grace = std::chrono::seconds(cfg.train.stop_grace_s),
               .tick =
                   [&] {
                     if (progress) progress->tick();
                   },
               .cancel = &util::CancelOnSignal::flag()});
  if (progress) progress->finish();
  o.cancelled = f.cancelled;
  if (f.exit_code != 0 || f.timed_out || f.cancelled) {
    std::string why =
        util::describe_finish(f, who, fmt::format("{} minutes ([eval] timeout_minutes)", cfg.eval.timeout_minutes));
    std::string tail = util::last_line(log);
    if (!tail.empty() && !tail.starts_with("progress ")) why += "; its log says: " + tail;
    o.reasons.push_back(why + " (log: " + log.string() + ")");
    o.broken = true;
  }
  return o;
}

Result<Outcome> built_in(const fs::path& dir, const train::Manifest& m, const ModelRef& active,
                         const ModelRef& candidate, const std::vector<HeldoutPair>& pairs,
                         const std::vector<store::TweetText>& tweets, const store::Config& cfg, const EvalRequest& req,
                         const Thresholds& th) {
  Outcome o;
  if (static_cast<int>(pairs.size()) < th.min_heldout_pairs) {
    o.reasons.push_back(too_little_data(pairs.size(), th.min_heldout_pairs));
    return o;
  }
  std::vector<ScoreItem> items;
  items.reserve(pairs.size() * 2 + tweets.size());
  for (const auto& p : pairs) {
    items.push_back({p.prompt, p.chosen});
    items.push_back({p.prompt, p.rejected});
  }
  for (const auto& t : tweets) items.push_back({std::nullopt, t.text});
  const fs::path work = dir / "eval";
  if (auto s = write_items(work / "items.jsonl", items); !s) return std::unexpected(s.error());
  auto digest = util::sha256_file(work / "items.jsonl");
  o.details["items_sha256"] = digest ? digest->sha256 : "";
  ScoreRequest r{.items = work / "items.jsonl",
                 .models = {{"active", active}, {"candidate", candidate}},
                 .options = {.context = cfg.eval.context,
                             .batch = cfg.eval.batch,
                             .threads = cfg.eval.threads,
                             .gpu_layers = cfg.model.gpu_layers,
                             .chat_template = cfg.model.chat_template},
                 .output = work / "scores.json"};
  if (auto s = write_score_request(work / "request.json", r); !s) return std::unexpected(s.error());
  EvalProgress progress(dir / "eval.log", req.progress, "evaluating " + m.name, 2);
  Outcome child = run_child({req.self_exe.string(), "eval-child", (work / "request.json").string()}, dir / "eval.log",
                            {}, cfg, &progress, "the scoring process");
  if (!child.reasons.empty()) return child;

  auto text = util::read_file(work / "scores.json");
  const json scores = text ? json::parse(*text, nullptr, false) : json();
  const auto model_scores = [&](const char* name) -> const json& {
    static const json empty;
    if (!scores.is_object() || !scores.contains("models") || !scores["models"].contains(name)) return empty;
    return scores["models"][name];
  };
  const json &a = model_scores("active"), &c = model_scores("candidate");
  const auto item = [](const json& s, size_t i) {
    return ItemScore{s["logprob"][i].get<double>(), s["tokens"][i].get<int>(), false};
  };
  if (!a.is_object() || !c.is_object() || a["logprob"].size() != items.size() || c["logprob"].size() != items.size()) {
    o.reasons.push_back("the scoring process wrote no usable scores (" + (work / "scores.json").string() + ")");
    o.broken = true;
    return o;
  }
  std::vector<PairScores> ps;
  for (size_t i = 0; i < pairs.size(); ++i)
    ps.push_back({item(a, 2 * i), item(c, 2 * i), item(a, 2 * i + 1), item(c, 2 * i + 1)});
  std::vector<TextScores> ts;
  for (size_t i = 0; i < tweets.size(); ++i) {
    const size_t k = 2 * pairs.size() + i;
    ts.push_back({item(a, k), item(c, k)});
  }
  Verdict v = judge(ps, ts, th);
  o.passed = v.passed;
  o.reasons = std::move(v.reasons);
  o.metrics = std::move(v.metrics);
  double seconds = 0;
  std::uint64_t tokens = 0, decoded = 0;
  for (const json* s : {&a, &c}) {
    seconds += s->value("seconds", 0.0);
    tokens += s->value("tokens_text", std::uint64_t{0});
    decoded += s->value("tokens_evaluated", std::uint64_t{0});
  }
  o.details["tokens_scored"] = tokens;
  o.details["tokens_decoded"] = decoded;
  o.details["context"] = a.value("context", 0);
  o.details["truncated_items"] = a.value("truncated", 0);
  o.timing["scoring_seconds"] = seconds;
  o.timing["tokens_per_second"] = seconds > 0 ? static_cast<double>(tokens) / seconds : 0.0;
  return o;
}

// [eval] command: its stdout must be the JSON verdict (or end with it, on its last line).
Result<Outcome> by_command(const fs::path& dir, const train::Manifest& m, const std::string& candidate_gguf,
                           const store::Config& cfg) {
  Outcome o;
  const train::PlaceholderValues values{{"base_model", m.base_model.string()},
                                        {"dpo_train", m.dataset("dpo_train")->path.string()},
                                        {"dpo_heldout", m.dataset("dpo_heldout")->path.string()},
                                        {"sft_train", m.dataset("sft_train")->path.string()},
                                        {"output_dir", m.output_dir.string()},
                                        {"manifest", (dir / "manifest.json").string()},
                                        {"candidate", candidate_gguf}};
  auto argv = train::expand_placeholders(cfg.eval.command, cfg.eval.shell, values, "eval.command");
  if (!argv) return std::unexpected(argv.error());
  o.details["command"] = *argv;
  const fs::path out = dir / "eval" / "command.out";
  Outcome child = run_child(*argv, dir / "eval.log", out, cfg, nullptr, "the eval command");
  if (!child.reasons.empty()) {
    child.reasons.back() += "; its output is in " + out.string();
    return child;
  }
  const std::string text = util::read_file(out).value_or("");
  json verdict = json::parse(text, nullptr, false);
  if (!verdict.is_object()) {
    std::string last = text;
    while (!last.empty() && (last.back() == '\n' || last.back() == '\r')) last.pop_back();
    if (const auto nl = last.find_last_of('\n'); nl != std::string::npos) last = last.substr(nl + 1);
    verdict = json::parse(last, nullptr, false);
  }
  if (!verdict.is_object() || !verdict.contains("pass") || !verdict["pass"].is_boolean() ||
      (verdict.contains("metrics") && !verdict["metrics"].is_object())) {
    o.reasons.push_back(
        "unreadable verdict: the eval command must print {\"pass\": true|false, \"metrics\": {...}}; its output is "
        "kept in " +
        out.string());
    o.broken = true;
    return o;
  }
  o.passed = verdict["pass"].get<bool>();
  if (verdict.contains("metrics")) o.metrics = ojson::parse(verdict["metrics"].dump());
  if (!o.passed) o.reasons.push_back("the eval command's verdict is fail");
  return o;
}

std::string fmt_num(const ojson& v) {
  if (v.is_number_float()) return fmt::format("{:.4f}", v.get<double>());
  return v.dump();
}

std::string markdown(const ojson& e) {
  std::string md = fmt::format("# {}: {}\n\n", e["candidate"].get<std::string>(), e["verdict"].get<std::string>());
  md += fmt::format("Evaluated against **{}** ({}) by the {} evaluation.\n\n", e["active"]["name"].get<std::string>(),
                    e["active"]["path"].get<std::string>(), e["evaluator"].get<std::string>());
  if (!e["reasons"].empty()) {
    md += "## Why it failed\n\n";
    for (const auto& r : e["reasons"]) md += "- " + r.get<std::string>() + "\n";
    md += "\n";
  }
  const ojson& m = e["metrics"];
  if (!m.empty()) {
    md +=
        "## Metrics\n\n| metric | active | candidate | value | 95% interval | rule | pass "
        "|\n|---|---|---|---|---|---|---|\n";
    for (const auto& [name, v] : m.items()) {
      if (!v.is_object()) {
        md += fmt::format("| {} | | | {} | | | |\n", name, fmt_num(v));
        continue;
      }
      const auto get = [&](const char* k) { return v.contains(k) ? fmt_num(v[k]) : std::string(); };
      std::string value = v.contains("gain") ? get("gain") : get("value");
      const char* ci_key = v.contains("ci95") ? "ci95" : "gain_ci95";
      std::string ci = v.contains(ci_key) && v[ci_key].size() == 2
                           ? fmt::format("[{}, {}]", fmt_num(v[ci_key][0]), fmt_num(v[ci_key][1]))
                           : "";
      std::string rule = v.contains("min_gain") ? ">= " + get("min_gain")
                         : v.contains("min")    ? ">= " + get("min") + ", lower bound > 0.5"
                         : v.contains("max")    ? "<= " + get("max")
                                                : "";
      md += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", name, get("active"), get("candidate"), value, ci,
                        rule, v.contains("pass") ? (v["pass"].get<bool>() ? "yes" : "no") : "");
    }
    md += "\n";
  }
  md += "Data: " + e["data"].dump() + "\n";
  return md;
}

}  // namespace

json candidate_summary(const fs::path& dir) {
  json j = json::object();
  if (auto m = train::read_manifest(dir / "manifest.json")) {
    json d = json::object();
    for (const auto& f : m->datasets) d[f.role] = f.records;
    j["datasets"] = d;
  }
  const auto read_json = [](const fs::path& p) {
    auto text = util::read_file(p);
    return text ? json::parse(*text, nullptr, false) : json();
  };
  if (json t = read_json(dir / "metrics.json"); t.is_object()) {
    json keep = json::object();
    for (const char* k :
         {"train_loss_before", "train_loss_after", "heldout_loss_before", "heldout_loss_after", "tokens_per_second"})
      if (t.contains(k)) keep[k] = t[k];
    j["train_metrics"] = keep;
  }
  if (json e = read_json(dir / "eval.json"); e.is_object())
    j["eval"] = {{"verdict", e.value("verdict", "")},
                 {"reasons", e.value("reasons", json::array())},
                 {"metrics", e.value("metrics", json::object())},
                 {"evaluated_at", e.contains("timing") ? e["timing"].value("finished_at", "") : ""}};
  return j;
}

Result<EvalReport> run_eval(store::Workspace& ws, const store::Config& cfg, const EvalRequest& req) {
  store::Db& db = ws.db();
  EvalReport rep;
  if (auto r = train::recover_stale_candidates(db, std::chrono::seconds(cfg.train.stop_grace_s)); !r)
    return std::unexpected(r.error());
  auto row = pick(db, req.candidate, rep.nothing_reason);
  if (!row) return std::unexpected(row.error());
  if (!rep.nothing_reason.empty()) return rep;
  const fs::path dir = fs::absolute(ws.dir() / "models" / row->name);
  rep.dir = dir;
  auto m = train::read_manifest(dir / "manifest.json");
  if (!m) return std::unexpected(m.error());
  if (!row->output || !row->output_kind)
    return bad_input(row->name, "has no trained model to evaluate", "`knowthy models` shows its state");
  const fs::path output = dir / *row->output;
  const ModelRef candidate = *row->output_kind == "adapter" ? ModelRef{m->base_model.string(), output.string()}
                                                            : ModelRef{output.string(), ""};
  auto active_now = train::active_model(ws, cfg);
  if (!active_now) return std::unexpected(active_now.error());
  const ModelRef active{active_now->path, active_now->adapter};
  const bool command = !cfg.eval.command.empty();
  if (!command && active.path.empty())
    return bad_input("eval", "no model file to compare the candidate with",
                     "set [model] path to the GGUF model training started from (also with other backends)");

  const auto started = std::chrono::steady_clock::now();
  const std::string started_at = util::now_iso();
  std::error_code ec;
  fs::remove_all(dir / "eval", ec);
  if (auto s = util::make_private_dir(dir / "eval"); !s) return std::unexpected(s.error());
  util::append_log(dir / "eval.log",
                   fmt::format("eval of {} against {} at {}", row->name, active_now->name, started_at));
  const Thresholds th{.min_chosen_logprob_gain = cfg.eval.min_chosen_logprob_gain,
                      .min_preference_accuracy = cfg.eval.min_preference_accuracy,
                      .max_regression = cfg.eval.max_regression,
                      .min_heldout_pairs = cfg.eval.min_heldout_pairs,
                      .bootstrap_samples = cfg.eval.bootstrap_samples,
                      .seed = static_cast<std::uint64_t>(cfg.eval.seed)};

  ojson data = ojson::object();
  Result<Outcome> outcome;
  if (command) {
    outcome = by_command(dir, *m, output.string(), cfg);
  } else {
    const train::FrozenFile* heldout = m->dataset("dpo_heldout");
    if (!heldout) return bad_input(row->name, "its manifest lists no held-out DPO pairs", "train again");
    auto pairs = read_pairs(heldout->path);
    if (!pairs) return std::unexpected(pairs.error());
    auto tweets = store::tweets_of_batches(db, m->batches_heldout, cfg.eval.max_tweets);
    if (!tweets) return std::unexpected(tweets.error());
    data = {{"heldout_pairs", pairs->size()},
            {"dpo_heldout_sha256", heldout->sha256},
            {"heldout_batches", m->batches_heldout.size()},
            {"heldout_tweets", tweets->size()}};
    outcome = built_in(dir, *m, active, candidate, *pairs, *tweets, cfg, req, th);
  }
  // A setting or the disk failing before anything ran is an error: the candidate still awaits.
  if (!outcome) return std::unexpected(outcome.error());
  Outcome& o = *outcome;
  if (o.cancelled) return fail("eval", "cancelled: the candidate is still awaiting evaluation");
  for (auto& [k, v] : o.details.items()) data[k] = v;

  ojson e;
  e["candidate"] = row->name;
  e["verdict"] = o.passed ? "passed" : "failed";
  e["reasons"] = o.reasons;
  e["evaluator"] = command ? "command" : "built-in";
  e["evaluation_failed"] = o.broken;
  e["active"] = {{"name", active_now->name}, {"path", active.path}, {"adapter", active.adapter}};
  e["candidate_model"] = {{"path", candidate.path}, {"adapter", candidate.adapter}};
  e["thresholds"] = th.to_json();
  e["bootstrap"] = {{"samples", th.bootstrap_samples}, {"seed", th.seed}, {"level", 0.95}};
  e["data"] = data;
  e["metrics"] = o.metrics;
  o.timing["started_at"] = started_at;
  o.timing["finished_at"] = util::now_iso();
  o.timing["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  e["timing"] = o.timing;

  if (auto s = util::write_file_atomic(dir / "eval.json", e.dump(2) + "\n"); !s) return std::unexpected(s.error());
  if (auto s = util::write_file_atomic(dir / "eval.md", markdown(e)); !s) return std::unexpected(s.error());
  std::string reason;
  for (const auto& r : o.reasons) reason += (reason.empty() ? "" : "; ") + r;
  if (auto s = store::mark_evaluated(db, row->id, o.passed, reason); !s) return std::unexpected(s.error());
  util::append_log(dir / "eval.log", o.passed ? std::string("passed") : fmt::format("failed: {}", reason));
  auto after = store::find_candidate(db, row->id);
  if (!after) return std::unexpected(after.error());
  rep.evaluated = true;
  rep.candidate = **after;
  rep.passed = o.passed;
  rep.broken = o.broken;
  rep.reasons = o.reasons;
  rep.result = std::move(e);
  return rep;
}

}  // namespace knowthy::eval
