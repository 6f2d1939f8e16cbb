#pragma once
// JSON schemas as llama.cpp grammars, and the longest answer a grammar admits. Under a grammar,
// llama.cpp only samples tokens whose text is at least one byte (it rejects empty pieces), so the
// longest admitted text in bytes, plus the end-of-generation token, bounds the answer in tokens:
// with max_tokens at that bound, an answer under the grammar always closes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace knowthy::llm {

// The GBNF grammar for a JSON schema: llama.cpp's converter, with two rules made tighter so that
// the worst case stays small: whitespace between tokens is at most one space (the converter
// allows up to 22 characters, newlines and tabs, at every position), and string characters are
// written as themselves or with a short escape (no \uXXXX: 6 bytes for one character).
Result<std::string> schema_grammar(std::string_view json_schema);

// The longest text, in UTF-8 bytes, that `gbnf` admits from its `root` rule; nullopt when it is
// unbounded (*, +, {m,} or recursion on a path that consumes input). A character class counts
// the longest UTF-8 encoding it admits. Repetitions above llama.cpp's limit (2000) count as
// unbounded, as llama.cpp's parser makes them. Bad grammar text is bad input.
Result<std::optional<std::int64_t>> grammar_max_bytes(std::string_view gbnf);

// The most tokens an answer under `json_schema` can take: grammar_max_bytes(schema_grammar()) + 1
// (the end-of-generation token). An unbounded schema is bad input naming what is unbounded.
Result<int> schema_max_tokens(std::string_view json_schema);

}  // namespace knowthy::llm
