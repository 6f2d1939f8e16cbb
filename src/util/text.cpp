#include "util/text.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

namespace knowthy::util {

std::string trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(ws) - b + 1));
}

size_t utf8_offset(std::string_view s, size_t cp) {
  size_t i = 0;
  while (cp > 0 && i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    --cp;
  }
  return i < s.size() ? i : s.size();
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    // The sequence its lead byte announces, with the continuation bytes that follow (a stray
    // continuation byte is a sequence of one): one character, valid or replaced.
    const size_t want = lead < 0x80 ? 1 : lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    size_t n = 1;
    while (n < want && i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
    utf8proc_int32_t cp = 0;
    const auto got = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                      static_cast<utf8proc_ssize_t>(n), &cp);
    if (got == static_cast<utf8proc_ssize_t>(n) && n == want)
      out.append(s.substr(i, n));
    else
      out += "\xEF\xBF\xBD";
    i += n;
  }
  return out;
}

void append_html_unescaped(std::string& out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t amp = s.find('&', i);
    if (amp == std::string_view::npos) break;
    out.append(s.substr(i, amp - i));
    std::string_view rest = s.substr(amp);
    if (rest.starts_with("&amp;")) {
      out += '&';
      i = amp + 5;
    } else if (rest.starts_with("&lt;")) {
      out += '<';
      i = amp + 4;
    } else if (rest.starts_with("&gt;")) {
      out += '>';
      i = amp + 4;
    } else {
      out += '&';
      i = amp + 1;
    }
  }
  out.append(s.substr(i));
}

std::string html_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_html_unescaped(out, s);
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the current run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += k_hex[c >> 4];
        out += k_hex[c & 15];
    }
  }
  out.append(s.substr(run));
  out += '"';
}

namespace {

bool parse_int(std::string_view s, int& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool valid_ymd(int y, int m, int d) {
  using namespace std::chrono;
  return year_month_day(year(y), month(static_cast<unsigned>(m)), day(static_cast<unsigned>(d))).ok();
}

// Hand-formatted: this runs once per tweet, where snprintf showed up in profiles.
std::string format_iso(int y, int mo, int d, int h, int mi, int s) {
  std::string out = "0000-00-00T00:00:00Z";
  auto put = [&](size_t at, int v, int width) {
    for (int k = width - 1; k >= 0; --k, v /= 10) out[at + static_cast<size_t>(k)] = static_cast<char>('0' + v % 10);
  };
  put(0, y, 4);
  put(5, mo, 2);
  put(8, d, 2);
  put(11, h, 2);
  put(14, mi, 2);
  put(17, s, 2);
  return out;
}

}  // namespace

std::optional<std::string> twitter_date_to_iso(std::string_view s) {
  // "Wed Oct 10 20:19:24 +0000 2018": fixed width, always UTC in archives.
  if (s.size() != 30 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[19] != ' ' ||
      s[25] != ' ')
    return std::nullopt;
  static constexpr std::string_view k_months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  size_t mpos = k_months.find(s.substr(4, 3));
  if (mpos == std::string_view::npos || mpos % 3 != 0) return std::nullopt;
  int d, h, mi, sec, y, off;
  if (!parse_int(s.substr(8, 2), d) || !parse_int(s.substr(11, 2), h) || !parse_int(s.substr(14, 2), mi) ||
      !parse_int(s.substr(17, 2), sec) || !parse_int(s.substr(26, 4), y) || !parse_int(s.substr(21, 4), off))
    return std::nullopt;
  int mo = static_cast<int>(mpos / 3) + 1;
  if (s[20] != '+' && s[20] != '-') return std::nullopt;
  if (!valid_ymd(y, mo, d) || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  if (off != 0) {
    // Archives always say +0000; convert anything else rather than mislabel it as UTC.
    using namespace std::chrono;
    int sign = s[20] == '-' ? -1 : 1;
    auto tp = sys_days(year_month_day(year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d)))) +
              hours(h) + minutes(mi) + seconds(sec) - sign * (hours(off / 100) + minutes(off % 100));
    auto dp = floor<days>(tp);
    year_month_day ymd(dp);
    hh_mm_ss hms(tp - dp);
    return format_iso(int(ymd.year()), static_cast<int>(unsigned(ymd.month())), static_cast<int>(unsigned(ymd.day())),
                      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                      static_cast<int>(hms.seconds().count()));
  }
  return format_iso(y, mo, d, h, mi, sec);
}

std::optional<std::string> iso_to_seconds(std::string_view s) {
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  int y, mo, d, h, mi, sec;
  if (!parse_int(s.substr(0, 4), y) || !parse_int(s.substr(5, 2), mo) || !parse_int(s.substr(8, 2), d) ||
      !parse_int(s.substr(11, 2), h) || !parse_int(s.substr(14, 2), mi) || !parse_int(s.substr(17, 2), sec))
    return std::nullopt;
  if (!valid_ymd(y, mo, d) || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return format_iso(y, mo, d, h, mi, sec);
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return format_iso(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::int64_t> iso_to_unix(std::string_view s) {
  auto iso = iso_to_seconds(s);
  if (!iso) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(iso->substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(iso->substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(iso->substr(8, 2));
  tm.tm_hour = std::stoi(iso->substr(11, 2));
  tm.tm_min = std::stoi(iso->substr(14, 2));
  tm.tm_sec = std::stoi(iso->substr(17, 2));
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string unix_to_iso(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return format_iso(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string fold_case_nfkc(std::string_view s) {
  bool ascii = true;
  for (unsigned char c : s) ascii &= c < 0x80;
  auto lower = [](std::string_view in) {
    std::string out(in);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  };
  if (ascii) return lower(s);  // NFKC leaves ASCII alone; most claims take this path
  utf8proc_uint8_t* dst = nullptr;
  const auto n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()), &dst,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD));
  if (n < 0) return lower(s);
  std::string out(reinterpret_cast<const char*>(dst), static_cast<size_t>(n));
  std::free(dst);
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace knowthy::util
