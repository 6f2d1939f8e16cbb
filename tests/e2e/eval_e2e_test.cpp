// `knowthy eval` end to end through the binary, on datasets made by a scripted command backend
// (its chosen answers differ systematically from its rejected ones, so the data does not depend
// on a model): a candidate the built-in trainer made passes, with the same eval.json the second
// time; one with noise added to its weights fails on regression; one equal to the active model
// fails on chance and releases the train gate; too little held-out data; [eval] command verdicts.
#include <gguf.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "support/support.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A copy of the GGUF at `from` with uniform noise of standard deviation `sigma` added to every
// F32 weight, in place in the copy's tensor data.
void write_noisy_copy(const fs::path& from, const fs::path& to, float sigma) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  gguf_init_params params{true, nullptr};
  gguf_context* g = gguf_init_from_file(from.c_str(), params);
  ASSERT_NE(g, nullptr);
  std::fstream f(to, std::ios::in | std::ios::out | std::ios::binary);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> noise(-sigma * std::sqrt(3.0f), sigma * std::sqrt(3.0f));
  for (int64_t i = 0; i < gguf_get_n_tensors(g); ++i) {
    if (gguf_get_tensor_type(g, i) != GGML_TYPE_F32) continue;
    const auto at = static_cast<std::streamoff>(gguf_get_data_offset(g) + gguf_get_tensor_offset(g, i));
    std::vector<float> w(gguf_get_tensor_size(g, i) / sizeof(float));
    f.seekg(at);
    f.read(reinterpret_cast<char*>(w.data()), static_cast<std::streamsize>(w.size() * sizeof(float)));
    for (auto& x : w) x += noise(rng);
    f.seekp(at);
    f.write(reinterpret_cast<const char*>(w.data()), static_cast<std::streamsize>(w.size() * sizeof(float)));
  }
  gguf_free(g);
}

class EvalE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ws = (m_dir / "ws").string();
    ASSERT_EQ(test::run_knowthy({"sample-archive", (m_dir / "a.zip").string(), "--tweets", "240"}).exit_code, 0);
    test::write_model(m_dir / "base.gguf");
    test::write_text(m_dir / "answer.py", test::k_scripted_answer_py);
    ASSERT_EQ(kt({"init"}).exit_code, 0);
    configure("", "");
    ASSERT_EQ(kt({"ingest", (m_dir / "a.zip").string()}).exit_code, 0);
    auto run = kt({"run"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  // Small batches, half of them held out: enough held-out pairs from a small archive.
  void configure(const std::string& train, const std::string& eval) {
    test::write_text(fs::path(m_ws) / "knowthy.toml",
                     "[extract]\nbatch_size = 6\n[datasets]\nheldout_percent = 50\n[train]\nstop_grace_s = 1\n" +
                         train + "\n[eval]\n" +
                         (eval.find("min_heldout_pairs") == std::string::npos ? "min_heldout_pairs = 10\n" : "") +
                         eval + "\n" + test::threads_setting() +
                         "\n[model]\nbackend = \"command\"\ncommand = \"python3 '" + (m_dir / "answer.py").string() +
                         "'\"\npath = \"" + (m_dir / "base.gguf").string() + "\"\n" + test::threads_setting());
  }
  // A command trainer that leaves a copy of `model` as the candidate.
  void copy_trainer(const std::string& model, const std::string& eval = "") {
    configure("trainer = \"command\"\ncommand = [\"cp\", \"" + model + "\", \"{output_dir}/model.gguf\"]\n", eval);
  }
  test::RunResult kt(std::vector<std::string> args, const std::vector<std::pair<std::string, std::string>>& env = {}) {
    args.insert(args.begin(), {"--workspace", m_ws});
    return test::run_knowthy(args, env);
  }
  json eval_json(const std::vector<std::string>& extra = {}, int exit_code = 0) {
    std::vector<std::string> args{"eval", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = kt(args);
    EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
    return json::parse(r.out, nullptr, false);
  }
  fs::path cand(const std::string& name) const { return fs::path(m_ws) / "models" / name; }
  test::TempDir m_dir;
  std::string m_ws;
};

TEST_F(EvalE2E, ACandidateTrainedOnSystematicDataPassesWithTheSameVerdictTwice) {
  configure("trainer = \"llama-opt\"\nlearning_rate = 0.001\ncontext = 256\nbatch = 256\nubatch = 256\nepochs = 1\n" +
                test::threads_setting(),
            "");
  auto r = kt({"train", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_EQ(json::parse(r.out)["candidate"]["state"], "awaiting_eval") << r.out;

  const json j = eval_json();
  ASSERT_TRUE(j["evaluated"].get<bool>()) << j.dump(1);
  const json& m = j["eval"]["metrics"];
  EXPECT_EQ(j["verdict"], "passed") << j["reasons"].dump(1) << "\n" << m.dump(1);
  EXPECT_EQ(j["candidate"]["state"], "passed");
  EXPECT_GE(j["eval"]["data"]["heldout_pairs"].get<int>(), 10);
  EXPECT_GT(j["eval"]["data"]["heldout_tweets"].get<int>(), 0);
  EXPECT_GT(m["preference_accuracy"]["ci95"][0].get<double>(), 0.5);
  EXPECT_GE(m["preference_accuracy"]["value"].get<double>(), 0.55);
  EXPECT_GT(m["mean_margin"]["value"].get<double>(), 0.0);
  EXPECT_GE(m["heldout_chosen_logprob"]["gain"].get<double>(), 0.0);
  EXPECT_LE(m["regression"]["value"].get<double>(), 0.02);
  EXPECT_TRUE(fs::exists(cand("cand_0001") / "eval.md"));
  EXPECT_NE(test::read_text(cand("cand_0001") / "eval.md").find("# cand_0001: passed"), std::string::npos);

  // The verdict released the gate: closed for want of new data, not for a candidate.
  auto gate = json::parse(kt({"train", "--json"}).out);
  EXPECT_EQ(gate["gate"], "closed");
  EXPECT_FALSE(gate.contains("blocking")) << gate.dump(1);

  // Same inputs, same verdict: eval.json is byte-identical apart from its timing.
  auto strip = [](json e) {
    e.erase("timing");
    return e.dump(2);
  };
  const json first = json::parse(test::read_text(cand("cand_0001") / "eval.json"));
  ASSERT_EQ(eval_json({"--candidate", "1"})["verdict"], "passed");
  const json second = json::parse(test::read_text(cand("cand_0001") / "eval.json"));
  EXPECT_EQ(strip(first), strip(second));
  EXPECT_TRUE(first["timing"].contains("seconds"));

  // models shows the verdict; promote makes it active.
  auto models = json::parse(kt({"models", "--json"}).out);
  EXPECT_EQ(models["candidates"][0]["eval"]["verdict"], "passed");
  EXPECT_GT(models["candidates"][0]["datasets"]["dpo_heldout"].get<int>(), 0);
  r = kt({"promote", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["active"]["name"], "cand_0001");
}

TEST_F(EvalE2E, ACandidateWithNoiseInItsWeightsFailsOnRegression) {
  write_noisy_copy(m_dir / "base.gguf", m_dir / "noisy.gguf", 1.0f);
  copy_trainer((m_dir / "noisy.gguf").string());
  ASSERT_EQ(kt({"train", "--force"}).exit_code, 0);
  const json j = eval_json();
  EXPECT_EQ(j["verdict"], "failed");
  EXPECT_EQ(j["candidate"]["state"], "failed");
  const json& reg = j["eval"]["metrics"]["regression"];
  EXPECT_GT(reg["value"].get<double>(), 0.02) << reg.dump(1);
  EXPECT_FALSE(reg["pass"].get<bool>());
  bool named = false;
  for (const auto& r : j["reasons"]) named = named || r.get<std::string>().starts_with("regression:");
  EXPECT_TRUE(named) << j["reasons"].dump(1);
  // promote refuses it.
  auto p = kt({"promote", "--candidate", "1"});
  EXPECT_EQ(p.exit_code, 2);
}

TEST_F(EvalE2E, ACandidateEqualToTheActiveModelFailsOnChanceAndReleasesTheGate) {
  copy_trainer((m_dir / "base.gguf").string());
  ASSERT_EQ(kt({"train", "--force"}).exit_code, 0);
  EXPECT_NE(kt({"train", "--force"}).out.find("awaiting evaluation"), std::string::npos);
  const json j = eval_json();
  EXPECT_EQ(j["verdict"], "failed");
  const json& m = j["eval"]["metrics"];
  // The same weights score the same: no pair moves, no gain.
  EXPECT_EQ(m["preference_accuracy"]["value"].get<double>(), 0.0);
  EXPECT_EQ(m["mean_margin"]["value"].get<double>(), 0.0);
  EXPECT_EQ(m["heldout_chosen_logprob"]["gain"].get<double>(), 0.0);
  EXPECT_LE(m["preference_accuracy"]["ci95"][0].get<double>(), 0.5);
  bool chance = false;
  for (const auto& r : j["reasons"])
    chance = chance || r.get<std::string>().find("not above chance") != std::string::npos;
  EXPECT_TRUE(chance) << j["reasons"].dump(1);
  // The verdict is written: the gate opens again (forced) and makes cand_0002.
  auto r = kt({"train", "--force", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["candidate"]["name"], "cand_0002") << r.out;
}

TEST_F(EvalE2E, AnAdapterCandidateIsScoredOverItsBaseModel) {
  test::write_lora(m_dir / "lora.gguf");
  configure("trainer = \"command\"\ncommand = [\"cp\", \"" + (m_dir / "lora.gguf").string() +
                "\", \"{output_dir}/adapter.gguf\"]\n",
            "");
  auto r = kt({"train", "--force", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(json::parse(r.out)["candidate"]["output_kind"], "adapter") << r.out;
  const json j = eval_json();
  ASSERT_FALSE(j["evaluation_failed"].get<bool>()) << j.dump(1);
  EXPECT_EQ(j["eval"]["candidate_model"]["path"], (m_dir / "base.gguf").string());
  EXPECT_EQ(j["eval"]["candidate_model"]["adapter"], (cand("cand_0001") / "output" / "adapter.gguf").string());
  // The adapter changes the base model's attention: its scores are not the base model's.
  const json& c = j["eval"]["metrics"]["heldout_chosen_logprob"];
  EXPECT_NE(c["candidate"].get<double>(), c["active"].get<double>()) << c.dump(1);
}

TEST_F(EvalE2E, TooLittleHeldOutDataFailsAndSaysSo) {
  copy_trainer((m_dir / "base.gguf").string(), "min_heldout_pairs = 100000\n");
  ASSERT_EQ(kt({"train", "--force"}).exit_code, 0);
  auto r = kt({"eval"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cand_0001: failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("too little held-out data"), std::string::npos) << r.out;
  const json e = json::parse(test::read_text(cand("cand_0001") / "eval.json"));
  EXPECT_TRUE(e["metrics"].empty());
  EXPECT_NE(e["reasons"][0].get<std::string>().find("fewer than [eval] min_heldout_pairs (100000)"), std::string::npos);
}

TEST_F(EvalE2E, AnEvalCommandsVerdictIsUsedAndAnUnreadableOneFails) {
  // Unreadable: a failed evaluation, its output kept.
  copy_trainer((m_dir / "base.gguf").string(), "command = [\"/bin/sh\", \"-c\", \"echo 'all good, I think'\"]\n");
  ASSERT_EQ(kt({"train", "--force"}).exit_code, 0);
  json j = eval_json({}, 1);
  EXPECT_EQ(j["verdict"], "failed");
  EXPECT_TRUE(j["evaluation_failed"].get<bool>());
  ASSERT_EQ(j["reasons"].size(), 1u);
  EXPECT_TRUE(j["reasons"][0].get<std::string>().starts_with("unreadable verdict")) << j["reasons"];
  EXPECT_EQ(test::read_text(cand("cand_0001") / "eval" / "command.out"), "all good, I think\n");

  // Readable: its verdict and metrics; {candidate} is the candidate's GGUF.
  copy_trainer((m_dir / "base.gguf").string(),
               "command = [\"/bin/sh\", \"-c\", \"test -f \\\"$1\\\" && echo progress... && echo "
               "'{\\\"pass\\\": true, \\\"metrics\\\": {\\\"win_rate\\\": 0.7}}'\", \"sh\", \"{candidate}\"]\n");
  j = eval_json({"--candidate", "1"});
  EXPECT_EQ(j["verdict"], "passed") << j.dump(1);
  EXPECT_EQ(j["eval"]["metrics"]["win_rate"], 0.7);
  EXPECT_EQ(j["eval"]["evaluator"], "command");
  EXPECT_EQ(j["eval"]["data"]["command"][4], (cand("cand_0001") / "output" / "model.gguf").string());
}

TEST_F(EvalE2E, AnAbortWhileScoringFailsTheCandidateNotTheCommand) {
  copy_trainer((m_dir / "base.gguf").string());
  ASSERT_EQ(kt({"train", "--force"}).exit_code, 0);
  // The scoring child aborts (as a failed GGML_ASSERT does) after its first batch.
  auto r = kt({"eval", "--json"}, {{"KNOWTHY_CRASH_AT", "eval-score:1:abort"}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["candidate"]["state"], "failed");
  EXPECT_TRUE(j["evaluation_failed"].get<bool>());
  EXPECT_NE(j["reasons"][0].get<std::string>().find("SIGABRT"), std::string::npos) << j["reasons"];
  EXPECT_NE(r.err.find("knowthy: error: cand_0001: the evaluation failed"), std::string::npos) << r.err;
  // Evaluated again without the crash, it gets a verdict.
  EXPECT_EQ(eval_json({"--candidate", "1"})["evaluation_failed"], false);
}

TEST_F(EvalE2E, AnEvalCommandWithAnUnknownPlaceholderIsBadInputAndChangesNothing) {
  copy_trainer((m_dir / "base.gguf").string(), "command = [\"echo\", \"{candidat}\"]\n");
  ASSERT_EQ(kt({"train", "--force"}).exit_code, 0);
  auto r = kt({"eval"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("{candidat}"), std::string::npos) << r.err;
  EXPECT_EQ(json::parse(kt({"models", "--json"}).out)["candidates"][0]["state"], "awaiting_eval");
  EXPECT_FALSE(fs::exists(cand("cand_0001") / "eval.json"));
}

TEST_F(EvalE2E, NothingToEvaluateIsNotAnErrorButAnUnknownCandidateIs) {
  auto r = kt({"eval"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nothing to evaluate"), std::string::npos) << r.out;
  r = kt({"eval", "--candidate", "7"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no such candidate"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace knowthy
