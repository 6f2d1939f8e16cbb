#pragma once
// The sample archive's ground truth (`<out>.truth.json`): what a correct importer must find.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "sample/archive.hpp"
#include "sample/tweet.hpp"

namespace knowthy::sample {

using json = nlohmann::ordered_json;

struct Counts {
  uint64_t total = 0, original = 0, replies = 0, self_replies = 0, retweets = 0, quotes = 0, with_media = 0, notes = 0;
  void add(const Counts& o) {
    total += o.total;
    original += o.original;
    replies += o.replies;
    self_replies += o.self_replies;
    retweets += o.retweets;
    quotes += o.quotes;
    with_media += o.with_media;
    notes += o.notes;
  }
};

struct TruthTweet {
  TweetInfo info;
  size_t media_count = 0;
  int fact = -1;
};

// One note_tweets[] entry: a note tweet rendered together with its note record.
json note_truth_entry(const TweetInfo& info);

// One deleted_tweets[] entry.
json deleted_truth_entry(const TweetInfo& info, int64_t deleted_at);

// What the generator gathered while writing the archive.
struct TruthParts {
  Counts counts;
  uint64_t parts = 0, likes = 0, likes_without_text = 0;
  json notes;                       // note_tweets[]
  std::vector<TruthTweet> samples;  // tweets[]: every tweet when full_truth, else the planned samples
  std::vector<TruthTweet> emoji;    // up to 2 more with an entity after an emoji (not with full_truth)
  json deleted;                     // deleted_tweets[]
};

// The whole truth document.
json make_truth(const SampleOptions& opt, const Context& ctx, TruthParts&& in);

}  // namespace knowthy::sample
