// Tests for the synthetic archive generator: the archive must be what a real export looks like, and
// the truth file must describe it exactly (it is what importer tests are graded against).
#include "sample/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/text.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace knowthy::sample;

namespace {

class SampleArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_dir = fs::temp_directory_path() / ("knowthy-sample-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  fs::path m_dir;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "window.YTD.x.part0 = [...]" -> (global name, parsed array).
std::pair<std::string, json> parse_js(const std::string& text) {
  auto eq = text.find(" = ");
  EXPECT_NE(eq, std::string::npos);
  EXPECT_TRUE(text.starts_with("window."));
  return {text.substr(7, eq - 7), json::parse(text.substr(eq + 3))};
}

std::u32string utf32(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += cp;
    i += static_cast<size_t>(n);
  }
  return out;
}

std::string utf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

// Code-point slice [a, b) of UTF-8 text.
std::string cp_slice(const std::string& s, const json& indices) {
  auto u = utf32(s);
  size_t a = std::stoul(indices.at(0).get<std::string>()), b = std::stoul(indices.at(1).get<std::string>());
  EXPECT_LE(a, b);
  EXPECT_LE(b, u.size());
  if (a > b || b > u.size()) return {};
  return utf8(u.substr(a, b - a));
}

std::string unescape(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 5, "&amp;") == 0)
      out += '&', i += 4;
    else if (s.compare(i, 4, "&lt;") == 0)
      out += '<', i += 3;
    else if (s.compare(i, 4, "&gt;") == 0)
      out += '>', i += 3;
    else
      out += s[i];
  }
  return out;
}

// Independent derivation of the stored text (non-note tweets): unescape, expand t.co links.
std::string expected_text(const json& t) {
  std::vector<std::pair<size_t, json>> ents;
  for (const auto& u : t["entities"]["urls"]) ents.push_back({std::stoul(u["indices"][0].get<std::string>()), u});
  if (t.contains("extended_entities")) {
    const auto& m = t["extended_entities"]["media"][0];
    ents.push_back({std::stoul(m["indices"][0].get<std::string>()), m});
  }
  std::sort(ents.begin(), ents.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  auto full = utf32(t["full_text"].get<std::string>());
  std::string out;
  size_t pos = 0;
  for (const auto& [a, e] : ents) {
    size_t b = std::stoul(e["indices"][1].get<std::string>());
    out += unescape(utf8(full.substr(pos, a - pos)));
    out += e["expanded_url"].get<std::string>();
    pos = b;
  }
  return out + unescape(utf8(full.substr(pos)));
}

constexpr std::int64_t k_epoch_ms = 1288834974657;

// "Thu Jun 27 08:35:37 +0000 2024" -> "2024-06-27T08:35:37Z".
std::string iso_of(const std::string& d) {
  static const std::string months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  int mon = static_cast<int>(months.find(d.substr(4, 3)) / 3 + 1);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%02d-%sT%sZ", d.substr(26, 4).c_str(), mon, d.substr(8, 2).c_str(),
                d.substr(11, 8).c_str());
  return buf;
}

std::string iso_of_ms(std::int64_t ms) {
  std::time_t s = ms / 1000;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Loaded {
  json manifest;
  std::vector<std::pair<std::string, json>> parts;  // file name -> records
  json notes, deleted, likes;
  std::string account_id;
};

Loaded load_dir(const fs::path& root, bool modern) {
  Loaded l;
  std::string man = slurp(root / "data/manifest.js");
  const std::string head = "window.__THAR_CONFIG = ";
  EXPECT_TRUE(man.starts_with(head));
  l.manifest = json::parse(man.substr(head.size()));
  l.account_id = l.manifest["userInfo"]["accountId"].get<std::string>();
  for (const auto& f : l.manifest["dataTypes"][modern ? "tweets" : "tweet"]["files"]) {
    std::string text = slurp(root / f["fileName"].get<std::string>());
    auto [global, arr] = parse_js(text);
    EXPECT_EQ(global, f["globalName"].get<std::string>());
    EXPECT_EQ(std::to_string(arr.size()), f["count"].get<std::string>());
    l.parts.push_back({f["fileName"].get<std::string>(), arr});
  }
  if (modern) l.notes = parse_js(slurp(root / "data/note-tweet.js")).second;
  l.deleted = parse_js(slurp(root / (modern ? "data/deleted-tweets.js" : "data/deleted-tweet.js"))).second;
  l.likes = parse_js(slurp(root / "data/like.js")).second;
  return l;
}

// "https://twitter.com/<user>/status/<digits>" (or x.com): a quote link.
bool status_url(const std::string& u) {
  std::string rest;
  for (const char* host : {"https://twitter.com/", "https://x.com/"})
    if (u.starts_with(host)) rest = u.substr(std::string(host).size());
  auto slash = rest.find("/status/");
  if (slash == 0 || slash == std::string::npos || rest.substr(0, slash).find('/') != std::string::npos) return false;
  std::string digits = rest.substr(slash + 8);
  return !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

std::string kind_of(const json& t, const std::string& account_id) {
  if (t["full_text"].get<std::string>().starts_with("RT @")) return "retweet";
  if (t.contains("in_reply_to_status_id_str"))
    return t["in_reply_to_user_id_str"] == account_id ? "self_reply" : "reply";
  for (const auto& u : t["entities"]["urls"])
    if (status_url(u["expanded_url"].get<std::string>())) return "quote";
  return "original";
}

SampleOptions small(std::uint64_t tweets) {
  SampleOptions o;
  o.tweets = tweets;
  o.likes = 120;
  o.deleted = 6;
  return o;
}

TEST_F(SampleArchiveTest, SameSeedSameBytesOtherSeedOtherBytes) {
  SampleOptions o = small(1500);
  o.note_fraction = 0.05;
  ASSERT_TRUE(write_sample_archive(m_dir / "a.zip", o).has_value());
  ASSERT_TRUE(write_sample_archive(m_dir / "b.zip", o).has_value());
  EXPECT_EQ(slurp(m_dir / "a.zip"), slurp(m_dir / "b.zip"));
  EXPECT_EQ(slurp(m_dir / "a.zip.truth.json"), slurp(m_dir / "b.zip.truth.json"));
  o.seed = 8;
  ASSERT_TRUE(write_sample_archive(m_dir / "c.zip", o).has_value());
  EXPECT_NE(slurp(m_dir / "a.zip"), slurp(m_dir / "c.zip"));
}

TEST_F(SampleArchiveTest, PartSizeDoesNotChangeTheTweets) {
  SampleOptions o = small(500);
  o.zip = false;
  ASSERT_TRUE(write_sample_archive(m_dir / "one", o).has_value());
  o.part_size = 70;
  auto r = write_sample_archive(m_dir / "many", o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->parts, 8u);
  auto one = load_dir(m_dir / "one", true), many = load_dir(m_dir / "many", true);
  ASSERT_EQ(one.parts.size(), 1u);
  ASSERT_EQ(many.parts.size(), 8u);
  json all = json::array();
  for (size_t p = 0; p < many.parts.size(); ++p) {
    EXPECT_EQ(many.parts[p].first, p == 0 ? "data/tweets.js" : "data/tweets-part" + std::to_string(p) + ".js");
    EXPECT_EQ(many.parts[p].second.size(), p + 1 < many.parts.size() ? 70u : 500u - 7 * 70);
    for (const auto& rec : many.parts[p].second) all.push_back(rec);
  }
  EXPECT_EQ(all, one.parts[0].second);
  std::string head = slurp(m_dir / "many/data/tweets-part3.js").substr(0, 40);
  EXPECT_TRUE(head.starts_with("window.YTD.tweets.part3 = [\n  {")) << head;
}

// The main consistency check: every record against the truth, computed independently here.
TEST_F(SampleArchiveTest, TruthMatchesRecordsAndEntitiesSliceTheEscapedText) {
  SampleOptions o = small(2500);
  o.zip = false;
  o.full_truth = true;
  o.note_fraction = 0.04;
  o.media_fraction = 0.08;
  o.part_size = 1000;
  auto r = write_sample_archive(m_dir / "arch", o);
  ASSERT_TRUE(r.has_value()) << r.error().why;
  EXPECT_EQ(r->truth, fs::path((m_dir / "arch").string() + ".truth.json"));
  json truth = json::parse(slurp(r->truth));
  Loaded l = load_dir(m_dir / "arch", true);
  const auto& c = truth["counts"];
  EXPECT_EQ(c["parts"], l.parts.size());
  EXPECT_EQ(truth["account"]["account_id"], l.account_id);

  // Notes by second, to match tweets by text prefix.
  std::multimap<std::string, std::pair<std::string, std::string>> notes;  // second -> (note id, text)
  for (const auto& rec : l.notes) {
    const auto& n = rec["noteTweet"];
    std::string created = n["createdAt"];
    ASSERT_TRUE(created.ends_with(".000Z"));
    auto nid = std::stoull(n["noteTweetId"].get<std::string>());
    EXPECT_EQ(iso_of_ms(static_cast<std::int64_t>(nid >> 22) + k_epoch_ms), created.substr(0, 19) + "Z");
    // The stored text has the note's links expanded (core.urls: fromIndex/toIndex in code points).
    std::string text = n["core"]["text"];
    for (const auto& u : n["core"]["urls"]) {
      const std::string short_url = u["shortUrl"];
      const size_t from = knowthy::util::utf8_offset(text, std::stoul(u["fromIndex"].get<std::string>()));
      EXPECT_EQ(text.substr(from, short_url.size()), short_url);
      EXPECT_EQ(std::stoul(u["toIndex"].get<std::string>()) - std::stoul(u["fromIndex"].get<std::string>()),
                short_url.size());
      text.replace(from, short_url.size(), u["expandedUrl"].get<std::string>());
    }
    notes.insert({created.substr(0, 19) + "Z", {n["noteTweetId"].get<std::string>(), text}});
  }

  std::map<std::string, json> by_id;
  for (const auto& t : truth["tweets"]) by_id[t["id"].get<std::string>()] = t;
  EXPECT_EQ(by_id.size(), truth["tweets"].size());

  std::map<std::string, std::uint64_t> kinds;
  std::uint64_t total = 0, media = 0, matched = 0, big_ids = 0;
  std::int64_t prev_ms = INT64_MAX;
  std::set<std::string> ids, note_ids_matched;
  for (const auto& [name, arr] : l.parts) {
    for (const auto& rec : arr) {
      const json& t = rec["tweet"];
      ++total;
      std::string id = t["id_str"].get<std::string>(), full = t["full_text"].get<std::string>();
      ASSERT_TRUE(ids.insert(id).second) << "duplicate id " << id;
      EXPECT_EQ(t["id"], id);
      auto idv = std::stoull(id);
      big_ids += idv > (1ull << 53);
      std::int64_t ms = static_cast<std::int64_t>(idv >> 22) + k_epoch_ms;
      EXPECT_LT(ms, prev_ms) << "tweets must be newest first";
      prev_ms = ms;
      std::string created = iso_of(t["created_at"].get<std::string>());
      EXPECT_EQ(iso_of_ms(ms), created) << id;
      EXPECT_TRUE(t.contains("edit_info"));
      EXPECT_EQ(t["display_text_range"], json::array({"0", std::to_string(utf32(full).size())}));
      // Only & < > are escaped, and nothing raw is left.
      EXPECT_EQ(full.find('<'), std::string::npos);
      EXPECT_EQ(full.find('>'), std::string::npos);
      for (size_t p = full.find('&'); p != std::string::npos; p = full.find('&', p + 1))
        EXPECT_TRUE(full.compare(p, 5, "&amp;") == 0 || full.compare(p, 4, "&lt;") == 0 ||
                    full.compare(p, 4, "&gt;") == 0);
      const auto& e = t["entities"];
      for (const auto& h : e["hashtags"])
        EXPECT_EQ(cp_slice(full, h["indices"]), std::string("#").append(h["text"].get<std::string>())) << full;
      for (const auto& m : e["user_mentions"])
        EXPECT_EQ(cp_slice(full, m["indices"]), std::string("@").append(m["screen_name"].get<std::string>())) << full;
      for (const auto& u : e["urls"]) {
        EXPECT_EQ(cp_slice(full, u["indices"]), u["url"].get<std::string>()) << full;
        EXPECT_TRUE(u["url"].get<std::string>().starts_with("https://t.co/"));
      }
      if (t.contains("extended_entities")) {
        ++media;
        const auto& ext = t["extended_entities"]["media"];
        ASSERT_GE(ext.size(), 1u);
        ASSERT_LE(ext.size(), 4u);
        EXPECT_EQ(e["media"].size(), 1u);
        EXPECT_EQ(e["media"][0], ext[0]);
        for (const auto& m : ext) {
          EXPECT_EQ(cp_slice(full, m["indices"]), m["url"].get<std::string>());
          std::string file = m["media_url_https"].get<std::string>();
          file = id + "-" + file.substr(file.rfind('/') + 1);
          EXPECT_TRUE(fs::exists(m_dir / "arch/data/tweets_media" / file)) << file;
        }
      }
      std::string kind = kind_of(t, l.account_id);
      ++kinds[kind];
      if (kind == "reply") {
        EXPECT_TRUE(full.starts_with("@" + t["in_reply_to_screen_name"].get<std::string>() + " "));
      }
      if (kind == "retweet") {
        EXPECT_EQ(e["user_mentions"][0]["indices"][0], "3");
        EXPECT_EQ(t["favorite_count"], "0");
      }

      // The expected text: notes via prefix match, the rest by expanding links.
      std::string expected;
      std::string key = created;
      std::string stripped = full;  // a note tweet may end in "… https://t.co/XXXXXXXXXX"
      if (stripped.size() > 24 && stripped.compare(stripped.size() - 24, 14, " https://t.co/") == 0)
        stripped.resize(stripped.size() - 24);
      if (stripped.ends_with("…") && notes.count(key)) {
        size_t lead = 0;  // the reply's leading "@user " mentions
        while (lead < stripped.size() && stripped[lead] == '@') {
          size_t sp = stripped.find(' ', lead);
          if (sp == std::string::npos) break;
          lead = sp + 1;
        }
        std::string prefix = unescape(stripped.substr(lead, stripped.size() - lead - 3));
        int hits = 0;
        for (auto [it, end] = notes.equal_range(key); it != end; ++it) {
          if (prefix.size() >= 200 && it->second.second.starts_with(prefix)) {
            ++hits;
            expected = stripped.substr(0, lead) + it->second.second;
            EXPECT_TRUE(note_ids_matched.insert(it->second.first).second);
          }
        }
        EXPECT_EQ(hits, 1) << full;
        matched += hits;
      } else {
        expected = expected_text(t);
      }
      ASSERT_TRUE(by_id.count(id)) << "full truth lacks " << id;
      const json& tt = by_id[id];
      EXPECT_EQ(tt["text"].get<std::string>(), expected) << id;
      EXPECT_EQ(tt["kind"], kind) << id;
      EXPECT_EQ(tt["created_at"], created);
      EXPECT_EQ(tt["in_reply_to"],
                t.contains("in_reply_to_status_id_str") ? t["in_reply_to_status_id_str"] : json(nullptr));
      EXPECT_EQ(tt["media_count"], t.contains("extended_entities") ? t["extended_entities"]["media"].size() : 0u);
    }
  }
  EXPECT_EQ(c["total"], total);
  EXPECT_EQ(truth["tweets"].size(), total);
  EXPECT_EQ(c["original"], kinds["original"] + kinds["quote"]);
  EXPECT_EQ(c["replies"], kinds["reply"] + kinds["self_reply"]);
  EXPECT_EQ(c["self_replies"], kinds["self_reply"]);
  EXPECT_EQ(c["retweets"], kinds["retweet"]);
  EXPECT_EQ(c["quotes"], kinds["quote"]);
  EXPECT_EQ(c["with_media"], media);
  EXPECT_EQ(c["notes_merged"], matched);
  EXPECT_EQ(matched, l.notes.size());
  EXPECT_EQ(truth["note_tweets"].size(), l.notes.size());
  EXPECT_EQ(big_ids, total);
  for (const char* k : {"original", "reply", "self_reply", "retweet", "quote"}) EXPECT_GT(kinds[k], 0u) << k;
  EXPECT_NEAR(static_cast<double>(matched), 0.04 * 2500, 2.0);

  for (const auto& n : truth["note_tweets"]) {
    std::string tid = n["tweet_id"].get<std::string>(), nid = n["note_id"].get<std::string>();
    ASSERT_TRUE(by_id.count(tid));
    EXPECT_EQ(by_id[tid]["text"], n["expected_text"]);
    EXPECT_TRUE(note_ids_matched.count(nid));
    EXPECT_FALSE(ids.count(nid));
  }
  for (const auto& f : truth["planted_facts"]) {
    EXPECT_GE(f["tweet_ids"].size(), 2u);
    EXPECT_LE(f["tweet_ids"].size(), 6u);
    for (const auto& id : f["tweet_ids"]) EXPECT_TRUE(ids.count(id.get<std::string>())) << f["id"];
  }
  EXPECT_GE(truth["planted_facts"].size(), 20u);

  EXPECT_EQ(c["deleted"], l.deleted.size());
  for (const auto& rec : l.deleted) {
    EXPECT_TRUE(rec["tweet"].contains("deleted_at"));
    EXPECT_FALSE(ids.count(rec["tweet"]["id_str"].get<std::string>())) << "deleted tweets are not in tweets.js";
  }
  EXPECT_EQ(c["likes"], l.likes.size());
  std::uint64_t no_text = 0;
  for (const auto& rec : l.likes) no_text += !rec["like"].contains("fullText");
  EXPECT_EQ(c["likes_without_text"], no_text);
  EXPECT_GT(no_text, 0u);
}

TEST_F(SampleArchiveTest, SamplesCoverKindsNotesAndEmoji) {
  auto r = write_sample_archive(m_dir / "s.zip", small(3000));
  ASSERT_TRUE(r.has_value());
  json truth = json::parse(slurp(r->truth));
  std::set<std::string> kinds;
  bool note = false, emoji = false, media = false;
  for (const auto& t : truth["tweets"]) {
    kinds.insert(t["kind"].get<std::string>());
    note |= t["note"].get<bool>();
    media |= t["media_count"].get<int>() > 0;
    for (unsigned char ch : t["text"].get<std::string>()) emoji |= ch >= 0xF0;
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"original", "reply", "self_reply", "retweet", "quote"}));
  EXPECT_TRUE(note);
  EXPECT_TRUE(emoji);
  EXPECT_TRUE(media);
  EXPECT_GE(truth["tweets"].size(), 18u);
  EXPECT_LE(truth["tweets"].size(), 30u);
}

TEST_F(SampleArchiveTest, ModernFormattingIsByteExact) {
  SampleOptions o = small(40);
  o.zip = false;
  o.likes = 0;
  o.note_fraction = 0;
  ASSERT_TRUE(write_sample_archive(m_dir / "f", o).has_value());
  EXPECT_EQ(slurp(m_dir / "f/data/like.js"), "window.YTD.like.part0 = [ ]");
  EXPECT_EQ(slurp(m_dir / "f/data/note-tweet.js"), "window.YTD.note_tweet.part0 = [ ]");
  std::string tweets = slurp(m_dir / "f/data/tweets.js");
  EXPECT_TRUE(tweets.starts_with("window.YTD.tweets.part0 = [\n  {\n    \"tweet\" : {\n      \"edit_info\" : {"));
  EXPECT_TRUE(tweets.ends_with("\n    }\n  }\n]"));
  EXPECT_NE(tweets.find("\"symbols\" : [ ],"), std::string::npos);
  EXPECT_NE(tweets.find("\"indices\" : [\n"), std::string::npos);
  EXPECT_EQ(tweets.find('\r'), std::string::npos);
  EXPECT_FALSE(tweets.starts_with("\xEF\xBB\xBF"));
  // Python's json.dumps(indent=2) output re-created from the parsed value must equal the file.
  auto parsed = nlohmann::ordered_json::parse(tweets.substr(tweets.find(" = ") + 3));  // keeps key order
  std::string again = "window.YTD.tweets.part0 = " + parsed.dump(2);
  again = replace_all(replace_all(replace_all(again, "\": ", "\" : "), "[]", "[ ]"), "{}", "{ }");
  EXPECT_EQ(again, tweets);  // holds because no string in a tweet contains '": ' or "[]"
}

TEST_F(SampleArchiveTest, LegacyLayoutUsesJacksonStyleAndOldNames) {
  SampleOptions o = small(150);
  o.zip = false;
  o.layout = SampleLayout::legacy;
  o.part_size = 100;
  ASSERT_TRUE(write_sample_archive(m_dir / "l", o).has_value());
  EXPECT_TRUE(fs::exists(m_dir / "l/data/tweet.js"));
  EXPECT_TRUE(fs::exists(m_dir / "l/data/tweet-part1.js"));
  EXPECT_TRUE(fs::exists(m_dir / "l/data/deleted-tweet.js"));
  EXPECT_FALSE(fs::exists(m_dir / "l/data/note-tweet.js"));
  EXPECT_FALSE(fs::exists(m_dir / "l/data/tweets.js"));
  std::string part1 = slurp(m_dir / "l/data/tweet-part1.js");
  EXPECT_TRUE(part1.starts_with("window.YTD.tweet.part1 = [ {\n  \"tweet\" : {\n    \"retweeted\" : false,"));
  EXPECT_TRUE(part1.ends_with("\n  }\n} ]"));
  EXPECT_NE(part1.find("}, {\n  \"tweet\""), std::string::npos);
  auto ind = part1.find("\"indices\" : [ \"");
  ASSERT_NE(ind, std::string::npos);
  auto close = part1.find(" ]", ind);
  EXPECT_NE(part1.substr(ind, close - ind).find("\", \""), std::string::npos);  // [ "0", "13" ] on one line
  EXPECT_EQ(part1.substr(ind, close - ind).find('\n'), std::string::npos);
  EXPECT_EQ(part1.find("edit_info"), std::string::npos);
  Loaded l = load_dir(m_dir / "l", false);
  ASSERT_EQ(l.parts.size(), 2u);
  EXPECT_EQ(l.parts[1].second.size(), 50u);
  json truth = json::parse(slurp(m_dir / "l.truth.json"));
  EXPECT_EQ(truth["counts"]["notes_merged"], 0);
  EXPECT_TRUE(l.manifest["dataTypes"].contains("tweet"));
  EXPECT_FALSE(l.manifest["dataTypes"].contains("tweets"));
}

// Reads every member of a zip with libarchive (what the importer uses).
std::map<std::string, std::string> read_zip(const fs::path& p) {
  std::map<std::string, std::string> out;
  ::archive* a = archive_read_new();
  archive_read_support_format_zip(a);
  EXPECT_EQ(archive_read_open_filename(a, p.c_str(), 1 << 16), ARCHIVE_OK) << archive_error_string(a);
  ::archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data, name = archive_entry_pathname(e);
    char buf[1 << 16];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
    EXPECT_EQ(n, 0) << name;
    out[name] = std::move(data);
  }
  archive_read_free(a);
  return out;
}

TEST_F(SampleArchiveTest, ZipIsReadableByLibarchiveAndMatchesTheFolderForm) {
  SampleOptions o = small(800);
  o.wrap_folder = "twitter-2024-07-04-abc";
  o.part_size = 300;
  auto r = write_sample_archive(m_dir / "w.zip", o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->bytes_written, fs::file_size(m_dir / "w.zip"));
  EXPECT_EQ(r->tweets, 800u);
  auto zip = read_zip(m_dir / "w.zip");
  o.zip = false;
  ASSERT_TRUE(write_sample_archive(m_dir / "w", o).has_value());
  const std::string root = "twitter-2024-07-04-abc/";
  for (const char* f :
       {"Your archive.html", "data/manifest.js", "data/tweets.js", "data/tweets-part1.js", "data/tweets-part2.js",
        "data/note-tweet.js", "data/deleted-tweets.js", "data/like.js", "data/account.js", "data/profile.js"}) {
    ASSERT_TRUE(zip.count(root + f)) << f;
    EXPECT_EQ(zip[root + f], slurp(m_dir / "w" / root / f)) << f;
  }
  size_t media = 0;
  for (const auto& [name, data] : zip) {
    EXPECT_TRUE(name.starts_with(root)) << name;
    if (name.starts_with(root + "data/tweets_media/")) {
      ++media;
      EXPECT_TRUE(data.starts_with("\x89PNG"));
    }
  }
  EXPECT_GT(media, 0u);
  json account = parse_js(zip[root + "data/account.js"]).second;
  EXPECT_EQ(account[0]["account"]["username"], "ada_fieldnotes");
}

TEST_F(SampleArchiveTest, RefusesExistingOutputs) {
  SampleOptions o = small(10);
  ASSERT_TRUE(write_sample_archive(m_dir / "x.zip", o).has_value());
  auto again = write_sample_archive(m_dir / "x.zip", o);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind, knowthy::ErrorKind::bad_input);

  o.zip = false;
  fs::create_directories(m_dir / "full");
  std::ofstream(m_dir / "full/keep.txt") << "x";
  auto full = write_sample_archive(m_dir / "full", o);
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().kind, knowthy::ErrorKind::bad_input);
  EXPECT_EQ(slurp(m_dir / "full/keep.txt"), "x");

  fs::create_directories(m_dir / "empty");
  EXPECT_TRUE(write_sample_archive(m_dir / "empty", o).has_value());

  SampleOptions bad = small(10);
  bad.part_size = 0;
  EXPECT_FALSE(write_sample_archive(m_dir / "y.zip", bad).has_value());
  bad = small(10);
  bad.handle = "not a handle";
  EXPECT_FALSE(write_sample_archive(m_dir / "z.zip", bad).has_value());
}

TEST_F(SampleArchiveTest, EmptyTimelineStillWritesAValidArchive) {
  SampleOptions o = small(0);
  o.zip = false;
  auto r = write_sample_archive(m_dir / "e", o, m_dir / "truth.json");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(slurp(m_dir / "e/data/tweets.js"), "window.YTD.tweets.part0 = [ ]");
  json truth = json::parse(slurp(m_dir / "truth.json"));
  EXPECT_EQ(truth["counts"]["total"], 0);
  EXPECT_EQ(truth["counts"]["parts"], 1);
}

}  // namespace
