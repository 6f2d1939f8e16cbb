#pragma once
// The archives' JSON, written byte for byte as real exports write it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sample/text.hpp"
#include "util/text.hpp"

namespace knowthy::sample {

// Streams the two pretty-printing styles of real archives: modern = json.dumps(indent=2,
// separators=(',', ' : ')) with empty containers as "[ ]" / "{ }"; legacy = Jackson's default
// printer (objects indent, arrays stay inline: "[ {", "}, {", "[ \"0\", \"13\" ]").
class JsonWriter {
 public:
  JsonWriter(std::string& out, bool jackson, int root_nest) : m_out(out), m_jackson(jackson), m_root_nest(root_nest) {
    m_stack.reserve(16);
  }
  JsonWriter& key(std::string_view k);
  JsonWriter& begin_object() { return open('{', false); }
  JsonWriter& begin_array() { return open('[', true); }
  JsonWriter& end();
  JsonWriter& str(std::string_view v) {
    before_value();
    util::append_json_string(m_out, v);
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
  void before_value();
  JsonWriter& open(char c, bool array);

  std::string& m_out;
  bool m_jackson;
  int m_root_nest;
  bool m_after_key = false;
  std::vector<Frame> m_stack;
};

}  // namespace knowthy::sample
