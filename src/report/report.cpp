#include "report/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "knowledge/profile_store.hpp"
#include "report/html.hpp"
#include "report/style.hpp"
#include "store/candidates.hpp"
#include "store/stats.hpp"
#include "train/promote.hpp"
#include "util/fs.hpp"
#include "util/hash.hpp"

namespace knowthy::report {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t k_links_per_claim = 3;  // evidence links shown; the rest are counted
constexpr size_t k_changes_listed = 50;  // per kind in "what changed"
constexpr int k_ticks_listed = 30;
constexpr int k_dataset_points = 120;

std::string none_yet(const std::string& what) { return "<p class=\"none\">" + esc(what) + "</p>"; }

json read_json(const fs::path& p) {
  auto text = util::read_file(p);
  if (!text) return nullptr;
  json j = json::parse(*text, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

std::string badge(const std::string& status) {
  return "<span class=\"st " + esc(status) + "\">" + esc(status) + "</span>";
}

// ---- The archive ----
Result<std::string> archive_section(store::Db& db, const store::ArchiveTotals& totals) {
  std::string s = "<section id=\"archive\" aria-labelledby=\"h-archive\"><h2 id=\"h-archive\">The archive</h2>";
  if (totals.tweets + totals.deleted == 0)
    return s + none_yet("No archive imported yet: run `knowthy ingest`.") + "</section>";
  auto months = store::tweets_by_month(db);
  if (!months) return std::unexpected(months.error());
  const std::vector<std::string> kinds{"original", "reply", "self_reply", "quote", "retweet"};
  std::vector<std::string> labels;
  std::map<std::string, size_t> at;
  for (const auto& m : *months)
    if (at.emplace(m.month, labels.size()).second) labels.push_back(m.month);
  Chart c{
      .id = "chart-months",
      .title = "Tweets per month, by kind",
      .desc = "Stacked bars: one bar per month (UTC), one colour per kind of tweet; deleted tweets are not counted.",
      .unit = "tweets",
      .labels = labels,
      .series = {}};
  std::map<std::string, std::int64_t> by_kind;
  for (const auto& k : kinds) c.series.push_back({k, std::vector<double>(labels.size(), 0)});
  for (const auto& m : *months) {
    const auto it = std::find(kinds.begin(), kinds.end(), m.kind);
    if (it == kinds.end()) continue;
    c.series[static_cast<size_t>(it - kinds.begin())].values[at[m.month]] = static_cast<double>(m.tweets);
    by_kind[m.kind] += m.tweets;
  }
  std::vector<std::vector<std::string>> rows{{"tweets", number(static_cast<double>(totals.tweets))}};
  for (const auto& k : kinds) rows.push_back({esc(k), number(static_cast<double>(by_kind[k]))});
  rows.push_back({"deleted tweets", number(static_cast<double>(totals.deleted))});
  rows.push_back({"note tweets merged", number(static_cast<double>(totals.notes))});
  rows.push_back({"likes", number(static_cast<double>(totals.likes))});
  rows.push_back({"from", esc(totals.first.substr(0, 10))});
  rows.push_back({"to", esc(totals.last.substr(0, 10))});
  s += fmt::format("<p>@{}: {} tweets over {} months.</p>", esc(totals.username), totals.tweets, labels.size());
  s += "<div class=\"totals\">" + table({"", "count"}, rows, "Totals") + "</div>";
  s += labels.empty() ? none_yet("Every tweet was deleted: no month to chart.") : stacked_bars(c);
  return s + "</section>";
}

// ---- The loop ----
Result<std::string> loop_section(store::Workspace& ws) {
  store::Db& db = ws.db();
  std::string s = "<section id=\"loop\" aria-labelledby=\"h-loop\"><h2 id=\"h-loop\">The loop</h2>";
  auto days = store::batches_by_day(db);
  if (!days) return std::unexpected(days.error());
  s += "<h3 id=\"h-batches\">Batches</h3>";
  if (days->empty()) {
    s += none_yet("No batch has been read yet: run `knowthy tick` or `knowthy run`.");
  } else {
    Chart bars{.id = "chart-batches",
               .title = "Batches read per day",
               .desc = "Stacked bars: done and failed batches by the day they finished (UTC).",
               .unit = "batches",
               .labels = {},
               .series = {{"done", {}}, {"failed", {}}}};
    Chart rate{.id = "chart-rate",
               .title = "Generation speed per day",
               .desc = "Tokens the model wrote per second of model time, by day.",
               .unit = "tokens/s",
               .labels = {},
               .series = {{"tokens/s", {}}}};
    for (const auto& d : *days) {
      bars.labels.push_back(d.day);
      bars.series[0].values.push_back(static_cast<double>(d.done));
      bars.series[1].values.push_back(static_cast<double>(d.failed));
      rate.labels.push_back(d.day);
      rate.series[0].values.push_back(d.model_seconds > 0 ? static_cast<double>(d.completion_tokens) / d.model_seconds
                                                          : std::nan(""));
    }
    s += stacked_bars(bars) + line_chart(rate);
  }
  s += "<h3 id=\"h-failures\">Failures</h3>";
  auto reasons = store::failure_reasons(db, 20);
  if (!reasons) return std::unexpected(reasons.error());
  if (reasons->empty()) {
    s += none_yet("No batch has failed.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : *reasons)
      rows.push_back(
          {esc(r.reason), number(static_cast<double>(r.batches)), number(static_cast<double>(r.last_batch))});
    s += table({"reason", "batches", "last batch"}, rows);
  }
  s += "<h3 id=\"h-ticks\">Ticks</h3>";
  auto ticks = store::recent_ticks(db, k_ticks_listed);
  if (!ticks) return std::unexpected(ticks.error());
  if (ticks->empty()) {
    s += none_yet("No tick has run yet: `knowthy tick`, `knowthy daemon` or `knowthy schedule install`.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : *ticks) {
      double secs = 0;
      std::string steps;
      for (const auto& st : t.steps) {
        secs += st.seconds;
        steps +=
            fmt::format("<span class=\"st {}\" title=\"{}\">{}</span> ", esc(st.status),
                        esc(st.step + ": " + st.status + (st.detail.empty() ? "" : ": " + st.detail)), esc(st.step));
      }
      rows.push_back({esc(t.run.started_at), badge(t.run.status), fmt::format("{:.1f} s", secs), steps});
    }
    s += table({"started", "result", "took", "steps (hover for details)"}, rows,
               fmt::format("The last {} ticks, newest first", ticks->size()));
  }
  s += "<h3 id=\"h-health\">Health</h3>";
  const json health = read_json(ws.dir() / "health.json");
  if (!health.is_object() || !health.contains("checks")) {
    s += none_yet("No health check yet: `knowthy health` or a tick writes one.");
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : health["checks"])
      rows.push_back({esc(c.value("name", "")), badge(c.value("status", "")), esc(c.value("reason", ""))});
    s += "<p>Overall " + badge(health.value("status", "")) + ", checked " + esc(health.value("checked_at", "")) +
         ".</p>" + table({"check", "state", "why"}, rows);
  }
  return s + "</section>";
}

// ---- The profile ----
std::string claim_item(const knowledge::ProfileEntry& e, const std::string& username) {
  std::string links;
  for (size_t i = 0; i < e.evidence.size() && i < k_links_per_claim; ++i)
    links += fmt::format(" <a href=\"{}\">{}</a>", esc(knowledge::status_url(username, e.evidence[i].id)),
                         esc(e.evidence[i].date.substr(0, 10)));
  if (e.evidence.size() > k_links_per_claim) links += fmt::format(" +{}", e.evidence.size() - k_links_per_claim);
  return fmt::format(
      "<li class=\"claim\" id=\"{}\">{}<span class=\"meta\">confidence {:.2f}, support {}:{}</span></li>", esc(e.id),
      esc(e.claim), e.confidence, e.support, links);
}

Result<std::string> profile_section(store::Workspace& ws) {
  std::string s = "<section id=\"profile\" aria-labelledby=\"h-profile\"><h2 id=\"h-profile\">The profile</h2>";
  auto versions = knowledge::profile_versions(ws.db());
  if (!versions) return std::unexpected(versions.error());
  if (versions->empty())
    return s + none_yet("No profile yet: a tick consolidates the batches into one.") + "</section>";
  auto profile = knowledge::load_profile_version(ws, versions->back());
  if (!profile) return std::unexpected(profile.error());
  if (profile->entries.empty())
    return s + none_yet(fmt::format("Profile v{} holds no claim yet.", versions->back())) + "</section>";
  std::map<std::string, std::vector<const knowledge::ProfileEntry*>> by_category;
  std::vector<std::string> order;
  for (const auto& e : profile->entries) {
    if (!by_category.count(e.category)) order.push_back(e.category);
    by_category[e.category].push_back(&e);
  }
  s += fmt::format("<p>Version {}: {} claims from {} batches. Each links the tweets it rests on (the newest {}).</p>",
                   versions->back(), profile->entries.size(), profile->batches, k_links_per_claim);
  s += "<div class=\"search\" id=\"claim-search-box\" hidden><label for=\"claim-search\">Filter the claims</label> "
       "<input type=\"search\" id=\"claim-search\" autocomplete=\"off\"> <output id=\"claim-count\" "
       "for=\"claim-search\"></output></div>";
  std::vector<std::vector<std::string>> counts;
  for (const auto& cat : order) counts.push_back({esc(cat), number(static_cast<double>(by_category[cat].size()))});
  s += table({"category", "claims"}, counts, "Claims by category");
  s += "<h3 id=\"h-claims\">Claims</h3>";
  for (const auto& cat : order) {
    s += fmt::format("<div class=\"category\" data-category=\"{0}\"><h4>{0} ({1})</h4><ul class=\"claims\">", esc(cat),
                     by_category[cat].size());
    for (const auto* e : by_category[cat]) s += claim_item(*e, profile->username);
    s += "</ul></div>";
  }
  // Contradictions: each pair once, side by side.
  std::map<std::string, const knowledge::ProfileEntry*> by_id;
  for (const auto& e : profile->entries) by_id[e.id] = &e;
  std::vector<std::vector<std::string>> pairs;
  for (const auto& e : profile->entries)
    for (const auto& other : e.contradicts)
      if (e.id < other && by_id.count(other))
        pairs.push_back({esc(e.category), esc(e.claim) + fmt::format(" <a href=\"#{}\">(claim)</a>", esc(e.id)),
                         esc(by_id[other]->claim) + fmt::format(" <a href=\"#{}\">(claim)</a>", esc(other))});
  s += "<h3 id=\"h-contradictions\">Contradictions</h3>";
  s += pairs.empty() ? none_yet("No two claims contradict each other.")
                     : table({"category", "one claim", "and the other"}, pairs);
  // What changed since the version before.
  s += "<h3 id=\"h-changes\">What changed</h3>";
  if (versions->size() < 2) {
    s += none_yet("This is the first version: nothing to compare with yet.");
  } else {
    auto before = knowledge::load_profile_version(ws, (*versions)[versions->size() - 2]);
    if (!before) return std::unexpected(before.error());
    const auto d = knowledge::diff_profiles(*before, *profile);
    s += fmt::format("<p>Since version {}: {} added, {} dropped, {} changed.</p>", (*versions)[versions->size() - 2],
                     d.added.size(), d.dropped.size(), d.changed.size());
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < d.added.size() && i < k_changes_listed; ++i)
      rows.push_back({"added", esc(d.added[i].category), esc(d.added[i].claim), ""});
    for (size_t i = 0; i < d.dropped.size() && i < k_changes_listed; ++i)
      rows.push_back({"dropped", esc(d.dropped[i].category), esc(d.dropped[i].claim), ""});
    for (size_t i = 0; i < d.changed.size() && i < k_changes_listed; ++i) {
      std::string what;
      for (const auto& w : d.changed[i].what) what += (what.empty() ? "" : "; ") + esc(w);
      rows.push_back({"changed", esc(d.changed[i].category), esc(d.changed[i].claim), what});
    }
    if (!rows.empty()) s += table({"", "category", "claim", "how"}, rows);
  }
  return s + "</section>";
}

// ---- The datasets ----
Result<std::string> datasets_section(store::Db& db) {
  std::string s = "<section id=\"datasets\" aria-labelledby=\"h-datasets\"><h2 id=\"h-datasets\">The datasets</h2>";
  auto builds = store::dataset_builds(db, k_dataset_points);
  if (!builds) return std::unexpected(builds.error());
  if (builds->empty()) return s + none_yet("No dataset built yet: a tick builds them.") + "</section>";
  Chart c{.id = "chart-datasets",
          .title = "Dataset sizes over time",
          .desc = "Records in each dataset file at each build (at most 120 builds shown, spread evenly).",
          .unit = "records",
          .labels = {},
          .series = {{"DPO train", {}}, {"DPO held out", {}}, {"SFT train", {}}, {"SFT held out", {}}}};
  for (const auto& b : *builds) {
    c.labels.push_back(b.created_at.substr(0, 10));
    c.series[0].values.push_back(static_cast<double>(b.dpo_train));
    c.series[1].values.push_back(static_cast<double>(b.dpo_heldout));
    c.series[2].values.push_back(static_cast<double>(b.sft_train));
    c.series[3].values.push_back(static_cast<double>(b.sft_heldout));
  }
  s += line_chart(c);
  const auto& last = builds->back();
  const json flags = json::parse(last.flagged, nullptr, false);
  std::vector<std::vector<std::string>> rows;
  if (flags.is_object())
    for (const auto& [flag, n] : flags.items())
      rows.push_back({esc(flag), number(n.is_number() ? n.get<double>() : 0)});
  s += fmt::format("<p>The latest build ({}): {} DPO pairs considered.</p>", esc(last.created_at), last.pairs);
  s +=
      rows.empty() ? none_yet("No pair or example was flagged.") : table({"flag", "pairs and examples"}, rows, "Flags");
  return s + "</section>";
}

// ---- The models ----
// The built-in evaluator's metrics (eval.json): value, 95% interval, and the threshold with its
// direction where the metric has one.
std::vector<IntervalRow> metric_rows(const json& metrics) {
  struct Spec {
    const char *key, *name, *value, *interval, *threshold, *rule;
    double fallback;
  };
  static const Spec specs[] = {
      {"heldout_chosen_logprob", "held-out log-prob gain", "gain", "gain_ci95", "min_gain", "at least", 0.0},
      {"preference_accuracy", "preference accuracy", "value", "ci95", "min", "at least", 0.55},
      {"mean_margin", "mean margin (nats)", "value", "ci95", nullptr, "", 0.0},
      {"regression", "regression on own tweets", "value", "ci95", "max", "at most", 0.02},
  };
  std::vector<IntervalRow> rows;
  for (const auto& sp : specs) {
    if (!metrics.contains(sp.key) || !metrics[sp.key].contains(sp.value)) continue;
    const json& m = metrics[sp.key];
    IntervalRow r;
    r.name = sp.name;
    r.value = m[sp.value].get<double>();
    if (m.contains(sp.interval) && m[sp.interval].is_array() && m[sp.interval].size() == 2) {
      r.lo = m[sp.interval][0].get<double>();
      r.hi = m[sp.interval][1].get<double>();
      r.has_interval = true;
    }
    if (sp.threshold) {
      r.threshold = m.value(sp.threshold, sp.fallback);
      r.has_threshold = true;
      r.rule = sp.rule;
      r.pass = m.value("pass", false);
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

Result<std::string> models_section(store::Workspace& ws, const store::Config& cfg) {
  std::string s = "<section id=\"models\" aria-labelledby=\"h-models\"><h2 id=\"h-models\">The models</h2>";
  auto active = train::active_model(ws, cfg);
  if (!active) return std::unexpected(active.error());
  s += "<p>Active: <strong>" + esc(active->name) + "</strong>" +
       (active->rollback_to.empty() ? std::string(". Nothing to roll back to.")
                                    : ". A rollback would restore " + esc(active->rollback_to) + ".") +
       "</p>";
  auto rows = store::list_candidates(ws.db());
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty())
    return s + none_yet("No candidate yet: the train gate opens once enough new data is in.") + "</section>";
  std::vector<std::vector<std::string>> table_rows;
  // The latest candidate with a loss curve, and the latest built-in evaluation, as read once.
  std::string last_trained, last_eval_name;
  json last_metrics, last_eval;
  std::vector<IntervalRow> last_eval_rows;
  for (const auto& c : *rows) {
    const fs::path dir = ws.dir() / "models" / c.name;
    const json metrics = read_json(dir / "metrics.json");
    const json eval = read_json(dir / "eval.json");
    std::string loss;
    if (metrics.is_object() && metrics.contains("train_loss_before") && metrics.contains("train_loss_after")) {
      loss = number(metrics["train_loss_before"].get<double>()) + " &rarr; " +
             number(metrics["train_loss_after"].get<double>());
      if (metrics.contains("epochs") && !metrics["epochs"].empty()) {
        last_trained = c.name;
        last_metrics = metrics;
      }
    }
    if (eval.is_object() && eval.contains("metrics")) {
      if (auto rows_now = metric_rows(eval["metrics"]); !rows_now.empty()) {
        last_eval = eval;
        last_eval_name = c.name;
        last_eval_rows = std::move(rows_now);
      }
    }
    table_rows.push_back({esc(c.name), badge(std::string(store::to_string(c.state))), esc(c.trainer), esc(c.created_at),
                          loss, esc(c.reason.value_or(""))});
  }
  s += "<h3 id=\"h-candidates\">Candidates</h3>" +
       table({"candidate", "state", "trainer", "created", "train loss", "why"}, table_rows);
  s += "<h3 id=\"h-loss\">Training loss</h3>";
  if (last_trained.empty()) {
    s += none_yet("No candidate has a loss curve (the built-in trainer writes one).");
  } else {
    const json& m = last_metrics;
    Chart c{.id = "chart-loss",
            .title = "Training loss of " + last_trained,
            .desc = "Loss per token before training and after each epoch, on the training data and on held-out data.",
            .unit = "nats/token",
            .labels = {"before"},
            .series = {{"train", {m.value("train_loss_before", std::nan(""))}},
                       {"held out", {m.value("heldout_loss_before", std::nan(""))}}}};
    for (const auto& e : m["epochs"]) {
      c.labels.push_back(fmt::format("epoch {}", e.value("epoch", 0)));
      c.series[0].values.push_back(e.value("train_loss", std::nan("")));
      c.series[1].values.push_back(e.contains("heldout_loss") ? e["heldout_loss"].get<double>() : std::nan(""));
    }
    s += line_chart(c);
  }
  s += "<h3 id=\"h-eval\">Evaluation</h3>";
  if (last_eval.is_null()) {
    s += none_yet("No candidate has been evaluated by the built-in evaluator yet.");
  } else {
    s += "<p>" + esc(last_eval_name) + ": " + badge(last_eval.value("verdict", "")) + "</p>";
    s += interval_chart("chart-eval", "Evaluation of " + last_eval_name,
                        "Each metric's value (dot) with its 95% bootstrap interval (bar) against its threshold (tick).",
                        last_eval_rows);
  }
  s += "<h3 id=\"h-promotions\">Promotions and rollbacks</h3>";
  auto history = store::promotion_history(ws.db());
  if (!history) return std::unexpected(history.error());
  if (history->empty()) {
    s += none_yet("Nothing has been promoted: the base model is active.");
  } else {
    std::vector<std::vector<std::string>> h;
    for (const auto& p : *history)
      h.push_back({esc(p.name), esc(p.promoted_at), p.rolled_back_at.empty() ? "" : esc(p.rolled_back_at)});
    s += table({"candidate", "promoted", "rolled back"}, h);
  }
  return s + "</section>";
}

// ---- The latest weekly insights ----
std::string insights_section(store::Workspace& ws) {
  std::string s = "<section id=\"insights\" aria-labelledby=\"h-insights\"><h2 id=\"h-insights\">The latest week</h2>";
  std::vector<fs::path> reports;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ws.dir() / "insights", ec))
    if (e.path().extension() == ".md") reports.push_back(e.path());
  if (reports.empty())
    return s + none_yet("No weekly report yet: the first tick after a Monday writes one.") + "</section>";
  std::sort(reports.begin(), reports.end());
  auto md = util::read_file(reports.back());
  if (!md) return s + none_yet("The latest weekly report cannot be read.") + "</section>";
  // The report's own headings start at h1: shift them below this section's h2.
  std::string body = markdown(*md);
  for (int level = 5; level >= 1; --level) {
    const std::string from = fmt::format("h{}", level), to = fmt::format("h{}", level + 2);
    for (const char* open : {"<", "</"})
      for (size_t p = 0; (p = body.find(open + from + ">", p)) != std::string::npos;)
        body.replace(p, std::string(open).size() + from.size() + 1, open + to + ">");
  }
  return s + "<div class=\"md\">" + body + "</div></section>";
}

}  // namespace

Result<std::string> render_report(store::Workspace& ws, const store::Config& cfg, const std::string& now_iso) {
  store::Db& db = ws.db();
  auto totals = store::archive_totals(db);  // counts every tweet: once, for the archive and the title
  if (!totals) return std::unexpected(totals.error());
  std::string body;
  for (auto part : {archive_section(db, *totals), loop_section(ws), profile_section(ws), datasets_section(db),
                    models_section(ws, cfg)}) {
    if (!part) return std::unexpected(part.error());
    body += *part;
  }
  body += insights_section(ws);
  const std::string style(k_style), script(k_script);
  const std::string csp = "default-src 'none'; style-src 'sha256-" + util::sha256_base64(style) +
                          "'; script-src 'sha256-" + util::sha256_base64(script) +
                          "'; img-src data:; base-uri 'none'; form-action 'none'";
  const std::string who = totals->username.empty() ? std::string("your archive") : "@" + totals->username;
  std::string html;
  html.reserve(body.size() + style.size() + script.size() + 2048);
  html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"" + csp + "\">";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  html += "<meta name=\"referrer\" content=\"no-referrer\">";
  html += "<meta name=\"color-scheme\" content=\"light dark\">";
  html += "<title>knowthy report: " + esc(who) + "</title><style>" + style + "</style></head><body>";
  html +=
      "<header><h1>knowthy report: " + esc(who) + "</h1><p class=\"when\">Written " + esc(now_iso) +
      " from the workspace on this machine. It loads nothing from the network.</p><nav aria-label=\"Sections\"><a "
      "href=\"#archive\">Archive</a> <a href=\"#loop\">Loop</a> <a href=\"#profile\">Profile</a> <a "
      "href=\"#datasets\">Datasets</a> <a href=\"#models\">Models</a> <a href=\"#insights\">Week</a></nav></header>";
  html += "<main>" + body + "</main><script>" + script + "</script></body></html>\n";
  return html;
}

Result<ReportResult> write_report(store::Workspace& ws, const store::Config& cfg, const ReportOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto html = render_report(ws, cfg, o.now_iso);
  if (!html) return std::unexpected(html.error());
  ReportResult r;
  r.path = o.out;
  if (r.path.empty()) {
    if (auto s = util::make_private_dir(ws.dir() / "reports"); !s) return std::unexpected(s.error());
    std::string stamp = o.now_iso;  // 2026-11-29T08:10:00Z -> 2026-11-29T081000Z
    std::erase(stamp, ':');
    r.path = ws.dir() / "reports" / ("report-" + stamp + ".html");
  }
  if (auto s = util::write_file_atomic(r.path, *html, 0600); !s) return std::unexpected(s.error());
  r.bytes = html->size();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace knowthy::report
