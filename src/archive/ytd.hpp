#pragma once
// Streams the records of one archive data file: `window.YTD.<name>.partN = [ {...}, {...} ]`.
// The file is never held whole: records are cut out of a sliding buffer, each handed out as one
// complete JSON object (followed by readable padding, as simdjson wants).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "archive/source.hpp"

namespace knowthy::archive {

class YtdReader {
 public:
  YtdReader(EntryReader& in, std::string file_name);

  // Reads and checks the `window.YTD.<name>.partN = ` prefix; returns the global name
  // ("YTD.tweets.part0").
  Result<std::string> read_prefix();
  // The next record, or an empty view at the end of the array. Valid until the next call.
  Result<std::string_view> next();
  // Bytes of the file consumed so far (for progress and error offsets).
  std::uint64_t offset() const { return m_base + m_pos; }
  const std::string& file_name() const { return m_file; }

 private:
  Result<bool> fill();  // false at end of input
  Result<bool> skip_ws();
  // Reads more input while a record starting at `start` is being scanned at `i`; both move
  // with the buffer. A record that the input cuts off is an error.
  Status refill_record(size_t& start, size_t& i);
  std::unexpected<Error> malformed(const std::string& why) const;

  EntryReader& m_in;
  std::string m_file;
  std::vector<char> m_buf;  // [0, m_end) valid; m_buf.size() - m_end >= padding
  size_t m_pos = 0;
  size_t m_end = 0;
  std::uint64_t m_base = 0;  // file offset of m_buf[0]
  bool m_eof = false;
  bool m_started = false;  // after '['
  bool m_finished = false;
};

}  // namespace knowthy::archive
