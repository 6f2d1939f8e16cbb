#include "archive/sample_json.hpp"

#include <cstdio>

namespace knowthy::archive::sample {

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

JsonWriter& JsonWriter::key(std::string_view k) {
  Frame& f = m_stack.back();
  if (f.count++) m_out += ',';
  newline(f.nest + 1);
  append_json_str(m_out, k);
  m_out += " : ";
  m_after_key = true;
  return *this;
}

JsonWriter& JsonWriter::end() {
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

void JsonWriter::before_value() {
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

JsonWriter& JsonWriter::open(char c, bool array) {
  int nest = m_root_nest;
  if (!m_stack.empty()) nest = m_jackson && m_stack.back().array ? m_stack.back().nest : m_stack.back().nest + 1;
  before_value();
  m_out += c;
  m_stack.push_back({array, nest, 0});
  return *this;
}

}  // namespace knowthy::archive::sample
