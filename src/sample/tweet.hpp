#pragma once
// Tweet records for the sample archive: the generation context, and TweetFactory, which renders one
// planned tweet (and its note) as archive JSON plus what the truth file needs to know about it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sample/archive.hpp"
#include "sample/plan.hpp"
#include "sample/rng.hpp"
#include "sample/text.hpp"
#include "sample/time.hpp"

namespace knowthy::sample {

class JsonWriter;

// The run's settings, persona ids and plan: fixed before any tweet is rendered, then only read.
struct Context {
  const SampleOptions* opt = nullptr;
  bool modern = true;
  uint64_t seed = 0;
  Window window{};
  int64_t gen_ms = 0, created_ms = 0, move_ms = 0;
  int64_t web_app_ms = 0, edit_ms = 0, x_ms = 0;  // "Twitter Web App" source, edit_info eligibility, x.com links
  std::string account_id;
  std::vector<std::string> user_ids;  // parallel to persona::users()
  Plan plan;
};

struct TweetSpec {
  int64_t ms = 0;
  uint32_t low = 0;
  Kind kind = Kind::original;
  uint8_t flags = 0, tpos = 0, tlen = 0;
  std::string parent_id;  // self replies
  size_t topic = 0;       // thread topic
  bool numbered = false;  // thread members carry "(k/n)"
  int fact = -1, fact_tpl = -1;
  std::string quoted_id;  // quotes of her own tweets
  int note_first = -1;
  int64_t deleted_at = -1;
};

struct TweetInfo {
  std::string id, created_at, expected, in_reply_to, lang;
  Kind kind = Kind::original;
  bool is_reply = false;
  std::vector<std::string> media_files;
  bool note = false;
  std::string note_id, note_created, note_text;
  std::vector<std::string> note_urls;  // where the note's links lead
  bool non_bmp = false, entity_after_non_bmp = false;
};

std::string tco(Rng& rng);  // a random "https://t.co/..." link

struct MediaItem {
  std::string key, id;
  int w, h;
};

class TweetFactory {
 public:
  explicit TweetFactory(const Context& ctx) : m_ctx(ctx) {}

  // Renders one tweet record into `json` (when non-null) and its note record into `note_json`.
  void build(const TweetSpec& s, Rng& rng, std::string* json, TweetInfo& info, std::string* note_json);

  // Id of someone else's tweet (or media) posted shortly before `ms`.
  std::string other_id(Rng& rng, int64_t ms, int64_t back_max, int64_t back_min = 30'000) const;

 private:
  static void indices(JsonWriter& w, Span s);
  static void media_item(JsonWriter& w, const MediaItem& m, const std::string& url, const std::string& expanded,
                         Span at);
  // Persona markup: {link:URL} -> t.co link, {@handle} -> mention, the rest plain with #hashtags.
  void marked(TextBuilder& tb, Rng& rng, std::string_view s);
  std::string retweet(TextBuilder& tb, Rng& rng);
  void quote(TextBuilder& tb, Rng& rng, const TweetSpec& s);
  std::string original(TextBuilder& tb, Rng& rng, int64_t ms);
  // A long post: the note keeps the whole unescaped text (without the reply's leading mentions);
  // the tweet gets ~255-275 escaped characters of it, cut at a word boundary, then "…" (+ link).
  void note(TextBuilder& tb, Rng& rng, const TweetSpec& s, const std::string& sid, TweetInfo& info,
            std::string* note_json);

  const Context& m_ctx;
  TextBuilder m_tb;
  std::vector<MediaItem> m_media;
};

// The spec of planned tweet `i`; `rng` must be tweet_rng(ctx, i) (a quote draws what it quotes).
TweetSpec spec_for(const Context& ctx, size_t i, Rng& rng);

inline Rng tweet_rng(const Context& ctx, size_t i) { return Rng(mix(ctx.seed, 0x7477'0000'0000ull + i)); }

}  // namespace knowthy::sample
