#pragma once
// Note tweets (note-tweet.js) hold the full text of long posts but no tweet id. A note is matched
// to its tweet by the same-second timestamp plus the text: the tweet's full_text is the note's
// beginning, HTML-escaped, with leading @reply mentions the note omits and t.co codes of its own.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "archive/tweet.hpp"

namespace knowthy::archive {

struct NoteLink {
  std::string short_url;  // the t.co link in the note's text
  std::string expanded;   // where it leads
};

struct Note {
  std::string note_id;
  std::string created_at;                       // ISO, seconds
  std::string text;                             // the full text, as written (t.co links and all)
  std::string raw;                              // the record, minified
  std::uint64_t tweet_id = 0;                   // 0 until matched
  std::vector<NoteLink> links;                  // core.urls
  std::vector<std::string> mentions, hashtags;  // core.mentions (screen names), core.hashtags
};

// The note's text with each t.co link of `links` replaced by its expanded URL.
std::string expand_links(std::string_view text, const std::vector<NoteLink>& links);

// Normalized form used for matching: t.co links become a marker, whitespace collapses,
// a trailing ellipsis is dropped.
std::string normalize_for_match(std::string_view text);

class NoteMatcher {
 public:
  void add(Note note);
  bool empty() const { return m_notes.empty(); }
  // If a note of the same second matches the tweet's text, gives the tweet the note's full text
  // (leading mentions kept, t.co links expanded), the note's links as its urls (the truncated
  // tweet's link to itself dropped) and the note's mentions and hashtags beside its own, and
  // returns true. `escaped_full_text` is the record's full_text.
  bool apply(Tweet& tweet, std::string_view escaped_full_text);
  const std::vector<Note>& notes() const { return m_notes; }

 private:
  std::vector<Note> m_notes;
  std::vector<std::string> m_normalized;
  std::unordered_map<std::string, std::vector<size_t>> m_by_second;
};

}  // namespace knowthy::archive
