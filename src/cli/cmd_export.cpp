#include <cstdio>
#include <string>

#include "archive/tweet.hpp"
#include "cli/commands.hpp"
#include "util/text.hpp"

namespace knowthy::cli {
namespace {

struct ExportOptions {
  std::string kind;
  std::string since;
  bool include_deleted = false;
};

Status export_tweets(const GlobalOptions& g, const ExportOptions& o) {
  if (!o.kind.empty() && !archive::parse_kind(o.kind))
    return bad_input("--kind " + o.kind, "unknown kind", "use original, reply, self_reply, retweet or quote");
  std::string since;
  if (!o.since.empty()) {
    // A date (YYYY-MM-DD) or a full ISO timestamp.
    auto iso = util::iso_to_seconds(o.since.size() == 10 ? o.since + "T00:00:00Z" : o.since);
    if (!iso) return bad_input("--since " + o.since, "not a date", "use YYYY-MM-DD");
    since = *iso;
  }
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto st = ws->db().prepare(R"sql(
SELECT id, created_at, kind, text, in_reply_to, urls, mentions, deleted FROM tweets
WHERE (?1 = '' OR kind = ?1) AND (?2 = '' OR created_at >= ?2) AND (?3 OR deleted = 0)
ORDER BY created_at, id)sql");
  if (!st) return std::unexpected(st.error());
  st->bind(1, o.kind).bind(2, since).bind(3, o.include_deleted ? 1 : 0);
  std::string line;
  for (;;) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    line.clear();
    line += "{\"id\":\"" + std::to_string(st->column_int(0)) + "\",\"created_at\":";
    util::append_json_string(line, st->column_text(1));
    line += ",\"kind\":";
    util::append_json_string(line, st->column_text(2));
    line += ",\"text\":";
    util::append_json_string(line, st->column_text(3));
    line += ",\"in_reply_to\":";
    if (st->column_is_null(4))
      line += "null";
    else
      util::append_json_string(line, st->column_text(4));
    line += ",\"urls\":" + st->column_text(5) + ",\"mentions\":" + st->column_text(6);
    line += st->column_int(7) ? ",\"deleted\":true}\n" : ",\"deleted\":false}\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  if (std::fflush(stdout) != 0) return fail("stdout", "write failed");
  return {};
}

}  // namespace

void register_export(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("export", "write workspace data out");
  auto* tweets = cmd->add_subcommand("tweets", "tweets as JSONL, one a line, oldest first");
  cmd->require_subcommand(1);
  auto o = std::make_shared<ExportOptions>();
  tweets->add_option("--kind", o->kind, "only this kind: original, reply, self_reply, retweet, quote");
  tweets->add_option("--since", o->since, "only tweets on or after this date (YYYY-MM-DD)");
  tweets->add_flag("--include-deleted", o->include_deleted, "also deleted tweets (marked \"deleted\":true)");
  tweets->callback([&g, &run, o] { run = [&g, o] { return export_tweets(g, *o); }; });
}

}  // namespace knowthy::cli
