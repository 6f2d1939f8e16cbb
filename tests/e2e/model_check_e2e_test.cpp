// knowthy model check through the real binary: each backend, and the exit codes 0 / 1 / 2.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "support/support.hpp"

namespace knowthy {
namespace {

using nlohmann::json;

class ModelCheckE2E : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(test::run_knowthy(test::sample_model_args(m_dir / "m.gguf")).exit_code, 0); }
  test::RunResult check(std::vector<std::string> extra) {
    if (!std::filesystem::exists(m_dir / "ws" / "knowthy.toml")) {
      // One engine thread: ctest runs two tests at once on two cores.
      std::filesystem::create_directories(m_dir / "ws");
      test::write_text(m_dir / "ws" / "knowthy.toml", "[model]\n" + test::threads_setting());
    }
    std::vector<std::string> args{"--workspace", (m_dir / "ws").string(), "model", "check"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_knowthy(args);
  }
  test::TempDir m_dir;
};

TEST_F(ModelCheckE2E, EmbeddedModelWorks) {
  auto r = check({"--model", (m_dir / "m.gguf").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["backend"], "llama");
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["parsed"], true);
  EXPECT_EQ(j["chat_template"], true);
  EXPECT_EQ(j["context_size"], 16384);  // the default [model] context
  EXPECT_GT(j["prompt_tokens_per_s"].get<double>(), 0);
  EXPECT_GT(j["gen_tokens_per_s"].get<double>(), 0);
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(j["session"].get<std::string>().starts_with("llama-"));
  // The loop's task under its schema: a whole JSON object citing only the two made-up tweets.
  auto answer = json::parse(j["answer"].get<std::string>());
  EXPECT_TRUE(answer.contains("rubric_scores"));
  EXPECT_EQ(j["hallucinated_ids"], 0);
  // The budget of the default bounds, the same figures `extract` checks at start.
  EXPECT_EQ(j["budget"]["max_tokens_per_pass"], j["budget"]["answer_worst_case"]);
  EXPECT_GT(j["budget"]["prompt_without_tweets"].get<int>(), 0);
  EXPECT_LT(2 * j["budget"]["max_tokens_per_pass"].get<int>() + j["budget"]["prompt_without_tweets"].get<int>(), 16384);

  auto text = check({"--model", (m_dir / "m.gguf").string()});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("chat template: found in the model"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("parsed:        yes"), std::string::npos);
  EXPECT_NE(text.out.find("tokens for the tweets of a batch"), std::string::npos);
}

TEST_F(ModelCheckE2E, BoundsThatCannotFitTheContextAreAConfigurationError) {
  std::filesystem::create_directories(m_dir / "ws");
  test::write_text(m_dir / "ws" / "knowthy.toml",
                   "[extract]\nmax_claims = 20\n[model]\ncontext = 8192\n" + test::threads_setting());
  auto r = check({"--model", (m_dir / "m.gguf").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("do not fit [model] context = 8192 tokens"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the draft up to"), std::string::npos);
  EXPECT_NE(r.err.find("hint: raise [model] context"), std::string::npos);
  // max_tokens under the worst case could cut an answer off: refused too.
  test::write_text(m_dir / "ws" / "knowthy.toml", "[extract]\nmax_tokens = 500\n[model]\n" + test::threads_setting());
  r = check({"--model", (m_dir / "m.gguf").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("max_tokens = 500 is under the answer's worst case"), std::string::npos) << r.err;
}

TEST_F(ModelCheckE2E, ConfigurationErrorsExitTwo) {
  auto missing = check({"--model", (m_dir / "nope.gguf").string(), "--json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("knowthy: error: "), std::string::npos);
  EXPECT_EQ(json::parse(missing.out)["ok"], false);
  EXPECT_FALSE(json::parse(missing.out)["error"].is_null());
  auto remote = check({"--backend", "openai", "--endpoint", "http://192.168.7.7:8080"});
  EXPECT_EQ(remote.exit_code, 2);
  EXPECT_NE(remote.err.find("allow_remote"), std::string::npos) << remote.err;
  auto bad_url = check({"--backend", "openai", "--endpoint", "localhost:8080"});
  EXPECT_EQ(bad_url.exit_code, 2);
  auto none = check({"--backend", "command"});
  EXPECT_EQ(none.exit_code, 2);
}

TEST_F(ModelCheckE2E, ConfigFileSelectsTheBackendAndAnUnusableAnswerExitsOne) {
  // An agent that wraps its JSON in a markdown fence after a preamble, as the loop accepts.
  auto good = m_dir / "good.sh";
  test::write_text(good,
                   "#!/bin/sh\ncat >/dev/null\necho 'Here you go:'\necho '```json'\n"
                   "echo '{\"notes_markdown\":\"Bakes.\",\"knowledge_candidates\":[{\"category\":\"habit\","
                   "\"claim\":\"Bakes bread.\",\"evidence_tweet_ids\":[\"1001\"],\"confidence\":0.8}],"
                   "\"training_examples\":[],\"rubric_scores\":{\"grounding\":4,\"specificity\":3,"
                   "\"source_distinction\":4,\"coverage\":3}}'\necho '```'\necho 'session: s-42'\n");
  auto bad = m_dir / "bad.sh";
  test::write_text(bad, "#!/bin/sh\ncat >/dev/null\necho 'Sure! Here is a greeting.'\n");
  ::chmod(good.c_str(), 0755);
  ::chmod(bad.c_str(), 0755);
  ASSERT_EQ(test::run_knowthy({"--workspace", (m_dir / "ws").string(), "init"}).exit_code, 0);
  test::write_text(m_dir / "ws" / "knowthy.toml", "[model]\nbackend = \"command\"\ncommand = \"" + good.string() +
                                                      "\"\nsession_regex = 'session: (\\S+)'\n");
  auto ok = check({"--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto j = json::parse(ok.out);
  EXPECT_EQ(j["backend"], "command");
  EXPECT_EQ(j["session"], "s-42");
  EXPECT_EQ(j["parsed"], true);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["hallucinated_ids"], 0);

  test::write_text(m_dir / "ws" / "knowthy.toml",
                   "[model]\nbackend = \"command\"\ncommand = \"" + bad.string() + "\"\n");
  auto unusable = check({"--json"});
  EXPECT_EQ(unusable.exit_code, 1);
  EXPECT_EQ(json::parse(unusable.out)["parsed"], false);

  // Nothing listens on port 1: the server cannot be reached.
  test::write_text(m_dir / "ws" / "knowthy.toml",
                   "[model]\nbackend = \"openai\"\nendpoint = [\"http://127.0.0.1:1\"]\n");
  auto down = check({});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("is the server running"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace knowthy
