// End to end through the real binary: sample archives of every layout are imported and checked
// against the generator's ground truth, tweet by tweet.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/support.hpp"

namespace knowthy::test {
namespace {
using nlohmann::json;
namespace fs = std::filesystem;

json status_json(const fs::path& ws) {
  auto r = run_knowthy({"--workspace", ws.string(), "status", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

std::map<std::string, json> exported(const fs::path& ws, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--workspace", ws.string(), "export", "tweets"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_knowthy(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, json> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    out[j["id"].get<std::string>()] = j;
  }
  return out;
}

fs::path make_sample(const TempDir& dir, const std::string& name, std::vector<std::string> opts) {
  std::vector<std::string> args = {"sample-archive", (dir / name).string(), "--full-truth"};
  args.insert(args.end(), opts.begin(), opts.end());
  auto r = run_knowthy(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir / name;
}

// Imports `archive` into a fresh workspace and checks counts and every tweet against the truth.
void check_against_truth(const TempDir& dir, const fs::path& archive) {
  fs::path ws = dir / ("ws-" + archive.filename().string());
  auto r = run_knowthy({"--workspace", ws.string(), "ingest", archive.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json truth = json::parse(read_text(archive.string() + ".truth.json"));
  json st = status_json(ws);
  const json& c = truth["counts"];
  for (const char* k :
       {"total", "original", "replies", "self_replies", "retweets", "quotes", "with_media", "notes_merged", "deleted"})
    EXPECT_EQ(st["tweets"][k], c[k]) << k;
  EXPECT_EQ(st["likes"], c["likes"]);
  EXPECT_EQ(st["account"]["username"], truth["account"]["username"]);
  EXPECT_EQ(st["account"]["account_id"], truth["account"]["account_id"]);
  auto tweets = exported(ws);
  ASSERT_EQ(tweets.size(), truth["tweets"].size());
  for (const json& t : truth["tweets"]) {
    const std::string id = t["id"];
    ASSERT_TRUE(tweets.count(id)) << id;
    const json& g = tweets[id];
    EXPECT_EQ(g["text"], t["text"]) << id;
    EXPECT_EQ(g["kind"], t["kind"]) << id;
    EXPECT_EQ(g["created_at"], t["created_at"]) << id;
    EXPECT_EQ(g["in_reply_to"], t["in_reply_to"]) << id;
    EXPECT_EQ(g["deleted"], false);
  }
  // Deleted tweets are stored, marked, and left out of the default export.
  auto all = exported(ws, {"--include-deleted"});
  EXPECT_EQ(all.size(), tweets.size() + c["deleted"].get<size_t>());
}

TEST(IngestE2E, ModernZipMatchesTruth) {
  TempDir dir;
  check_against_truth(dir, make_sample(dir, "modern.zip", {"--tweets", "1500", "--note-fraction", "0.1"}));
}

TEST(IngestE2E, ModernFolderWithPartsMatchesTruth) {
  TempDir dir;
  check_against_truth(dir, make_sample(dir, "parts", {"--tweets", "1200", "--part-size", "250", "--seed", "3"}));
}

TEST(IngestE2E, LegacyZipWithPartsMatchesTruth) {
  TempDir dir;
  check_against_truth(
      dir,
      make_sample(dir, "legacy.zip", {"--tweets", "900", "--layout", "legacy", "--part-size", "400", "--seed", "11"}));
}

TEST(IngestE2E, WrappedZipMatchesTruth) {
  TempDir dir;
  check_against_truth(dir, make_sample(dir, "wrapped.zip", {"--tweets", "600", "--wrap-folder", "twitter-2024-07-01"}));
}

TEST(IngestE2E, SameSecondNoteThreadsAndEmojiEntities) {
  // Many notes make same-second threads likely; every note must land on its own tweet.
  TempDir dir;
  fs::path a = make_sample(dir, "notes.zip", {"--tweets", "800", "--note-fraction", "0.5", "--seed", "5"});
  check_against_truth(dir, a);
  json truth = json::parse(read_text(a.string() + ".truth.json"));
  std::map<std::string, int> per_second;
  for (const json& n : truth["note_tweets"]) per_second[n["created_at"].get<std::string>().substr(0, 19)]++;
  int shared = 0;
  for (auto& [s, n] : per_second) shared += n > 1;
  EXPECT_GT(shared, 0) << "the sample should contain notes posted within one second";
  bool emoji_then_link = false;
  for (const json& t : truth["tweets"]) {
    std::string s = t["text"];
    auto http = s.find("https://");
    // A 4-byte UTF-8 sequence (emoji) before a link: code point indexing matters there.
    for (size_t i = 0; http != std::string::npos && i < http; ++i)
      if ((static_cast<unsigned char>(s[i]) & 0xF8) == 0xF0) emoji_then_link = true;
  }
  EXPECT_TRUE(emoji_then_link);
}

// A real export often lacks files its manifest lists: people remove likes, deleted tweets and
// media before they share or keep it. Each is a warning, reported under `skipped`, and the rest
// imports as the truth says.
TEST(IngestE2E, FilesTheManifestListsButTheArchiveLacksAreSkippedWithAWarning) {
  TempDir dir;
  fs::path a =
      make_sample(dir, "trimmed.zip", {"--tweets", "400", "--omit", "likes", "--omit", "deleted", "--omit", "media"});
  json truth = json::parse(read_text(a.string() + ".truth.json"));
  EXPECT_EQ(truth["skipped"], json({"data/deleted-tweets.js", "data/like.js"}));
  fs::path ws = dir / "ws";
  auto r = run_knowthy({"--workspace", ws.string(), "ingest", a.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string f : {"data/deleted-tweets.js", "data/like.js"})
    EXPECT_NE(r.err.find("knowthy: warning: " + f + ": listed in manifest.js but not in the archive; skipped"),
              std::string::npos)
        << r.err;
  auto j = run_knowthy({"--workspace", (dir / "ws2").string(), "ingest", "--json", a.string()});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json rep = json::parse(j.out);
  std::vector<std::string> skipped = rep["skipped"];
  std::sort(skipped.begin(), skipped.end());
  EXPECT_EQ(json(skipped), truth["skipped"]);
  EXPECT_EQ(rep["likes_seen"], 0);
  EXPECT_EQ(rep["deleted_seen"], 0);
  check_against_truth(dir, a);
}

TEST(IngestE2E, AMissingTweetsPartIsSkippedButNoTweetFileAtAllIsAnError) {
  TempDir dir;
  fs::path a = make_sample(dir, "parts", {"--tweets", "600", "--part-size", "250", "--format", "dir"});
  fs::remove(a / "data" / "tweets-part2.js");
  auto r = run_knowthy({"--workspace", (dir / "ws").string(), "ingest", "--json", a.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["skipped"], json({"data/tweets-part2.js"}));
  EXPECT_EQ(json::parse(r.out)["tweets_seen"], 500);
  fs::remove(a / "data" / "tweets.js");
  fs::remove(a / "data" / "tweets-part1.js");
  auto none = run_knowthy({"--workspace", (dir / "ws3").string(), "ingest", a.string()});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no tweets file: data/tweets.js, data/tweets-part1.js, data/tweets-part2.js listed in "
                          "data/manifest.js but not in the archive"),
            std::string::npos)
      << none.err;
}

// Long posts whose note holds links: the stored text has the expanded URLs of core.urls, and so
// has `urls` (the truncated tweet's link to itself goes); the tweet's mentions and hashtags stay.
TEST(IngestE2E, NoteTweetLinksAreExpandedInTextAndUrls) {
  TempDir dir;
  fs::path a = make_sample(dir, "notes.zip", {"--tweets", "600", "--note-fraction", "0.3", "--seed", "9"});
  check_against_truth(dir, a);
  json truth = json::parse(read_text(a.string() + ".truth.json"));
  auto tweets = exported(dir / ("ws-" + a.filename().string()));
  int linked = 0;
  for (const json& n : truth["note_tweets"]) {
    const json& t = tweets[n["tweet_id"].get<std::string>()];
    const std::string text = t["text"];
    EXPECT_EQ(text, n["expected_text"]);
    EXPECT_EQ(text.find("https://t.co/"), std::string::npos) << text;
    for (const auto& u : t["urls"]) EXPECT_EQ(u.get<std::string>().find("/i/web/status/"), std::string::npos) << u;
    if (n["expected_urls"].empty()) continue;
    ++linked;
    EXPECT_NE(n["note_text"].get<std::string>().find("https://t.co/"), std::string::npos);
    for (const auto& u : n["expected_urls"]) {
      EXPECT_NE(text.find(u.get<std::string>()), std::string::npos) << text;
      EXPECT_NE(std::find(t["urls"].begin(), t["urls"].end(), u), t["urls"].end()) << t["urls"];
    }
  }
  EXPECT_GE(linked, 5);
}

TEST(IngestE2E, ReingestIsIdempotent) {
  TempDir dir;
  fs::path a = make_sample(dir, "a.zip", {"--tweets", "500"});
  fs::path ws = dir / "ws";
  ASSERT_EQ(run_knowthy({"--workspace", ws.string(), "ingest", a.string()}).exit_code, 0);
  json before = status_json(ws);
  auto r = run_knowthy({"--workspace", ws.string(), "ingest", "--json", a.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json rep = json::parse(r.out);
  EXPECT_EQ(rep["tweets_added"], 0);
  EXPECT_EQ(rep["likes_added"], 0);
  EXPECT_EQ(rep["deleted_added"], 0);
  EXPECT_EQ(rep["tweets_seen"], 500);
  json after = status_json(ws);
  EXPECT_EQ(before["tweets"], after["tweets"]);
  EXPECT_EQ(before["likes"], after["likes"]);
}

TEST(IngestE2E, NewerExportAddsOnlyWhatIsNew) {
  TempDir dir;
  fs::path full = make_sample(dir, "full", {"--tweets", "700", "--format", "dir"});
  // An "older" export: the same account, without its 50 newest tweets (files are newest first).
  fs::path old = dir / "old";
  fs::copy(full, old, fs::copy_options::recursive);
  std::string text = read_text(old / "data" / "tweets.js");
  size_t eq = text.find('=');
  json arr = json::parse(text.substr(eq + 1));
  arr.erase(arr.begin(), arr.begin() + 50);
  write_text(old / "data" / "tweets.js", text.substr(0, eq + 1) + " " + arr.dump(2));
  fs::path ws = dir / "ws";
  auto r1 = run_knowthy({"--workspace", ws.string(), "ingest", "--json", old.string()});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(json::parse(r1.out)["tweets_added"], 650);
  auto r2 = run_knowthy({"--workspace", ws.string(), "ingest", "--json", full.string()});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(json::parse(r2.out)["tweets_added"], 50);
  EXPECT_EQ(status_json(ws)["tweets"]["total"], 700);
  EXPECT_EQ(status_json(ws)["imports"], 2);
}

TEST(IngestE2E, AnotherAccountIsRefused) {
  TempDir dir;
  fs::path a = make_sample(dir, "a.zip", {"--tweets", "100"});
  fs::path b = make_sample(dir, "b.zip", {"--tweets", "100", "--handle", "someone_else", "--seed", "99"});
  fs::path ws = dir / "ws";
  ASSERT_EQ(run_knowthy({"--workspace", ws.string(), "ingest", a.string()}).exit_code, 0);
  auto r = run_knowthy({"--workspace", ws.string(), "ingest", b.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("knowthy: error:"), std::string::npos);
  EXPECT_NE(r.err.find("someone_else"), std::string::npos) << r.err;
  EXPECT_EQ(status_json(ws)["tweets"]["total"], 100);
}

TEST(IngestE2E, ExportFilters) {
  TempDir dir;
  fs::path a = make_sample(dir, "a.zip", {"--tweets", "400"});
  fs::path ws = dir / "ws";
  ASSERT_EQ(run_knowthy({"--workspace", ws.string(), "ingest", a.string()}).exit_code, 0);
  auto replies = exported(ws, {"--kind", "self_reply"});
  EXPECT_EQ(replies.size(), status_json(ws)["tweets"]["self_replies"].get<size_t>());
  for (auto& [id, t] : replies) EXPECT_EQ(t["kind"], "self_reply");
  auto recent = exported(ws, {"--since", "2022-01-01"});
  EXPECT_GT(recent.size(), 0u);
  EXPECT_LT(recent.size(), 400u);
  for (auto& [id, t] : recent) EXPECT_GE(t["created_at"].get<std::string>(), "2022-01-01");
  EXPECT_EQ(run_knowthy({"--workspace", ws.string(), "export", "tweets", "--kind", "bogus"}).exit_code, 2);
}

}  // namespace
}  // namespace knowthy::test
