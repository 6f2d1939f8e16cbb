#include "sample/json.hpp"

namespace knowthy::sample {

JsonWriter& JsonWriter::key(std::string_view k) {
  Frame& f = m_stack.back();
  if (f.count++) m_out += ',';
  newline(f.nest + 1);
  util::append_json_string(m_out, k);
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

}  // namespace knowthy::sample
