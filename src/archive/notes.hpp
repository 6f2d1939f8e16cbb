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

struct Note {
  std::string note_id;
  std::string created_at;      // ISO, seconds
  std::string text;            // the full text, as written
  std::string raw;             // the record, minified
  std::uint64_t tweet_id = 0;  // 0 until matched
};

// Normalized form used for matching: t.co links become a marker, whitespace collapses,
// a trailing ellipsis is dropped.
std::string normalize_for_match(std::string_view text);

class NoteMatcher {
 public:
  void add(Note note);
  bool empty() const { return m_notes.empty(); }
  // If a note of the same second matches the tweet's text, gives the tweet the note's full text
  // (leading mentions kept) and returns true. `escaped_full_text` is the record's full_text.
  bool apply(Tweet& tweet, std::string_view escaped_full_text);
  const std::vector<Note>& notes() const { return m_notes; }

 private:
  std::vector<Note> m_notes;
  std::vector<std::string> m_normalized;
  std::unordered_map<std::string, std::vector<size_t>> m_by_second;
};

}  // namespace knowthy::archive
