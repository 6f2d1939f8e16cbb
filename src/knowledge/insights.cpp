#include "knowledge/insights.hpp"

#include "llm/factory.hpp"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "knowledge/profile_store.hpp"
#include "util/fs.hpp"
#include "util/text.hpp"

namespace knowthy::knowledge {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::int64_t k_day = 86400;
constexpr size_t k_list = 20;  // claims listed per section; the rest are counted

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {  // H. Hinnant's algorithm
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::int64_t monday_of(std::int64_t t) {
  const std::int64_t day = (t >= 0 ? t : t - k_day + 1) / k_day;
  const std::int64_t weekday = ((day % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday; Monday = 0
  return (day - weekday) * k_day;
}

std::string day(std::int64_t t) { return util::unix_to_iso(t).substr(0, 10); }

}  // namespace

std::string IsoWeek::label() const { return fmt::format("{:04}-W{:02}", year, week); }

IsoWeek iso_week_of(std::int64_t t) {
  const std::int64_t monday = monday_of(t);
  const std::int64_t thursday = monday + 3 * k_day;  // the week belongs to its Thursday's year
  const int year = std::stoi(util::unix_to_iso(thursday).substr(0, 4));
  const std::int64_t week1 = monday_of(days_from_civil(year, 1, 4) * k_day);
  return {year, static_cast<int>((monday - week1) / (7 * k_day)) + 1, monday, monday + 7 * k_day};
}

IsoWeek previous_iso_week(std::int64_t now) { return iso_week_of(monday_of(now) - k_day); }

IsoWeek in_local_time(IsoWeek wk) {
  auto local_midnight = [](std::int64_t utc_midnight) {
    const std::time_t d = static_cast<std::time_t>(utc_midnight);
    std::tm date{};
    ::gmtime_r(&d, &date);  // the date's fields, read back as a local time by mktime
    date.tm_isdst = -1;
    return static_cast<std::int64_t>(std::mktime(&date));
  };
  wk.start = local_midnight(wk.start);
  wk.end = local_midnight(wk.end);
  return wk;
}

IsoWeek previous_local_iso_week(std::int64_t now) {
  const std::time_t t = static_cast<std::time_t>(now);
  std::tm lt{};
  ::localtime_r(&t, &lt);
  const std::int64_t local_date =
      days_from_civil(lt.tm_year + 1900, static_cast<unsigned>(lt.tm_mon + 1), static_cast<unsigned>(lt.tm_mday));
  return in_local_time(previous_iso_week(local_date * k_day));
}

Result<IsoWeek> parse_iso_week(std::string_view s) {
  int y = 0, w = 0;
  if (s.size() != 8 || s[4] != '-' || (s[5] != 'W' && s[5] != 'w') ||
      std::sscanf(std::string(s).c_str(), "%4d-%*c%2d", &y, &w) != 2 || y < 1970 || w < 1 || w > 53)
    return bad_input(std::string(s), "not an ISO week", "write it as YYYY-Www, e.g. 2026-W48");
  const std::int64_t start = monday_of(days_from_civil(y, 1, 4) * k_day) + static_cast<std::int64_t>(w - 1) * 7 * k_day;
  IsoWeek wk = iso_week_of(start);
  if (wk.year != y || wk.week != w)
    return bad_input(std::string(s), fmt::format("{} has no week {}", y, w), "ISO years have 52 or 53 weeks");
  return wk;
}

Result<std::string> render_insights(store::Workspace& ws, const IsoWeek& wk, const InsightsOptions& o) {
  store::Db& db = ws.db();
  const std::string from = util::unix_to_iso(wk.start), to = util::unix_to_iso(wk.end);
  // The dates in the title are the week's own (its bounds may be local midnights, off UTC's).
  const IsoWeek dates = iso_week_of(wk.start + 3 * k_day);
  std::string md = fmt::format("# Week {} ({} to {})\n\n", wk.label(), day(dates.start), day(dates.end - k_day));
  if (o.now < wk.end) md += "_The week was still in progress when this report was written._\n\n";

  // What was read.
  auto st = db.prepare(R"sql(
SELECT COUNT(*), COALESCE(SUM(status = 'done'), 0), COALESCE(SUM(status = 'failed'), 0),
       COALESCE(SUM(CASE WHEN status = 'done' THEN tweet_count END), 0),
       COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(candidates), 0)
FROM batches WHERE finished_at >= ?1 AND finished_at < ?2)sql");
  if (!st) return std::unexpected(st.error());
  st->bind(1, from).bind(2, to);
  if (auto r = st->step(); !r) return std::unexpected(r.error());
  md += "## Processed\n\n";
  if (st->column_int(0) == 0) {
    md += "No batch finished this week.\n";
  } else {
    md += fmt::format("- {} batches done ({} tweets), {} failed\n", st->column_int(1), st->column_int(3),
                      st->column_int(2));
    md += fmt::format("- {} claims proposed; {} prompt and {} generated tokens\n", st->column_int(6), st->column_int(4),
                      st->column_int(5));
  }

  // The profile: the last version before the week against the last one in it.
  auto last_version = [&](const std::string& before, const std::string& since) -> Result<std::int64_t> {
    auto q =
        db.prepare("SELECT COALESCE(MAX(version), 0) FROM profile_versions WHERE created_at < ?1 AND created_at >= ?2");
    if (!q) return std::unexpected(q.error());
    q->bind(1, before).bind(2, since);
    if (auto r = q->step(); !r) return std::unexpected(r.error());
    return q->column_int(0);
  };
  auto last_before = last_version(from, "");
  auto last_in = last_version(to, from);
  if (!last_before) return std::unexpected(last_before.error());
  if (!last_in) return std::unexpected(last_in.error());
  md += "\n## Profile\n\n";
  std::string new_claims;  // for the summary
  if (*last_in == 0) {
    md += "The profile did not change this week.\n";
  } else {
    Profile before, after;
    if (*last_before) {
      auto p = load_profile_version(ws, *last_before);
      if (p) before = std::move(*p);
    }
    auto p = load_profile_version(ws, *last_in);
    if (!p) {
      md += fmt::format("Profile version {} is no longer kept, so its changes cannot be shown.\n", *last_in);
    } else {
      after = std::move(*p);
      const auto d = diff_profiles(before, after);
      md += fmt::format("Version {} -> {}: {} entries added, {} changed, {} dropped ({} entries now).\n", *last_before,
                        *last_in, d.added.size(), d.changed.size(), d.dropped.size(), after.entries.size());
      if (!d.added.empty()) md += "\n### New\n\n";
      for (size_t i = 0; i < d.added.size() && i < k_list; ++i) {
        const auto& e = d.added[i];
        md += fmt::format("- [{}] {} (support {})", e.category, e.claim, e.support);
        for (size_t k = 0; k < e.evidence.size() && k < 3; ++k)
          md +=
              fmt::format(" [{}]({})", e.evidence[k].date.substr(0, 10), status_url(after.username, e.evidence[k].id));
        md += '\n';
        new_claims += fmt::format("- [{}] {}\n", e.category, e.claim);
      }
      if (d.added.size() > k_list) md += fmt::format("- and {} more (profile/profile.md)\n", d.added.size() - k_list);
      if (!d.changed.empty()) md += "\n### Changed\n\n";
      for (size_t i = 0; i < d.changed.size() && i < k_list; ++i) {
        std::string what;
        for (const auto& w : d.changed[i].what) what += (what.empty() ? "" : "; ") + w;
        md += fmt::format("- [{}] {} ({})\n", d.changed[i].category, d.changed[i].claim, what);
      }
      if (d.changed.size() > k_list) md += fmt::format("- and {} more\n", d.changed.size() - k_list);
      if (!d.dropped.empty()) md += "\n### Dropped\n\n";
      for (size_t i = 0; i < d.dropped.size() && i < k_list; ++i)
        md += fmt::format("- [{}] {}\n", d.dropped[i].category, d.dropped[i].claim);
    }
  }

  // Datasets: the last build before the week against the last one in it.
  md += "\n## Datasets\n\n";
  // The last build made in [since, before).
  auto build = [&](const std::string& before, const std::string& since) -> Result<std::optional<json>> {
    auto q = db.prepare(
        "SELECT dpo_train, dpo_heldout, sft_train, sft_heldout, pairs, flagged FROM dataset_builds "
        "WHERE created_at < ?1 AND created_at >= ?2 ORDER BY id DESC LIMIT 1");
    if (!q) return std::unexpected(q.error());
    q->bind(1, before).bind(2, since);
    auto r = q->step();
    if (!r) return std::unexpected(r.error());
    if (!*r) return std::optional<json>();
    return std::optional<json>(json{{"dpo_train", q->column_int(0)},
                                    {"dpo_heldout", q->column_int(1)},
                                    {"sft_train", q->column_int(2)},
                                    {"sft_heldout", q->column_int(3)},
                                    {"pairs", q->column_int(4)},
                                    {"flagged", json::parse(q->column_text(5), nullptr, false)}});
  };
  auto b0 = build(from, "");
  auto b1 = build(to, from);
  if (!b0) return std::unexpected(b0.error());
  if (!b1) return std::unexpected(b1.error());
  if (!*b1) {
    md += "The datasets were not rebuilt this week.\n";
  } else {
    const json& a = **b1;
    const json zero{{"dpo_train", 0}, {"dpo_heldout", 0}, {"sft_train", 0}, {"sft_heldout", 0}, {"pairs", 0}};
    const json& b = *b0 ? **b0 : zero;
    for (const char* k : {"dpo_train", "dpo_heldout", "sft_train", "sft_heldout"})
      md += fmt::format("- {}: {} ({:+})\n", k, a[k].get<std::int64_t>(),
                        a[k].get<std::int64_t>() - b[k].get<std::int64_t>());
    std::string flags;
    if (a["flagged"].is_object())
      for (const auto& [f, n] : a["flagged"].items())
        flags += fmt::format("{}{} {}", flags.empty() ? "" : ", ", f, n.dump());
    md += fmt::format("- flagged and kept out of training: {}\n", flags.empty() ? "none" : flags);
  }

  // Model candidates.
  md += "\n## Models\n\n";
  auto models = db.prepare(R"sql(
SELECT COALESCE(SUM(trained_at >= ?1 AND trained_at < ?2), 0), COALESCE(SUM(evaluated_at >= ?1 AND evaluated_at < ?2), 0),
       COALESCE(SUM(promoted_at >= ?1 AND promoted_at < ?2), 0), COALESCE(SUM(state = 'passed' AND evaluated_at >= ?1 AND evaluated_at < ?2), 0)
FROM models)sql");
  if (!models) return std::unexpected(models.error());
  models->bind(1, from).bind(2, to);
  if (auto r = models->step(); !r) return std::unexpected(r.error());
  md += fmt::format("- {} candidates trained, {} evaluated ({} passed), {} promoted\n", models->column_int(0),
                    models->column_int(1), models->column_int(3), models->column_int(2));

  // Health, as last checked.
  md += "\n## Health\n\n";
  auto health = util::read_file(ws.dir() / "health.json");
  json h = health ? json::parse(*health, nullptr, false) : json();
  if (!h.is_object()) {
    md += "No health report yet (`knowthy health`).\n";
  } else {
    md += fmt::format("Last checked {}: **{}**\n", h.value("checked_at", "?"), h.value("status", "?"));
    for (const auto& c : h.value("checks", json::array()))
      if (c.value("status", "ok") != "ok")
        md += fmt::format("- {} {}: {}\n", c.value("status", ""), c.value("name", ""), c.value("reason", ""));
  }

  if (o.summarize && !new_claims.empty()) {
    md += "\n## Summary (written by the model)\n\n";
    auto s = o.summarize(
        "Here are the new things learned this week about a person, from their own tweets:\n\n" + new_claims +
        "\nWrite one short paragraph (at most four sentences) summarizing what is new. Do not invent anything.");
    md += s ? util::trim(*s) + "\n" : "_The model could not write a summary: " + s.error().why + "._\n";
  }
  return md;
}

Result<InsightsResult> write_insights(store::Workspace& ws, const IsoWeek& wk, const InsightsOptions& o) {
  const fs::path dir = ws.dir() / "insights";
  const fs::path path = dir / (wk.label() + ".md");
  std::error_code ec;
  if (!o.force && fs::exists(path, ec)) return InsightsResult{path.string(), false};
  auto md = render_insights(ws, wk, o);
  if (!md) return std::unexpected(md.error());
  if (auto s = util::make_private_dir(dir); !s) return std::unexpected(s.error());
  if (auto s = util::write_file_atomic(path, *md); !s) return std::unexpected(s.error());
  return InsightsResult{path.string(), true};
}

std::function<Result<std::string>(const std::string& prompt)> model_summarizer(const store::Config& cfg,
                                                                               ProcessRunner& runner) {
  auto backend = std::make_shared<std::unique_ptr<llm::ModelBackend>>();
  return [backend, model = cfg.model, retries = cfg.model.retries, backoff = cfg.extract.retry_backoff_ms,
          &runner](const std::string& prompt) -> Result<std::string> {
    if (!*backend) {  // loaded only when there is something to summarize
      auto b = llm::make_backend(model, runner);
      if (!b) return std::unexpected(b.error());
      *backend = std::move(*b);
    }
    llm::ChatRequest rq;
    rq.messages = {{"user", prompt}};
    rq.options.max_tokens = 300;
    util::SystemClock clock;
    auto c = llm::generate_retrying(**backend, rq, clock, retries, backoff);
    if (!c) return std::unexpected(c.error());
    return c->text;
  };
}

}  // namespace knowthy::knowledge
