// `knowthy promote`, `rollback` and `models` through the binary, on candidates written into the
// database as evaluation would leave them (passed, awaiting_eval): only a passed candidate is
// promoted, a failing promote command changes nothing, rollback walks the history back to the
// base model, and model calls use the active model while [model] use_active is on.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "store/db.hpp"
#include "support/support.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class PromoteE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ws = (m_dir / "ws").string();
    test::write_model(m_dir / "base.gguf");
    ASSERT_EQ(kt({"init"}).exit_code, 0);
    configure("");
    add("cand_0001", "passed");
    add("cand_0002", "awaiting_eval");
    add("cand_0003", "passed");
  }
  void configure(const std::string& extra) {
    // The demo's settings (small answers for the sample model); its [model] section comes last.
    test::write_text(fs::path(m_ws) / "knowthy.toml",
                     extra + "\n" + test::read_text(fs::path(KNOWTHY_SOURCE_DIR) / "scripts/demo.toml") + "path = \"" +
                         (m_dir / "base.gguf").string() + "\"\n" + test::threads_setting());
  }
  // A candidate whose output is a model (the sample model, copied).
  void add(const std::string& name, const std::string& state) {
    const fs::path out = fs::path(m_ws) / "models" / name / "output";
    fs::create_directories(out);
    fs::copy_file(m_dir / "base.gguf", out / "model.gguf");
    auto db = store::Db::open(fs::path(m_ws) / "knowthy.db");
    ASSERT_TRUE(
        db->exec("INSERT INTO models (name, state, created_at, updated_at, trainer, parent, base_path, "
                 "base_sha256, output, output_kind) VALUES ('" +
                 name + "', '" + state +
                 "', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'command', "
                 "'base', '" +
                 (m_dir / "base.gguf").string() + "', '', 'output/model.gguf', 'model')"));
  }
  test::RunResult kt(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", m_ws});
    return test::run_knowthy(args);
  }
  json models() {
    auto r = kt({"models", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  std::string state(const json& m, const std::string& name) {
    for (const auto& c : m["candidates"])
      if (c["name"] == name) return c["state"];
    return "";
  }
  std::string cand_model(const std::string& name) const {
    return (fs::path(m_ws) / "models" / name / "output" / "model.gguf").string();
  }
  test::TempDir m_dir;
  std::string m_ws;
};

TEST_F(PromoteE2E, OnlyAPassedCandidateIsPromoted) {
  auto r = kt({"promote", "--candidate", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("cand_0002: it is awaiting_eval"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("knowthy eval"), std::string::npos) << r.err;
  EXPECT_EQ(kt({"promote", "--candidate", "9"}).exit_code, 2);
  auto m = models();
  EXPECT_EQ(m["active"]["name"], "base");
  EXPECT_TRUE(m["active"]["rollback_to"].is_null());
  EXPECT_FALSE(fs::exists(fs::path(m_ws) / "models" / "active.json"));
}

TEST_F(PromoteE2E, PromoteThenRollBackTwiceThenNothingIsLeft) {
  // The newest passed candidate by default.
  auto r = kt({"promote", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["candidate"], "cand_0003");
  ASSERT_EQ(kt({"promote", "--candidate", "1"}).exit_code, 0);
  auto m = models();
  EXPECT_EQ(m["active"]["name"], "cand_0001");
  EXPECT_EQ(m["active"]["path"], cand_model("cand_0001"));
  EXPECT_EQ(m["active"]["rollback_to"], "cand_0003");
  EXPECT_EQ(state(m, "cand_0001"), "promoted");
  auto active = json::parse(test::read_text(fs::path(m_ws) / "models" / "active.json"));
  EXPECT_EQ(active["name"], "cand_0001");

  r = kt({"rollback", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["candidate"], "cand_0001");
  m = models();
  EXPECT_EQ(m["active"]["name"], "cand_0003");
  EXPECT_EQ(m["active"]["rollback_to"], "base");
  EXPECT_EQ(state(m, "cand_0001"), "rolled_back");

  ASSERT_EQ(kt({"rollback"}).exit_code, 0);
  m = models();
  EXPECT_EQ(m["active"]["name"], "base");
  EXPECT_EQ(state(m, "cand_0003"), "rolled_back");
  EXPECT_EQ(json::parse(test::read_text(fs::path(m_ws) / "models" / "active.json"))["name"], "base");

  r = kt({"rollback"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nothing left to roll back to"), std::string::npos) << r.err;
}

TEST_F(PromoteE2E, APromoteCommandGetsBothPathsAndItsFailureChangesNothing) {
  const fs::path args = m_dir / "args.txt";
  configure("[promote]\ncommand = [\"/bin/sh\", \"-c\", \"echo \\\"$0|$1\\\" > '" + args.string() +
            "'; exit $EXIT\", \"{candidate_path}\", \"{previous_path}\"]\n");
  ::setenv("EXIT", "3", 1);
  auto r = kt({"promote"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
  auto m = models();
  EXPECT_EQ(m["active"]["name"], "base");
  EXPECT_EQ(state(m, "cand_0003"), "passed");
  EXPECT_FALSE(fs::exists(fs::path(m_ws) / "models" / "active.json"));

  ::setenv("EXIT", "0", 1);
  ASSERT_EQ(kt({"promote"}).exit_code, 0);
  ::unsetenv("EXIT");
  EXPECT_EQ(test::read_text(args), cand_model("cand_0003") + "|" + (m_dir / "base.gguf").string() + "\n");
  EXPECT_EQ(models()["active"]["name"], "cand_0003");
}

TEST_F(PromoteE2E, ModelCallsUseTheActiveModelUnlessPinned) {
  ASSERT_EQ(kt({"promote"}).exit_code, 0);
  // Which model it loads is what matters here, not what the random model answers.
  auto r = kt({"model", "check", "--json"});
  auto j = json::parse(r.out);
  EXPECT_EQ(j["model"], cand_model("cand_0003"));
  EXPECT_NE(j["model_source"].get<std::string>().find("active model cand_0003"), std::string::npos) << j;

  // Training starts from it too (trainer none: the manifest says so).
  {
    auto db = store::Db::open(fs::path(m_ws) / "knowthy.db");
    ASSERT_TRUE(db->exec("UPDATE models SET state = 'failed' WHERE name = 'cand_0002'"));
  }
  fs::create_directories(fs::path(m_ws) / "datasets");
  for (const char* f : {"dpo.train.jsonl", "dpo.heldout.jsonl", "sft.train.jsonl", "sft.heldout.jsonl"})
    test::write_text(fs::path(m_ws) / "datasets" / f, "{}\n");
  std::string toml = test::read_text(fs::path(m_ws) / "knowthy.toml");
  const std::string llama_opt = "trainer = \"llama-opt\"";
  toml.replace(toml.find(llama_opt), llama_opt.size(), "trainer = \"none\"");
  test::write_text(fs::path(m_ws) / "knowthy.toml", toml);
  auto t = kt({"train", "--force", "--no-datasets", "--json"});
  ASSERT_EQ(t.exit_code, 0) << t.out << t.err;
  const auto tj = json::parse(t.out);
  ASSERT_TRUE(tj.contains("candidate")) << tj;
  EXPECT_EQ(tj["candidate"]["parent"], "cand_0003");
  EXPECT_EQ(tj["candidate"]["base_model"], cand_model("cand_0003"));

  configure("");
  test::write_text(fs::path(m_ws) / "knowthy.toml",
                   test::read_text(fs::path(m_ws) / "knowthy.toml") + "use_active = false\n");
  j = json::parse(kt({"model", "check", "--json"}).out);
  EXPECT_EQ(j["model"], (m_dir / "base.gguf").string());
  EXPECT_NE(j["model_source"].get<std::string>().find("use_active = false"), std::string::npos) << j;
}

TEST_F(PromoteE2E, AnAdapterCandidateIsLoadedOverTheBaseModel) {
  const fs::path out = fs::path(m_ws) / "models" / "cand_0004" / "output";
  fs::create_directories(out);
  test::write_lora(out / "adapter.gguf");
  {
    auto db = store::Db::open(fs::path(m_ws) / "knowthy.db");
    ASSERT_TRUE(
        db->exec("INSERT INTO models (name, state, created_at, updated_at, trainer, parent, base_path, "
                 "base_sha256, output, output_kind) VALUES ('cand_0004', 'passed', '2026-01-02T00:00:00Z', "
                 "'2026-01-02T00:00:00Z', 'command', 'base', '" +
                 (m_dir / "base.gguf").string() + "', '', 'output/adapter.gguf', 'adapter')"));
  }
  ASSERT_EQ(kt({"promote", "--candidate", "4"}).exit_code, 0);
  auto m = models();
  EXPECT_EQ(m["active"]["path"], (m_dir / "base.gguf").string());
  EXPECT_EQ(m["active"]["adapter"], (out / "adapter.gguf").string());
  // llama.cpp loads the adapter over the base model (a refused adapter would be exit 2).
  auto r = kt({"model", "check", "--json"});
  EXPECT_NE(r.exit_code, 2) << r.out << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["model"], (m_dir / "base.gguf").string());
  EXPECT_EQ(j["adapter"], (out / "adapter.gguf").string());
  const std::string err = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
  EXPECT_EQ(err.find("adapter"), std::string::npos) << j;
}

}  // namespace
}  // namespace knowthy
