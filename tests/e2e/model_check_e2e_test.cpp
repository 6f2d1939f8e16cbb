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
  void SetUp() override { ASSERT_EQ(test::run_knowthy({"sample-model", (m_dir / "m.gguf").string()}).exit_code, 0); }
  test::RunResult check(std::vector<std::string> extra) {
    if (!std::filesystem::exists(m_dir / "ws" / "knowthy.toml")) {
      // One engine thread: ctest runs two tests at once on two cores.
      std::filesystem::create_directories(m_dir / "ws");
      test::write_text(m_dir / "ws" / "knowthy.toml", "[model]\nthreads = 1\n");
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
  EXPECT_EQ(j["context_size"], 8192);  // the default [model] context
  EXPECT_GT(j["prompt_tokens_per_s"].get<double>(), 0);
  EXPECT_GT(j["gen_tokens_per_s"].get<double>(), 0);
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(j["session"].get<std::string>().starts_with("llama-"));
  auto answer = json::parse(j["answer"].get<std::string>());
  EXPECT_TRUE(answer["number"].is_number_integer());

  auto text = check({"--model", (m_dir / "m.gguf").string()});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("chat template: found in the model"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("parsed:        yes"), std::string::npos);
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
  auto good = m_dir / "good.sh";
  test::write_text(good,
                   "#!/bin/sh\ncat >/dev/null\necho '{\"greeting\":\"hi\",\"number\":3}'\necho 'session: s-42'\n");
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

  test::write_text(m_dir / "ws" / "knowthy.toml",
                   "[model]\nbackend = \"command\"\ncommand = \"" + bad.string() + "\"\n");
  auto unusable = check({"--json"});
  EXPECT_EQ(unusable.exit_code, 1);
  EXPECT_EQ(json::parse(unusable.out)["parsed"], false);

  // Nothing listens on port 1: the server cannot be reached.
  test::write_text(m_dir / "ws" / "knowthy.toml",
                   "[model]\nbackend = \"openai\"\nendpoint = [\"http://127.0.0.1:1\"]\nretries = 0\n");
  auto down = check({});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("is the server running"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace knowthy
