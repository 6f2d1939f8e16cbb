// The longest answer a grammar admits, and the schema grammar the engine uses.
#include "llm/grammar.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipeline/extraction.hpp"

namespace knowthy::llm {
namespace {

std::optional<std::int64_t> longest(const std::string& gbnf) {
  auto n = grammar_max_bytes(gbnf);
  EXPECT_TRUE(n) << gbnf << ": " << (n ? "" : n.error().why);
  return n ? *n : std::optional<std::int64_t>{-1};
}

TEST(Grammar, TheLongestTextOfBoundedGrammars) {
  EXPECT_EQ(longest("root ::= \"ab\" [c-d]{0,3}\n"), 5);
  EXPECT_EQ(longest("root ::= x x\nx ::= \"é\" | \"abc\"\n"), 6);  // é is 2 bytes, abc 3
  EXPECT_EQ(longest("root ::= [a-z]"), 1);
  EXPECT_EQ(longest("root ::= [\\u00e0-\\u00ff]"), 2);
  EXPECT_EQ(longest("root ::= [^\"\\\\\\x7F\\x00-\\x1F]"), 4);   // any character but a few
  EXPECT_EQ(longest("root ::= [^\\U00010000-\\U0010FFFF]"), 4);  // llama.cpp decodes 4-byte leads anyway
  EXPECT_EQ(longest("root ::= (\"a\" | \"bcd\"){2} \"e\"?"), 7);
  EXPECT_EQ(longest("root ::= \"\\n\\\"\\\\\" # a comment\n"), 3);
  EXPECT_EQ(longest("root ::= (\n  \"a\" |\n  \"bb\"\n) x\nx ::= \"c\"{3}\n"), 5);  // groups span lines
  EXPECT_EQ(longest("root ::= <[42]> \"ab\""), 3);                                  // a token counts once
  EXPECT_EQ(longest("root ::= \"\" | \"\"*"), 0);                                   // repeating nothing is nothing
}

TEST(Grammar, UnboundedGrammarsHaveNoBound) {
  for (const char* g : {"root ::= \"a\"*", "root ::= \"a\"+", "root ::= \"a\"{2,}", "root ::= \"a\" root?",
                        "root ::= x\nx ::= \"(\" x? \")\"", "root ::= \"a\"{0,2001}"})
    EXPECT_EQ(longest(g), std::nullopt) << g;
}

TEST(Grammar, BadGrammarsAreErrors) {
  for (const char* g : {"root ::= x", "root = \"a\"", "root ::= \"a", "root ::= [a-", "root ::= (\"a\""}) {
    auto n = grammar_max_bytes(g);
    EXPECT_FALSE(n) << g;
  }
}

TEST(Grammar, TheSchemaGrammarAllowsOneSpaceAndShortEscapes) {
  auto g = schema_grammar(R"({"type":"object","properties":{"a":{"type":"string","maxLength":3}},"required":["a"]})");
  ASSERT_TRUE(g) << g.error().why;
  EXPECT_NE(g->find("space ::= | \" \"\n"), std::string::npos) << *g;
  EXPECT_NE(g->find("char ::= [^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\/bfnrt])"), std::string::npos) << *g;
  // {, "a", :, a string of 3 characters of up to 4 bytes, }, and the spaces between.
  auto n = grammar_max_bytes(*g);
  ASSERT_TRUE(n && *n);
  EXPECT_EQ(**n, 1 + 1 + 3 + 1 + 1 + 1 + (2 + 3 * 4) + 1 + 1);
  EXPECT_EQ(*schema_max_tokens(R"({"type":"string","maxLength":3})"), 2 + 3 * 4 + 1);  // + end of generation
  auto open = schema_max_tokens(R"({"type":"string"})");
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().why.find("no length bound"), std::string::npos);
  EXPECT_FALSE(schema_grammar("{not json"));
}

// The bound covers the longest answer the contract allows: every string at its bound in 4-byte
// characters, every list full, 20-digit ids. (It may be a little above it: optional spaces.)
TEST(Grammar, TheAnswerBoundCoversTheLongestAnswer) {
  pipeline::AnswerBounds b;
  const std::string id(20, '9');
  auto s = [](int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += "🙂";
    return out;
  };
  nlohmann::json cands = nlohmann::json::array(), exs = nlohmann::json::array();
  for (int i = 0; i < b.max_claims; ++i)
    cands.push_back({{"category", "relationship"},
                     {"claim", s(b.claim_max_chars)},
                     {"evidence_tweet_ids", std::vector<std::string>(static_cast<size_t>(b.max_evidence), id)},
                     {"confidence", 0.1}});
  for (int i = 0; i < b.max_examples; ++i)
    exs.push_back({{"prompt", s(b.example_prompt_max_chars)},
                   {"response", s(b.example_response_max_chars)},
                   {"evidence_tweet_ids", std::vector<std::string>(static_cast<size_t>(b.max_evidence), id)}});
  const nlohmann::json answer{
      {"notes_markdown", s(b.notes_max_chars)},
      {"knowledge_candidates", cands},
      {"training_examples", exs},
      {"rubric_scores", {{"grounding", 5}, {"specificity", 5}, {"source_distinction", 5}, {"coverage", 5}}}};
  const std::string text = answer.dump();
  auto bound = pipeline::answer_token_bound(b);
  ASSERT_TRUE(bound);
  EXPECT_GE(*bound, static_cast<int>(text.size()) + 1);
  EXPECT_LE(*bound, static_cast<int>(text.size()) * 11 / 10);
  // And the normalizer keeps it whole: the schema's bounds and the normalizer's agree.
  pipeline::NormalizationReport rep;
  auto x = pipeline::parse_answer(text, {id}, rep, b);
  ASSERT_TRUE(x);
  EXPECT_EQ(static_cast<int>(x->candidates.size()), b.max_claims);
  for (const auto& c : rep.changes) EXPECT_EQ(c.find("cut"), std::string::npos) << c;
}

}  // namespace
}  // namespace knowthy::llm
