// The batch runner over a real workspace (SQLite, files) with a scripted model and a fake clock.
#include "pipeline/batch_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <regex>

#include "llm/grammar.hpp"
#include "llm/openai_backend.hpp"
#include "pipeline/artifacts.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/integrity.hpp"
#include "support/support.hpp"

namespace knowthy::pipeline {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Answers each request with what `answer` says; records every request.
class ScriptedBackend final : public llm::ModelBackend {
 public:
  std::function<Result<llm::Completion>(const llm::ChatRequest&)> answer;
  std::vector<llm::ChatRequest> requests;
  int parallel = 1;
  int sessions = 0;
  int context = 0;  // > 0: says its context and counts tokens (a byte a token), as the embedded engine does
  llm::BackendInfo info() const override { return {"scripted", "script", context, false, parallel}; }
  std::optional<int> count_tokens(std::span<const llm::Message> messages) override {
    if (context <= 0) return std::nullopt;
    size_t n = 0;
    for (const auto& m : messages) n += m.content.size();
    return static_cast<int>(n);
  }
  std::vector<Result<llm::Completion>> generate(std::span<const llm::ChatRequest> rq) override {
    std::vector<Result<llm::Completion>> out;
    for (const auto& r : rq) {
      requests.push_back(r);
      auto c = answer(r);
      if (c && c->session.empty()) c->session = r.session.empty() ? "s" + std::to_string(++sessions) : r.session;
      out.push_back(std::move(c));
    }
    return out;
  }
  Result<llm::Score> score(std::string_view, std::string_view) override { return fail("score", "not scripted"); }
};

class FakeClock final : public util::Clock {
 public:
  time_point t{};
  std::vector<long> sleeps;  // ms
  time_point now() override { return t; }
  void sleep_for(std::chrono::milliseconds d) override {
    sleeps.push_back(static_cast<long>(d.count()));
    t += d;
  }
};

// The tweet ids shown in the draft prompt, in order.
std::vector<std::string> ids_in(const llm::ChatRequest& r) {
  std::vector<std::string> ids;
  static const std::regex k_line(R"(^\[(\d+)\])", std::regex::multiline);
  const std::string& user = r.messages.at(1).content;
  for (std::sregex_iterator it(user.begin(), user.end(), k_line), end; it != end; ++it) ids.push_back((*it)[1]);
  return ids;
}

std::string answer_citing(const std::vector<std::string>& ids, const std::string& claim) {
  return json{
      {"notes_markdown", "notes on " + claim},
      {"knowledge_candidates",
       {{{"category", "habit"}, {"claim", claim}, {"evidence_tweet_ids", ids}, {"confidence", 0.75}}}},
      {"training_examples", {{{"prompt", "What do you do?"}, {"response", "I " + claim}, {"evidence_tweet_ids", ids}}}},
      {"rubric_scores", {{"grounding", 4}, {"specificity", 3}, {"source_distinction", 5}, {"coverage", 2}}}}
      .dump();
}

Result<llm::Completion> good_answer(const llm::ChatRequest& r) {
  llm::Completion c;
  const bool critique = r.messages.size() > 2;
  c.text = answer_citing({ids_in(r).front()}, critique ? "checked" : "drafted");
  c.prompt_tokens = 100;
  c.prompt_tokens_evaluated = critique ? 20 : 100;
  c.completion_tokens = 50;
  return c;
}

struct Tw {
  std::uint64_t id;
  std::string date;  // YYYY-MM-DD
  std::string kind = "original";
  std::string text = "a tweet";
  bool deleted = false;
  std::string in_reply_to{}, screen_name{}, urls = "[]";
};

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::WorkspaceOptions o;
    o.dir = m_dir.path() / "ws";
    auto ws = store::Workspace::open(o);
    ASSERT_TRUE(ws) << ws.error().why;
    m_ws.emplace(std::move(*ws));
    ASSERT_TRUE(
        db().exec("INSERT INTO imports VALUES (1, 'x', 'x', 'x', 0, NULL, 0, 0, 0, 0, 0);"
                  "INSERT INTO account (account_id, username, updated_at) VALUES ('7', 'ada', 'x');"));
    m_cfg.extract.batch_size = 3;
    m_cfg.extract.retry_backoff_ms = 100;
    m_backend.answer = good_answer;
  }
  store::Db& db() { return m_ws->db(); }
  void add(const Tw& t) {
    auto st = db().prepare(
        "INSERT INTO tweets (id, created_at, kind, text, in_reply_to, in_reply_to_screen_name, mentions, hashtags, "
        "urls, media_count, deleted, raw, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '[]', '[]', ?7, 0, ?8, '{}', 1)");
    ASSERT_TRUE(st);
    st->bind(1, static_cast<std::int64_t>(t.id)).bind(2, t.date + "T12:00:00Z").bind(3, t.kind).bind(4, t.text);
    if (t.in_reply_to.empty())
      st->bind_null(5);
    else
      st->bind(5, t.in_reply_to);
    if (t.screen_name.empty())
      st->bind_null(6);
    else
      st->bind(6, t.screen_name);
    st->bind(7, t.urls).bind(8, t.deleted ? 1 : 0);
    ASSERT_TRUE(st->exec());
  }
  Result<ExtractResult> extract(ExtractRequest req = {}) {
    BackendFactory f = [this]() -> Result<std::unique_ptr<llm::ModelBackend>> {
      ++m_loads;
      return std::unique_ptr<llm::ModelBackend>(std::make_unique<Forward>(m_backend));
    };
    RunnerEvents ev;
    ev.on_warning = [this](const std::string& w) { m_warnings.push_back(w); };
    return run_extract(*m_ws, m_cfg, f, m_clock, req, ev);
  }
  // batch id of each tweet (0: none)
  std::map<std::uint64_t, std::int64_t> assignment() {
    std::map<std::uint64_t, std::int64_t> m;
    auto st = db().prepare("SELECT id, COALESCE(batch_id, 0) FROM tweets");
    while (*st->step()) m[static_cast<std::uint64_t>(st->column_int(0))] = st->column_int(1);
    return m;
  }
  std::string status_of(std::int64_t batch) {
    auto st = db().prepare("SELECT status FROM batches WHERE id = ?1");
    st->bind(1, batch);
    return *st->step() ? st->column_text(0) : "none";
  }
  fs::path runs() { return m_ws->dir() / "runs"; }
  json batch_json(std::int64_t id) { return json::parse(test::read_text(runs() / batch_dir_name(id) / "batch.json")); }
  void expect_consistent() {
    auto rep = check_integrity(*m_ws);
    ASSERT_TRUE(rep);
    EXPECT_TRUE(rep->problems.empty()) << json(rep->problems).dump(1);
  }

  // The runner owns its backend; this one forwards to the test's script.
  struct Forward final : llm::ModelBackend {
    explicit Forward(ScriptedBackend& b) : b(b) {}
    ScriptedBackend& b;
    llm::BackendInfo info() const override { return b.info(); }
    std::vector<Result<llm::Completion>> generate(std::span<const llm::ChatRequest> r) override {
      return b.generate(r);
    }
    Result<llm::Score> score(std::string_view p, std::string_view c) override { return b.score(p, c); }
    std::optional<int> count_tokens(std::span<const llm::Message> m) override { return b.count_tokens(m); }
  };

  test::TempDir m_dir;
  std::optional<store::Workspace> m_ws;
  store::Config m_cfg;
  ScriptedBackend m_backend;
  FakeClock m_clock;
  std::vector<std::string> m_warnings;
  int m_loads = 0;
};

TEST_F(RunnerTest, EveryEligibleTweetLandsInExactlyOneBatchOldestFirst) {
  // Inserted out of time order, as exports list newest first.
  add({10, "2024-01-05"});
  add({11, "2024-01-01"});
  add({12, "2024-01-03", "retweet", "RT @bob: hi"});
  add({13, "2024-01-02", "original", "gone", true});
  add({14, "2024-01-04"});
  add({15, "2023-12-31"});
  add({16, "2024-01-06", "reply", "@bob yes", false, "99", "bob"});
  add({17, "2024-01-07"});
  auto r = extract({.max_batches = 0});
  ASSERT_TRUE(r) << r.error().why;
  EXPECT_EQ(r->summary.done, 2);
  EXPECT_EQ(r->summary.tweets, 6);
  auto a = assignment();
  // Oldest first: 15 (12-31), 11 (01-01), 14 (01-04); then 10, 16, 17. No retweet, no deleted tweet.
  EXPECT_EQ(a, (std::map<std::uint64_t, std::int64_t>{
                   {10, 2}, {11, 1}, {12, 0}, {13, 0}, {14, 1}, {15, 1}, {16, 2}, {17, 2}}));
  EXPECT_EQ(batch_json(1)["tweet_ids"], json({"15", "11", "14"}));
  EXPECT_EQ(r->after.pending, 0);
  EXPECT_EQ(r->after.tweets_remaining, 0);
  expect_consistent();

  // Nothing left: a second run does nothing and does not even load the model.
  auto again = extract();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->nothing_to_do);
  EXPECT_EQ(m_loads, 1);
}

TEST_F(RunnerTest, ATimeBudgetStopsClaimingAndLetsTheBatchInFlightFinish) {
  for (int i = 0; i < 9; ++i) add({static_cast<std::uint64_t>(20 + i), "2024-01-0" + std::to_string(i + 1)});
  // Each answer takes 40 s of the fake clock: a 60 s budget starts two batches of three, not three.
  const auto answer = m_backend.answer;
  m_backend.answer = [&, answer](const llm::ChatRequest& r) {
    m_clock.t += std::chrono::seconds(20);  // a pass
    return answer(r);
  };
  auto r = extract({.max_batches = 0, .time_budget = std::chrono::seconds(60)});
  ASSERT_TRUE(r) << r.error().why;
  EXPECT_EQ(r->summary.done, 2);
  EXPECT_TRUE(r->summary.out_of_time);
  EXPECT_FALSE(r->summary.stopped);
  EXPECT_EQ(r->after.tweets_remaining, 3);
  expect_consistent();
  // The next run goes on where it stopped.
  auto rest = extract({.max_batches = 0, .time_budget = std::chrono::seconds(60)});
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->summary.done, 1);
  EXPECT_FALSE(rest->summary.out_of_time);
  EXPECT_EQ(rest->after.tweets_remaining, 0);
}

TEST_F(RunnerTest, RetweetsCanBeIncluded) {
  m_cfg.extract.include_retweets = true;
  add({1, "2024-01-01", "retweet", "RT @bob: hi"});
  add({2, "2024-01-02"});
  ASSERT_TRUE(extract());
  EXPECT_EQ(assignment(), (std::map<std::uint64_t, std::int64_t>{{1, 1}, {2, 1}}));
  EXPECT_NE(m_backend.requests.at(0).messages.at(1).content.find(
                "[1] 2024-01-01 (a retweet: someone else's words): RT @bob: hi"),
            std::string::npos);
}

TEST_F(RunnerTest, RepliesCarryTheirOwnParentAndQuotesTheQuotedUrl) {
  m_cfg.extract.batch_size = 10;
  add({1, "2024-01-01", "original", "Sourdough day.\nSecond line."});
  add({2, "2024-01-02", "self_reply", "It rose!", false, "1", "ada"});
  add({3, "2024-01-03", "reply", "@bob agreed", false, "555", "bob"});
  add({4, "2024-01-04", "quote", "so true https://twitter.com/bob/status/777", false, "", "",
       R"(["https://example.com/x","https://twitter.com/bob/status/777"])"});
  ASSERT_TRUE(extract());
  const std::string& user = m_backend.requests.at(0).messages.at(1).content;
  EXPECT_NE(user.find("Here are 4 tweets by @ada"), std::string::npos);
  EXPECT_NE(user.find("[1] 2024-01-01: Sourdough day.\n    Second line.\n"
                      "[2] 2024-01-02 (replying to their own tweet: \"Sourdough day. Second line.\"): It rose!\n"
                      "[3] 2024-01-03 (replying to @bob): @bob agreed\n"
                      "[4] 2024-01-04 (quoting https://twitter.com/bob/status/777): so true "
                      "https://twitter.com/bob/status/777"),
            std::string::npos)
      << user;
  // The schema's shape is in the system prompt; the batch's own schema, whose evidence ids are
  // exactly its tweets, constrains both passes, with max_tokens at its worst case.
  const AnswerBounds bounds = m_cfg.extract.bounds;
  EXPECT_NE(m_backend.requests.at(0).messages.at(0).content.find(answer_schema(bounds, {})), std::string::npos);
  const std::string schema = answer_schema(bounds, {"1", "2", "3", "4"});
  ASSERT_EQ(m_backend.requests.size(), 2u);
  for (const auto& rq : m_backend.requests) {
    EXPECT_EQ(rq.options.json_schema, schema);
    EXPECT_EQ(rq.options.max_tokens, *llm::schema_max_tokens(schema));
  }
  // The draft must leave room for the critique's answer; the critique needs none after it.
  EXPECT_EQ(m_backend.requests[0].options.fit_reserve, m_backend.requests[0].options.max_tokens);
  EXPECT_EQ(m_backend.requests[1].options.fit_reserve, 0);
  EXPECT_EQ(
      json::parse(
          schema)["properties"]["knowledge_candidates"]["items"]["properties"]["evidence_tweet_ids"]["items"]["enum"],
      json({"1", "2", "3", "4"}));
  EXPECT_EQ(batch_json(1)["max_tokens"], m_backend.requests[0].options.max_tokens);
}

TEST_F(RunnerTest, TheCritiqueContinuesTheDraftsConversation) {
  add({1, "2024-01-01"});
  ASSERT_TRUE(extract());
  ASSERT_EQ(m_backend.requests.size(), 2u);
  const auto& d = m_backend.requests[0];
  const auto& c = m_backend.requests[1];
  EXPECT_TRUE(d.session.empty());
  EXPECT_EQ(c.session, "s1");  // the draft's session id
  ASSERT_EQ(c.messages.size(), 4u);
  EXPECT_EQ(c.messages[0].content, d.messages[0].content);
  EXPECT_EQ(c.messages[1].content, d.messages[1].content);
  EXPECT_EQ(c.messages[2].role, "assistant");
  EXPECT_EQ(c.messages[2].content, answer_citing({"1"}, "drafted"));  // the draft's raw text
  EXPECT_NE(c.messages[3].content.find("check your answer against the tweets"), std::string::npos);
  auto b = batch_json(1);
  EXPECT_EQ(b["draft_session_id"], "s1");
  EXPECT_EQ(b["critique_session_id"], "s1");
}

TEST_F(RunnerTest, ArtifactsHoldTheNormalizedAnswersAndEveryChangeNormalizationMade) {
  add({101, "2024-01-01"});
  add({102, "2024-01-02"});
  m_backend.answer = [](const llm::ChatRequest& r) -> Result<llm::Completion> {
    llm::Completion c;
    if (r.messages.size() == 2) {  // the draft: fenced, a preamble, an id of another batch, wild numbers
      c.text =
          "Sure! Here it is:\n```json\n"
          R"({"notes_markdown":" Bakes. ","knowledge_candidates":[{"category":"Hobby","claim":"Bakes bread.",)"
          R"("evidence_tweet_ids":["[101]","999"],"confidence":1.7},{"category":"habit","claim":"Runs.",)"
          R"("evidence_tweet_ids":["555"],"confidence":0.2}],"training_examples":[],)"
          R"("rubric_scores":{"grounding":9,"specificity":3,"source_distinction":5,"coverage":1}})"
          "\n```\nHope that helps {really}.";
      c.completion_tokens = 80;
    } else {
      c.text = answer_citing({"101", "102"}, "bakes bread");
      c.completion_tokens = 60;
    }
    c.prompt_tokens = 300;
    c.prompt_tokens_evaluated = r.messages.size() == 2 ? 300 : 40;
    c.prompt_ms = 10;
    c.generation_ms = 20;
    return c;
  };
  ASSERT_TRUE(extract());
  const fs::path dir = runs() / "batch_000001";
  for (const auto& f : batch_files()) EXPECT_TRUE(fs::exists(dir / f)) << f;
  auto b = batch_json(1);
  for (const char* k : {"batch_id", "tweet_ids", "prompt", "chosen", "rejected", "draft_session_id",
                        "critique_session_id", "tokens", "timings", "rubric_scores", "normalization"})
    EXPECT_TRUE(b.contains(k)) << k;
  EXPECT_EQ(b["batch_id"], 1);
  EXPECT_EQ(b["prompt"].size(), 2u);
  EXPECT_EQ(b["prompt"][0]["role"], "system");
  // rejected is the draft as normalized; chosen the critique.
  EXPECT_EQ(json::parse(b["rejected"].get<std::string>()),
            json::parse(R"({"notes_markdown":"Bakes.","knowledge_candidates":[
              {"category":"other","claim":"Bakes bread.","evidence_tweet_ids":["101"],"confidence":1.0,"flags":[]},
              {"category":"habit","claim":"Runs.","evidence_tweet_ids":[],"confidence":0.2,"flags":["missing-evidence"]}],
              "training_examples":[],
              "rubric_scores":{"coverage":1.0,"grounding":5.0,"source_distinction":5.0,"specificity":3.0}})"));
  EXPECT_EQ(json::parse(b["chosen"].get<std::string>())["knowledge_candidates"][0]["evidence_tweet_ids"],
            json({"101", "102"}));
  const json& dn = b["normalization"]["draft"];
  EXPECT_EQ(dn["hallucinated_ids"], json({"999", "555"}));
  EXPECT_EQ(dn["missing_evidence"], 1);
  EXPECT_EQ(dn["changes"],
            json({"knowledge_candidates[0].category: \"Hobby\" -> other",
                  "knowledge_candidates[0].evidence_tweet_ids: 999 is not a tweet of this batch, dropped",
                  "knowledge_candidates[0].confidence: 1.7 clamped to 1",
                  "knowledge_candidates[1].evidence_tweet_ids: 555 is not a tweet of this batch, dropped",
                  "rubric_scores.grounding: 9 clamped to 5"}));
  EXPECT_EQ(b["normalization"]["hallucinated_ids"], json::array());
  EXPECT_EQ(b["rubric_scores"],
            json({{"coverage", 2.0}, {"grounding", 4.0}, {"source_distinction", 5.0}, {"specificity", 3.0}}));
  EXPECT_EQ(b["tokens"]["prompt_evaluated"], 340);
  EXPECT_EQ(b["tokens"]["completion"], 140);
  EXPECT_EQ(b["timings"]["model_ms"], 60.0);
  EXPECT_EQ(json::parse(test::read_text(dir / "candidates.json")),
            json::parse(R"([{"category":"habit","claim":"bakes bread","evidence_tweet_ids":["101","102"],
                            "confidence":0.75,"flags":[]}])"));
  EXPECT_EQ(
      test::read_text(dir / "training.jsonl"),
      R"({"messages":[{"role":"user","content":"What do you do?"},{"role":"assistant","content":"I bakes bread"}],)"
      R"("meta":{"batch_id":1,"evidence_tweet_ids":["101","102"],"flags":[]}})"
      "\n");
  EXPECT_EQ(test::read_text(dir / "notes.md"), "notes on bakes bread\n");
  EXPECT_EQ(test::read_text(dir / "draft.txt").substr(0, 18), "Sure! Here it is:\n");
  // The database has the verified candidates, for consolidation.
  auto st = db().prepare("SELECT category, claim, evidence_tweet_ids, confidence FROM candidates WHERE batch_id = 1");
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->column_text(1), "bakes bread");
  EXPECT_EQ(st->column_text(2), R"(["101","102"])");
  EXPECT_FALSE(*st->step());
  expect_consistent();
}

TEST_F(RunnerTest, UnparseableAnswersAreRetriedThenTheBatchFailsWithItsRawOutputsKept) {
  m_cfg.extract.batch_size = 1;
  add({1, "2024-01-01"});
  add({2, "2024-01-02"});
  m_backend.answer = [](const llm::ChatRequest& r) -> Result<llm::Completion> {
    if (ids_in(r).front() == "1") {
      llm::Completion c;
      c.text = "I cannot answer in JSON, sorry. {\"notes_markdown\": \"cut";
      c.finish = llm::FinishReason::length;
      return c;
    }
    return good_answer(r);
  };
  auto r = extract();
  ASSERT_TRUE(r) << r.error().why;
  EXPECT_EQ(r->summary.failed, 1);
  EXPECT_EQ(r->summary.done, 1);  // the loop goes on with the next batch
  EXPECT_EQ(status_of(1), "failed");
  EXPECT_EQ(status_of(2), "done");
  // 3 draft attempts (2 retries); retries sample, the first is greedy; no waiting for parse errors.
  ASSERT_GE(m_backend.requests.size(), 3u);
  EXPECT_EQ(m_backend.requests[0].options.temperature, 0.0f);
  EXPECT_FLOAT_EQ(m_backend.requests[1].options.temperature, 0.7f);
  EXPECT_NE(m_backend.requests[1].options.seed, m_backend.requests[2].options.seed);
  EXPECT_TRUE(m_clock.sleeps.empty());
  auto b = batch_json(1);
  EXPECT_EQ(b["status"], "failed");
  EXPECT_EQ(b["attempts"].size(), 3u);
  EXPECT_EQ(b["attempts"][2]["finish"], "length");
  EXPECT_NE(b["error"].get<std::string>().find("draft pass: model answer: its JSON object is cut off"),
            std::string::npos);
  EXPECT_EQ(test::read_text(runs() / "batch_000001" / "draft.txt"),
            "I cannot answer in JSON, sorry. {\"notes_markdown\": \"cut");
  EXPECT_EQ(m_warnings.size(), 1u);
  expect_consistent();

  // --retry-failed: only the failed batch runs again, and now it works.
  m_backend.answer = good_answer;
  m_backend.requests.clear();
  auto again = extract({.retry_failed = true});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->summary.done, 1);
  EXPECT_EQ(status_of(1), "done");
  EXPECT_EQ(m_backend.requests.size(), 2u);
  expect_consistent();
}

TEST_F(RunnerTest, AModelThatIsDownIsReportedOnceBackedOffAndStopsTheRun) {
  m_cfg.extract.batch_size = 1;
  m_cfg.extract.stop_after_failures = 3;
  m_cfg.model.retries = 2;
  for (std::uint64_t i = 1; i <= 6; ++i) add({i, "2024-01-0" + std::to_string(i)});
  m_backend.answer = [](const llm::ChatRequest&) -> Result<llm::Completion> {
    return fail("http://127.0.0.1:9", "connection refused");
  };
  auto r = extract();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->summary.stopped);
  EXPECT_EQ(r->summary.released, 3);
  EXPECT_EQ(m_warnings.size(), 1u);
  EXPECT_NE(m_warnings[0].find("connection refused"), std::string::npos);
  // Each batch: first call, then retries after 100 and 200 ms; one retry layer, so three calls.
  EXPECT_EQ(m_clock.sleeps, (std::vector<long>{100, 200, 100, 200, 100, 200}));
  EXPECT_EQ(m_backend.requests.size(), 9u);
  // Not the batches' fault: they wait as pending, with no folder, for the next run.
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(status_of(id), "pending");
  EXPECT_FALSE(fs::exists(runs() / "batch_000001"));
  EXPECT_EQ(r->after.tweets_remaining, 6);
  expect_consistent();

  m_backend.answer = good_answer;
  auto later = extract();
  ASSERT_TRUE(later);
  EXPECT_EQ(later->summary.done, 6);
  EXPECT_EQ(status_of(1), "done");
}

TEST_F(RunnerTest, AnErrorRetryingCannotFixFailsTheBatchAtOnce) {
  add({1, "2024-01-01"});
  m_backend.answer = [](const llm::ChatRequest&) -> Result<llm::Completion> {
    return bad_input("prompt", "5000 tokens do not fit the context of 4096 tokens");
  };
  auto r = extract();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->summary.failed, 1);
  EXPECT_EQ(m_backend.requests.size(), 1u);
  EXPECT_EQ(status_of(1), "failed");
}

TEST_F(RunnerTest, ARetryAfterFromTheServerIsWaitedOut) {
  add({1, "2024-01-01"});
  int calls = 0;
  m_backend.answer = [&](const llm::ChatRequest& r) -> Result<llm::Completion> {
    if (calls++ == 0) {
      auto e = fail("http://127.0.0.1:9", "answered 429: busy");
      e.error().retry_after_ms = 7000;
      return e;
    }
    return good_answer(r);
  };
  auto r = extract();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->summary.done, 1);
  EXPECT_EQ(m_clock.sleeps, std::vector<long>{7000});  // not the 100 ms backoff
}

// The real openai backend against a server that refuses or fails, through the runner: one retry
// layer (the runner's, on the fake clock), and a refused request fails its batch at once.
TEST_F(RunnerTest, AServersRefusalFailsTheBatchAtOnceAndItsFailuresAreRetriedOnce) {
  m_cfg.extract.batch_size = 1;
  m_cfg.model.retries = 2;
  add({1, "2024-01-01"});
  add({2, "2024-01-02"});
  std::atomic<int> calls{0};
  std::atomic<int> fail_first{0};
  test::FakeHttpServer server([&](const httplib::Request& rq, httplib::Response& res) {
    ++calls;
    if (rq.body.find("[1] 2024-01-01") != std::string::npos) {
      res.status = 400;
      res.set_content(R"({"error":{"code":400,"message":"the request exceeds the available context size, try )"
                      R"(increasing it","type":"exceed_context_size_error"}})",
                      "application/json");
      return;
    }
    if (fail_first-- > 0) {
      res.status = 503;
      res.set_content(R"({"error":{"message":"Loading model"}})", "application/json");
      return;
    }
    const std::string content = answer_citing({"2"}, "fine");
    res.set_content(
        json{{"id", "x"},
             {"choices",
              {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}}}
            .dump(),
        "application/json");
  });
  fail_first = 2;
  BackendFactory f = [&]() -> Result<std::unique_ptr<llm::ModelBackend>> {
    llm::OpenAIOptions o;
    o.endpoints = {server.url()};
    auto b = llm::OpenAIBackend::create(o);
    if (!b) return std::unexpected(b.error());
    return std::unique_ptr<llm::ModelBackend>(std::move(*b));
  };
  auto r = run_extract(*m_ws, m_cfg, f, m_clock, {}, {});
  ASSERT_TRUE(r) << r.error().why;
  EXPECT_EQ(status_of(1), "failed");
  EXPECT_EQ(status_of(2), "done");
  // Batch 1: one request. Batch 2: two 503s and then the draft, then the critique.
  EXPECT_EQ(calls.load(), 1 + 3 + 1);
  EXPECT_EQ(m_clock.sleeps, (std::vector<long>{100, 200}));
  auto b = batch_json(1);
  EXPECT_NE(b["error"].get<std::string>().find("exceeds the available context size"), std::string::npos) << b;
  EXPECT_EQ(b["attempts"].size(), 1u);
  expect_consistent();
}

// Bounds that cannot fit the model's context stop the run with the numbers before anything is
// claimed, and before a redo discards the done batch it would redo.
TEST_F(RunnerTest, BoundsThatDoNotFitTheContextStopTheRunBeforeARedoDiscardsAnything) {
  m_cfg.extract.batch_size = 1;
  add({1, "2024-01-01"});
  add({2, "2024-01-02"});
  ASSERT_TRUE(extract({.max_batches = 1}));
  const std::string done = test::read_text(runs() / "batch_000001" / "batch.json");
  m_backend.requests.clear();
  m_backend.context = 8000;  // the default bounds need about 6,161 tokens per pass, twice
  for (ExtractRequest req : {ExtractRequest{.redo = {1}}, ExtractRequest{}}) {
    auto r = extract(req);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
    EXPECT_NE(r.error().why.find("do not fit [model] context = 8000 tokens"), std::string::npos) << r.error().why;
    EXPECT_NE(r.error().hint.find("raise [model] context"), std::string::npos);
  }
  EXPECT_TRUE(m_backend.requests.empty());
  EXPECT_EQ(status_of(1), "done");
  EXPECT_EQ(test::read_text(runs() / "batch_000001" / "batch.json"), done);
  EXPECT_EQ(status_of(2), "none");
  // With room enough, the same run goes on.
  m_backend.context = 20000;
  auto ok = extract();
  ASSERT_TRUE(ok) << ok.error().why;
  EXPECT_EQ(ok->summary.done, 1);
  EXPECT_GT(m_backend.requests.at(0).options.fit_reserve, m_backend.requests.at(0).options.max_tokens);
}

TEST_F(RunnerTest, ParallelBatchesAreSentTogether) {
  m_backend.parallel = 3;
  m_cfg.extract.batch_size = 1;
  for (std::uint64_t i = 1; i <= 5; ++i) add({i, "2024-01-0" + std::to_string(i)});
  std::vector<size_t> calls;
  m_backend.answer = good_answer;
  auto r = extract({.max_batches = 0});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->summary.done, 5);
  // Every request is a draft or a critique of one of the five batches, each exactly once.
  std::map<std::string, int> drafts, critiques;
  for (const auto& q : m_backend.requests) (q.messages.size() == 2 ? drafts : critiques)[ids_in(q).front()]++;
  EXPECT_EQ(drafts.size(), 5u);
  EXPECT_EQ(critiques.size(), 5u);
  for (auto& [k, v] : drafts) EXPECT_EQ(v, 1);
  expect_consistent();
}

TEST_F(RunnerTest, RedoDoesOneDoneBatchAgainAndNothingElse) {
  m_cfg.extract.batch_size = 1;
  add({1, "2024-01-01"});
  add({2, "2024-01-02"});
  add({3, "2024-01-03"});
  ASSERT_TRUE(extract({.max_batches = 2}));
  const std::string before2 = test::read_text(runs() / "batch_000002" / "batch.json");
  m_backend.requests.clear();
  m_backend.answer = [](const llm::ChatRequest& r) -> Result<llm::Completion> {
    llm::Completion c;
    c.text = answer_citing({ids_in(r).front()}, "redone");
    return c;
  };
  auto r = extract({.redo = {1}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->summary.done, 1);
  EXPECT_EQ(m_backend.requests.size(), 2u);
  EXPECT_EQ(ids_in(m_backend.requests[0]), std::vector<std::string>{"1"});
  EXPECT_EQ(json::parse(test::read_text(runs() / "batch_000001" / "candidates.json"))[0]["claim"], "redone");
  EXPECT_EQ(test::read_text(runs() / "batch_000002" / "batch.json"), before2);
  EXPECT_EQ(status_of(3), "none");  // the queue was not touched
  auto missing = extract({.redo = {42}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::bad_input);
  expect_consistent();
}

TEST_F(RunnerTest, ANewerExportAddsBatchesWithoutDisturbingDoneOnes) {
  add({1, "2024-01-01"});
  add({2, "2024-01-02"});
  add({3, "2024-01-03"});
  add({4, "2024-01-04"});
  ASSERT_TRUE(extract());
  const std::string b1 = test::read_text(runs() / "batch_000001" / "batch.json");
  EXPECT_EQ(assignment(), (std::map<std::uint64_t, std::int64_t>{{1, 1}, {2, 1}, {3, 1}, {4, 2}}));
  add({5, "2024-02-01"});
  add({6, "2024-02-02"});
  auto r = extract();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->summary.done, 1);
  EXPECT_EQ(assignment()[5], 3);
  EXPECT_EQ(assignment()[6], 3);
  EXPECT_EQ(test::read_text(runs() / "batch_000001" / "batch.json"), b1);
  expect_consistent();
}

TEST_F(RunnerTest, ABatchACrashedRunLeftIsRedoneFromTheStart) {
  add({1, "2024-01-01"});
  add({2, "2024-01-02"});
  {
    BatchQueue q(db(), queue_options(m_cfg));
    auto c = q.claim();
    ASSERT_TRUE(c && *c);
  }
  // What a crash between writing files and committing leaves: a running batch, its folder, temps.
  fs::create_directories(runs() / "batch_000001");
  test::write_text(runs() / "batch_000001" / "draft.txt", "half");
  fs::create_directories(runs() / ".batch_000002.tmp.999");
  auto dirty = check_integrity(*m_ws);
  ASSERT_TRUE(dirty);
  EXPECT_EQ(dirty->problems.size(), 3u) << json(dirty->problems).dump(1);
  auto r = extract();
  ASSERT_TRUE(r) << r.error().why;
  EXPECT_EQ(r->recovered, std::vector<std::int64_t>{1});
  EXPECT_EQ(r->summary.done, 1);
  EXPECT_EQ(status_of(1), "done");
  EXPECT_FALSE(fs::exists(runs() / ".batch_000002.tmp.999"));
  EXPECT_NE(test::read_text(runs() / "batch_000001" / "draft.txt"), "half");
  expect_consistent();
}

TEST_F(RunnerTest, IntegrityCheckFindsAMissingFileAndAMismatch) {
  add({1, "2024-01-01"});
  ASSERT_TRUE(extract());
  expect_consistent();
  fs::remove(runs() / "batch_000001" / "notes.md");
  ASSERT_TRUE(db().exec("DELETE FROM candidates"));
  auto rep = check_integrity(*m_ws);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->problems.size(), 2u) << json(rep->problems).dump(1);
}

TEST_F(RunnerTest, NoArchiveYetIsBadInput) {
  ASSERT_TRUE(db().exec("DELETE FROM account"));
  auto r = extract();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::bad_input);
  EXPECT_NE(r.error().hint.find("knowthy ingest"), std::string::npos);
}

}  // namespace
}  // namespace knowthy::pipeline
