#include "archive/tweet.hpp"

#include <algorithm>
#include <vector>

#include "util/text.hpp"

namespace knowthy::archive {
namespace dom = simdjson::dom;

std::string_view kind_name(TweetKind k) {
  switch (k) {
    case TweetKind::original: return "original";
    case TweetKind::reply: return "reply";
    case TweetKind::self_reply: return "self_reply";
    case TweetKind::retweet: return "retweet";
    case TweetKind::quote: return "quote";
  }
  return "original";
}

std::optional<TweetKind> parse_kind(std::string_view s) {
  for (auto k : {TweetKind::original, TweetKind::reply, TweetKind::self_reply, TweetKind::retweet, TweetKind::quote})
    if (kind_name(k) == s) return k;
  return std::nullopt;
}

namespace {

std::string_view str_or(dom::element e, std::string_view key, std::string_view def = {}) {
  std::string_view v;
  if (e[key].get_string().get(v) == simdjson::SUCCESS) return v;
  return def;
}

// Archive numbers are strings; tolerate real numbers too.
std::optional<std::uint64_t> num(dom::element e) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return util::parse_u64(s);
  std::uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) return u;
  return std::nullopt;
}

struct Link {
  std::uint64_t start, end;
  std::string_view url, expanded;
};

void collect_links(dom::element entities, std::string_view key, std::vector<Link>& out) {
  dom::array arr;
  if (entities[key].get_array().get(arr) != simdjson::SUCCESS) return;
  for (dom::element e : arr) {
    dom::array idx;
    if (e["indices"].get_array().get(idx) != simdjson::SUCCESS || idx.size() != 2) continue;
    auto a = num(idx.at(0).value_unsafe()), b = num(idx.at(1).value_unsafe());
    std::string_view url = str_or(e, "url"), expanded = str_or(e, "expanded_url");
    if (!a || !b || url.empty() || expanded.empty() || *a > *b) continue;
    out.push_back({*a, *b, url, expanded});
  }
}

// full_text with t.co links replaced by their expanded urls and &amp; &lt; &gt; decoded.
// Indices count code points of the escaped text, end-exclusive; when an index does not land on
// its url (older archives have off-by-some indices) the url is searched for instead.
std::string expand_text(std::string_view full, std::vector<Link>& links) {
  std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) { return a.start < b.start; });
  std::string out;
  out.reserve(full.size() + links.size() * 40);
  size_t done = 0;    // bytes of `full` already emitted
  size_t cp_pos = 0;  // code point index at byte `byte_pos`
  size_t byte_pos = 0;
  std::uint64_t last_start = UINT64_MAX;
  for (const Link& l : links) {
    if (l.start == last_start) continue;  // media repeated across entities
    last_start = l.start;
    size_t b0 = byte_pos + util::utf8_offset(full.substr(byte_pos), l.start >= cp_pos ? l.start - cp_pos : 0);
    size_t b1 = b0 + util::utf8_offset(full.substr(b0), l.end - l.start);
    bool by_index = l.start >= cp_pos && full.substr(b0, b1 - b0) == l.url;
    if (!by_index) {
      size_t f = full.find(l.url, done);
      if (f == std::string_view::npos) continue;
      b0 = f;
      b1 = f + l.url.size();
    }
    if (b0 < done) continue;
    util::append_html_unescaped(out, full.substr(done, b0 - done));
    out.append(l.expanded);
    done = b1;
    // Move the code point cursor to b1, or back to the start when the indices were not usable.
    cp_pos = by_index ? l.end : 0;
    byte_pos = by_index ? b1 : 0;
  }
  util::append_html_unescaped(out, full.substr(done));
  return out;
}

bool is_status_link(std::string_view u, std::uint64_t own_id) {
  for (std::string_view p : {"https://", "http://"})
    if (u.starts_with(p)) u.remove_prefix(p.size());
  for (std::string_view p : {"www.", "mobile."})
    if (u.starts_with(p)) u.remove_prefix(p.size());
  if (u.starts_with("twitter.com/"))
    u.remove_prefix(12);
  else if (u.starts_with("x.com/"))
    u.remove_prefix(6);
  else
    return false;
  size_t slash = u.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view user = u.substr(0, slash);
  if (user == "i") return false;  // i/web/status/<id>: the link a long tweet has to itself
  u.remove_prefix(slash + 1);
  if (!u.starts_with("status/")) return false;
  u.remove_prefix(7);
  size_t n = 0;
  while (n < u.size() && u[n] >= '0' && u[n] <= '9') ++n;
  if (n == 0) return false;
  std::string_view rest = u.substr(n);
  if (!rest.empty() && rest[0] != '?' && rest[0] != '#' && rest != "/") return false;  // /photo/1 etc.
  auto id = util::parse_u64(u.substr(0, n));
  return id && *id != own_id;
}

// `entities[list][*][field]` as a JSON array of strings (empty values left out).
std::string string_array(dom::element entities, std::string_view list, std::string_view field) {
  std::string out = "[";
  dom::array arr;
  if (entities[list].get_array().get(arr) == simdjson::SUCCESS) {
    for (dom::element e : arr) {
      std::string_view v = str_or(e, field);
      if (v.empty()) continue;
      if (out.size() > 1) out += ',';
      util::append_json_string(out, v);
    }
  }
  return out + "]";
}

std::string leading_mentions_of(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] == '@') {
    size_t j = i + 1;
    while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
    if (j == i + 1 || j >= text.size() || text[j] != ' ') break;
    i = j + 1;
  }
  return std::string(text.substr(0, i));
}

}  // namespace

Result<Tweet> parse_tweet(dom::parser& parser, std::string_view json, std::string_view account_id,
                          std::string_view* full_text) {
  dom::element root;
  if (auto err = parser.parse(json.data(), json.size(), false).get(root); err)
    return bad_input("record", std::string("invalid JSON: ") + simdjson::error_message(err));
  dom::element t;
  if (root["tweet"].get(t) != simdjson::SUCCESS || !t.is_object()) {
    // Some exports nest nothing: accept a bare tweet object.
    t = root;
  }
  Tweet tw;
  std::string_view id_str = str_or(t, "id_str");
  if (id_str.empty()) return bad_input("record", "missing id_str");
  auto id = util::parse_u64(id_str);
  if (!id) return bad_input("record", "id_str `" + std::string(id_str) + "` is not a number");
  tw.id = *id;
  std::string_view full;
  if (t["full_text"].get_string().get(full) != simdjson::SUCCESS)
    return bad_input("record " + std::string(id_str), "missing full_text");
  std::string_view created = str_or(t, "created_at");
  auto iso = util::twitter_date_to_iso(created);
  if (!iso) return bad_input("record " + std::string(id_str), "bad created_at `" + std::string(created) + "`");
  tw.created_at = std::move(*iso);
  if (std::string_view d = str_or(t, "deleted_at"); !d.empty()) {
    auto di = util::twitter_date_to_iso(d);
    tw.deleted_at = di ? *di : std::string(d);
  }
  tw.lang = str_or(t, "lang");

  std::vector<Link> links;
  dom::element ent;
  bool has_ent = t["entities"].get(ent) == simdjson::SUCCESS;
  bool quote = false;
  if (has_ent) {
    collect_links(ent, "urls", links);
    size_t url_links = links.size();
    tw.urls_json = "[";
    for (size_t i = 0; i < url_links; ++i) {
      if (i) tw.urls_json += ',';
      util::append_json_string(tw.urls_json, links[i].expanded);
      quote = quote || is_status_link(links[i].expanded, tw.id);
    }
    tw.urls_json += ']';
    collect_links(ent, "media", links);
    tw.mentions_json = string_array(ent, "user_mentions", "screen_name");
    tw.hashtags_json = string_array(ent, "hashtags", "text");
  }
  dom::array media;
  if (t["extended_entities"]["media"].get_array().get(media) == simdjson::SUCCESS)
    tw.media_count = static_cast<int>(media.size());
  else if (has_ent && ent["media"].get_array().get(media) == simdjson::SUCCESS)
    tw.media_count = static_cast<int>(media.size());

  if (full_text) *full_text = full;
  tw.text = expand_text(full, links);

  std::string_view reply_to = str_or(t, "in_reply_to_status_id_str");
  if (reply_to.empty()) reply_to = str_or(t, "in_reply_to_status_id");
  std::string_view reply_user = str_or(t, "in_reply_to_user_id_str");
  if (reply_user.empty()) reply_user = str_or(t, "in_reply_to_user_id");
  if (!reply_to.empty()) tw.in_reply_to = std::string(reply_to);
  if (!reply_user.empty()) tw.in_reply_to_user_id = std::string(reply_user);
  if (std::string_view sn = str_or(t, "in_reply_to_screen_name"); !sn.empty())
    tw.in_reply_to_screen_name = std::string(sn);

  if (full.starts_with("RT @"))
    tw.kind = TweetKind::retweet;
  else if (!reply_to.empty())
    tw.kind = (!account_id.empty() && reply_user == account_id) ? TweetKind::self_reply : TweetKind::reply;
  else if (quote)
    tw.kind = TweetKind::quote;
  if (tw.kind == TweetKind::reply || tw.kind == TweetKind::self_reply) tw.leading_mentions = leading_mentions_of(full);

  tw.raw.resize(json.size());
  size_t len = 0;
  if (simdjson::minify(json.data(), json.size(), tw.raw.data(), len) != simdjson::SUCCESS)
    tw.raw.assign(json);
  else
    tw.raw.resize(len);
  return tw;
}

}  // namespace knowthy::archive
