#pragma once
// One tweet record of an archive, turned into what knowthy stores.
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace knowthy::archive {

enum class TweetKind { original, reply, self_reply, retweet, quote };
std::string_view kind_name(TweetKind k);
std::optional<TweetKind> parse_kind(std::string_view s);

struct Tweet {
  std::uint64_t id = 0;
  std::string created_at;  // ISO-8601 UTC
  TweetKind kind = TweetKind::original;
  std::string text;  // unescaped, t.co links expanded (or the note's full text)
  std::optional<std::string> in_reply_to;
  std::optional<std::string> in_reply_to_user_id;
  std::optional<std::string> in_reply_to_screen_name;
  std::string mentions_json = "[]";  // ["screen_name", ...]
  std::string hashtags_json = "[]";  // ["tag", ...]
  std::string urls_json = "[]";      // ["expanded url", ...] (links, not media)
  int media_count = 0;
  std::string lang;
  std::optional<std::string> deleted_at;  // ISO, for records of deleted-tweets.js
  std::string leading_mentions;           // "@a @b " at the start of a reply (notes omit it)
  std::string note_id;                    // set when the text came from a note tweet
  std::string raw;                        // the record, minified
};

// Parses one record (`{"tweet": {...}}`) from `json`, which must be followed by
// simdjson::SIMDJSON_PADDING readable bytes (YtdReader's buffer has them). `account_id` tells
// self-replies from replies. If `full_text` is given, it receives the record's escaped full_text
// (valid until the parser's next parse), which note matching needs.
Result<Tweet> parse_tweet(simdjson::dom::parser& parser, std::string_view json, std::string_view account_id,
                          std::string_view* full_text = nullptr);

}  // namespace knowthy::archive
