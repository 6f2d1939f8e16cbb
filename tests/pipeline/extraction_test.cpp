// Parsing and normalizing untrusted model answers: real-world shapes, each with its exact result.
#include "pipeline/extraction.hpp"

#include <gtest/gtest.h>

#include "llm/llama_backend.hpp"
#include "llm/sample_model.hpp"
#include "support/support.hpp"

namespace knowthy::pipeline {
namespace {

using nlohmann::json;

const std::set<std::string> k_batch{"1765014949458977459", "1765014949458977460", "42"};

const char* k_good = R"({"notes_markdown":"Bakes bread.","knowledge_candidates":[{"category":"habit",
  "claim":"Bakes sourdough on Sundays.","evidence_tweet_ids":["1765014949458977459"],"confidence":0.8}],
  "training_examples":[{"prompt":"What do you bake?","response":"Sourdough, every Sunday.",
  "evidence_tweet_ids":["1765014949458977459"]}],
  "rubric_scores":{"grounding":4,"specificity":3,"source_distinction":5,"coverage":4}})";

Extraction parse_ok(const std::string& text, NormalizationReport& rep) {
  auto e = parse_answer(text, k_batch, rep);
  EXPECT_TRUE(e) << (e ? "" : e.error().why) << "\n" << text;
  return e ? *e : Extraction{};
}

void expect_good(const Extraction& e) {
  EXPECT_EQ(e.notes_markdown, "Bakes bread.");
  ASSERT_EQ(e.candidates.size(), 1u);
  EXPECT_EQ(e.candidates[0].category, "habit");
  EXPECT_EQ(e.candidates[0].claim, "Bakes sourdough on Sundays.");
  EXPECT_EQ(e.candidates[0].evidence_tweet_ids, std::vector<std::string>{"1765014949458977459"});
  EXPECT_DOUBLE_EQ(e.candidates[0].confidence, 0.8);
  EXPECT_TRUE(e.candidates[0].flags.empty());
  ASSERT_EQ(e.examples.size(), 1u);
  EXPECT_EQ(e.examples[0].response, "Sourdough, every Sunday.");
  EXPECT_EQ(e.rubric_scores.size(), 4u);
  EXPECT_EQ(e.rubric_scores.at("source_distinction"), 5);
}

TEST(Extraction, TheShapesModelsReallyAnswerWith) {
  const std::string good = k_good;
  for (std::string text :
       {good, "```json\n" + good + "\n```", "Here is the JSON you asked for:\n\n" + good,
        good + "\n\nLet me know if you want more detail! {\"x\": 1}", "Sure {not json at all} here:\n" + good,
        good + "\n" + good, "```\n" + good + "```\nNotes: the {braces} above are balanced."}) {
    NormalizationReport rep;
    expect_good(parse_ok(text, rep));
    EXPECT_TRUE(rep.changes.empty()) << json(rep.changes).dump();
    EXPECT_TRUE(rep.hallucinated_ids.empty());
  }
}

TEST(Extraction, BracesAndEscapesInsideStrings) {
  NormalizationReport rep;
  auto e = parse_ok(R"(x {"notes_markdown":"Uses {curly} and \"quotes\" and \\ and \u00e9\ud83d\ude00 }",
    "knowledge_candidates":[{"category":"Style","claim":"Writes } oddly {","evidence_tweet_ids":["42"],"confidence":1}],
    "training_examples":[],"rubric_scores":{"grounding":1,"specificity":1,"source_distinction":1,"coverage":1}} y)",
                    rep);
  EXPECT_EQ(e.notes_markdown, "Uses {curly} and \"quotes\" and \\ and \u00e9\U0001F600 }");
  ASSERT_EQ(e.candidates.size(), 1u);
  EXPECT_EQ(e.candidates[0].claim, "Writes } oddly {");
  EXPECT_EQ(e.candidates[0].category, "style");  // case folded, not a change worth reporting
  EXPECT_TRUE(rep.changes.empty()) << json(rep.changes).dump();
}

TEST(Extraction, TruncatedInvalidAndEmptyAnswersFail) {
  const std::string good = k_good;
  for (std::string text :
       {good.substr(0, good.size() - 20), std::string("I cannot help with that."), std::string(""),
        std::string("{\"notes_markdown\": 'single quotes'}"), std::string("[1, 2, 3]"), std::string("{\"a\": 1,}")}) {
    NormalizationReport rep;
    auto e = parse_answer(text, k_batch, rep);
    EXPECT_FALSE(e) << text;
    if (!e) {
      EXPECT_EQ(e.error().kind, ErrorKind::bad_input);
    }
  }
  NormalizationReport rep;
  auto cut = parse_answer(good.substr(0, 100), k_batch, rep);
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().why.find("cut off"), std::string::npos);
}

TEST(Extraction, OutOfRangeNumbersAreClamped) {
  NormalizationReport rep;
  auto e = parse_ok(R"({"notes_markdown":"n","knowledge_candidates":[
    {"category":"habit","claim":"a","evidence_tweet_ids":["42"],"confidence":1.7},
    {"category":"habit","claim":"b","evidence_tweet_ids":["42"],"confidence":-38e662595},
    {"category":"habit","claim":"c","evidence_tweet_ids":["42"],"confidence":"0.25"},
    {"category":"habit","claim":"d","evidence_tweet_ids":["42"],"confidence":"high"},
    {"category":"habit","claim":"e","evidence_tweet_ids":["42"]}],
    "training_examples":[],"rubric_scores":{"grounding":9,"specificity":-1,"source_distinction":2.5,"coverage":1e999}})",
                    rep);
  ASSERT_EQ(e.candidates.size(), 5u);
  EXPECT_EQ(e.candidates[0].confidence, 1.0);
  EXPECT_EQ(e.candidates[1].confidence, 0.0);
  EXPECT_EQ(e.candidates[2].confidence, 0.25);
  EXPECT_EQ(e.candidates[3].confidence, 0.5);
  EXPECT_EQ(e.candidates[4].confidence, 0.5);
  EXPECT_EQ(e.rubric_scores.at("grounding"), 5);
  EXPECT_EQ(e.rubric_scores.at("specificity"), 0);
  EXPECT_EQ(e.rubric_scores.at("source_distinction"), 2.5);
  EXPECT_EQ(e.rubric_scores.at("coverage"), 5);
  const std::vector<std::string> expected{"knowledge_candidates[0].confidence: 1.7 clamped to 1",
                                          "knowledge_candidates[1].confidence: -1e+300 clamped to 0",
                                          "knowledge_candidates[2].confidence: \"0.25\" read as a number",
                                          "knowledge_candidates[3].confidence: \"high\" is not a number, 0.5 used",
                                          "knowledge_candidates[4].confidence: missing, 0.5 used",
                                          "rubric_scores.grounding: 9 clamped to 5",
                                          "rubric_scores.specificity: -1 clamped to 0",
                                          "rubric_scores.coverage: 1e+300 clamped to 5"};
  EXPECT_EQ(rep.changes, expected);
}

TEST(Extraction, CategoriesFieldsAndEvidenceAreNormalizedAndReported) {
  NormalizationReport rep;
  const std::string long_claim(700, 'x');
  auto e = parse_ok(R"({"notes_markdown":"  spaced  ","extra":true,"knowledge_candidates":[
    {"category":"hobby","claim":"  Runs trails.  ","evidence_tweet_ids":["[1765014949458977460]", 42, "42", "999", "abc"],"confidence":0.9},
    {"category":"belief","claim":"","evidence_tweet_ids":["42"],"confidence":0.9},
    {"category":"event","claim":")" +
                        long_claim + R"(","evidence_tweet_ids":["7"],"confidence":0.4},
    "not an object"],
    "training_examples":[{"prompt":"Q?","response":"","evidence_tweet_ids":["42"]},
                         {"prompt":"Q2?","response":"A2","evidence_tweet_ids":[]}],
    "rubric_scores":{"grounding":3,"specificity":3,"coverage":3,"mood":5}})",
                    rep);
  EXPECT_EQ(e.notes_markdown, "spaced");
  ASSERT_EQ(e.candidates.size(), 2u);
  EXPECT_EQ(e.candidates[0].category, "other");
  EXPECT_EQ(e.candidates[0].claim, "Runs trails.");
  EXPECT_EQ(e.candidates[0].evidence_tweet_ids, (std::vector<std::string>{"1765014949458977460", "42"}));
  EXPECT_TRUE(e.candidates[0].flags.empty());
  EXPECT_EQ(e.candidates[1].claim.size(), k_max_claim);
  EXPECT_EQ(e.candidates[1].flags, std::vector<std::string>{"missing-evidence"});
  ASSERT_EQ(e.examples.size(), 1u);
  EXPECT_EQ(e.examples[0].flags, std::vector<std::string>{"missing-evidence"});
  EXPECT_EQ(rep.hallucinated_ids, (std::vector<std::string>{"999", "\"abc\"", "7"}));
  EXPECT_EQ(rep.dropped_candidates, 2);
  EXPECT_EQ(rep.dropped_examples, 1);
  EXPECT_EQ(rep.missing_evidence, 1);
  const std::vector<std::string> expected{
      "unknown key \"extra\" ignored",
      "knowledge_candidates[0].category: \"hobby\" -> other",
      "knowledge_candidates[0].evidence_tweet_ids: 42 repeated, dropped",
      "knowledge_candidates[0].evidence_tweet_ids: 999 is not a tweet of this batch, dropped",
      "knowledge_candidates[0].evidence_tweet_ids: \"abc\" is not a tweet of this batch, dropped",
      "knowledge_candidates[1]: no claim, dropped",
      "knowledge_candidates[2].claim: 700 bytes cut to 500",
      "knowledge_candidates[2].evidence_tweet_ids: 7 is not a tweet of this batch, dropped",
      "knowledge_candidates[3]: \"not an object\" is not an object, dropped",
      "training_examples[0]: empty response, dropped",
      "rubric_scores.source_distinction: missing",
      "rubric_scores.mood: unknown score ignored"};
  EXPECT_EQ(rep.changes, expected);
  auto j = rep.to_json();
  EXPECT_EQ(j["hallucinated_count"], 3);
}

TEST(Extraction, IdsAsBigNumbersStayExact) {
  NormalizationReport rep;
  auto e = parse_ok(R"({"notes_markdown":"n","knowledge_candidates":[{"category":"habit","claim":"a",
    "evidence_tweet_ids":[1765014949458977459],"confidence":0.5}],"training_examples":[],"rubric_scores":{}})",
                    rep);
  ASSERT_EQ(e.candidates.size(), 1u);
  EXPECT_EQ(e.candidates[0].evidence_tweet_ids, std::vector<std::string>{"1765014949458977459"});
}

TEST(Extraction, SchemaIsValidJsonSchemaWithTheContractsKeys) {
  auto s = json::parse(answer_schema());
  EXPECT_EQ(s["required"].size(), 4u);
  EXPECT_EQ(s["properties"]["knowledge_candidates"]["items"]["properties"]["category"]["enum"].size(),
            categories().size());
}

TEST(Extraction, TheSchemaConstrainsTheRealEngineToParseableAnswers) {
  test::TempDir dir;
  ASSERT_TRUE(llm::write_sample_model(dir / "m.gguf", llm::SampleModelOptions{}));
  llm::LlamaOptions o;
  o.model_path = (dir / "m.gguf").string();
  o.threads = 1;
  o.context = 2048;
  auto b = llm::LlamaBackend::load(o);
  ASSERT_TRUE(b);
  std::vector<llm::ChatRequest> rq;
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    llm::ChatRequest r;
    r.messages = {{"user", "[42] 2024-01-01: I bake bread.\nAnswer in JSON."}};
    r.options.json_schema = answer_schema();
    r.options.max_tokens = 1500;
    r.options.temperature = 0.7f;
    r.options.seed = seed;
    rq.push_back(r);
  }
  for (auto& c : (*b)->generate(rq)) {
    ASSERT_TRUE(c) << c.error().why;
    NormalizationReport rep;
    auto e = parse_answer(c->text, k_batch, rep);
    EXPECT_TRUE(e) << c->text;
  }
}

}  // namespace
}  // namespace knowthy::pipeline
