#include "archive/sample_archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "archive/sample_persona.hpp"
#include "util/fs.hpp"

namespace knowthy::archive {
namespace {

namespace fs = std::filesystem;
using std::int64_t;
using std::size_t;
using std::uint32_t;
using std::uint64_t;
using std::uint8_t;

constexpr int64_t k_epoch_ms = 1288834974657;  // Twitter snowflake epoch
constexpr int64_t k_hour_ms = 3'600'000;
constexpr int64_t k_day_ms = 86'400'000;
// Worker-id ranges (snowflake bits 12..21) keep id families apart, so they can never collide.
constexpr uint32_t k_w_tweet[2] = {0, 400};
constexpr uint32_t k_w_note[2] = {400, 600};
constexpr uint32_t k_w_deleted[2] = {600, 700};
constexpr uint32_t k_w_other[2] = {700, 1024};
constexpr uint64_t k_chunk = 2000;        // tweets rendered per job
constexpr size_t k_flush_bytes = 1 << 20;  // buffered output per zip write

enum class Kind : uint8_t { original, reply, self_reply, retweet, quote };
constexpr uint8_t k_f_note = 1, k_f_media = 2, k_f_same_second = 4;

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::original: return "original";
    case Kind::reply: return "reply";
    case Kind::self_reply: return "self_reply";
    case Kind::retweet: return "retweet";
    case Kind::quote: return "quote";
  }
  return "original";
}

// ----------------------------------------------------------------------------------- randomness
__extension__ typedef unsigned __int128 U128;  // for an unbiased-enough multiply-shift range reduction

// splitmix64: tiny, fast, and identical on every platform (std distributions are not specified
// bit-for-bit, and the same seed must give the same bytes).
class Rng {
 public:
  explicit Rng(uint64_t seed) : m_state(seed) {}
  uint64_t next() {
    uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) {
    return n == 0 ? 0 : static_cast<uint64_t>((static_cast<U128>(next()) * n) >> 64);
  }
  int64_t between(int64_t lo, int64_t hi) {  // inclusive
    return hi <= lo ? lo : lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }
  double real() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return real() < p; }
  template <class T>
  const T& pick(std::span<const T> s) {
    return s[below(s.size())];
  }

 private:
  uint64_t m_state;
};

uint64_t mix(uint64_t a, uint64_t b) {
  Rng r(a * 0xD1B54A32D192ED03ull ^ (b + 0x632BE59BD9B4E019ull));
  r.next();
  return r.next();
}

int64_t snowflake(int64_t ms, uint32_t low22) { return ((ms - k_epoch_ms) << 22) | low22; }

uint32_t worker_low(Rng& rng, const uint32_t (&w)[2]) {
  return static_cast<uint32_t>(rng.between(int64_t{w[0]} << 12, (int64_t{w[1]} << 12) - 1));
}

// ----------------------------------------------------------------------------------- dates
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t y;
  unsigned m, d;
};

Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

// "YYYY-MM-DD" -> epoch ms at 00:00 UTC.
std::optional<int64_t> parse_day(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](size_t a, size_t n, int& out) {
    auto r = std::from_chars(s.data() + a, s.data() + a + n, out);
    return r.ec == std::errc{} && r.ptr == s.data() + a + n;
  };
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d) || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  int64_t days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  Civil back = civil_from_days(days);
  if (back.m != static_cast<unsigned>(m) || back.d != static_cast<unsigned>(d)) return std::nullopt;  // 2023-02-30
  return days * k_day_ms;
}

int64_t day_ms(std::string_view s) { return parse_day(s).value_or(0); }  // for literals known to be valid

struct Clock {
  Civil c;
  unsigned wday;  // 0 = Sunday
  unsigned h, mi, s, ms;
};

Clock clock_of(int64_t ms) {
  int64_t days = ms >= 0 ? ms / k_day_ms : (ms - k_day_ms + 1) / k_day_ms;
  int64_t rest = ms - days * k_day_ms;
  Clock k{civil_from_days(days), static_cast<unsigned>(((days % 7) + 11) % 7), 0, 0, 0, 0};
  k.h = static_cast<unsigned>(rest / k_hour_ms);
  k.mi = static_cast<unsigned>(rest / 60000 % 60);
  k.s = static_cast<unsigned>(rest / 1000 % 60);
  k.ms = static_cast<unsigned>(rest % 1000);
  return k;
}

constexpr std::string_view k_wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view k_wdays_long[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::string_view k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Tweet date format: "Thu Jun 27 08:35:37 +0000 2024" (locale independent).
std::string tw_date(int64_t ms) {
  Clock k = clock_of(ms);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%s %s %02u %02u:%02u:%02u +0000 %04lld", k_wdays[k.wday].data(),
                        k_months[k.c.m - 1].data(), k.c.d, k.h, k.mi, k.s, static_cast<long long>(k.c.y));
  return std::string(buf, static_cast<size_t>(n));
}

// "2024-06-27T08:35:37.123Z" (with_ms) or "2024-06-27T08:35:37Z".
std::string iso(int64_t ms, bool with_ms) {
  Clock k = clock_of(ms);
  char buf[48];
  int n = with_ms ? std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", static_cast<long long>(k.c.y),
                                  k.c.m, k.c.d, k.h, k.mi, k.s, k.ms)
                  : std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02uZ", static_cast<long long>(k.c.y),
                                  k.c.m, k.c.d, k.h, k.mi, k.s);
  return std::string(buf, static_cast<size_t>(n));
}

// ----------------------------------------------------------------------------------- text helpers
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

// A JSON string exactly as Python's json.dumps(ensure_ascii=False) writes it.
void append_json_str(std::string& out, std::string_view s) {
  out += '"';
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  out.append(s.data() + start, s.size() - start);
  out += '"';
}

void append_u64(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string u64_str(uint64_t v) {
  std::string s;
  append_u64(s, v);
  return s;
}

// ----------------------------------------------------------------------------------- JSON writer
// Streams the two pretty-printing styles of real archives: modern = json.dumps(indent=2,
// separators=(',', ' : ')) with empty containers as "[ ]" / "{ }"; legacy = Jackson's default
// printer (objects indent, arrays stay inline: "[ {", "}, {", "[ \"0\", \"13\" ]").
class JsonWriter {
 public:
  JsonWriter(std::string& out, bool jackson, int root_nest) : m_out(out), m_jackson(jackson), m_root_nest(root_nest) {
    m_stack.reserve(16);
  }
  JsonWriter& key(std::string_view k) {
    Frame& f = m_stack.back();
    if (f.count++) m_out += ',';
    newline(f.nest + 1);
    append_json_str(m_out, k);
    m_out += " : ";
    m_after_key = true;
    return *this;
  }
  JsonWriter& begin_object() { return open('{', false); }
  JsonWriter& begin_array() { return open('[', true); }
  JsonWriter& end() {
    Frame f = m_stack.back();
    m_stack.pop_back();
    if (f.count == 0) {
      m_out += f.array ? " ]" : " }";
    } else if (f.array && m_jackson) {
      m_out += " ]";
    } else {
      newline(f.nest);
      m_out += f.array ? ']' : '}';
    }
    return *this;
  }
  JsonWriter& str(std::string_view v) {
    before_value();
    append_json_str(m_out, v);
    return *this;
  }
  JsonWriter& num(uint64_t v) {  // archives write every number as a string
    before_value();
    m_out += '"';
    append_u64(m_out, v);
    m_out += '"';
    return *this;
  }
  JsonWriter& boolean(bool b) {
    before_value();
    m_out += b ? "true" : "false";
    return *this;
  }
  JsonWriter& kv(std::string_view k, std::string_view v) { return key(k).str(v); }
  JsonWriter& kn(std::string_view k, uint64_t v) { return key(k).num(v); }
  JsonWriter& kb(std::string_view k, bool v) { return key(k).boolean(v); }
  JsonWriter& empty_array(std::string_view k) { return key(k).begin_array().end(); }

 private:
  struct Frame {
    bool array;
    int nest;
    int count;
  };
  void newline(int level) {
    m_out += '\n';
    m_out.append(static_cast<size_t>(2 * level), ' ');
  }
  void before_value() {
    if (m_after_key) {
      m_after_key = false;
      return;
    }
    if (m_stack.empty()) return;
    Frame& f = m_stack.back();
    if (m_jackson) {
      m_out += f.count ? ", " : " ";
    } else {
      if (f.count) m_out += ',';
      newline(f.nest + 1);
    }
    ++f.count;
  }
  JsonWriter& open(char c, bool array) {
    int nest = m_root_nest;
    if (!m_stack.empty()) nest = m_jackson && m_stack.back().array ? m_stack.back().nest : m_stack.back().nest + 1;
    before_value();
    m_out += c;
    m_stack.push_back({array, nest, 0});
    return *this;
  }

  std::string& m_out;
  bool m_jackson;
  int m_root_nest;
  bool m_after_key = false;
  std::vector<Frame> m_stack;
};

// ----------------------------------------------------------------------------------- tweet text
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

bool ascii_word(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool ascii_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
// Two-byte UTF-8 leads C3..C5 are Latin letters (æ ø å é ...): part of a hashtag word.
bool latin_lead(unsigned char c) { return c >= 0xC3 && c <= 0xC5; }

// Builds the escaped full_text and its entities; indices count code points of the escaped text.
// `raw` is the truth's expected text: unescaped, every t.co link replaced by its expanded_url.
class TextBuilder {
 public:
  void clear() {
    full.clear();
    raw.clear();
    pos = 0;
    hashtags.clear();
    mentions.clear();
    urls.clear();
    non_bmp = false;
    entity_after_non_bmp = false;
  }
  void plain(std::string_view s) {
    size_t before = full.size();
    append_html_escaped(full, s);
    note_non_bmp(std::string_view(full).substr(before));
    pos += static_cast<uint32_t>(code_points(std::string_view(full).substr(before)));
    raw += s;
  }
  Span span(std::string_view s, std::string_view expanded) {
    entity_after_non_bmp |= non_bmp;
    Span sp{pos, pos + static_cast<uint32_t>(code_points(s))};
    full += s;
    raw += expanded;
    pos = sp.b;
    return sp;
  }
  // Plain text with #hashtags turned into entities (a '#' after a word character or '&' is not one).
  void text(std::string_view s) {
    size_t last = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '#') continue;
      unsigned char prev = i > 0 ? static_cast<unsigned char>(s[i - 1])
                                 : (full.empty() ? ' ' : static_cast<unsigned char>(full.back()));
      if (ascii_word(prev) || prev == '&' || ((prev & 0xC0) == 0x80 && i >= 2 && latin_lead(static_cast<unsigned char>(s[i - 2]))))
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
  void mention(std::string_view handle, std::string_view name, const std::string& id) {
    std::string at = "@" + std::string(handle);
    mentions.push_back({handle, name, id, span(at, at)});
  }
  void url(std::string tco, std::string expanded) {
    Span sp = span(tco, expanded);
    std::string_view d = expanded;
    for (std::string_view p : {"https://", "http://"})
      if (d.starts_with(p)) d.remove_prefix(p.size());
    if (d.starts_with("www.")) d.remove_prefix(4);
    std::string display(d);
    if (code_points(display) > 26) display = display.substr(0, cp_offset(display, 25)) + "…";
    urls.push_back({std::move(tco), std::move(expanded), std::move(display), sp});
  }

  std::string full, raw;
  uint32_t pos = 0;
  std::vector<Hashtag> hashtags;
  std::vector<Mention> mentions;
  std::vector<UrlEntity> urls;
  bool non_bmp = false;               // a 4-byte character (emoji, ...) so far
  bool entity_after_non_bmp = false;  // an entity starts after one: code-point indexing matters

 private:
  void note_non_bmp(std::string_view s) {
    for (unsigned char c : s) non_bmp |= c >= 0xF0;
  }
};

// ----------------------------------------------------------------------------------- plan
// The chronological skeleton (index 0 = oldest): times, kinds, threads, notes, media, facts. Each
// tweet's text is then a pure function of (seed, index), so chunks can be rendered in parallel.
struct Plan {
  size_t n = 0;
  std::vector<int64_t> ms;
  std::vector<uint32_t> low;
  std::vector<Kind> kind;
  std::vector<uint8_t> flags, tpos, tlen;
  std::vector<int32_t> parent;
  std::vector<int16_t> fact, fact_tpl;
  std::vector<int8_t> note_first;  // opening paragraph for notes sharing a second, else -1
  std::vector<uint8_t> sample;
  std::vector<std::vector<uint32_t>> fact_tweets;  // per fact; fewer than 2 = dropped

  std::string id(size_t i) const { return u64_str(static_cast<uint64_t>(snowflake(ms[i], low[i]))); }
};

struct Window {
  int64_t start_ms, end_ms;
};

class Planner {
 public:
  Planner(Plan& p, Rng& rng, Window w, bool modern, double note_fraction, double media_fraction)
      : m_p(p), m_rng(rng), m_w(w), m_modern(modern), m_note_fraction(note_fraction), m_media_fraction(media_fraction) {}

  void run(size_t n) {
    m_p.n = n;
    timestamps();
    m_p.low.resize(n);
    for (auto& l : m_p.low) l = worker_low(m_rng, k_w_tweet);
    m_p.kind.assign(n, Kind::original);
    m_p.flags.assign(n, 0);
    m_p.tpos.assign(n, 0);
    m_p.tlen.assign(n, 0);
    m_p.parent.assign(n, -1);
    m_p.fact.assign(n, -1);
    m_p.fact_tpl.assign(n, -1);
    m_p.note_first.assign(n, -1);
    m_p.sample.assign(n, 0);
    kinds();
    if (m_modern) notes(static_cast<size_t>(std::llround(m_note_fraction * static_cast<double>(n))));
    media();
    facts();
    samples(20);
  }

 private:
  void timestamps() {
    // Activity grows over the years and follows a daily rhythm (UTC).
    static constexpr int k_hour_weight[24] = {1, 1, 1, 1, 1, 2, 4, 7, 9, 8, 7, 6, 8, 7, 6, 7, 8, 9, 10, 11, 10, 8, 5, 2};
    int total = 0;
    for (int w : k_hour_weight) total += w;
    int64_t span_days = std::max<int64_t>(1, (m_w.end_ms + 1 - m_w.start_ms) / k_day_ms);
    auto& ms = m_p.ms;
    ms.resize(m_p.n);
    for (auto& t : ms) {
      int r = static_cast<int>(m_rng.below(static_cast<uint64_t>(total)));
      int h = 0;
      while (r >= k_hour_weight[h]) r -= k_hour_weight[h++];
      auto day = static_cast<int64_t>(static_cast<double>(span_days) * std::pow(m_rng.real(), 0.8));
      t = std::min(m_w.end_ms, m_w.start_ms + day * k_day_ms + h * k_hour_ms + static_cast<int64_t>(m_rng.below(k_hour_ms)));
    }
    std::sort(ms.begin(), ms.end());
    for (size_t k = 1; k < ms.size(); ++k)
      if (ms[k] <= ms[k - 1]) ms[k] = ms[k - 1] + 1;
  }

  void kinds() {
    auto& p = m_p;
    size_t i = 0;
    static constexpr uint8_t k_lens[] = {2, 2, 3, 3, 4, 5, 6};
    while (i < p.n) {
      if (i + 1 < p.n && m_rng.chance(0.035)) {  // a self-thread of k consecutive tweets
        size_t k = std::min<size_t>(k_lens[m_rng.below(7)], p.n - i);
        p.tpos[i] = 1;
        p.tlen[i] = static_cast<uint8_t>(k);
        for (size_t j = 1; j < k; ++j) {
          size_t c = i + j;
          p.kind[c] = Kind::self_reply;
          p.parent[c] = static_cast<int32_t>(c - 1);
          p.tpos[c] = static_cast<uint8_t>(j + 1);
          p.tlen[c] = static_cast<uint8_t>(k);
          p.ms[c] = std::min(p.ms[c - 1] + m_rng.between(20'000, 600'000), p.ms[c]);  // pull members close
        }
        i += k;
        continue;
      }
      double r = m_rng.real();
      if (r < 0.17) {
        p.kind[i] = Kind::retweet;
      } else if (r < 0.39) {
        p.kind[i] = Kind::reply;
      } else if (r < 0.44) {
        p.kind[i] = Kind::quote;
      } else if (r < 0.46 && i > 0) {  // a later reply to one of her own older tweets
        for (int t = 0; t < 5; ++t) {
          size_t q = static_cast<size_t>(m_rng.between(static_cast<int64_t>(i > 40 ? i - 40 : 0), static_cast<int64_t>(i - 1)));
          if (p.kind[q] != Kind::retweet) {
            p.kind[i] = Kind::self_reply;
            p.parent[i] = static_cast<int32_t>(q);
            break;
          }
        }
      }
      ++i;
    }
  }

  // Note tweets, after the feature's launch when there is room. Some come as thread groups posted
  // in the same second, so matching a note to its tweet needs the text, not just the time.
  void notes(size_t target) {
    auto& p = m_p;
    if (target == 0 || p.n == 0) return;
    size_t lo = static_cast<size_t>(std::lower_bound(p.ms.begin(), p.ms.end(), day_ms("2023-02-09")) - p.ms.begin());
    if (p.n - lo < 3 * target) lo = 0;
    std::vector<uint32_t> roots;
    for (size_t i = lo; i < p.n; ++i)
      if (p.tpos[i] == 1) roots.push_back(static_cast<uint32_t>(i));
    shuffle(roots);
    size_t done = 0, group_cap = target / 5;
    for (uint32_t r : roots) {
      size_t g = std::min<size_t>(p.tlen[r], 3);
      if (done + g > group_cap || p.ms[r] % 1000 > static_cast<int64_t>(1000 - g)) continue;
      for (size_t j = 0; j < g; ++j) {
        p.ms[r + j] = p.ms[r] + static_cast<int64_t>(j);  // same second, still sorted and distinct
        p.flags[r + j] |= k_f_note | k_f_same_second;
      }
      done += g;
    }
    for (size_t t = 0; t < 60 * target && done < target; ++t) {
      size_t i = lo + m_rng.below(p.n - lo);
      Kind k = p.kind[i];
      if ((k == Kind::original || k == Kind::reply || k == Kind::self_reply) && p.flags[i] == 0) {
        p.flags[i] |= k_f_note;
        ++done;
      }
    }
    // Notes that share a second open with different paragraphs, so each prefix matches one note.
    size_t paras = persona::note_paragraphs().size();
    for (size_t i = lo; i < p.n;) {
      if (!(p.flags[i] & k_f_note)) {
        ++i;
        continue;
      }
      size_t j = i + 1;
      std::vector<uint32_t> group{static_cast<uint32_t>(i)};
      for (; j < p.n && p.ms[j] / 1000 == p.ms[i] / 1000; ++j)
        if (p.flags[j] & k_f_note) group.push_back(static_cast<uint32_t>(j));
      if (group.size() > 1) {
        std::vector<uint32_t> order(paras);
        for (size_t k = 0; k < paras; ++k) order[k] = static_cast<uint32_t>(k);
        shuffle(order);
        for (size_t k = 0; k < group.size(); ++k) p.note_first[group[k]] = static_cast<int8_t>(order[k % paras]);
      }
      i = j;
    }
  }

  void media() {
    auto& p = m_p;
    if (m_media_fraction <= 0) return;
    std::vector<uint32_t> eligible;
    for (size_t i = 0; i < p.n; ++i)
      if (p.kind[i] != Kind::retweet && !(p.flags[i] & k_f_note)) eligible.push_back(static_cast<uint32_t>(i));
    size_t want = std::min(eligible.size(), static_cast<size_t>(std::llround(m_media_fraction * static_cast<double>(p.n))));
    for (size_t k = 0; k < want; ++k) {  // partial Fisher-Yates
      size_t j = k + m_rng.below(eligible.size() - k);
      std::swap(eligible[k], eligible[j]);
      p.flags[eligible[k]] |= k_f_media;
    }
  }

  bool free_slot(size_t i) const { return !m_p.tlen[i] && !(m_p.flags[i] & k_f_note) && m_p.fact[i] < 0; }

  // A free tweet inside [w0, w1] (plain originals first); else a neighbour retimed into it.
  std::optional<size_t> slot(int64_t w0, int64_t w1) {
    auto& p = m_p;
    size_t lo = static_cast<size_t>(std::lower_bound(p.ms.begin(), p.ms.end(), w0) - p.ms.begin());
    size_t hi = static_cast<size_t>(std::upper_bound(p.ms.begin(), p.ms.end(), w1) - p.ms.begin());
    if (hi > lo) {
      for (int t = 0; t < 40; ++t) {
        size_t i = lo + m_rng.below(hi - lo);
        if (p.kind[i] == Kind::original && free_slot(i)) return i;
      }
      size_t s = lo + m_rng.below(hi - lo);
      for (size_t k = 0; k < hi - lo; ++k) {
        size_t i = lo + (s - lo + k) % (hi - lo);
        if (free_slot(i)) return i;
      }
    }
    for (size_t i : {hi, lo - 1}) {  // lo - 1 wraps to SIZE_MAX when lo == 0: rejected below
      if (i >= p.n || !free_slot(i)) continue;
      int64_t a = std::max(w0, i > 0 ? p.ms[i - 1] + 1 : w0);
      int64_t b = std::min(w1, i + 1 < p.n ? p.ms[i + 1] - 1 : w1);
      if (a <= b) {
        p.ms[i] = m_rng.between(a, b);
        return i;
      }
    }
    return std::nullopt;
  }

  void facts() {
    auto& p = m_p;
    auto all = persona::facts();
    p.fact_tweets.assign(all.size(), {});
    size_t budget = p.n / 3, templates = 0, placed_total = 0;
    for (const auto& f : all) templates += f.tweets.size();
    size_t cap = templates <= budget ? 6 : 2;
    for (size_t fno = 0; fno < all.size(); ++fno) {
      if (placed_total + 2 > budget) break;
      const auto& tw = all[fno].tweets;
      std::vector<size_t> order{0};  // first and last template first: they anchor the story
      if (tw.size() > 1) order.push_back(tw.size() - 1);
      for (size_t t = 1; t + 1 < tw.size(); ++t) order.push_back(t);
      std::vector<std::pair<uint32_t, Kind>> placed;
      for (size_t tno : order) {
        if (placed.size() == cap) break;
        const auto& ft = tw[tno];
        int64_t w0 = std::max(ft.from.empty() ? m_w.start_ms : day_ms(ft.from), m_w.start_ms);
        int64_t w1 = std::min(ft.to.empty() ? m_w.end_ms : day_ms(ft.to) + k_day_ms - 1, m_w.end_ms);
        if (w0 > w1) continue;
        auto i = slot(w0, w1);
        if (!i) continue;
        placed.push_back({static_cast<uint32_t>(*i), p.kind[*i]});
        p.fact[*i] = static_cast<int16_t>(fno);
        p.fact_tpl[*i] = static_cast<int16_t>(tno);
        p.kind[*i] = ft.text.starts_with("@@ ") ? Kind::reply : Kind::original;
      }
      if (placed.size() < 2) {  // too thin to count as support: drop it
        for (auto [i, k] : placed) {
          p.fact[i] = p.fact_tpl[i] = -1;
          p.kind[i] = k;
        }
        continue;
      }
      placed_total += placed.size();
      for (auto [i, k] : placed) p.fact_tweets[fno].push_back(i);
      std::sort(p.fact_tweets[fno].begin(), p.fact_tweets[fno].end());
    }
  }

  // ~k tweets for the truth file, covering every kind, media, notes and facts.
  void samples(size_t k) {
    auto& p = m_p;
    if (p.n == 0) return;
    size_t chosen = 0;
    auto take = [&](size_t i) {
      if (p.sample[i]) return false;
      p.sample[i] = 1;
      ++chosen;
      return true;
    };
    std::vector<uint32_t> fact_idx;
    for (const auto& v : p.fact_tweets)
      if (v.size() >= 2) fact_idx.insert(fact_idx.end(), v.begin(), v.end());
    for (int t = 0; t < 2 && !fact_idx.empty(); ++t) take(fact_idx[m_rng.below(fact_idx.size())]);
    struct Want {
      int count;
      bool (*test)(const Plan&, size_t);
    };
    const Want wants[] = {
        {3, [](const Plan& q, size_t i) { return q.kind[i] == Kind::original && q.flags[i] == 0 && q.fact[i] < 0; }},
        {3, [](const Plan& q, size_t i) { return q.kind[i] == Kind::reply; }},
        {2, [](const Plan& q, size_t i) { return q.kind[i] == Kind::self_reply; }},
        {3, [](const Plan& q, size_t i) { return q.kind[i] == Kind::retweet; }},
        {2, [](const Plan& q, size_t i) { return q.kind[i] == Kind::quote && q.fact[i] < 0; }},
        {2, [](const Plan& q, size_t i) { return (q.flags[i] & k_f_media) != 0; }},
        {3, [](const Plan& q, size_t i) { return (q.flags[i] & k_f_note) != 0; }},
        {1, [](const Plan& q, size_t i) { return (q.flags[i] & k_f_same_second) != 0; }},
    };
    for (const auto& w : wants) {
      int want = w.count;
      for (int t = 0; t < 3000 && want > 0; ++t) {
        size_t i = m_rng.below(p.n);
        if (w.test(p, i) && take(i)) --want;
      }
    }
    for (int t = 0; chosen < std::min(k, p.n) && t < 100000; ++t) take(m_rng.below(p.n));
  }

  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[m_rng.below(i)]);
  }

  Plan& m_p;
  Rng& m_rng;
  Window m_w;
  bool m_modern;
  double m_note_fraction, m_media_fraction;
};

// ----------------------------------------------------------------------------------- tweets
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
  bool non_bmp = false, entity_after_non_bmp = false;
};

constexpr std::string_view k_alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view k_key_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string random_chars(Rng& rng, std::string_view alphabet, size_t n) {
  std::string s(n, ' ');
  for (auto& c : s) c = alphabet[rng.below(alphabet.size())];
  return s;
}

std::string tco(Rng& rng) { return "https://t.co/" + random_chars(rng, k_alnum, 10); }

constexpr std::string_view k_src_iphone = "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>";
constexpr std::string_view k_src_android = "<a href=\"http://twitter.com/download/android\" rel=\"nofollow\">Twitter for Android</a>";
constexpr std::string_view k_src_web_client = "<a href=\"http://twitter.com\" rel=\"nofollow\">Twitter Web Client</a>";
constexpr std::string_view k_src_web_app = "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>";
constexpr std::string_view k_src_tweetdeck = "<a href=\"https://about.twitter.com/products/tweetdeck\" rel=\"nofollow\">TweetDeck</a>";
constexpr std::string_view k_sources_old[] = {k_src_iphone, k_src_web_client, k_src_tweetdeck, k_src_android, k_src_iphone};
constexpr std::string_view k_sources_new[] = {k_src_iphone, k_src_web_app, k_src_tweetdeck, k_src_android, k_src_iphone};

struct MediaItem {
  std::string key, id;
  int w, h;
};

class TweetFactory {
 public:
  explicit TweetFactory(const Context& ctx) : m_ctx(ctx) {}

  // Renders one tweet record into `json` (when non-null) and its note record into `note_json`.
  void build(const TweetSpec& s, Rng& rng, std::string* json, TweetInfo& info, std::string* note_json) {
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

  // Id of someone else's tweet (or media) posted shortly before `ms`.
  std::string other_id(Rng& rng, int64_t ms, int64_t back_max, int64_t back_min = 30'000) const {
    int64_t t = ms - rng.between(back_min, back_max);
    return u64_str(static_cast<uint64_t>(snowflake(t, worker_low(rng, k_w_other))));
  }

 private:
  static void indices(JsonWriter& w, Span s) { w.key("indices").begin_array().num(s.a).num(s.b).end(); }

  static void media_item(JsonWriter& w, const MediaItem& m, const std::string& url, const std::string& expanded, Span at) {
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

  // Persona markup: {link:URL} -> t.co link, {@handle} -> mention, the rest plain with #hashtags.
  void marked(TextBuilder& tb, Rng& rng, std::string_view s) {
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
        if (u < users.size()) tb.mention(users[u].handle, users[u].name, m_ctx.user_ids[u]);
        else tb.plain(tag);
      } else {
        tb.plain(s.substr(open, close - open + 1));
      }
      pos = close + 1;
    }
    tb.text(s.substr(pos));
  }

  std::string retweet(TextBuilder& tb, Rng& rng) {
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

  void quote(TextBuilder& tb, Rng& rng, const TweetSpec& s) {
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

  std::string original(TextBuilder& tb, Rng& rng, int64_t ms) {
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
          text = std::string(rng.pick(ms < m_ctx.move_ms ? persona::weather_before_move() : persona::weather_after_move()));
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      tb.text(text);
    } else if (r < 0.44) {
      tb.text(rng.pick(persona::link_intros()));
      tb.plain(" ");
      tb.url(tco(rng), std::string(rng.pick(persona::links())));
    } else if (r < 0.54) {
      std::string text = "Unpopular opinion: " + std::string(rng.pick(persona::takes())) + " " + std::string(rng.pick(persona::tags()));
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
      tb.text("Things I learned this week:\n- " + std::string(l[a]) + "\n- " + std::string(l[b]) + "\n- " + std::string(l[c]));
    } else if (r < 0.79) {
      tb.text(rng.pick(persona::emoji_only()));
      return "und";
    } else if (r < 0.88) {
      marked(tb, rng, rng.pick(persona::with_entities_after_emoji()));
    } else {
      static constexpr std::string_view k_adj[] = {"rainy", "quiet", "long", "cold"};
      tb.text("Question for the timeline: what's your favourite way to spend a " + std::string(k_adj[rng.below(4)]) + " weekend?");
    }
    return "en";
  }

  // A long post: the note keeps the whole unescaped text (without the reply's leading mentions);
  // the tweet gets ~255-275 escaped characters of it, cut at a word boundary, then "…" (+ link).
  void note(TextBuilder& tb, Rng& rng, const TweetSpec& s, const std::string& sid, TweetInfo& info, std::string* note_json) {
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
    std::string nid = u64_str(static_cast<uint64_t>(
        snowflake(sec_ms + static_cast<int64_t>(rng.below(static_cast<uint64_t>(s.ms % 1000) + 1)), worker_low(rng, k_w_note))));
    std::string stamp = iso(sec_ms, true);
    info.note = true;
    info.note_id = nid;
    info.note_created = stamp;
    info.note_text = text;
    info.expected = mentions + text;
    if (!note_json) return;
    JsonWriter w(*note_json, false, 1);
    w.begin_object().key("noteTweet").begin_object();
    w.kv("noteTweetId", nid).kv("updatedAt", stamp);
    w.key("lifecycle").begin_object().kv("value", "1").kv("name", "Active").kv("originalName", "Active");
    w.key("annotations").begin_object().end().end();
    w.kv("createdAt", stamp);
    w.key("core").begin_object().empty_array("styletags").empty_array("urls").kv("text", text);
    w.empty_array("mentions").empty_array("cashtags").empty_array("hashtags").end();
    w.end().end();
  }

  const Context& m_ctx;
  TextBuilder m_tb;
  std::vector<MediaItem> m_media;
};

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
    size_t q = static_cast<size_t>(rng.between(static_cast<int64_t>(i > 300 ? i - 300 : 0), static_cast<int64_t>(i - 1)));
    if (p.kind[q] != Kind::retweet) s.quoted_id = p.id(q);
  }
  return s;
}

Rng tweet_rng(const Context& ctx, size_t i) { return Rng(mix(ctx.seed, 0x7477'0000'0000ull + i)); }

// ----------------------------------------------------------------------------------- output sink
// Archive members go into a zip (fixed timestamps, so the bytes are reproducible) or a folder.
class Sink {
 public:
  Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  ~Sink() {
    if (m_file) std::fclose(m_file);
    if (m_zip) archive_write_free(m_zip);
  }

  Status open_zip(const fs::path& file, int level, int64_t mtime) {
    m_mtime = mtime;
    m_zip = archive_write_new();
    if (!m_zip) return fail(file.string(), "cannot start the zip writer");
    std::string lvl = std::to_string(std::clamp(level, 1, 9));
    if (archive_write_set_format_zip(m_zip) != ARCHIVE_OK ||
        archive_write_set_format_option(m_zip, "zip", "compression", "deflate") != ARCHIVE_OK ||
        archive_write_set_format_option(m_zip, "zip", "compression-level", lvl.c_str()) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(m_zip, 1) != ARCHIVE_OK ||
        archive_write_open_filename(m_zip, file.c_str()) != ARCHIVE_OK)
      return zip_error(file.string());
    return {};
  }

  void open_dir(const fs::path& dir) { m_dir = dir; }
  void set_root(std::string root) { m_root = std::move(root); }

  // Starts a member; size < 0 = unknown (streamed).
  Status begin(std::string_view rel, int64_t size) {
    std::string name = m_root + std::string(rel);
    m_current = name;
    if (m_zip) {
      ::archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, name.c_str());
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_mtime(e, static_cast<time_t>(m_mtime), 0);
      if (size >= 0) archive_entry_set_size(e, size);
      int rc = archive_write_header(m_zip, e);
      archive_entry_free(e);
      if (rc != ARCHIVE_OK) return zip_error(name);
      return {};
    }
    fs::path path = m_dir / name;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return fail(path.parent_path().string(), "cannot create folder: " + ec.message());
    m_file = std::fopen(path.c_str(), "wb");
    if (!m_file) return fail(path.string(), "cannot create file");
    return {};
  }

  Status write(std::string_view data) {
    m_bytes += data.size();
    if (m_zip) {
      while (!data.empty()) {
        la_ssize_t n = archive_write_data(m_zip, data.data(), data.size());
        if (n <= 0) return zip_error(m_current);
        data.remove_prefix(static_cast<size_t>(n));
      }
      return {};
    }
    if (std::fwrite(data.data(), 1, data.size(), m_file) != data.size()) return fail(m_current, "write failed");
    return {};
  }

  Status end() {
    if (m_zip) {
      if (archive_write_finish_entry(m_zip) != ARCHIVE_OK) return zip_error(m_current);
      return {};
    }
    int rc = std::fclose(m_file);
    m_file = nullptr;
    if (rc != 0) return fail(m_current, "write failed");
    return {};
  }

  Status put(std::string_view rel, std::string_view data) {
    if (auto s = begin(rel, static_cast<int64_t>(data.size())); !s) return s;
    if (auto s = write(data); !s) return s;
    return end();
  }

  Status close() {
    if (!m_zip) return {};
    int rc = archive_write_close(m_zip);
    if (rc != ARCHIVE_OK) return zip_error("zip");
    return {};
  }

  uint64_t bytes() const { return m_bytes; }

 private:
  Status zip_error(const std::string& what) {
    const char* why = m_zip ? archive_error_string(m_zip) : nullptr;
    return fail(what, why ? why : "zip write failed");
  }

  ::archive* m_zip = nullptr;
  std::FILE* m_file = nullptr;
  fs::path m_dir;
  std::string m_root, m_current;
  int64_t m_mtime = 0;
  uint64_t m_bytes = 0;
};

// `window.YTD.<name>.partN = [ records ]`, streamed in buffered pieces.
class ArrayFile {
 public:
  ArrayFile(Sink& sink, bool modern) : m_sink(sink), m_modern(modern) {}

  Status open(std::string_view rel, std::string_view global_name) {
    m_count = 0;
    m_buf = "window." + std::string(global_name) + " = ";
    return m_sink.begin(rel, -1);
  }
  // Appends records already rendered and joined by separator().
  Status add(std::string_view rendered, uint64_t n) {
    if (n == 0) return {};
    m_buf += m_count ? separator() : (m_modern ? "[\n  " : "[ ");
    m_buf += rendered;
    m_count += n;
    if (m_buf.size() >= k_flush_bytes) return flush();
    return {};
  }
  Status close() {
    m_buf += m_count ? (m_modern ? "\n]" : " ]") : "[ ]";
    if (auto s = flush(); !s) return s;
    return m_sink.end();
  }
  uint64_t count() const { return m_count; }
  std::string_view separator() const { return m_modern ? ",\n  " : ", "; }

 private:
  Status flush() {
    Status s = m_sink.write(m_buf);
    m_buf.clear();
    return s;
  }
  Sink& m_sink;
  bool m_modern;
  std::string m_buf;
  uint64_t m_count = 0;
};

// ----------------------------------------------------------------------------------- generation
struct Counts {
  uint64_t total = 0, original = 0, replies = 0, self_replies = 0, retweets = 0, quotes = 0, with_media = 0, notes = 0;
  void add(const Counts& o) {
    total += o.total;
    original += o.original;
    replies += o.replies;
    self_replies += o.self_replies;
    retweets += o.retweets;
    quotes += o.quotes;
    with_media += o.with_media;
    notes += o.notes;
  }
};

struct TruthTweet {
  TweetInfo info;
  size_t media_count = 0;
  int fact = -1;
};

struct ChunkOut {
  std::string json;
  uint64_t records = 0;
  Counts counts;
  std::vector<std::string> media_files;
  std::vector<TruthTweet> truth;
  std::vector<TruthTweet> emoji;  // up to 2 with an entity after an emoji, for the samples
};

// Renders the tweets at output positions [a, b) (position 0 = newest).
ChunkOut render_chunk(const Context& ctx, uint64_t a, uint64_t b) {
  ChunkOut out;
  TweetFactory fac(ctx);
  TweetInfo info;
  const Plan& p = ctx.plan;
  std::string_view sep = ctx.modern ? ",\n  " : ", ";
  out.json.reserve((b - a) * 1600);
  for (uint64_t pos = a; pos < b; ++pos) {
    size_t i = p.n - 1 - pos;
    Rng rng = tweet_rng(ctx, i);
    TweetSpec s = spec_for(ctx, i, rng);
    if (pos > a) out.json += sep;
    fac.build(s, rng, &out.json, info, nullptr);
    ++out.records;
    Counts& c = out.counts;
    ++c.total;
    switch (s.kind) {
      case Kind::original: ++c.original; break;
      case Kind::quote: ++c.original, ++c.quotes; break;
      case Kind::reply: ++c.replies; break;
      case Kind::self_reply: ++c.replies, ++c.self_replies; break;
      case Kind::retweet: ++c.retweets; break;
    }
    c.with_media += !info.media_files.empty();
    c.notes += info.note;
    bool want_truth = ctx.opt->full_truth || p.sample[i];
    bool emoji_candidate = !p.sample[i] && info.entity_after_non_bmp && out.emoji.size() < 2;
    if (want_truth || emoji_candidate) {
      TruthTweet t{info, info.media_files.size(), p.fact[i]};
      if (emoji_candidate) out.emoji.push_back(t);
      if (want_truth) out.truth.push_back(std::move(t));
    }
    for (auto& f : info.media_files) out.media_files.push_back(std::move(f));
  }
  return out;
}

using json = nlohmann::ordered_json;

json truth_entry(const TruthTweet& t) {
  json j;
  j["id"] = t.info.id;
  j["created_at"] = t.info.created_at;
  j["kind"] = kind_name(t.info.kind);
  j["text"] = t.info.expected;
  j["in_reply_to"] = t.info.is_reply ? json(t.info.in_reply_to) : json(nullptr);
  j["media_count"] = t.media_count;
  j["note"] = t.info.note;
  j["lang"] = t.info.lang;
  j["fact"] = t.fact >= 0 ? json(std::string(persona::facts()[static_cast<size_t>(t.fact)].id)) : json(nullptr);
  j["deleted"] = false;
  return j;
}

constexpr std::string_view k_png_1x1 =
    std::string_view("\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08"
                     "\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\xda\x63\xf0\xea\xca\x03\x00\x02"
                     "\x64\x01\x43\xc6\xdc\xdc\x0d\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
                     69);

struct FileEntry {
  std::string file_name, global_name;
  uint64_t count;
};
struct DataType {
  std::string media_dir;
  std::vector<FileEntry> files;
};

Status check_options(const SampleOptions& o) {
  if (o.part_size == 0) return bad_input("part_size", "must be at least 1");
  if (o.tweets > 50'000'000) return bad_input("tweets", "at most 50,000,000");
  if (o.likes > 10'000'000 || o.deleted > 10'000'000) return bad_input("likes/deleted", "at most 10,000,000");
  if (!(o.note_fraction >= 0 && o.note_fraction <= 0.5) || !(o.media_fraction >= 0 && o.media_fraction <= 0.5))
    return bad_input("note_fraction/media_fraction", "must be within [0, 0.5]");
  if (o.handle.empty() || o.handle.size() > 15 ||
      !std::all_of(o.handle.begin(), o.handle.end(), [](char c) { return ascii_word(static_cast<unsigned char>(c)); }))
    return bad_input("handle", "must be 1-15 letters, digits or _");
  if (o.display_name.empty()) return bad_input("display_name", "must not be empty");
  if (o.wrap_folder.find("..") != std::string::npos || o.wrap_folder.find('\\') != std::string::npos)
    return bad_input("wrap_folder", "must be a plain folder name");
  return {};
}

class Generator {
 public:
  Generator(const SampleOptions& opt, Context& ctx, Sink& sink) : m_opt(opt), m_ctx(ctx), m_sink(sink) {}

  Result<json> run() {
    const bool modern = m_ctx.modern;
    const std::string base = modern ? "tweets" : "tweet";
    const std::string media_dir = modern ? "tweets_media" : "tweet_media";
    Rng side(mix(m_opt.seed, 2));  // deleted tweets, likes, profile

    if (auto s = m_sink.put("Your archive.html",
                            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your archive</title></head>"
                            "<body><p>Synthetic archive of @" + m_opt.handle + ", made by knowthy sample-archive.</p></body></html>\n");
        !s)
      return std::unexpected(s.error());
    if (auto s = m_sink.put("assets/js/placeholder.js", "// stands in for the archive viewer bundle\n"); !s)
      return std::unexpected(s.error());
    if (auto s = m_sink.put("data/README.txt", "Synthetic Twitter archive for @" + m_opt.handle +
                                                   ", generated by knowthy sample-archive (seed " + std::to_string(m_opt.seed) +
                                                   "). Not real data.\n");
        !s)
      return std::unexpected(s.error());

    // Note tweets first (re-rendering those few tweets is cheaper than holding their notes).
    json notes_truth = json::array();
    if (modern) {
      ArrayFile f(m_sink, true);
      if (auto s = f.open("data/note-tweet.js", "YTD.note_tweet.part0"); !s) return std::unexpected(s.error());
      TweetFactory fac(m_ctx);
      TweetInfo info;
      std::string rec;
      const Plan& p = m_ctx.plan;
      for (size_t k = p.n; k-- > 0;) {
        if (!(p.flags[k] & k_f_note)) continue;
        Rng rng = tweet_rng(m_ctx, k);
        TweetSpec s = spec_for(m_ctx, k, rng);
        rec.clear();
        fac.build(s, rng, nullptr, info, &rec);
        if (auto st = f.add(rec, 1); !st) return std::unexpected(st.error());
        json j;
        j["tweet_id"] = info.id;
        j["note_id"] = info.note_id;
        j["created_at"] = info.note_created;
        j["expected_text"] = info.expected;
        j["note_text"] = info.note_text;
        notes_truth.push_back(std::move(j));
      }
      if (auto s = f.close(); !s) return std::unexpected(s.error());
      add_file("noteTweet", "", "data/note-tweet.js", "YTD.note_tweet.part0", f.count());
    }

    // Tweets, newest first, in parts of at most part_size, rendered in parallel chunks.
    struct Job {
      uint64_t part, a, b;
    };
    std::vector<Job> jobs;
    const uint64_t n = m_ctx.plan.n;
    uint64_t parts = n == 0 ? 1 : (n + m_opt.part_size - 1) / m_opt.part_size;
    for (uint64_t part = 0; part < parts; ++part) {
      uint64_t a = part * m_opt.part_size, b = std::min(n, a + m_opt.part_size);
      for (uint64_t x = a; x < b; x += k_chunk) jobs.push_back({part, x, std::min(b, x + k_chunk)});
    }
    const size_t window = std::max<size_t>(2, std::thread::hardware_concurrency()) + 1;
    std::deque<std::future<ChunkOut>> inflight;
    size_t next_job = 0;
    Counts counts;
    std::vector<TruthTweet> samples, emoji;
    ArrayFile file(m_sink, modern);
    std::vector<std::string> media;
    for (uint64_t part = 0; part < parts; ++part) {
      std::string fname = part == 0 ? "data/" + base + ".js" : "data/" + base + "-part" + std::to_string(part) + ".js";
      std::string gname = "YTD." + base + ".part" + std::to_string(part);
      if (auto s = file.open(fname, gname); !s) return std::unexpected(s.error());
      media.clear();
      while (true) {
        while (inflight.size() < window && next_job < jobs.size()) {
          Job j = jobs[next_job++];
          inflight.push_back(std::async(std::launch::async | std::launch::deferred,
                                        [this, j] { return render_chunk(m_ctx, j.a, j.b); }));
        }
        if (inflight.empty() || jobs[next_job - inflight.size()].part != part) break;
        ChunkOut c = inflight.front().get();
        inflight.pop_front();
        if (auto s = file.add(c.json, c.records); !s) return std::unexpected(s.error());
        counts.add(c.counts);
        for (auto& t : c.truth) samples.push_back(std::move(t));
        for (auto& t : c.emoji)
          if (emoji.size() < 2) emoji.push_back(std::move(t));
        for (auto& m : c.media_files) media.push_back(std::move(m));
      }
      if (auto s = file.close(); !s) return std::unexpected(s.error());
      add_file(base, "data/" + media_dir, fname, gname, file.count());
      for (const auto& m : media)
        if (auto s = m_sink.put("data/" + media_dir + "/" + m, k_png_1x1); !s) return std::unexpected(s.error());
    }

    auto deleted = write_deleted(side);
    if (!deleted) return std::unexpected(deleted.error());
    auto likes = write_likes(side);
    if (!likes) return std::unexpected(likes.error());
    if (auto s = write_account_profile(side); !s) return std::unexpected(s.error());
    if (auto s = write_manifest(); !s) return std::unexpected(s.error());

    // ---- ground truth
    json t;
    t["generator"] = "knowthy sample-archive";
    json& o = t["options"];
    o["tweets"] = m_opt.tweets;
    o["seed"] = m_opt.seed;
    o["layout"] = modern ? "modern" : "legacy";
    o["part_size"] = m_opt.part_size;
    o["zip"] = m_opt.zip;
    o["wrap_folder"] = m_opt.wrap_folder;
    o["note_fraction"] = m_opt.note_fraction;
    o["media_fraction"] = m_opt.media_fraction;
    o["likes"] = m_opt.likes;
    o["deleted"] = m_opt.deleted;
    o["handle"] = m_opt.handle;
    o["display_name"] = m_opt.display_name;
    o["full_truth"] = m_opt.full_truth;
    o["start_date"] = iso(m_ctx.window.start_ms, false).substr(0, 10);
    o["end_date"] = iso(m_ctx.window.end_ms, false).substr(0, 10);
    o["note_link"] = m_opt.note_link;
    t["account"] = {{"username", m_opt.handle}, {"account_id", m_ctx.account_id}, {"display_name", m_opt.display_name}};
    t["counts"] = {{"total", counts.total},
                   {"original", counts.original},
                   {"replies", counts.replies},
                   {"self_replies", counts.self_replies},
                   {"retweets", counts.retweets},
                   {"quotes", counts.quotes},
                   {"with_media", counts.with_media},
                   {"notes_merged", counts.notes},
                   {"deleted", deleted->size()},
                   {"likes", *likes},
                   {"likes_without_text", m_likes_without_text},
                   {"parts", parts}};
    json facts = json::array();
    const Plan& p = m_ctx.plan;
    for (size_t f = 0; f < p.fact_tweets.size(); ++f) {
      if (p.fact_tweets[f].size() < 2) continue;
      const auto& pf = persona::facts()[f];
      json ids = json::array();
      for (uint32_t i : p.fact_tweets[f]) ids.push_back(p.id(i));
      facts.push_back({{"id", pf.id}, {"category", pf.category}, {"claim", pf.claim}, {"tweet_ids", std::move(ids)}});
    }
    t["planted_facts"] = std::move(facts);
    t["note_tweets"] = std::move(notes_truth);
    json tweets = json::array();
    for (const auto& s : samples) tweets.push_back(truth_entry(s));
    if (!m_opt.full_truth)
      for (const auto& s : emoji) tweets.push_back(truth_entry(s));
    t["tweets"] = std::move(tweets);
    t["deleted_tweets"] = std::move(*deleted);
    t["about"] =
        "counts.original includes quotes; counts.replies includes self_replies. tweets[].text is the stored text: "
        "full_text with &amp; &lt; &gt; decoded and every t.co link (media too) replaced by its expanded_url; for a note "
        "tweet it is the reply's leading @mentions (if any) followed by the whole note text. Kind precedence: retweet > "
        "reply/self_reply > quote > original. tweets lists every tweet when options.full_truth, else samples.";
    m_parts = parts;
    m_total = counts.total;
    return t;
  }

  uint64_t parts() const { return m_parts; }
  uint64_t total() const { return m_total; }

 private:
  void add_file(const std::string& type, const std::string& media_dir, std::string fname, std::string gname, uint64_t count) {
    DataType& d = m_types[type];
    if (!media_dir.empty()) d.media_dir = media_dir;
    d.files.push_back({std::move(fname), std::move(gname), count});
  }

  Result<json> write_deleted(Rng& side) {
    const bool modern = m_ctx.modern;
    struct Del {
      int64_t ms, deleted_at;
      uint32_t low;
    };
    std::vector<Del> dels;
    std::unordered_set<int64_t> seen;
    while (dels.size() < m_opt.deleted) {
      int64_t ms = side.between(m_ctx.window.start_ms, m_ctx.window.end_ms);
      uint32_t low = worker_low(side, k_w_deleted);
      if (!seen.insert(snowflake(ms, low)).second) continue;
      int64_t at = std::min(m_ctx.gen_ms - k_day_ms, ms + side.between(k_hour_ms, 400 * k_day_ms));
      dels.push_back({ms, std::max(at, ms + 1000), low});
    }
    std::sort(dels.begin(), dels.end(), [](const Del& a, const Del& b) { return a.ms > b.ms; });
    std::string fname = modern ? "data/deleted-tweets.js" : "data/deleted-tweet.js";
    std::string gname = modern ? "YTD.deleted_tweets.part0" : "YTD.deleted_tweet.part0";
    ArrayFile f(m_sink, modern);
    if (auto s = f.open(fname, gname); !s) return std::unexpected(s.error());
    TweetFactory fac(m_ctx);
    TweetInfo info;
    std::string rec;
    json truth = json::array();
    for (const auto& d : dels) {
      TweetSpec s;
      s.ms = d.ms;
      s.low = d.low;
      s.deleted_at = d.deleted_at;
      Rng rng(mix(m_opt.seed, 0x6465'0000'0000ull + static_cast<uint64_t>(snowflake(d.ms, d.low))));
      rec.clear();
      fac.build(s, rng, &rec, info, nullptr);
      if (auto st = f.add(rec, 1); !st) return std::unexpected(st.error());
      truth.push_back({{"id", info.id}, {"created_at", info.created_at}, {"deleted_at", iso(d.deleted_at, false)},
                       {"text", info.expected}, {"deleted", true}});
    }
    if (auto s = f.close(); !s) return std::unexpected(s.error());
    add_file(modern ? "deletedTweets" : "deletedTweet", modern ? "data/deleted_tweets_media" : "", fname, gname, f.count());
    return truth;
  }

  Result<uint64_t> write_likes(Rng& side) {
    uint64_t n = m_opt.likes;
    uint64_t no_text = n >= 50 ? std::max<uint64_t>(1, (n + 50) / 100) : 0;
    struct Like {
      uint64_t id;
      bool text;
      size_t pool;
      std::string tco;
    };
    std::vector<Like> likes;
    std::unordered_set<uint64_t> seen;
    TweetFactory fac(m_ctx);
    while (likes.size() < n) {
      int64_t ms = side.between(m_ctx.window.start_ms - 365 * k_day_ms, m_ctx.window.end_ms);
      uint64_t id = std::stoull(fac.other_id(side, ms, k_day_ms));
      size_t pool = side.below(persona::other_texts().size());
      std::string link = side.chance(0.2) ? tco(side) : std::string();
      if (seen.insert(id).second) likes.push_back({id, true, pool, std::move(link)});
    }
    for (uint64_t k = 0, done = 0; done < no_text && k < 100 * n; ++k) {
      Like& l = likes[side.below(n)];
      if (l.text) l.text = false, ++done;
    }
    m_likes_without_text = no_text;
    std::sort(likes.begin(), likes.end(), [](const Like& a, const Like& b) { return a.id > b.id; });
    ArrayFile f(m_sink, m_ctx.modern);
    if (auto s = f.open("data/like.js", "YTD.like.part0"); !s) return std::unexpected(s.error());
    std::string rec, text;
    for (const auto& l : likes) {
      rec.clear();
      JsonWriter w(rec, !m_ctx.modern, m_ctx.modern ? 1 : 0);
      std::string id = u64_str(l.id);
      w.begin_object().key("like").begin_object().kv("tweetId", id);
      if (l.text) {
        text.clear();
        append_html_escaped(text, persona::other_texts()[l.pool].text);
        if (!l.tco.empty()) text += " " + l.tco;
        w.kv("fullText", text);
      }
      w.kv("expandedUrl", "https://twitter.com/i/web/status/" + id);
      w.end().end();
      if (auto st = f.add(rec, 1); !st) return std::unexpected(st.error());
    }
    if (auto s = f.close(); !s) return std::unexpected(s.error());
    add_file("like", "", "data/like.js", "YTD.like.part0", f.count());
    return n;
  }

  Status write_account_profile(Rng& side) {
    std::string email = m_opt.handle;
    std::replace(email.begin(), email.end(), '_', '.');
    std::string rec;
    {
      JsonWriter w(rec, !m_ctx.modern, m_ctx.modern ? 1 : 0);
      w.begin_object().key("account").begin_object();
      w.kv("email", email + "@example.com").kv("createdVia", "web").kv("username", m_opt.handle);
      w.kv("accountId", m_ctx.account_id).kv("createdAt", iso(m_ctx.created_ms, true));
      w.kv("accountDisplayName", m_opt.display_name).end().end();
    }
    ArrayFile f(m_sink, m_ctx.modern);
    if (auto s = f.open("data/account.js", "YTD.account.part0"); !s) return s;
    if (auto s = f.add(rec, 1); !s) return s;
    if (auto s = f.close(); !s) return s;
    add_file("account", "", "data/account.js", "YTD.account.part0", 1);

    rec.clear();
    {
      JsonWriter w(rec, !m_ctx.modern, m_ctx.modern ? 1 : 0);
      w.begin_object().key("profile").begin_object().key("description").begin_object();
      w.kv("bio", persona::k_bio).kv("website", tco(side));
      w.kv("location", m_ctx.window.end_ms >= m_ctx.move_ms ? persona::k_city_after : persona::k_city_before).end();
      w.kv("avatarMediaUrl", "https://pbs.twimg.com/profile_images/" +
                                 u64_str(static_cast<uint64_t>(snowflake(m_ctx.window.start_ms, 5))) + "/avatar_400x400.jpg");
      w.end().end();
    }
    ArrayFile g(m_sink, m_ctx.modern);
    if (auto s = g.open("data/profile.js", "YTD.profile.part0"); !s) return s;
    if (auto s = g.add(rec, 1); !s) return s;
    if (auto s = g.close(); !s) return s;
    add_file("profile", "data/profile_media", "data/profile.js", "YTD.profile.part0", 1);
    return {};
  }

  Status write_manifest() {
    std::string out = "window.__THAR_CONFIG = ";
    JsonWriter w(out, !m_ctx.modern, 0);
    w.begin_object();
    w.key("userInfo").begin_object().kv("accountId", m_ctx.account_id).kv("userName", m_opt.handle);
    w.kv("displayName", m_opt.display_name).end();
    w.key("archiveInfo").begin_object().kn("sizeBytes", m_sink.bytes() + 4096).kv("generationDate", iso(m_ctx.gen_ms, true));
    w.kb("isPartialArchive", false).kv("maxPartSizeBytes", "53687091200").end();
    w.key("readmeInfo").begin_object().kv("fileName", "data/README.txt").kv("directory", "data/").kv("name", "README.txt").end();
    w.key("dataTypes").begin_object();
    for (const auto& [type, d] : m_types) {  // std::map: sorted, like real manifests
      w.key(type).begin_object();
      if (!d.media_dir.empty()) w.kv("mediaDirectory", d.media_dir);
      w.key("files").begin_array();
      for (const auto& f : d.files)
        w.begin_object().kv("fileName", f.file_name).kv("globalName", f.global_name).kn("count", f.count).end();
      w.end().end();
    }
    w.end().end();
    return m_sink.put("data/manifest.js", out);
  }

  const SampleOptions& m_opt;
  Context& m_ctx;
  Sink& m_sink;
  std::map<std::string, DataType> m_types;
  uint64_t m_likes_without_text = 0, m_parts = 0, m_total = 0;
};

// The account (an old account gets a pre-snowflake id) and the made-up users' ids.
void make_persona(Context& ctx, Rng& rng) {
  ctx.created_ms = std::min(day_ms("2015-09-12"), ctx.window.start_ms - 120 * k_day_ms) + 30'447'000;
  if (ctx.created_ms < day_ms("2016-01-01"))
    ctx.account_id = u64_str(static_cast<uint64_t>(rng.between(2'600'000'000, 4'200'000'000)));
  else
    ctx.account_id = u64_str(static_cast<uint64_t>(snowflake(ctx.created_ms, 0)));
  for (size_t u = 0; u < persona::users().size(); ++u) {
    if (rng.chance(0.5))
      ctx.user_ids.push_back(u64_str(static_cast<uint64_t>(rng.between(1'000'000, 3'999'999'999))));
    else
      ctx.user_ids.push_back(u64_str(static_cast<uint64_t>(
          snowflake(rng.between(day_ms("2012-01-01"), day_ms("2016-01-01")), static_cast<uint32_t>(rng.below(1u << 22))))));
  }
}

}  // namespace

Result<SampleSummary> write_sample_archive(const fs::path& out, const SampleOptions& opt, fs::path truth) {
  if (auto s = check_options(opt); !s) return std::unexpected(s.error());
  const bool modern = opt.layout == SampleLayout::modern;
  auto start = parse_day(opt.start_date);
  std::string end_text = opt.end_date.empty() ? (modern ? "2024-06-30" : "2022-03-31") : opt.end_date;
  auto end = parse_day(end_text);
  if (!start || !end) return bad_input("start_date/end_date", "must be YYYY-MM-DD dates");
  if (*start < day_ms("2011-01-01") || *end < *start || *end > day_ms("2100-01-01"))
    return bad_input("start_date/end_date", "need 2011-01-01 <= start <= end");

  std::string out_str = out.string();
  while (out_str.size() > 1 && out_str.back() == '/') out_str.pop_back();
  fs::path out_path(out_str);
  if (out_str.empty()) return bad_input("output", "no output path given");
  if (truth.empty()) truth = out_str + ".truth.json";
  std::error_code ec;
  if (opt.zip) {
    if (fs::exists(out_path, ec)) return bad_input(out_str, "already exists", "choose a new file name or remove it");
  } else if (fs::exists(out_path, ec)) {
    if (!fs::is_directory(out_path, ec)) return bad_input(out_str, "exists and is not a folder");
    if (!fs::is_empty(out_path, ec)) return bad_input(out_str, "folder exists and is not empty", "choose a new or empty folder");
  }
  if (out_path.has_parent_path()) {
    fs::create_directories(out_path.parent_path(), ec);
    if (ec) return fail(out_path.parent_path().string(), "cannot create folder: " + ec.message());
  }

  Context ctx;
  ctx.opt = &opt;
  ctx.modern = modern;
  ctx.seed = opt.seed;
  ctx.window = {*start, *end + k_day_ms - 1};
  ctx.gen_ms = ctx.window.end_ms + 3 * k_day_ms + 37'062'123;  // archive requested three days after the last tweet
  ctx.move_ms = day_ms(persona::k_move_date);
  ctx.web_app_ms = day_ms("2019-07-15");
  ctx.edit_ms = day_ms("2022-09-29");
  ctx.x_ms = day_ms("2023-07-24");
  Rng persona_rng(mix(opt.seed, 1));
  make_persona(ctx, persona_rng);
  Rng plan_rng(mix(opt.seed, 3));
  Planner(ctx.plan, plan_rng, ctx.window, modern, opt.note_fraction, opt.media_fraction).run(opt.tweets);

  // A zip is written beside its final name and renamed at the end: no half-written archive.
  fs::path tmp = out_str + ".partial";
  Sink sink;
  if (opt.zip) {
    fs::remove(tmp, ec);
    if (auto s = sink.open_zip(tmp, opt.compression_level, ctx.gen_ms / 1000); !s) return std::unexpected(s.error());
  } else {
    if (auto s = util::make_private_dir(out_path, 0755); !s) return std::unexpected(s.error());
    sink.open_dir(out_path);
  }
  std::string root = opt.wrap_folder;
  while (!root.empty() && root.front() == '/') root.erase(0, 1);
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (!root.empty()) root += '/';
  sink.set_root(root);

  Generator gen(opt, ctx, sink);
  auto t = gen.run();
  Status closed = t ? sink.close() : Status{};
  if (!t || !closed) {
    if (opt.zip) fs::remove(tmp, ec);
    return std::unexpected(t ? closed.error() : t.error());
  }
  SampleSummary sum;
  sum.archive = out_path;
  sum.truth = truth;
  sum.tweets = gen.total();
  sum.parts = gen.parts();
  if (opt.zip) {
    fs::rename(tmp, out_path, ec);
    if (ec) return fail(out_str, "cannot rename the finished zip: " + ec.message());
    sum.bytes_written = fs::file_size(out_path, ec);
  } else {
    sum.bytes_written = sink.bytes();
  }
  std::string text = t->dump(2, ' ', false, json::error_handler_t::replace);
  text += '\n';
  if (auto s = util::write_file_atomic(truth, text, 0644); !s) return std::unexpected(s.error());
  return sum;
}

}  // namespace knowthy::archive
