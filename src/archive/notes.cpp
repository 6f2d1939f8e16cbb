#include "archive/notes.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "util/text.hpp"

namespace knowthy::archive {

std::string normalize_for_match(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i).starts_with("https://t.co/") || text.substr(i).starts_with("http://t.co/")) {
      i = text.find_first_of(" \n\t", i);
      if (i == std::string_view::npos) i = text.size();
      if (!out.empty() && !space) out += ' ';
      out += "\x01";  // a link, whatever its code
      space = false;
      continue;
    }
    char c = text[i++];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  // Drop trailing links and the ellipsis that marks a truncated long tweet.
  for (;;) {
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (out.ends_with("\x01")) {
      out.pop_back();
    } else if (out.ends_with("\xE2\x80\xA6")) {  // …
      out.resize(out.size() - 3);
    } else if (out.ends_with("...")) {
      out.resize(out.size() - 3);
    } else {
      break;
    }
  }
  return out;
}

std::string expand_links(std::string_view text, const std::vector<NoteLink>& links) {
  if (links.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t at = text.find("://t.co/", i);
    if (at == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    const size_t start = at >= i + 5 && text.substr(at - 5, 5) == "https"  ? at - 5
                         : at >= i + 4 && text.substr(at - 4, 4) == "http" ? at - 4
                                                                           : std::string_view::npos;
    if (start == std::string_view::npos) {  // not a link we know: copy through it, go on
      out.append(text.substr(i, at + 8 - i));
      i = at + 8;
      continue;
    }
    size_t end = at + 8;
    while (end < text.size() && std::isalnum(static_cast<unsigned char>(text[end]))) ++end;
    const std::string_view link = text.substr(start, end - start);
    out.append(text.substr(i, start - i));
    auto it = std::find_if(links.begin(), links.end(), [&](const NoteLink& l) { return l.short_url == link; });
    out.append(it == links.end() || it->expanded.empty() ? link : std::string_view(it->expanded));
    i = end;
  }
  return out;
}

namespace {

// A JSON array of strings: `base`'s items, then those of `more` it lacks (`drop` left out).
std::string merged(const std::string& base_json, const std::vector<std::string>& more, std::string_view drop = {}) {
  auto base = nlohmann::json::parse(base_json, nullptr, false);
  std::vector<std::string> items;
  if (base.is_array())
    for (const auto& v : base)
      if (v.is_string() && (drop.empty() || v.get<std::string>().find(drop) == std::string::npos))
        items.push_back(v.get<std::string>());
  for (const auto& m : more)
    if (std::find(items.begin(), items.end(), m) == items.end()) items.push_back(m);
  return nlohmann::json(items).dump();
}

}  // namespace

void NoteMatcher::add(Note note) {
  m_by_second[note.created_at].push_back(m_notes.size());
  m_normalized.push_back(normalize_for_match(note.text));
  m_notes.push_back(std::move(note));
}

bool NoteMatcher::apply(Tweet& tweet, std::string_view escaped_full_text) {
  auto it = m_by_second.find(tweet.created_at);
  if (it == m_by_second.end()) return false;
  std::string body = util::html_unescape(escaped_full_text.substr(tweet.leading_mentions.size()));
  std::string norm = normalize_for_match(body);
  if (norm.empty()) return false;
  // Best unmatched note of that second by common prefix; the tweet's text must be (almost all)
  // a prefix of the note, so two notes of one thread posted in the same second stay apart.
  size_t best = SIZE_MAX, best_len = 0;
  for (size_t idx : it->second) {
    if (m_notes[idx].tweet_id != 0) continue;
    const std::string& n = m_normalized[idx];
    size_t k = 0;
    while (k < n.size() && k < norm.size() && n[k] == norm[k]) ++k;
    if (k > best_len) best = idx, best_len = k;
  }
  size_t need = norm.size() >= 20 ? norm.size() - norm.size() / 10 : norm.size();
  if (best == SIZE_MAX || best_len < need) return false;
  Note& note = m_notes[best];
  note.tweet_id = tweet.id;
  tweet.text = tweet.leading_mentions + expand_links(note.text, note.links);
  tweet.note_id = note.note_id;
  std::vector<std::string> urls;
  for (const auto& l : note.links)
    if (!l.expanded.empty()) urls.push_back(l.expanded);
  // The truncated tweet links to the whole post ("/i/web/status/<id>"): the note replaces it.
  tweet.urls_json = merged(tweet.urls_json, urls, "/i/web/status/");
  tweet.mentions_json = merged(tweet.mentions_json, note.mentions);
  tweet.hashtags_json = merged(tweet.hashtags_json, note.hashtags);
  return true;
}

}  // namespace knowthy::archive
