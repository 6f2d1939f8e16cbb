#pragma once
// Text helpers that know nothing of tweets: UTF-8 code points, HTML entities, JSON escaping, dates.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace knowthy::util {

// `s` without leading and trailing spaces, tabs, CRs and LFs.
std::string trim(std::string_view s);

// Byte offset of the code point with index `cp` in UTF-8 `s` (s.size() when past the end).
size_t utf8_offset(std::string_view s, size_t cp);

// `s` with each malformed UTF-8 sequence replaced by one U+FFFD (model output may end inside a
// character, or hold stray bytes; JSON and chat templates need valid text). A sequence is what its
// lead byte announces, as llama.cpp's grammar counts characters, so a string the grammar bounded
// to N characters stays within N.
std::string valid_utf8(std::string_view s);

// Appends `s` with &amp; &lt; &gt; decoded (the only entities Twitter writes into full_text).
void append_html_unescaped(std::string& out, std::string_view s);
std::string html_unescape(std::string_view s);

// Appends `s` as a JSON string literal, quotes included, exactly as Python's
// json.dumps(ensure_ascii=False) writes it (the sample archives rely on that).
void append_json_string(std::string& out, std::string_view s);

// "Wed Oct 10 20:19:24 +0000 2018" -> "2018-10-10T20:19:24Z"; nullopt if malformed.
std::optional<std::string> twitter_date_to_iso(std::string_view s);
// "2023-12-22T13:52:40.000Z" -> "2023-12-22T13:52:40Z" (seconds precision); nullopt if malformed.
std::optional<std::string> iso_to_seconds(std::string_view s);

// `s` in Unicode NFKC with case folded (via utf8proc), for comparing texts written differently:
// "Ｃｏｆｆｅｅ" and "coffee" fold alike. Invalid UTF-8 is passed through lowercased byte by byte.
std::string fold_case_nfkc(std::string_view s);

// Current UTC time as ISO-8601 ("2026-11-24T17:29:44Z").
std::string now_iso();
// Seconds since the epoch <-> "YYYY-MM-DDTHH:MM:SSZ" (UTC). iso_to_unix reads the first 19
// characters; nullopt if malformed.
std::optional<std::int64_t> iso_to_unix(std::string_view s);
std::string unix_to_iso(std::int64_t t);

// Levenshtein distance between two byte strings (for short strings: "did you mean ...?").
size_t edit_distance(std::string_view a, std::string_view b);

// Parses a decimal unsigned 64-bit integer, the whole string; nullopt otherwise.
std::optional<std::uint64_t> parse_u64(std::string_view s);

}  // namespace knowthy::util
