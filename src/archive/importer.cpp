#include "archive/importer.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "archive/notes.hpp"
#include "archive/source.hpp"
#include "archive/tweet.hpp"
#include "archive/ytd.hpp"
#include "util/bounded_queue.hpp"
#include "util/progress.hpp"
#include "util/text.hpp"

namespace knowthy::archive {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The data files of each kind, from data/manifest.js (authoritative) or, without one, by name.
struct FileSet {
  std::vector<std::string> tweets, deleted, notes, likes, account, profile;
  // The manifest's userInfo: the account when account.js is missing or empty.
  std::string account_id, username, display_name;
  // Files the manifest lists that the archive lacks: people remove files (likes, deleted
  // tweets, media) before they share or keep an export. Skipped with a warning.
  std::vector<std::string> skipped;
  std::vector<std::string> missing_tweets;  // of those, the tweet files
};

// Sorts "tweets.js", "tweets-part1.js", "tweets-part2.js", "tweets-part10.js" in part order.
void sort_parts(std::vector<std::string>& v) {
  auto part = [](const std::string& s) {
    auto p = s.rfind("-part");
    return p == std::string::npos ? 0 : std::atoi(s.c_str() + p + 5);
  };
  std::stable_sort(v.begin(), v.end(), [&](auto& a, auto& b) { return part(a) < part(b); });
}

Result<FileSet> find_files(const ArchiveSource& src) {
  FileSet fs;
  if (src.find("data/manifest.js")) {
    auto text = src.read_all("data/manifest.js");
    if (!text) return std::unexpected(text.error());
    size_t eq = text->find('=');
    json m = json::parse(eq == std::string::npos ? std::string_view{} : std::string_view(*text).substr(eq + 1), nullptr,
                         false);
    if (m.is_discarded() || !m.is_object())
      return bad_input("data/manifest.js", "invalid JSON", "the archive is damaged; download it again");
    const json& user = m.value("userInfo", json::object());
    fs.account_id = user.value("accountId", "");
    fs.username = user.value("userName", "");
    fs.display_name = user.value("displayName", "");
    const json& types = m.value("dataTypes", json::object());
    auto files_of = [&](std::initializer_list<const char*> keys) {
      std::vector<std::string> out;
      for (const char* k : keys) {
        if (!types.contains(k) || !types[k].contains("files") || !types[k]["files"].is_array()) continue;
        for (const json& f : types[k]["files"])
          if (f.contains("fileName") && f["fileName"].is_string()) out.push_back(f["fileName"].get<std::string>());
      }
      sort_parts(out);
      return out;
    };
    fs.tweets = files_of({"tweets", "tweet"});
    fs.deleted = files_of({"deletedTweets", "deletedTweet"});
    fs.notes = files_of({"noteTweet"});
    fs.likes = files_of({"like"});
    fs.account = files_of({"account"});
    fs.profile = files_of({"profile"});
    for (auto* v : {&fs.tweets, &fs.deleted, &fs.notes, &fs.likes, &fs.account, &fs.profile})
      std::erase_if(*v, [&](const std::string& f) {
        if (src.find(f)) return false;
        fs.skipped.push_back(f);
        if (v == &fs.tweets) fs.missing_tweets.push_back(f);
        return true;
      });
    if (!fs.tweets.empty()) return fs;
  }
  // No manifest, or none of the tweet files it lists is here: go by the names every layout has
  // used (what the manifest said was skipped stays reported).
  static const std::regex k_tweets(R"(data/tweets?(-part\d+)?\.js)");
  static const std::regex k_deleted(R"(data/deleted-tweets?(-part\d+)?\.js)");
  static const std::regex k_notes(R"(data/note-tweet(-part\d+)?\.js)");
  static const std::regex k_likes(R"(data/like(-part\d+)?\.js)");
  fs.tweets.clear();
  fs.deleted.clear();
  fs.notes.clear();
  fs.likes.clear();
  fs.account.clear();
  fs.profile.clear();
  for (const Entry& e : src.entries()) {
    if (std::regex_match(e.name, k_tweets))
      fs.tweets.push_back(e.name);
    else if (std::regex_match(e.name, k_deleted))
      fs.deleted.push_back(e.name);
    else if (std::regex_match(e.name, k_notes))
      fs.notes.push_back(e.name);
    else if (std::regex_match(e.name, k_likes))
      fs.likes.push_back(e.name);
    else if (e.name == "data/account.js")
      fs.account.push_back(e.name);
    else if (e.name == "data/profile.js")
      fs.profile.push_back(e.name);
  }
  for (auto* v : {&fs.tweets, &fs.deleted, &fs.notes, &fs.likes}) sort_parts(*v);
  return fs;
}

std::string where(const std::string& file, std::uint64_t record, std::uint64_t offset) {
  return file + ": record " + std::to_string(record) + " (byte " + std::to_string(offset) + ")";
}

// Calls `fn(record_json)` for every record of every file in `files`.
template <class Fn>
Status for_each_record(const ArchiveSource& src, const std::vector<std::string>& files, ImportReport& rep,
                       util::Progress* progress, std::uint64_t& progress_base, Fn&& fn) {
  for (const std::string& name : files) {
    const Entry* e = src.find(name);
    if (!e)
      return bad_input(name, "listed in data/manifest.js but missing from the archive",
                       "the archive is incomplete; download it again");
    auto reader = src.open(name);
    if (!reader) return std::unexpected(reader.error());
    YtdReader ytd(**reader, name);
    auto prefix = ytd.read_prefix();
    if (!prefix) return std::unexpected(prefix.error());
    rep.files.push_back(name);
    for (std::uint64_t i = 0;; ++i) {
      auto rec = ytd.next();
      if (!rec) return std::unexpected(rec.error());
      if (rec->empty()) break;
      if (auto s = fn(*rec); !s) {
        Error err = s.error();
        err.what = where(name, i, ytd.offset()) + (err.what.empty() ? "" : ": " + err.what);
        return std::unexpected(err);
      }
      if (progress && (i & 255) == 0) progress->update(progress_base + ytd.offset());
    }
    progress_base += e->size;
    rep.bytes += e->size;
  }
  return {};
}

struct AccountInfo {
  std::string account_id, username, display_name, created_at, bio, website, location;
};

Result<AccountInfo> read_account(const ArchiveSource& src, const FileSet& files) {
  AccountInfo a;
  ImportReport scratch;
  std::uint64_t base = 0;
  auto s = for_each_record(src, files.account, scratch, nullptr, base, [&](std::string_view rec) -> Status {
    json j = json::parse(rec, nullptr, false);
    if (j.is_discarded()) return bad_input("", "invalid JSON");
    const json& acc = j.value("account", json::object());
    a.account_id = acc.value("accountId", "");
    a.username = acc.value("username", "");
    a.display_name = acc.value("accountDisplayName", "");
    a.created_at = acc.value("createdAt", "");
    return {};
  });
  if (!s) return std::unexpected(s.error());
  if (a.account_id.empty()) {
    a.account_id = files.account_id;
    a.username = files.username;
    a.display_name = files.display_name;
  }
  if (a.account_id.empty())
    return bad_input("data/account.js", "the archive names no account", "is this a complete Twitter/X archive?");
  s = for_each_record(src, files.profile, scratch, nullptr, base, [&](std::string_view rec) -> Status {
    json j = json::parse(rec, nullptr, false);
    if (j.is_discarded()) return bad_input("", "invalid JSON");
    const json& d = j.value("profile", json::object()).value("description", json::object());
    a.bio = d.value("bio", "");
    a.website = d.value("website", "");
    a.location = d.value("location", "");
    return {};
  });
  if (!s) return std::unexpected(s.error());
  return a;
}

// Parses a record `{"<key>": {...}}` and returns the inner object.
Result<simdjson::dom::element> record_body(simdjson::dom::parser& parser, std::string_view rec, const char* key) {
  simdjson::dom::element root, body;
  if (auto err = parser.parse(rec.data(), rec.size(), false).get(root); err)
    return bad_input("", std::string("invalid JSON: ") + simdjson::error_message(err));
  if (root[key].get(body) != simdjson::SUCCESS) return bad_input("", std::string("not a ") + key + " record");
  return body;
}

constexpr const char* k_insert_tweet = R"sql(
INSERT INTO tweets (id, created_at, kind, text, in_reply_to, in_reply_to_user_id, in_reply_to_screen_name,
                    mentions, hashtags, urls, media_count, lang, note_id, deleted, deleted_at, raw, import_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
ON CONFLICT(id) DO UPDATE SET deleted = 1, deleted_at = excluded.deleted_at
  WHERE excluded.deleted = 1 AND tweets.deleted = 0
)sql";

void bind_tweet(store::Stmt& st, const Tweet& t, std::int64_t import_id) {
  st.bind(1, static_cast<std::int64_t>(t.id))
      .bind(2, t.created_at)
      .bind(3, kind_name(t.kind))
      .bind_static(4, t.text)
      .bind(5, t.in_reply_to)
      .bind(6, t.in_reply_to_user_id)
      .bind(7, t.in_reply_to_screen_name)
      .bind(8, t.mentions_json)
      .bind(9, t.hashtags_json)
      .bind(10, t.urls_json)
      .bind(11, t.media_count)
      .bind(12, t.lang)
      .bind(14, t.deleted_at ? 1 : 0)
      .bind(15, t.deleted_at)
      .bind_static(16, t.raw)
      .bind(17, import_id);
  if (t.note_id.empty())
    st.bind_null(13);
  else
    st.bind(13, t.note_id);
}

}  // namespace

Result<ImportReport> import_archive(store::Db& db, const fs::path& path, const ImportOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  ImportReport rep;
  auto src = open_source(path);
  if (!src) return std::unexpected(src.error());
  auto files = find_files(**src);
  if (!files) return std::unexpected(files.error());
  if (files->tweets.empty()) {
    std::string listed;
    for (const auto& f : files->missing_tweets) listed += (listed.empty() ? "" : ", ") + f;
    return bad_input(path.string(),
                     listed.empty()
                         ? "no tweets file (data/tweets.js or data/tweet.js)"
                         : "no tweets file: " + listed + " listed in data/manifest.js but not in the archive",
                     "is this a complete Twitter/X archive?");
  }
  rep.skipped = files->skipped;
  auto acc = read_account(**src, *files);
  if (!acc) return std::unexpected(acc.error());
  rep.account_id = acc->account_id;
  rep.username = acc->username;
  rep.display_name = acc->display_name;

  {
    auto st = db.prepare("SELECT account_id, username FROM account LIMIT 1");
    if (!st) return std::unexpected(st.error());
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (*row && st->column_text(0) != acc->account_id)
      return bad_input(path.string(),
                       "it is the archive of @" + acc->username + " (account " + acc->account_id +
                           "), but this workspace holds @" + st->column_text(1) + " (account " + st->column_text(0) +
                           ")",
                       "use another workspace (--workspace DIR) for another account");
  }

  // A big import is mostly new pages: with a rollback journal they are written once, where WAL
  // writes each twice (log, then checkpoint). Atomicity is the same; WAL comes back afterwards.
  if (auto s = db.exec("PRAGMA journal_mode=DELETE"); !s) return std::unexpected(s.error());
  struct RestoreWal {
    store::Db& db;
    ~RestoreWal() { (void)db.exec("PRAGMA journal_mode=WAL"); }
  } restore_wal{db};
  auto tx = store::Transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  std::string started = util::now_iso();
  auto ins_import = db.prepare(
      "INSERT INTO imports (started_at, finished_at, source, source_bytes, tweets_seen, tweets_added, deleted_added, "
      "notes_merged, likes_added) VALUES (?1, ?1, ?2, ?3, 0, 0, 0, 0, 0)");
  if (!ins_import) return std::unexpected(ins_import.error());
  ins_import->bind(1, started)
      .bind(2, fs::absolute(path).string())
      .bind(3, static_cast<std::int64_t>((*src)->total_bytes()));
  if (auto s = ins_import->exec(); !s) return std::unexpected(s.error());
  std::int64_t import_id = sqlite3_last_insert_rowid(db.get());

  auto up_acc = db.prepare(R"sql(
INSERT INTO account (account_id, username, display_name, created_at, bio, website, location, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT(account_id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name,
  created_at = excluded.created_at, bio = excluded.bio, website = excluded.website, location = excluded.location,
  updated_at = excluded.updated_at)sql");
  if (!up_acc) return std::unexpected(up_acc.error());
  up_acc->bind(1, acc->account_id).bind(2, acc->username).bind(3, acc->display_name).bind(4, acc->created_at);
  up_acc->bind(5, acc->bio).bind(6, acc->website).bind(7, acc->location).bind(8, started);
  if (auto s = up_acc->exec(); !s) return std::unexpected(s.error());

  std::uint64_t total_bytes = 0;
  for (auto* v : {&files->notes, &files->tweets, &files->deleted, &files->likes})
    for (const auto& f : *v)
      if (const Entry* e = (*src)->find(f)) total_bytes += e->size;
  util::Progress progress("importing", total_bytes, "B", opt.progress);
  std::uint64_t base = 0;
  simdjson::dom::parser parser;

  // Notes first, so each tweet can take its note's full text as it streams past.
  NoteMatcher notes;
  auto s = for_each_record(**src, files->notes, rep, &progress, base, [&](std::string_view rec) -> Status {
    auto n = record_body(parser, rec, "noteTweet");
    if (!n) return std::unexpected(n.error());
    std::string_view id, created, text;
    if ((*n)["noteTweetId"].get_string().get(id) != simdjson::SUCCESS) return bad_input("", "missing noteTweetId");
    if ((*n)["createdAt"].get_string().get(created) != simdjson::SUCCESS) return bad_input("", "missing createdAt");
    if ((*n)["core"]["text"].get_string().get(text) != simdjson::SUCCESS) return bad_input("", "missing core.text");
    auto sec = util::iso_to_seconds(created);
    if (!sec) return bad_input("", "bad createdAt `" + std::string(created) + "`");
    std::string raw(rec.size(), '\0');
    size_t len = 0;
    if (simdjson::minify(rec.data(), rec.size(), raw.data(), len) == simdjson::SUCCESS) raw.resize(len);
    Note note{std::string(id), *sec, std::string(text), std::move(raw), 0, {}, {}, {}};
    // Optional entities; real exports have written the url keys both ways.
    auto str = [](simdjson::dom::element e, std::initializer_list<const char*> keys) {
      std::string_view v;
      for (const char* k : keys)
        if (e[k].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
      return std::string();
    };
    simdjson::dom::array arr;
    if ((*n)["core"]["urls"].get_array().get(arr) == simdjson::SUCCESS)
      for (auto u : arr) {
        NoteLink l{str(u, {"shortUrl", "url"}), str(u, {"expandedUrl", "expanded_url"})};
        if (!l.short_url.empty()) note.links.push_back(std::move(l));
      }
    if ((*n)["core"]["mentions"].get_array().get(arr) == simdjson::SUCCESS)
      for (auto m : arr)
        if (auto v = str(m, {"screenName", "screen_name"}); !v.empty()) note.mentions.push_back(v);
    if ((*n)["core"]["hashtags"].get_array().get(arr) == simdjson::SUCCESS)
      for (auto h : arr)
        if (auto v = str(h, {"text", "hashtag"}); !v.empty()) note.hashtags.push_back(v);
    notes.add(std::move(note));
    ++rep.notes_seen;
    return {};
  });
  if (!s) return std::unexpected(s.error());

  // Tweets stream through two threads: this one reads, inflates, splits and parses (and matches
  // notes), the other inserts, so inflate/parse and SQLite overlap on two cores.
  auto ins = db.prepare(k_insert_tweet);
  if (!ins) return std::unexpected(ins.error());
  constexpr size_t k_batch = 512;
  util::BoundedQueue<std::vector<Tweet>> queue(8);
  Status insert_status;
  std::thread inserter([&] {
    while (auto batch = queue.pop()) {
      for (const Tweet& tw : *batch) {
        bind_tweet(*ins, tw, import_id);
        if (auto e = ins->exec(); !e) {
          insert_status = e;
          queue.close();  // the reader's next push fails and it stops
          return;
        }
        auto changed = static_cast<std::uint64_t>(sqlite3_changes(db.get()));
        if (tw.deleted_at)
          ++rep.deleted_seen, rep.deleted_added += changed;
        else
          ++rep.tweets_seen, rep.tweets_added += changed;
      }
    }
  });
  std::vector<Tweet> batch;
  batch.reserve(k_batch);
  auto tweet_fn = [&](bool deleted) {
    return [&, deleted](std::string_view rec) -> Status {
      std::string_view full;
      auto tw = parse_tweet(parser, rec, acc->account_id, &full);
      if (!tw) return std::unexpected(tw.error());
      if (deleted && !tw->deleted_at) tw->deleted_at = "";
      if (!notes.empty()) (void)notes.apply(*tw, full);
      batch.push_back(std::move(*tw));
      if (batch.size() == k_batch) {
        if (!queue.push(std::move(batch))) return fail("", "stopped");
        batch = {};
        batch.reserve(k_batch);
      }
      return {};
    };
  };
  s = for_each_record(**src, files->tweets, rep, &progress, base, tweet_fn(false));
  if (s) s = for_each_record(**src, files->deleted, rep, &progress, base, tweet_fn(true));
  if (s && !batch.empty()) (void)queue.push(std::move(batch));
  queue.close();
  inserter.join();
  if (!insert_status) return std::unexpected(insert_status.error());
  if (!s) return std::unexpected(s.error());

  auto ins_note = db.prepare(R"sql(
INSERT INTO notes (note_id, created_at, text, tweet_id, raw) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT(note_id) DO UPDATE SET tweet_id = COALESCE(notes.tweet_id, excluded.tweet_id))sql");
  if (!ins_note) return std::unexpected(ins_note.error());
  for (const Note& n : notes.notes()) {
    ins_note->bind(1, n.note_id).bind(2, n.created_at).bind(3, n.text).bind(5, n.raw);
    if (n.tweet_id)
      ins_note->bind(4, static_cast<std::int64_t>(n.tweet_id)), ++rep.notes_merged;
    else
      ins_note->bind_null(4);
    if (auto e = ins_note->exec(); !e) return std::unexpected(e.error());
  }

  auto ins_like = db.prepare(
      "INSERT INTO likes (tweet_id, full_text, expanded_url, import_id) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(tweet_id) DO NOTHING");
  if (!ins_like) return std::unexpected(ins_like.error());
  s = for_each_record(**src, files->likes, rep, &progress, base, [&](std::string_view rec) -> Status {
    auto l = record_body(parser, rec, "like");
    if (!l) return std::unexpected(l.error());
    std::string_view id, text, url;
    if ((*l)["tweetId"].get_string().get(id) != simdjson::SUCCESS || !util::parse_u64(id))
      return bad_input("", "missing or bad tweetId");
    ins_like->bind(1, id).bind(4, import_id);
    if ((*l)["fullText"].get_string().get(text) == simdjson::SUCCESS)
      ins_like->bind(2, util::html_unescape(text));
    else
      ins_like->bind_null(2);
    if ((*l)["expandedUrl"].get_string().get(url) == simdjson::SUCCESS)
      ins_like->bind(3, url);
    else
      ins_like->bind_null(3);
    if (auto e = ins_like->exec(); !e) return e;
    ++rep.likes_seen;
    rep.likes_added += static_cast<std::uint64_t>(sqlite3_changes(db.get()));
    return {};
  });
  if (!s) return std::unexpected(s.error());

  auto fin = db.prepare(
      "UPDATE imports SET finished_at = ?1, tweets_seen = ?2, tweets_added = ?3, deleted_added = ?4, "
      "notes_merged = ?5, likes_added = ?6 WHERE id = ?7");
  if (!fin) return std::unexpected(fin.error());
  fin->bind(1, util::now_iso())
      .bind(2, static_cast<std::int64_t>(rep.tweets_seen))
      .bind(3, static_cast<std::int64_t>(rep.tweets_added))
      .bind(4, static_cast<std::int64_t>(rep.deleted_added))
      .bind(5, static_cast<std::int64_t>(rep.notes_merged))
      .bind(6, static_cast<std::int64_t>(rep.likes_added))
      .bind(7, import_id);
  if (auto e = fin->exec(); !e) return std::unexpected(e.error());
  if (auto e = tx->commit(); !e) return std::unexpected(e.error());
  progress.finish();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace knowthy::archive
