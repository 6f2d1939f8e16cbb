#include "sample/text.hpp"

#include <utility>

namespace knowthy::sample {
namespace {

bool ascii_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
// Two-byte UTF-8 leads C3..C5 are Latin letters (æ ø å é ...): part of a hashtag word.
bool latin_lead(unsigned char c) { return c >= 0xC3 && c <= 0xC5; }

}  // namespace

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Byte offset of code point `cp` (s.size() when past the end).
size_t cp_offset(std::string_view s, size_t cp) {
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (cp == 0) return i;
      --cp;
    }
  }
  return s.size();
}

// Twitter escapes only & < > in full_text.
void append_html_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
}

void TextBuilder::clear() {
  full.clear();
  raw.clear();
  pos = 0;
  hashtags.clear();
  mentions.clear();
  urls.clear();
  non_bmp = false;
  entity_after_non_bmp = false;
}

void TextBuilder::plain(std::string_view s) {
  size_t before = full.size();
  append_html_escaped(full, s);
  note_non_bmp(std::string_view(full).substr(before));
  pos += static_cast<uint32_t>(code_points(std::string_view(full).substr(before)));
  raw += s;
}

Span TextBuilder::span(std::string_view s, std::string_view expanded) {
  entity_after_non_bmp |= non_bmp;
  Span sp{pos, pos + static_cast<uint32_t>(code_points(s))};
  full += s;
  raw += expanded;
  pos = sp.b;
  return sp;
}

// Plain text with #hashtags turned into entities (a '#' after a word character or '&' is not one).
void TextBuilder::text(std::string_view s) {
  size_t last = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '#') continue;
    unsigned char prev =
        i > 0 ? static_cast<unsigned char>(s[i - 1]) : (full.empty() ? ' ' : static_cast<unsigned char>(full.back()));
    if (ascii_word(prev) || prev == '&' ||
        ((prev & 0xC0) == 0x80 && i >= 2 && latin_lead(static_cast<unsigned char>(s[i - 2]))))
      continue;
    size_t j = i + 1;
    bool letter = false;
    while (j < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[j]);
      if (ascii_word(c)) {
        letter |= ascii_alpha(c) || c == '_';
        ++j;
      } else if (latin_lead(c) && j + 1 < s.size() && (static_cast<unsigned char>(s[j + 1]) & 0xC0) == 0x80) {
        letter = true;
        j += 2;
      } else {
        break;
      }
    }
    if (!letter) continue;
    plain(s.substr(last, i - last));
    std::string_view tag = s.substr(i, j - i);
    hashtags.push_back({std::string(tag.substr(1)), span(tag, tag)});
    last = j;
    i = j - 1;
  }
  plain(s.substr(last));
}

void TextBuilder::mention(std::string_view handle, std::string_view name, const std::string& id) {
  std::string at = "@";  // not "@" + std::string(handle): GCC 12 -Wrestrict false positive (PR 105651)
  at += handle;
  mentions.push_back({handle, name, id, span(at, at)});
}

void TextBuilder::url(std::string tco, std::string expanded) {
  Span sp = span(tco, expanded);
  std::string_view d = expanded;
  for (std::string_view p : {"https://", "http://"})
    if (d.starts_with(p)) d.remove_prefix(p.size());
  if (d.starts_with("www.")) d.remove_prefix(4);
  std::string display(d);
  if (code_points(display) > 26) display = display.substr(0, cp_offset(display, 25)) + "…";
  urls.push_back({std::move(tco), std::move(expanded), std::move(display), sp});
}

void TextBuilder::note_non_bmp(std::string_view s) {
  for (unsigned char c : s) non_bmp |= c >= 0xF0;
}

}  // namespace knowthy::sample
