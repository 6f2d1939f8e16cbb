// The openai backend against a real llama-server built from the same llama.cpp source, started
// on a free loopback port with the sample model.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "llm/llama_backend.hpp"
#include "llm/openai_backend.hpp"
#include "sample/model.hpp"
#include "support/support.hpp"

namespace knowthy::llm {
namespace {

class LlamaServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new test::TempDir();
    s_model = (*s_dir / "tiny.gguf").string();
    test::write_model(s_model);
    std::string error;
    s_server = test::LlamaServer::start(s_model, 2048, 2, error).release();
    ASSERT_TRUE(s_server) << error;
    s_port = s_server->port();
  }
  static void TearDownTestSuite() {
    delete s_server;
    delete s_dir;
  }
  static std::unique_ptr<OpenAIBackend> backend() {
    OpenAIOptions o;
    o.endpoints = {"http://127.0.0.1:" + std::to_string(s_port)};
    auto b = OpenAIBackend::create(o);
    EXPECT_TRUE(b);
    return std::move(*b);
  }
  static inline test::TempDir* s_dir = nullptr;
  static inline std::string s_model;
  static inline int s_port = 0;
  static inline test::LlamaServer* s_server = nullptr;
};

TEST_F(LlamaServerTest, ChatCompletionWithJsonSchemaParses) {
  auto b = backend();
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    ChatRequest rq;
    rq.messages = {{"system", "You read tweets."}, {"user", "Summarise as JSON."}};
    rq.options.seed = seed;
    rq.options.temperature = 0.8f;
    rq.options.max_tokens = 200;
    rq.options.json_schema = R"({"type":"object","properties":{"topic":{"type":"string","maxLength":12},
      "n":{"type":"integer","minimum":0,"maximum":9}},"required":["topic","n"],"additionalProperties":false})";
    auto c = b->generate(rq);
    ASSERT_TRUE(c) << c.error().why;
    auto j = nlohmann::json::parse(c->text, nullptr, false);
    ASSERT_TRUE(j.is_object()) << c->text;
    EXPECT_TRUE(j["topic"].is_string());
    EXPECT_TRUE(j["n"].is_number_integer());
    EXPECT_GT(c->prompt_tokens, 0);
    EXPECT_GT(c->completion_tokens, 0);
    EXPECT_TRUE(c->session.starts_with("openai-"));
  }
}

TEST_F(LlamaServerTest, ContinuationReusesTheServersCache) {
  auto b = backend();
  ChatRequest rq;
  rq.messages = {{"user", "Here are my tweets: I bake bread every Sunday and I run. Draft notes."}};
  rq.options.max_tokens = 30;
  auto draft = b->generate(rq);
  ASSERT_TRUE(draft) << draft.error().why;
  rq.messages.push_back({"assistant", draft->text});
  rq.messages.push_back({"user", "Critique the draft."});
  rq.session = draft->session;
  auto crit = b->generate(rq);
  ASSERT_TRUE(crit) << crit.error().why;
  EXPECT_EQ(crit->session, draft->session);
  // llama-server reports how many prompt tokens it evaluated: fewer than the whole conversation.
  EXPECT_LT(crit->prompt_tokens_evaluated, crit->prompt_tokens);
}

TEST_F(LlamaServerTest, ScoreMatchesTheEmbeddedEngine) {
  auto b = backend();
  LlamaOptions lo;
  lo.model_path = s_model;
  lo.threads = test::engine_threads();
  lo.context = 1024;
  auto local = LlamaBackend::load(lo);
  ASSERT_TRUE(local);
  const std::string prompt = "### user:\nWhat do I like?\n\n### assistant:\n";
  for (std::string completion : {" bread", "\nI like bread.", " Sourdough"}) {
    auto remote = b->score(prompt, completion);
    ASSERT_TRUE(remote) << remote.error().why;
    auto mine = (*local)->score(prompt, completion);
    ASSERT_TRUE(mine);
    EXPECT_LT(remote->logprob, 0);
    EXPECT_GT(remote->tokens, 0);
    EXPECT_EQ(remote->tokens, mine->tokens) << completion;
    EXPECT_NEAR(remote->logprob, mine->logprob, 1e-2 * std::abs(mine->logprob)) << completion;
  }
}

}  // namespace
}  // namespace knowthy::llm
