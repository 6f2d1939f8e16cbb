#include "archive/ytd.hpp"

#include <simdjson.h>

#include <array>
#include <cstring>

namespace knowthy::archive {
namespace {
constexpr size_t k_chunk = 4 << 20;
constexpr size_t k_padding = simdjson::SIMDJSON_PADDING + 64;
// Bytes that matter outside strings: 1 quote, 2 opening, 3 closing bracket.
constexpr auto k_class = [] {
  std::array<unsigned char, 256> t{};
  t['"'] = 1;
  t['{'] = t['['] = 2;
  t['}'] = t[']'] = 3;
  return t;
}();
bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
}  // namespace

YtdReader::YtdReader(EntryReader& in, std::string file_name) : m_in(in), m_file(std::move(file_name)) {
  m_buf.resize(k_chunk + k_padding);
}

std::unexpected<Error> YtdReader::malformed(const std::string& why) const {
  return bad_input(m_file + " (byte " + std::to_string(offset()) + ")", why,
                   "the file is damaged or not from a Twitter/X archive");
}

Result<bool> YtdReader::fill() {
  if (m_eof) return false;
  // Keep the unread tail [m_pos, m_end); grow when a single record fills the buffer.
  if (m_pos > 0) {
    std::memmove(m_buf.data(), m_buf.data() + m_pos, m_end - m_pos);
    m_base += m_pos;
    m_end -= m_pos;
    m_pos = 0;
  }
  if (m_buf.size() - m_end < k_chunk / 2 + k_padding) m_buf.resize(m_buf.size() * 2);
  size_t room = m_buf.size() - m_end - k_padding;
  auto n = m_in.read(m_buf.data() + m_end, room);
  if (!n) return std::unexpected(n.error());
  if (*n == 0) {
    m_eof = true;
    return false;
  }
  m_end += *n;
  std::memset(m_buf.data() + m_end, 0, k_padding);
  return true;
}

Result<bool> YtdReader::skip_ws() {
  for (;;) {
    while (m_pos < m_end && is_ws(m_buf[m_pos])) ++m_pos;
    if (m_pos < m_end) return true;
    auto more = fill();
    if (!more) return std::unexpected(more.error());
    if (!*more) return false;
  }
}

Result<std::string> YtdReader::read_prefix() {
  // The prefix is short; read until '=' appears.
  for (;;) {
    const char* eq = static_cast<const char*>(std::memchr(m_buf.data() + m_pos, '=', m_end - m_pos));
    if (eq || m_end > 4096) break;
    auto more = fill();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
  }
  std::string_view head(m_buf.data(), m_end);
  if (head.starts_with("\xEF\xBB\xBF")) m_pos = 3;  // tolerate a BOM
  head.remove_prefix(m_pos);
  if (!head.starts_with("window.")) return malformed("missing the `window.YTD.<name> = ` prefix");
  size_t eq = head.find('=');
  if (eq == std::string_view::npos || eq > 200) return malformed("missing the `window.YTD.<name> = ` prefix");
  std::string name(head.substr(7, eq - 7));
  while (!name.empty() && is_ws(name.back())) name.pop_back();
  if (!name.starts_with("YTD.") && !name.starts_with("__THAR_CONFIG"))
    return malformed("unexpected prefix `window." + name + "`");
  m_pos += eq + 1;
  return name;
}

Status YtdReader::refill_record(size_t& start, size_t& i) {
  size_t rel = i - start;
  m_pos = start;  // fill() keeps [m_pos, m_end)
  auto more = fill();
  if (!more) return std::unexpected(more.error());
  if (!*more) return malformed("a record is cut off (truncated file?)");
  start = m_pos;
  i = start + rel;
  return {};
}

Result<std::string_view> YtdReader::next() {
  if (m_finished) return std::string_view{};
  auto ws = skip_ws();
  if (!ws) return std::unexpected(ws.error());
  if (!*ws)
    return malformed(m_started ? "the JSON array is not closed (truncated file?)"
                               : "the file ends before its JSON array");
  if (!m_started) {
    if (m_buf[m_pos] != '[') return malformed("expected a JSON array after the prefix");
    ++m_pos;
    m_started = true;
    ws = skip_ws();
    if (!ws) return std::unexpected(ws.error());
    if (!*ws) return malformed("the JSON array is not closed (truncated file?)");
    if (m_buf[m_pos] == ']') {
      ++m_pos;
      m_finished = true;
      return std::string_view{};
    }
  } else {
    if (m_buf[m_pos] == ']') {
      ++m_pos;
      m_finished = true;
      return std::string_view{};
    }
    if (m_buf[m_pos] != ',') return malformed("expected `,` or `]` between records");
    ++m_pos;
    ws = skip_ws();
    if (!ws) return std::unexpected(ws.error());
    if (!*ws) return malformed("the JSON array is not closed (truncated file?)");
  }
  if (m_buf[m_pos] != '{') return malformed("expected a JSON object");
  // Find the matching '}' (strings may hold braces and escaped quotes).
  size_t start = m_pos;
  size_t i = m_pos;
  int depth = 0;
  bool in_str = false;
  for (;;) {
    if (i >= m_end) {
      if (auto s = refill_record(start, i); !s) return std::unexpected(s.error());
      continue;
    }
    const char* p = m_buf.data() + i;
    const char* e = m_buf.data() + m_end;
    if (in_str) {
      // Strings are mostly short and free of escapes: find the closing quote, then make sure no
      // backslash comes before it.
      const char* q = static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(e - p)));
      const char* b = static_cast<const char*>(std::memchr(p, '\\', static_cast<size_t>((q ? q : e) - p)));
      if (b) {
        i = static_cast<size_t>(b - m_buf.data());
        if (i + 1 >= m_end) {  // the escape is read again after the refill
          if (auto s = refill_record(start, i); !s) return std::unexpected(s.error());
          continue;
        }
        i += 2;
        continue;
      }
      if (!q) {
        i = m_end;
        continue;
      }
      in_str = false;
      i = static_cast<size_t>(q - m_buf.data()) + 1;
      continue;
    }
    while (p < e && k_class[static_cast<unsigned char>(*p)] == 0) ++p;
    i = static_cast<size_t>(p - m_buf.data());
    if (p == e) continue;
    switch (k_class[static_cast<unsigned char>(*p)]) {
      case 1: in_str = true; break;
      case 2: ++depth; break;
      default:
        if (--depth == 0) {
          m_pos = i + 1;
          return std::string_view(m_buf.data() + start, i + 1 - start);
        }
    }
    ++i;
  }
}

}  // namespace knowthy::archive
