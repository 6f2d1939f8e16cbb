#pragma once
// The made-up person behind `knowthy sample-archive`: planted facts and the text pools that filler
// tweets, replies, retweets and likes are drawn from. Pure data; the other sample_*.cpp files do the rest.
//
// Text markup understood by the generator (everywhere a tweet text is taken from here):
//   "{link:URL}"  a t.co link whose expanded_url is URL
//   "{@handle}"   a mention of one of users() (mid-text mentions, also after emoji)
//   "#word"       becomes a hashtag entity automatically
// Fact tweets may also start with "@@ " (posted as a reply to one of users()).
#include <span>
#include <string_view>

namespace knowthy::sample::persona {

struct User {
  std::string_view handle;
  std::string_view name;
};

struct Text {
  std::string_view lang;  // the tweet's "lang" field
  std::string_view text;
};

// One tweet supporting a fact. `from`/`to` ("YYYY-MM-DD", inclusive; empty = open end) bound the
// posting date so that the story stays consistent (no dog before the adoption, and so on).
struct FactTweet {
  std::string_view from;
  std::string_view to;
  std::string_view lang;
  std::string_view text;
};

struct Fact {
  std::string_view id;
  std::string_view category;
  std::string_view claim;
  std::span<const FactTweet> tweets;
};

struct Thread {
  std::string_view title;
  std::span<const std::string_view> lines;
};

// The day she moved city (filler weather and the profile location depend on it).
inline constexpr std::string_view k_move_date = "2021-08-16";
inline constexpr std::string_view k_city_before = "Edinburgh, Scotland";
inline constexpr std::string_view k_city_after = "Bergen, Norway";
inline constexpr std::string_view k_bio =
    "Freshwater ecologist. I count river insects for a living 🪰 Trails, tea, fiddle tunes & a border collie.";

std::span<const User> users();
std::span<const Text> other_texts();  // other people's tweets: retweets and likes
std::span<const Text> reply_texts();
std::span<const std::string_view> self_updates();
std::span<const std::string_view> quote_comments();
std::span<const std::string_view> activities();
std::span<const std::string_view> closers();
std::span<const std::string_view> weather_before_move();
std::span<const std::string_view> weather_after_move();
std::span<const std::string_view> takes();
std::span<const std::string_view> tags();
std::span<const std::string_view> link_intros();
std::span<const std::string_view> links();
std::span<const Text> non_latin();
std::span<const Text> non_latin_after_move();      // name Bergen / Norwegian: only after k_move_date
std::span<const std::string_view> escape_heavy();  // texts full of & < >
std::span<const std::string_view> learned();
std::span<const std::string_view> emoji_only();
std::span<const std::string_view> emoji();
std::span<const std::string_view> with_entities_after_emoji();  // mention/hashtag/link after non-BMP
std::span<const Thread> threads();
std::span<const std::string_view> note_paragraphs();  // no '#', no links: note entities stay empty
std::span<const Fact> facts();

}  // namespace knowthy::sample::persona
