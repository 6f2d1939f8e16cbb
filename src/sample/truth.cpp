#include "sample/truth.hpp"

#include <algorithm>

#include <string>
#include <utility>

#include "sample/persona.hpp"
#include "sample/time.hpp"

namespace knowthy::sample {
namespace {

json truth_entry(const TruthTweet& t) {
  json j;
  j["id"] = t.info.id;
  j["created_at"] = t.info.created_at;
  j["kind"] = kind_name(t.info.kind);
  j["text"] = t.info.expected;
  j["in_reply_to"] = t.info.is_reply ? json(t.info.in_reply_to) : json(nullptr);
  j["media_count"] = t.media_count;
  j["note"] = t.info.note;
  j["lang"] = t.info.lang;
  j["fact"] = t.fact >= 0 ? json(std::string(persona::facts()[static_cast<size_t>(t.fact)].id)) : json(nullptr);
  j["deleted"] = false;
  return j;
}

}  // namespace

json note_truth_entry(const TweetInfo& info) {
  json j;
  j["tweet_id"] = info.id;
  j["note_id"] = info.note_id;
  j["created_at"] = info.note_created;
  j["expected_text"] = info.expected;
  j["note_text"] = info.note_text;
  j["expected_urls"] = info.note_urls;
  return j;
}

json deleted_truth_entry(const TweetInfo& info, int64_t deleted_at) {
  return {{"id", info.id},
          {"created_at", info.created_at},
          {"deleted_at", iso(deleted_at, false)},
          {"text", info.expected},
          {"deleted", true}};
}

json make_truth(const SampleOptions& opt, const Context& ctx, TruthParts&& in) {
  const bool modern = ctx.modern;
  json t;
  t["generator"] = "knowthy sample-archive";
  json& o = t["options"];
  o["tweets"] = opt.tweets;
  o["seed"] = opt.seed;
  o["layout"] = modern ? "modern" : "legacy";
  o["part_size"] = opt.part_size;
  o["zip"] = opt.zip;
  o["wrap_folder"] = opt.wrap_folder;
  o["note_fraction"] = opt.note_fraction;
  o["media_fraction"] = opt.media_fraction;
  o["likes"] = opt.likes;
  o["deleted"] = opt.deleted;
  o["handle"] = opt.handle;
  o["display_name"] = opt.display_name;
  o["full_truth"] = opt.full_truth;
  o["start_date"] = iso(ctx.window.start_ms, false).substr(0, 10);
  o["end_date"] = iso(ctx.window.end_ms, false).substr(0, 10);
  o["note_link"] = opt.note_link;
  t["account"] = {{"username", opt.handle}, {"account_id", ctx.account_id}, {"display_name", opt.display_name}};
  t["counts"] = {{"total", in.counts.total},
                 {"original", in.counts.original},
                 {"replies", in.counts.replies},
                 {"self_replies", in.counts.self_replies},
                 {"retweets", in.counts.retweets},
                 {"quotes", in.counts.quotes},
                 {"with_media", in.counts.with_media},
                 {"notes_merged", in.counts.notes},
                 {"deleted", in.deleted.size()},
                 {"likes", in.likes},
                 {"likes_without_text", in.likes_without_text},
                 {"parts", in.parts}};
  json facts = json::array();
  const Plan& p = ctx.plan;
  for (size_t f = 0; f < p.fact_tweets.size(); ++f) {
    if (p.fact_tweets[f].size() < 2) continue;
    const auto& pf = persona::facts()[f];
    json ids = json::array();
    for (uint32_t i : p.fact_tweets[f]) ids.push_back(p.id(i));
    facts.push_back({{"id", pf.id}, {"category", pf.category}, {"claim", pf.claim}, {"tweet_ids", std::move(ids)}});
  }
  t["planted_facts"] = std::move(facts);
  t["note_tweets"] = std::move(in.notes);
  json tweets = json::array();
  for (const auto& s : in.samples) tweets.push_back(truth_entry(s));
  if (!opt.full_truth)
    for (const auto& s : in.emoji) tweets.push_back(truth_entry(s));
  t["tweets"] = std::move(tweets);
  t["deleted_tweets"] = std::move(in.deleted);
  // Files the manifest lists but the archive lacks: what an importer must skip (and report).
  json skipped = json::array();
  auto omitted = [&](const char* what) { return std::find(opt.omit.begin(), opt.omit.end(), what) != opt.omit.end(); };
  t["options"]["omit"] = opt.omit;  // (t is ordered: `o` no longer points into it)
  if (omitted("deleted")) {
    skipped.push_back(modern ? "data/deleted-tweets.js" : "data/deleted-tweet.js");
    t["counts"]["deleted"] = 0;
    t["deleted_tweets"] = json::array();
  }
  if (omitted("likes")) {
    skipped.push_back("data/like.js");
    t["counts"]["likes"] = 0;
    t["counts"]["likes_without_text"] = 0;
  }
  t["skipped"] = std::move(skipped);
  t["about"] =
      "counts.original includes quotes; counts.replies includes self_replies. tweets[].text is the stored text: "
      "full_text with &amp; &lt; &gt; decoded and every t.co link (media too) replaced by its expanded_url; for a note "
      "tweet it is the reply's leading @mentions (if any) followed by the whole note text. Kind precedence: retweet > "
      "reply/self_reply > quote > original. tweets lists every tweet when options.full_truth, else samples.";
  return t;
}

}  // namespace knowthy::sample
