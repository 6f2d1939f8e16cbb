// Parsing and normalizing untrusted model answers: real-world shapes, each with its exact result.
#include "pipeline/extraction.hpp"

#include <gtest/gtest.h>

#include "llm/grammar.hpp"
#include "llm/llama_backend.hpp"
#include "sample/model.hpp"
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
  EXPECT_EQ(e.candidates[1].claim.size(), static_cast<size_t>(AnswerBounds{}.claim_max_chars));
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
      "knowledge_candidates[2].claim: 700 characters cut to 100",
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

TEST(Extraction, TheBoundsAreEnforcedOnUnconstrainedAnswersInCharacters) {
  const AnswerBounds b{.notes_max_chars = 5,
                       .max_claims = 1,
                       .claim_max_chars = 3,
                       .max_evidence = 1,
                       .max_examples = 1,
                       .example_prompt_max_chars = 4,
                       .example_response_max_chars = 2};
  NormalizationReport rep;
  auto e = parse_answer(R"({"notes_markdown":"ÅÄÖåäö","knowledge_candidates":[
    {"category":"habit","claim":"日本語です","evidence_tweet_ids":["42","1765014949458977459"],"confidence":0.5},
    {"category":"habit","claim":"two","evidence_tweet_ids":["42"],"confidence":0.5}],
    "training_examples":[{"prompt":"Why so?","response":"🙂🙂🙂","evidence_tweet_ids":["42"]},
                         {"prompt":"b","response":"c","evidence_tweet_ids":["42"]}],
    "rubric_scores":{"grounding":1,"specificity":1,"source_distinction":1,"coverage":1}})",
                        k_batch, rep, b);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->notes_markdown, "ÅÄÖåä");  // characters, not bytes: no sequence is split
  ASSERT_EQ(e->candidates.size(), 1u);
  EXPECT_EQ(e->candidates[0].claim, "日本語");
  EXPECT_EQ(e->candidates[0].evidence_tweet_ids, std::vector<std::string>{"42"});
  ASSERT_EQ(e->examples.size(), 1u);
  EXPECT_EQ(e->examples[0].prompt, "Why");  // cut to "Why " and trimmed
  EXPECT_EQ(e->examples[0].response, "🙂🙂");
  EXPECT_EQ(rep.dropped_candidates, 1);
  EXPECT_EQ(rep.dropped_examples, 1);
  EXPECT_TRUE(rep.hallucinated_ids.empty());
}

TEST(Extraction, TheBatchSchemaEnumeratesItsTweetsAndBoundsEverything) {
  AnswerBounds b;
  b.max_claims = 5;
  b.max_evidence = 2;
  auto s = json::parse(answer_schema(b, {"42", "1765014949458977459"}));
  EXPECT_EQ(s["required"].size(), 4u);
  const json& cand = s["properties"]["knowledge_candidates"];
  EXPECT_EQ(cand["maxItems"], 5);
  EXPECT_EQ(cand["items"]["properties"]["category"]["enum"].size(), categories().size());
  EXPECT_EQ(cand["items"]["properties"]["evidence_tweet_ids"]["maxItems"], 2);
  EXPECT_EQ(cand["items"]["properties"]["evidence_tweet_ids"]["items"]["enum"], json({"42", "1765014949458977459"}));
  EXPECT_EQ(cand["items"]["properties"]["claim"]["maxLength"], b.claim_max_chars);
  EXPECT_EQ(cand["items"]["properties"]["confidence"]["enum"].size(), 11u);
  EXPECT_EQ(s["properties"]["training_examples"]["items"]["properties"]["evidence_tweet_ids"]["items"]["enum"],
            json({"42", "1765014949458977459"}));
  // Without ids: the shape the prompt shows, any id of up to 20 digits.
  auto shape = json::parse(answer_schema(b, {}));
  EXPECT_TRUE(
      shape["properties"]["knowledge_candidates"]["items"]["properties"]["evidence_tweet_ids"]["items"].contains(
          "pattern"));

  // The worst case grows with every bound, and ids are at most 20 digits, so the bound covers
  // every batch.
  const int base = *answer_token_bound(b);
  auto bigger = b;
  bigger.claim_max_chars += 10;
  EXPECT_EQ(*answer_token_bound(bigger), base + 10 * 4 * b.max_claims);  // 4 bytes per character at most
  bigger = b;
  bigger.max_evidence += 1;
  EXPECT_GT(*answer_token_bound(bigger), base);
  EXPECT_LE(*llm::schema_max_tokens(answer_schema(b, {"42", "1765014949458977459"})), base);
}

// What the construction guarantees on the real engine, whatever the random model picks: under
// the batch's schema with max_tokens at its worst case, every answer closes, parses, stays
// within the bounds and cites only tweets of the batch.
TEST(Extraction, UnderTheBatchSchemaTheRealEngineAlwaysClosesAndCitesOnlyTheBatch) {
  test::TempDir dir;
  test::write_model(dir / "m.gguf");
  llm::LlamaOptions o;
  o.model_path = (dir / "m.gguf").string();
  o.threads = test::engine_threads();
  o.context = 4096;
  auto b = llm::LlamaBackend::load(o);
  ASSERT_TRUE(b);
  const AnswerBounds bounds{.notes_max_chars = 60,
                            .max_claims = 3,
                            .claim_max_chars = 50,
                            .max_evidence = 2,
                            .max_examples = 1,
                            .example_prompt_max_chars = 40,
                            .example_response_max_chars = 60};
  const std::vector<std::string> ids{"1765014949458977459", "1765014949458977460", "42"};
  const std::string schema = answer_schema(bounds, ids);
  const int max_tokens = *llm::schema_max_tokens(schema);
  std::vector<llm::ChatRequest> rq;
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    llm::ChatRequest r;
    r.messages = {{"user",
                   "[42] 2024-01-01: I bake bread.\n[1765014949458977459] 2024-01-02: Rain again.\n"
                   "Answer in JSON."}};
    r.options.json_schema = schema;
    r.options.max_tokens = max_tokens;
    r.options.temperature = seed == 1 ? 0.0f : 0.9f;
    r.options.seed = seed;
    rq.push_back(r);
  }
  const std::set<std::string> batch(ids.begin(), ids.end());
  for (auto& c : (*b)->generate(rq)) {
    ASSERT_TRUE(c) << c.error().why;
    EXPECT_EQ(c->finish, llm::FinishReason::stop) << c->text;
    EXPECT_LT(c->completion_tokens, max_tokens);
    auto j = json::parse(c->text, nullptr, false);  // the whole answer is one JSON object
    ASSERT_TRUE(j.is_object()) << c->text;
    NormalizationReport rep;
    auto e = parse_answer(c->text, batch, rep, bounds);
    ASSERT_TRUE(e) << c->text;
    EXPECT_TRUE(rep.hallucinated_ids.empty()) << c->text;
    for (const auto& change : rep.changes) {  // nothing out of bounds, of the wrong type or unknown
      EXPECT_EQ(change.find("cut to"), std::string::npos) << change;
      EXPECT_EQ(change.find("clamped"), std::string::npos) << change;
      EXPECT_EQ(change.find("not a"), std::string::npos) << change;
      EXPECT_EQ(change.find("unknown"), std::string::npos) << change;
      EXPECT_EQ(change.find("missing"), std::string::npos) << change;
    }
    EXPECT_LE(j["knowledge_candidates"].size(), 3u);
    EXPECT_EQ(e->rubric_scores.size(), rubric_keys().size());
  }
}

}  // namespace
}  // namespace knowthy::pipeline
