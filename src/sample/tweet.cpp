#include "sample/tweet.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "sample/json.hpp"
#include "sample/persona.hpp"

namespace knowthy::sample {
namespace {

constexpr std::string_view k_alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view k_key_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string random_chars(Rng& rng, std::string_view alphabet, size_t n) {
  std::string s(n, ' ');
  for (auto& c : s) c = alphabet[rng.below(alphabet.size())];
  return s;
}

constexpr std::string_view k_src_iphone =
    "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>";
constexpr std::string_view k_src_android =
    "<a href=\"http://twitter.com/download/android\" rel=\"nofollow\">Twitter for Android</a>";
constexpr std::string_view k_src_web_client = "<a href=\"http://twitter.com\" rel=\"nofollow\">Twitter Web Client</a>";
constexpr std::string_view k_src_web_app =
    "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>";
constexpr std::string_view k_src_tweetdeck =
    "<a href=\"https://about.twitter.com/products/tweetdeck\" rel=\"nofollow\">TweetDeck</a>";
constexpr std::string_view k_sources_old[] = {k_src_iphone, k_src_web_client, k_src_tweetdeck, k_src_android,
                                              k_src_iphone};
constexpr std::string_view k_sources_new[] = {k_src_iphone, k_src_web_app, k_src_tweetdeck, k_src_android,
                                              k_src_iphone};

}  // namespace

std::string tco(Rng& rng) { return "https://t.co/" + random_chars(rng, k_alnum, 10); }

void TweetFactory::build(const TweetSpec& s, Rng& rng, std::string* json, TweetInfo& info, std::string* note_json) {
  const auto users = persona::users();
  TextBuilder& tb = m_tb;
  tb.clear();
  m_media.clear();
  std::string sid = u64_str(static_cast<uint64_t>(snowflake(s.ms, s.low)));
  std::string lang = "en";
  std::string reply_status, reply_user, reply_handle;
  bool reply = false;
  std::string media_tco, media_expanded;
  Span media_at;
  info = TweetInfo{};
  info.kind = s.kind;
  if (s.kind == Kind::retweet) {
    lang = retweet(tb, rng);
  } else {
    if (s.kind == Kind::reply) {
      size_t a = rng.below(users.size()), b = a;
      if (rng.chance(0.12)) b = (a + 1 + rng.below(users.size() - 1)) % users.size();
      for (size_t u : {a, b}) {
        tb.mention(users[u].handle, users[u].name, m_ctx.user_ids[u]);
        tb.plain(" ");
        if (b == a) break;
      }
      reply = true;
      reply_status = other_id(rng, s.ms, 3 * k_day_ms);
      reply_user = m_ctx.user_ids[a];
      reply_handle = users[a].handle;
    } else if (s.kind == Kind::self_reply) {  // no "@self " prefix in self-threads
      reply = true;
      reply_status = s.parent_id;
      reply_user = m_ctx.account_id;
      reply_handle = m_ctx.opt->handle;
    }
    if (s.flags & k_f_note) {
      note(tb, rng, s, sid, info, note_json);
    } else if (s.fact >= 0) {
      const auto& ft = persona::facts()[static_cast<size_t>(s.fact)].tweets[static_cast<size_t>(s.fact_tpl)];
      std::string_view text = ft.text;
      if (text.starts_with("@@ ")) text.remove_prefix(3);
      lang = ft.lang;
      marked(tb, rng, text);
    } else if (s.tlen) {
      const auto& th = persona::threads()[s.topic];
      if (s.numbered) tb.plain("(" + std::to_string(s.tpos) + "/" + std::to_string(s.tlen) + ") ");
      tb.text(s.tpos == 1 ? th.title : th.lines[(s.tpos - 2u) % th.lines.size()]);
    } else if (s.kind == Kind::quote) {
      quote(tb, rng, s);
    } else if (s.kind == Kind::self_reply) {
      tb.text(rng.pick(persona::self_updates()));
    } else if (s.kind == Kind::reply) {
      const auto& t = rng.pick(persona::reply_texts());
      lang = t.lang;
      tb.text(t.text);
    } else {
      lang = original(tb, rng, s.ms);
    }
    if (s.flags & k_f_media) {
      if (tb.pos) tb.plain(" ");
      media_tco = tco(rng);
      media_expanded = "https://twitter.com/" + m_ctx.opt->handle + "/status/" + sid + "/photo/1";
      media_at = tb.span(media_tco, media_expanded);
      static constexpr int k_counts[] = {1, 1, 1, 1, 2, 2, 3, 4};
      static constexpr int k_dims[][2] = {{1200, 900}, {900, 1200}, {1600, 900}, {1080, 1080}};
      int count = k_counts[rng.below(8)];
      for (int k = 0; k < count; ++k) {
        MediaItem m;
        m.key = random_chars(rng, k_key_chars, 15);
        m.id = other_id(rng, s.ms, 300'000, 2'000);
        const auto& d = k_dims[rng.below(4)];
        m.w = d[0];
        m.h = d[1];
        info.media_files.push_back(sid + "-" + m.key + ".png");
        m_media.push_back(std::move(m));
      }
    }
  }
  uint64_t fav = 0, rts = 0;
  if (s.kind != Kind::retweet) {
    fav = static_cast<uint64_t>(-std::log(1.0 - rng.real()) / 0.15);
    rts = static_cast<uint64_t>(static_cast<double>(fav) * rng.real() * 0.3);
  }
  bool modern_web = s.ms >= m_ctx.web_app_ms;
  std::string_view source = modern_web ? k_sources_new[rng.below(5)] : k_sources_old[rng.below(5)];

  info.id = sid;
  info.created_at = iso(s.ms, false);
  info.lang = lang;
  info.is_reply = reply;
  info.in_reply_to = reply_status;
  info.non_bmp = tb.non_bmp;
  info.entity_after_non_bmp = tb.entity_after_non_bmp;
  if (!info.note) info.expected = tb.raw;
  if (!json) return;

  JsonWriter w(*json, !m_ctx.modern, m_ctx.modern ? 1 : 0);
  w.begin_object().key("tweet").begin_object();
  if (m_ctx.modern) {
    w.key("edit_info").begin_object().key("initial").begin_object();
    w.key("editTweetIds").begin_array().str(sid).end();
    w.kv("editableUntil", iso(s.ms + k_hour_ms, true));
    w.kv("editsRemaining", "5");
    w.kb("isEditEligible", s.ms >= m_ctx.edit_ms && s.kind != Kind::retweet);
    w.end().end();
  }
  w.kb("retweeted", false);
  w.kv("source", source);
  w.key("entities").begin_object();
  w.key("hashtags").begin_array();
  for (const auto& h : tb.hashtags) {
    w.begin_object().kv("text", h.text);
    indices(w, h.at);
    w.end();
  }
  w.end();
  w.empty_array("symbols");
  w.key("user_mentions").begin_array();
  for (const auto& m : tb.mentions) {
    w.begin_object().kv("name", m.name).kv("screen_name", m.handle);
    indices(w, m.at);
    w.kv("id_str", m.id).kv("id", m.id).end();
  }
  w.end();
  w.key("urls").begin_array();
  for (const auto& u : tb.urls) {
    w.begin_object().kv("url", u.url).kv("expanded_url", u.expanded).kv("display_url", u.display);
    indices(w, u.at);
    w.end();
  }
  w.end();
  if (!m_media.empty()) {
    w.key("media").begin_array();
    media_item(w, m_media[0], media_tco, media_expanded, media_at);
    w.end();
  }
  w.end();  // entities
  w.key("display_text_range").begin_array().str("0").num(tb.pos).end();
  w.kn("favorite_count", fav);
  if (reply) w.kv("in_reply_to_status_id_str", reply_status);
  w.kv("id_str", sid);
  if (reply) w.kv("in_reply_to_user_id", reply_user);
  w.kb("truncated", false);
  w.kn("retweet_count", rts);
  w.kv("id", sid);
  if (reply) w.kv("in_reply_to_status_id", reply_status);
  if (!tb.urls.empty() || !m_media.empty()) w.kb("possibly_sensitive", false);
  w.kv("created_at", tw_date(s.ms));
  w.kb("favorited", false);
  w.kv("full_text", tb.full);
  w.kv("lang", lang);
  if (reply) w.kv("in_reply_to_screen_name", reply_handle).kv("in_reply_to_user_id_str", reply_user);
  if (!m_media.empty()) {
    w.key("extended_entities").begin_object().key("media").begin_array();
    for (const auto& m : m_media) media_item(w, m, media_tco, media_expanded, media_at);
    w.end().end();
  }
  if (s.deleted_at >= 0) w.kv("deleted_at", tw_date(s.deleted_at));
  w.end().end();
}

std::string TweetFactory::other_id(Rng& rng, int64_t ms, int64_t back_max, int64_t back_min) const {
  int64_t t = ms - rng.between(back_min, back_max);
  return u64_str(static_cast<uint64_t>(snowflake(t, worker_low(rng, k_w_other))));
}

void TweetFactory::indices(JsonWriter& w, Span s) { w.key("indices").begin_array().num(s.a).num(s.b).end(); }

void TweetFactory::media_item(JsonWriter& w, const MediaItem& m, const std::string& url, const std::string& expanded,
                              Span at) {
  w.begin_object().kv("expanded_url", expanded);
  indices(w, at);
  w.kv("url", url);
  w.kv("media_url", "http://pbs.twimg.com/media/" + m.key + ".png");
  w.kv("id_str", m.id).kv("id", m.id);
  w.kv("media_url_https", "https://pbs.twimg.com/media/" + m.key + ".png");
  w.key("sizes").begin_object();
  w.key("thumb").begin_object().kv("w", "150").kv("h", "150").kv("resize", "crop").end();
  static constexpr std::pair<std::string_view, int> k_boxes[] = {{"medium", 1200}, {"small", 680}, {"large", 2048}};
  for (auto [label, box] : k_boxes) {
    double f = std::min(1.0, static_cast<double>(box) / std::max(m.w, m.h));
    w.key(label).begin_object();
    w.kn("w", static_cast<uint64_t>(m.w * f)).kn("h", static_cast<uint64_t>(m.h * f)).kv("resize", "fit").end();
  }
  w.end();
  w.kv("type", "photo");
  w.kv("display_url", "pic.twitter.com/" + url.substr(13));
  w.end();
}

void TweetFactory::marked(TextBuilder& tb, Rng& rng, std::string_view s) {
  const auto users = persona::users();
  size_t pos = 0;
  while (pos < s.size()) {
    size_t open = s.find('{', pos);
    size_t close = open == std::string_view::npos ? open : s.find('}', open);
    if (close == std::string_view::npos) break;
    std::string_view tag = s.substr(open + 1, close - open - 1);
    tb.text(s.substr(pos, open - pos));
    if (tag.starts_with("link:")) {
      tb.url(tco(rng), std::string(tag.substr(5)));
    } else if (tag.starts_with("@")) {
      size_t u = 0;
      while (u < users.size() && users[u].handle != tag.substr(1)) ++u;
      if (u < users.size())
        tb.mention(users[u].handle, users[u].name, m_ctx.user_ids[u]);
      else
        tb.plain(tag);
    } else {
      tb.plain(s.substr(open, close - open + 1));
    }
    pos = close + 1;
  }
  tb.text(s.substr(pos));
}

std::string TweetFactory::retweet(TextBuilder& tb, Rng& rng) {
  const auto users = persona::users();
  size_t u = rng.below(users.size());
  const auto& t = rng.pick(persona::other_texts());
  tb.plain("RT ");
  tb.mention(users[u].handle, users[u].name, m_ctx.user_ids[u]);
  tb.plain(": ");
  std::string text(t.text);
  size_t room = 140 - tb.pos;
  if (code_points(text) > room) {  // archives keep a 140-character RT text ending in "…"
    size_t limit = cp_offset(text, room - 1);
    size_t cut = text.rfind(' ', limit);
    if (cut == std::string::npos || code_points(std::string_view(text).substr(0, cut)) <= room / 2) cut = limit;
    text.resize(cut);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    text += "…";
  }
  tb.text(text);
  return std::string(t.lang);
}

void TweetFactory::quote(TextBuilder& tb, Rng& rng, const TweetSpec& s) {
  std::string handle, qid;
  if (!s.quoted_id.empty() && rng.chance(0.25)) {
    handle = m_ctx.opt->handle;
    qid = s.quoted_id;
  } else {
    handle = persona::users()[rng.below(persona::users().size())].handle;
    qid = other_id(rng, s.ms, 3 * k_day_ms);
  }
  std::string host = s.ms >= m_ctx.x_ms && rng.chance(0.5) ? "x.com" : "twitter.com";
  tb.text(rng.pick(persona::quote_comments()));
  tb.plain(" ");
  tb.url(tco(rng), "https://" + host + "/" + handle + "/status/" + qid);
}

std::string TweetFactory::original(TextBuilder& tb, Rng& rng, int64_t ms) {
  double r = rng.real();
  if (r < 0.30) {
    std::string act(rng.pick(persona::activities()));
    std::string closer(rng.pick(persona::closers()));
    std::string text;
    switch (rng.below(6)) {
      case 0: text = "Current status: " + act + " " + std::string(rng.pick(persona::emoji())); break;
      case 1: text = "Today: " + act + ", then " + std::string(rng.pick(persona::activities())) + ". " + closer; break;
      case 2: text = "Spent the evening " + act + ". " + closer; break;
      case 3: text = "Happy " + std::string(k_wdays_long[clock_of(ms).wday]) + "! Plan for today: " + act + "."; break;
      case 4: text = "Quiet day of " + act + " " + std::string(rng.pick(persona::emoji())); break;
      default:
        text =
            std::string(rng.pick(ms < m_ctx.move_ms ? persona::weather_before_move() : persona::weather_after_move()));
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    tb.text(text);
  } else if (r < 0.44) {
    tb.text(rng.pick(persona::link_intros()));
    tb.plain(" ");
    tb.url(tco(rng), std::string(rng.pick(persona::links())));
  } else if (r < 0.54) {
    std::string text =
        "Unpopular opinion: " + std::string(rng.pick(persona::takes())) + " " + std::string(rng.pick(persona::tags()));
    while (text.back() == ' ') text.pop_back();
    tb.text(text);
  } else if (r < 0.62) {
    bool moved = ms >= m_ctx.move_ms && rng.chance(0.4);
    const auto& t = rng.pick(moved ? persona::non_latin_after_move() : persona::non_latin());
    tb.text(t.text);
    return std::string(t.lang);
  } else if (r < 0.70) {
    tb.text(rng.pick(persona::escape_heavy()));
  } else if (r < 0.76) {
    auto l = persona::learned();
    size_t a = rng.below(l.size()), b = (a + 1 + rng.below(l.size() - 1)) % l.size(), c = a;
    while (c == a || c == b) c = rng.below(l.size());
    tb.text("Things I learned this week:\n- " + std::string(l[a]) + "\n- " + std::string(l[b]) + "\n- " +
            std::string(l[c]));
  } else if (r < 0.79) {
    tb.text(rng.pick(persona::emoji_only()));
    return "und";
  } else if (r < 0.88) {
    marked(tb, rng, rng.pick(persona::with_entities_after_emoji()));
  } else {
    static constexpr std::string_view k_adj[] = {"rainy", "quiet", "long", "cold"};
    tb.text("Question for the timeline: what's your favourite way to spend a " + std::string(k_adj[rng.below(4)]) +
            " weekend?");
  }
  return "en";
}

void TweetFactory::note(TextBuilder& tb, Rng& rng, const TweetSpec& s, const std::string& sid, TweetInfo& info,
                        std::string* note_json) {
  auto paras = persona::note_paragraphs();
  std::vector<size_t> pick;
  if (s.note_first >= 0) pick.push_back(static_cast<size_t>(s.note_first));
  size_t count = rng.below(3) == 0 ? 3 : 2;
  while (pick.size() < count) {
    size_t p = rng.below(paras.size());
    if (std::find(pick.begin(), pick.end(), p) == pick.end()) pick.push_back(p);
  }
  std::string text;
  if (s.flags & k_f_same_second) text = "(" + std::to_string(s.tpos) + "/" + std::to_string(s.tlen) + ") ";
  for (size_t k = 0; k < pick.size(); ++k) {
    if (k) text += "\n\n";
    text += paras[pick[k]];
  }
  size_t target = static_cast<size_t>(rng.between(255, 275));
  size_t cut = 0, last_fit = 0, escaped = 0, cps = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;
    if (escaped <= target) last_fit = i;
    if (c == ' ' && i > 0 && text[i - 1] != ' ' && text[i - 1] != '\n' && escaped <= target && cps >= 210) cut = i;
    if (escaped > target) break;
    escaped += c == '&' ? 5 : (c == '<' || c == '>') ? 4 : 1;
    ++cps;
  }
  if (cut == 0) cut = last_fit;
  std::string mentions = tb.raw;  // "@a @b " of a reply, exactly as in full_text
  tb.text(std::string_view(text).substr(0, cut));
  tb.plain("…");
  if (m_ctx.opt->note_link) {
    tb.plain(" ");
    tb.url(tco(rng), "https://twitter.com/i/web/status/" + sid);
  }
  int64_t sec_ms = s.ms / 1000 * 1000;
  std::string nid = u64_str(static_cast<uint64_t>(snowflake(
      sec_ms + static_cast<int64_t>(rng.below(static_cast<uint64_t>(s.ms % 1000) + 1)), worker_low(rng, k_w_note))));
  std::string stamp = iso(sec_ms, true);
  info.note = true;
  info.note_id = nid;
  info.note_created = stamp;
  info.expected = mentions + text;
  // A third of the long posts end with a link: the note's text keeps its t.co form and core.urls
  // says where it leads. It lies past the cut, so the tweet's own text does not change; the
  // decision hashes the tweet's time, so the other tweets' random draws do not change either.
  std::string short_url, expanded;
  size_t from = 0;
  if (mix(m_ctx.seed ^ 0x6e6f74656c696e6bull, static_cast<uint64_t>(s.ms)) % 3 == 0) {
    static constexpr std::string_view k_slugs[] = {"why-mayflies", "counting-insects-in-the-rain",
                                                   "open-data-in-ecology", "a-year-in-bergen"};
    Rng lr(mix(m_ctx.seed, static_cast<uint64_t>(s.ms) ^ 0x6c696e6bull));
    short_url = tco(lr);
    expanded = "https://adafield.net/notes/" + std::string(k_slugs[lr.below(4)]);
    text += "\n\nMore: ";
    for (char c : text) from += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    text += short_url;
    info.expected = mentions + text.substr(0, text.size() - short_url.size()) + expanded;
    info.note_urls = {expanded};
  }
  info.note_text = text;
  if (!note_json) return;
  JsonWriter w(*note_json, false, 1);
  w.begin_object().key("noteTweet").begin_object();
  w.kv("noteTweetId", nid).kv("updatedAt", stamp);
  w.key("lifecycle").begin_object().kv("value", "1").kv("name", "Active").kv("originalName", "Active");
  w.key("annotations").begin_object().end().end();
  w.kv("createdAt", stamp);
  w.key("core").begin_object().empty_array("styletags");
  if (short_url.empty()) {
    w.empty_array("urls");
  } else {
    w.key("urls").begin_array().begin_object();
    w.kv("shortUrl", short_url).kv("expandedUrl", expanded).kv("displayUrl", expanded.substr(8));
    w.kn("fromIndex", from).kn("toIndex", from + short_url.size());
    w.end().end();
  }
  w.kv("text", text);
  w.empty_array("mentions").empty_array("cashtags").empty_array("hashtags").end();
  w.end().end();
}

TweetSpec spec_for(const Context& ctx, size_t i, Rng& rng) {
  const Plan& p = ctx.plan;
  TweetSpec s;
  s.ms = p.ms[i];
  s.low = p.low[i];
  s.kind = p.kind[i];
  s.flags = p.flags[i];
  s.tpos = p.tpos[i];
  s.tlen = p.tlen[i];
  if (s.kind == Kind::self_reply && p.parent[i] >= 0) s.parent_id = p.id(static_cast<size_t>(p.parent[i]));
  if (s.tlen) {
    uint64_t h = mix(ctx.seed, i + 1 - s.tpos);  // the thread's root decides its topic
    s.topic = h % persona::threads().size();
    s.numbered = (h >> 20) & 1;
  }
  s.fact = p.fact[i];
  s.fact_tpl = p.fact_tpl[i];
  s.note_first = p.note_first[i];
  if (s.kind == Kind::quote && i > 0) {
    size_t q =
        static_cast<size_t>(rng.between(static_cast<int64_t>(i > 300 ? i - 300 : 0), static_cast<int64_t>(i - 1)));
    if (p.kind[q] != Kind::retweet) s.quoted_id = p.id(q);
  }
  return s;
}

}  // namespace knowthy::sample
