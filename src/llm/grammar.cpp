#include "llm/grammar.hpp"

#include <common.h>
#include <json-schema-to-grammar.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace knowthy::llm {

namespace {

// The converter's rules replaced (see the header). Rules are written one per line, "name ::= ...".
constexpr std::string_view k_space_rule = R"(space ::= | " ")";
constexpr std::string_view k_char_rule = R"(char ::= [^"\\\x7F\x00-\x1F] | [\\] (["\\/bfnrt]))";

std::string replace_rule(std::string grammar, std::string_view name, std::string_view with) {
  const std::string head = std::string(name) + " ::= ";
  size_t at = grammar.starts_with(head) ? 0 : grammar.find("\n" + head);
  if (at == std::string::npos) return grammar;
  if (at != 0) ++at;
  size_t end = grammar.find('\n', at);
  if (end == std::string::npos) end = grammar.size();
  grammar.replace(at, end - at, with);
  return grammar;
}

constexpr std::int64_t k_inf = std::numeric_limits<std::int64_t>::max() / 4;
constexpr std::uint64_t k_max_repetition = 2000;  // llama-grammar.cpp: MAX_REPETITION_THRESHOLD

std::int64_t add(std::int64_t a, std::int64_t b) { return std::min(k_inf, a + b); }
std::int64_t mul(std::int64_t a, std::uint64_t n) {
  if (a == 0 || n == 0) return 0;
  if (a >= k_inf || static_cast<std::uint64_t>(k_inf / a) < n) return k_inf;
  return a * static_cast<std::int64_t>(n);
}

int utf8_len(std::uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

struct Node {
  enum class Kind { bytes, ref, seq, alt, rep } kind = Kind::seq;
  std::int64_t bytes = 0;  // Kind::bytes
  std::string name;        // Kind::ref
  std::vector<Node> kids;  // seq, alt; rep has one
  std::uint64_t max_times = 0;
  bool no_max = false;
};

// A parser of GBNF text that follows llama-grammar.cpp's rules of what ends a sequence.
class Parser {
 public:
  explicit Parser(std::string_view src) : m_s(src) {}

  Result<std::map<std::string, Node>> parse() {
    std::map<std::string, Node> rules;
    try {
      m_i = space(0, true);
      while (m_i < m_s.size()) {
        const size_t name_end = word(m_i);
        std::string name(m_s.substr(m_i, name_end - m_i));
        m_i = space(name_end, false);
        if (m_s.substr(m_i, 3) != "::=") throw error("expecting ::=");
        m_i = space(m_i + 3, true);
        Node body = alternates(false);
        if (m_i < m_s.size() && m_s[m_i] != '\n' && m_s[m_i] != '\r') throw error("expecting newline or end");
        m_i = space(m_i, true);
        rules[name] = std::move(body);
      }
    } catch (const std::runtime_error& e) {
      return bad_input("grammar", e.what());
    }
    return rules;
  }

 private:
  std::runtime_error error(const std::string& what) const {
    return std::runtime_error(what + " at byte " + std::to_string(m_i));
  }
  static bool is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  }
  size_t word(size_t i) const {
    size_t j = i;
    while (j < m_s.size() && is_word(m_s[j])) ++j;
    if (j == i) throw error("expecting a name");
    return j;
  }
  size_t space(size_t i, bool newline_ok) const {
    while (i < m_s.size()) {
      const char c = m_s[i];
      if (c == '#') {
        while (i < m_s.size() && m_s[i] != '\n' && m_s[i] != '\r') ++i;
      } else if (c == ' ' || c == '\t' || (newline_ok && (c == '\n' || c == '\r'))) {
        ++i;
      } else {
        break;
      }
    }
    return i;
  }
  std::uint32_t hex(size_t n) {
    std::uint32_t v = 0;
    for (size_t k = 0; k < n; ++k, ++m_i) {
      if (m_i >= m_s.size()) throw error("expecting hex digits");
      const char c = m_s[m_i];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v += static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v += static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v += static_cast<std::uint32_t>(c - 'A' + 10);
      else
        throw error("expecting hex digits");
    }
    return v;
  }
  // One character of a literal or class, escapes decoded.
  std::uint32_t character() {
    if (m_i >= m_s.size()) throw error("unexpected end");
    const auto c = static_cast<unsigned char>(m_s[m_i]);
    if (c == '\\') {
      if (m_i + 1 >= m_s.size()) throw error("unexpected end");
      const char e = m_s[m_i + 1];
      m_i += 2;
      switch (e) {
        case 'x': return hex(2);
        case 'u': return hex(4);
        case 'U': return hex(8);
        case 't': return '\t';
        case 'r': return '\r';
        case 'n': return '\n';
        case '\\':
        case '"':
        case '[':
        case ']':
        case '-': return static_cast<std::uint32_t>(e);
        default: throw error("unknown escape");
      }
    }
    const int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (m_i + static_cast<size_t>(n) > m_s.size()) throw error("a UTF-8 sequence is cut off");
    std::uint32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(m_s[m_i + static_cast<size_t>(k)]) & 0x3F);
    m_i += static_cast<size_t>(n);
    return cp;
  }

  Node alternates(bool nested) {
    Node alt;
    alt.kind = Node::Kind::alt;
    alt.kids.push_back(sequence(nested));
    while (m_i < m_s.size() && m_s[m_i] == '|') {
      m_i = space(m_i + 1, true);
      alt.kids.push_back(sequence(nested));
    }
    return alt;
  }

  Node sequence(bool nested) {
    Node seq;
    seq.kind = Node::Kind::seq;
    auto bytes = [](std::int64_t n) {
      Node b;
      b.kind = Node::Kind::bytes;
      b.bytes = n;
      return b;
    };
    auto repeat = [&](std::uint64_t max_times, bool no_max) {
      if (seq.kids.empty()) throw error("expecting an item before a repetition");
      Node r;
      r.kind = Node::Kind::rep;
      r.max_times = max_times;
      r.no_max = no_max || max_times > k_max_repetition;
      r.kids.push_back(std::move(seq.kids.back()));
      seq.kids.back() = std::move(r);
    };
    while (m_i < m_s.size()) {
      const char c = m_s[m_i];
      if (c == '"') {
        ++m_i;
        std::int64_t n = 0;
        while (m_i < m_s.size() && m_s[m_i] != '"') n += utf8_len(character());
        if (m_i >= m_s.size()) throw error("unclosed literal");
        seq.kids.push_back(bytes(n));
        m_i = space(m_i + 1, nested);
      } else if (c == '[') {
        ++m_i;
        const bool negated = m_i < m_s.size() && m_s[m_i] == '^';
        if (negated) ++m_i;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
        while (m_i < m_s.size() && m_s[m_i] != ']') {
          const std::uint32_t lo = character();
          std::uint32_t hi = lo;
          if (m_i + 1 < m_s.size() && m_s[m_i] == '-' && m_s[m_i + 1] != ']') {
            ++m_i;
            hi = character();
          }
          ranges.emplace_back(lo, hi);
        }
        if (m_i >= m_s.size()) throw error("unclosed character class");
        // A negated class admits 4-byte sequences whatever it lists: llama.cpp decodes any lead
        // byte from 0xF0 up as 4 bytes, to values past U+10FFFF that no class excludes.
        std::int64_t top = negated ? 0x10FFFF : 0;  // the largest code point admitted
        if (!negated)
          for (auto [lo, hi] : ranges) top = std::max<std::int64_t>(top, hi);
        seq.kids.push_back(bytes(utf8_len(static_cast<std::uint32_t>(top))));
        m_i = space(m_i + 1, nested);
      } else if (c == '<' || c == '!') {  // a token: one token, whatever its bytes
        const size_t close = m_s.find('>', m_i);
        if (close == std::string_view::npos) throw error("unclosed token");
        seq.kids.push_back(bytes(1));
        m_i = space(close + 1, nested);
      } else if (is_word(c)) {
        const size_t end = word(m_i);
        Node r;
        r.kind = Node::Kind::ref;
        r.name = std::string(m_s.substr(m_i, end - m_i));
        seq.kids.push_back(std::move(r));
        m_i = space(end, nested);
      } else if (c == '(') {
        m_i = space(m_i + 1, true);
        seq.kids.push_back(alternates(true));
        if (m_i >= m_s.size() || m_s[m_i] != ')') throw error("expecting )");
        m_i = space(m_i + 1, nested);
      } else if (c == '.') {
        seq.kids.push_back(bytes(4));
        m_i = space(m_i + 1, nested);
      } else if (c == '*' || c == '+') {
        m_i = space(m_i + 1, nested);
        repeat(0, true);
      } else if (c == '?') {
        m_i = space(m_i + 1, nested);
        repeat(1, false);
      } else if (c == '{') {
        m_i = space(m_i + 1, nested);
        auto integer = [&] {
          size_t j = m_i;
          while (j < m_s.size() && m_s[j] >= '0' && m_s[j] <= '9') ++j;
          if (j == m_i) throw error("expecting an integer");
          const std::uint64_t v = std::stoull(std::string(m_s.substr(m_i, j - m_i)));
          m_i = space(j, nested);
          return v;
        };
        const std::uint64_t lo = integer();
        std::uint64_t hi = lo;
        bool no_max = false;
        if (m_i < m_s.size() && m_s[m_i] == ',') {
          m_i = space(m_i + 1, nested);
          if (m_i < m_s.size() && m_s[m_i] >= '0' && m_s[m_i] <= '9')
            hi = integer();
          else
            no_max = true;
        }
        if (m_i >= m_s.size() || m_s[m_i] != '}') throw error("expecting }");
        m_i = space(m_i + 1, nested);
        repeat(hi, no_max);
      } else {
        break;
      }
    }
    return seq;
  }

  std::string_view m_s;
  size_t m_i = 0;
};

class Longest {
 public:
  explicit Longest(const std::map<std::string, Node>& rules) : m_rules(rules) {}

  Result<std::int64_t> rule(const std::string& name) {
    if (auto it = m_memo.find(name); it != m_memo.end()) return it->second;
    auto r = m_rules.find(name);
    if (r == m_rules.end()) return bad_input("grammar", "rule " + name + " is used but not defined");
    if (!m_open.insert(name).second) return k_inf;  // recursion: unbounded
    auto v = of(r->second);
    m_open.erase(name);
    if (!v) return v;
    m_memo[name] = *v;
    return v;
  }

 private:
  Result<std::int64_t> of(const Node& n) {
    switch (n.kind) {
      case Node::Kind::bytes: return n.bytes;
      case Node::Kind::ref: return rule(n.name);
      case Node::Kind::seq: {
        std::int64_t sum = 0;
        for (const auto& k : n.kids) {
          auto v = of(k);
          if (!v) return v;
          sum = add(sum, *v);
        }
        return sum;
      }
      case Node::Kind::alt: {
        std::int64_t best = 0;
        for (const auto& k : n.kids) {
          auto v = of(k);
          if (!v) return v;
          best = std::max(best, *v);
        }
        return best;
      }
      case Node::Kind::rep: {
        auto v = of(n.kids.front());
        if (!v) return v;
        if (*v == 0) return 0;
        return n.no_max ? k_inf : mul(*v, n.max_times);
      }
    }
    return k_inf;
  }

  const std::map<std::string, Node>& m_rules;
  std::map<std::string, std::int64_t> m_memo;
  std::set<std::string> m_open;
};

}  // namespace

Result<std::string> schema_grammar(std::string_view json_schema) {
  std::string g;
  try {
    g = json_schema_to_grammar(common_json::parse(std::string(json_schema)));
  } catch (const std::exception& e) {
    return bad_input("json schema", e.what(), "the schema must be valid JSON Schema");
  }
  return replace_rule(replace_rule(std::move(g), "space", k_space_rule), "char", k_char_rule);
}

Result<std::optional<std::int64_t>> grammar_max_bytes(std::string_view gbnf) {
  auto rules = Parser(gbnf).parse();
  if (!rules) return std::unexpected(rules.error());
  Longest longest(*rules);
  auto n = longest.rule("root");
  if (!n) return std::unexpected(n.error());
  if (*n >= k_inf) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{*n};
}

Result<int> schema_max_tokens(std::string_view json_schema) {
  auto g = schema_grammar(json_schema);
  if (!g) return std::unexpected(g.error());
  auto n = grammar_max_bytes(*g);
  if (!n) return std::unexpected(n.error());
  if (!*n || **n >= std::numeric_limits<int>::max())
    return bad_input("json schema", "an answer under it has no length bound",
                     "bound every string (maxLength, at most 2000), array (maxItems) and number");
  return static_cast<int>(**n + 1);
}

}  // namespace knowthy::llm
