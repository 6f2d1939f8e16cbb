#pragma once
// Tweet text for the sample archive: UTF-8 and escaping helpers, and TextBuilder, which assembles a
// tweet's full_text together with its entities (hashtags, mentions, urls) and the truth's text.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace knowthy::sample {

using std::size_t;
using std::uint32_t;
using std::uint64_t;

size_t code_points(std::string_view s);

// Byte offset of code point `cp` (s.size() when past the end).
size_t cp_offset(std::string_view s, size_t cp);

// Twitter escapes only & < > in full_text.
void append_html_escaped(std::string& out, std::string_view s);

inline void append_u64(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline std::string u64_str(uint64_t v) {
  std::string s;
  append_u64(s, v);
  return s;
}

inline bool ascii_word(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

struct Span {
  uint32_t a = 0, b = 0;
};
struct Hashtag {
  std::string text;
  Span at;
};
struct Mention {
  std::string_view handle, name;
  std::string id;
  Span at;
};
struct UrlEntity {
  std::string url, expanded, display;
  Span at;
};

// Builds the escaped full_text and its entities; indices count code points of the escaped text.
// `raw` is the truth's expected text: unescaped, every t.co link replaced by its expanded_url.
class TextBuilder {
 public:
  void clear();
  void plain(std::string_view s);
  Span span(std::string_view s, std::string_view expanded);
  // Plain text with #hashtags turned into entities (a '#' after a word character or '&' is not one).
  void text(std::string_view s);
  void mention(std::string_view handle, std::string_view name, const std::string& id);
  void url(std::string tco, std::string expanded);

  std::string full, raw;
  uint32_t pos = 0;
  std::vector<Hashtag> hashtags;
  std::vector<Mention> mentions;
  std::vector<UrlEntity> urls;
  bool non_bmp = false;               // a 4-byte character (emoji, ...) so far
  bool entity_after_non_bmp = false;  // an entity starts after one: code-point indexing matters

 private:
  void note_non_bmp(std::string_view s);
};

}  // namespace knowthy::sample
