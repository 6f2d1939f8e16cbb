// `knowthy train` end to end through the binary: datasets made by an agent-like command backend
// (deterministic answers, so the data does not depend on a model), then the gate, the command
// trainer with scripted trainers (success, failure, no GGUF, a file that is not one, a timeout),
// crash recovery after kill -9, and the built-in llama-opt trainer on the sample model.
#include <gguf.h>
#include <gtest/gtest.h>
#include <llama.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "llm/engine.hpp"
#include "llm/llama_backend.hpp"
#include "support/support.hpp"
#include "util/supervise.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A trainer: checks its inputs, logs, and does what its first argument says.
const char* k_trainer_py = R"(import sys, os, json, shutil, time
mode, base, dpo, heldout, sft, out, manifest = sys.argv[1:8]
for p in (base, dpo, heldout, sft, manifest):
    assert os.path.isfile(p), p
assert os.path.isdir(out), out
m = json.load(open(manifest))
print("trainer: %s pairs, output to %s" % (m["datasets"]["dpo_train"]["records"], out), flush=True)
if mode == "ok":
    shutil.copy(base, os.path.join(out, "model.gguf"))
elif mode == "fail":
    print("trainer: CUDA out of memory", file=sys.stderr, flush=True)
    sys.exit(3)
elif mode == "garbage":
    open(os.path.join(out, "adapter.gguf"), "w").write("not a gguf")
elif mode == "sleep":
    # Deaf to SIGTERM: only the SIGKILL after the grace period stops it.
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    open(os.path.join(out, "..", "trainer.pid"), "w").write(str(os.getpid()))
    time.sleep(60)
)";

class TrainE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    // A space in every path: the trainer's arguments go without a shell.
    m_ws = (m_dir / "my ws").string();
    ASSERT_EQ(test::run_knowthy({"sample-archive", (m_dir / "a.zip").string(), "--tweets", "120"}).exit_code, 0);
    test::write_model(m_dir / "base model.gguf");
    test::write_text(m_dir / "answer.py", test::k_scripted_answer_py);
    test::write_text(m_dir / "trainer.py", k_trainer_py);
    ASSERT_EQ(kt({"init"}).exit_code, 0);
    configure("");
    ASSERT_EQ(kt({"ingest", (m_dir / "a.zip").string()}).exit_code, 0);
    auto run = kt({"run"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  void configure(const std::string& train, const std::string& model_path = "") {
    test::write_text(fs::path(m_ws) / "knowthy.toml",
                     "[extract]\nbatch_size = 10\n[train]\n" + train + "\n[model]\nbackend = \"command\"\n" +
                         "command = \"python3 '" + (m_dir / "answer.py").string() + "'\"\npath = \"" +
                         (model_path.empty() ? (m_dir / "base model.gguf").string() : model_path) + "\"\n" +
                         test::threads_setting());
  }
  void command_trainer(const std::string& mode, const std::string& extra = "") {
    configure("trainer = \"command\"\nstop_grace_s = 1\n" + extra + "command = [\"python3\", \"" +
              (m_dir / "trainer.py").string() + "\", \"" + mode +
              "\", \"{base_model}\", \"{dpo_train}\", \"{dpo_heldout}\", \"{sft_train}\", \"{output_dir}\", "
              "\"{manifest}\"]\n");
  }
  void llama_opt(const std::string& extra = "", const std::string& model_path = "") {
    configure("trainer = \"llama-opt\"\nlearning_rate = 0.001\ncontext = 256\nbatch = 256\nubatch = 256\nepochs = 1\n" +
                  test::threads_setting() + extra,
              model_path);
  }
  test::RunResult kt(std::vector<std::string> args, const std::vector<std::pair<std::string, std::string>>& env = {}) {
    args.insert(args.begin(), {"--workspace", m_ws});
    return test::run_knowthy(args, env);
  }
  json candidates() {
    auto r = kt({"models", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)["candidates"];
  }
  fs::path cand(const std::string& name) const { return fs::path(m_ws) / "models" / name; }
  test::TempDir m_dir;
  std::string m_ws;
};

TEST_F(TrainE2E, TheCommandTrainerGetsEveryPathAndItsGgufMakesTheCandidateAwaitEvaluation) {
  // No trainer: the gate (>= 10 new batches) opens and the candidate stays ready.
  auto r = kt({"train", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["gate"], "open");
  EXPECT_GE(j["new_done_batches"].get<int>(), 10);
  EXPECT_EQ(j["candidate"]["state"], "ready");
  EXPECT_TRUE(fs::exists(cand("cand_0001") / "manifest.json"));

  command_trainer("ok");
  r = kt({"train"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("gate closed"), std::string::npos) << r.out;  // nothing new since cand_0001
  r = kt({"train", "--force", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["candidate"]["name"], "cand_0002");
  EXPECT_EQ(j["candidate"]["state"], "awaiting_eval");
  EXPECT_EQ(j["candidate"]["output"], "output/model.gguf");
  EXPECT_EQ(j["candidate"]["output_kind"], "model");
  const std::string log = test::read_text(cand("cand_0002") / "train.log");
  EXPECT_NE(log.find("trainer: "), std::string::npos) << log;
  EXPECT_NE(log.find("my ws/models/cand_0002/output"), std::string::npos) << log;
  auto manifest = json::parse(test::read_text(cand("cand_0002") / "manifest.json"));
  EXPECT_EQ(manifest["trainer"]["argv"][2], "ok");
  EXPECT_EQ(manifest["trainer"]["argv"][3], (m_dir / "base model.gguf").string());

  // Awaiting its verdict, it blocks the gate, --force or not; status and models show it.
  r = kt({"train", "--force"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("cand_0002 is awaiting evaluation"), std::string::npos) << r.out;
  auto status = json::parse(kt({"status", "--json"}).out);
  ASSERT_EQ(status["candidates"].size(), 2u);
  EXPECT_EQ(status["candidates"][1]["state"], "awaiting_eval");
  EXPECT_EQ(candidates()[0]["state"], "ready");
}

TEST_F(TrainE2E, AFailingTrainerLeavesTheCandidateTrainFailedWithItsLog) {
  struct Case {
    std::string mode, extra, reason;
  };
  const std::vector<Case> cases = {
      {"fail", "", "exited with status 3"},
      {"nothing", "", "left no .gguf file"},
      {"garbage", "", "not a GGUF file"},
      {"sleep", "max_minutes = 0.03\n", "timed out"},
  };
  int n = 0;
  for (const auto& c : cases) {
    command_trainer(c.mode, c.extra);
    auto r = kt({"train", "--force", "--json"});
    EXPECT_EQ(r.exit_code, 1) << c.mode << r.out << r.err;
    const std::string name = "cand_000" + std::to_string(++n);
    auto j = json::parse(r.out);
    EXPECT_EQ(j["candidate"]["name"], name);
    EXPECT_EQ(j["candidate"]["state"], "train_failed") << c.mode;
    EXPECT_NE(j["candidate"]["reason"].get<std::string>().find(c.reason), std::string::npos)
        << c.mode << ": " << j["candidate"]["reason"];
    EXPECT_NE(r.err.find("train.log"), std::string::npos) << r.err;
    const std::string log = test::read_text(cand(name) / "train.log");
    EXPECT_NE(log.find("knowthy: train_failed"), std::string::npos) << log;
    if (c.mode == "fail") {
      EXPECT_NE(log.find("CUDA out of memory"), std::string::npos) << log;
    }
    if (c.mode == "sleep" && fs::exists(cand(name) / "trainer.pid")) {  // (a slow machine may time out first)
      const pid_t pid = std::stoi(test::read_text(cand(name) / "trainer.pid"));
      EXPECT_FALSE(util::process_running(pid)) << "the timed-out trainer still runs";
    }
  }
  EXPECT_EQ(candidates().size(), cases.size());
}

TEST_F(TrainE2E, AfterKill9DuringTrainingTheNextCommandMarksTheCandidateTrainFailed) {
  // A trainer deaf to SIGTERM, so it outlives knowthy (which kills itself with SIGKILL, as
  // kill -9 does, once the trainer has written its pid).
  command_trainer("sleep");
  const fs::path pidfile = cand("cand_0001") / "trainer.pid";
  auto r = kt({"train"}, {{"KNOWTHY_CRASH_AT", "train-wait:20"}});
  ASSERT_EQ(r.exit_code, 128 + SIGKILL) << r.err;
  ASSERT_TRUE(fs::exists(pidfile));
  const pid_t pid = std::stoi(test::read_text(pidfile));
  EXPECT_TRUE(util::process_running(pid)) << "the trainer should have outlived knowthy";
  // The next command that looks at candidates stops what is left and marks the candidate.
  auto c = candidates();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["state"], "train_failed");
  EXPECT_NE(c[0]["reason"].get<std::string>().find("trainer died"), std::string::npos) << c[0];
  for (int i = 0; i < 100 && util::process_running(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(util::process_running(pid)) << "the orphaned trainer still runs";
  // The gate opens again.
  command_trainer("ok");
  r = kt({"train", "--force", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["candidate"]["state"], "awaiting_eval");
}

TEST_F(TrainE2E, LlamaOptLowersTheTrainingLossAndSavesAModelThatGenerates) {
  llama_opt();
  auto r = kt({"train", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = json::parse(r.out);
  ASSERT_EQ(j["candidate"]["state"], "awaiting_eval") << j.dump(1);
  const auto metrics = json::parse(test::read_text(cand("cand_0001") / "metrics.json"));
  EXPECT_LT(metrics["train_loss_after"].get<double>(), metrics["train_loss_before"].get<double>()) << metrics;
  EXPECT_EQ(metrics["epochs"].size(), 1u);
  EXPECT_GT(metrics["train_tokens_per_epoch"].get<int>(), 0);
  EXPECT_EQ(j["metrics"], metrics);
  EXPECT_NE(test::read_text(cand("cand_0001") / "train.log").find("epoch 1/1: train loss"), std::string::npos);
  // llama.cpp's saver writes only the keys it knows; the base's others (its chat template) are kept,
  // and so is its context length (llama.cpp's optimizer sets it to the training context, 256 here).
  std::vector<std::uint32_t> context_lengths;
  for (const fs::path& f : {m_dir / "base model.gguf", cand("cand_0001") / "output/model.gguf"}) {
    gguf_init_params params{true, nullptr};
    gguf_context* g = gguf_init_from_file(f.c_str(), params);
    ASSERT_NE(g, nullptr) << f;
    EXPECT_GE(gguf_find_key(g, "tokenizer.chat_template"), 0) << f;
    const int64_t k = gguf_find_key(g, "llama.context_length");
    ASSERT_GE(k, 0) << f;
    context_lengths.push_back(gguf_get_val_u32(g, k));
    gguf_free(g);
  }
  EXPECT_EQ(context_lengths[1], context_lengths[0]);
  EXPECT_GT(context_lengths[1], 256u);

  // The saved model loads and generates.
  auto backend = llm::LlamaBackend::load({.model_path = (cand("cand_0001") / "output/model.gguf").string(),
                                          .parallel = 1,
                                          .threads = test::engine_threads(),
                                          .context = 256,
                                          .batch = 64,
                                          .gpu_layers = 0,
                                          .chat_template = "",
                                          .adapter = ""});
  ASSERT_TRUE(backend) << backend.error().why;
  llm::ChatRequest req;
  req.messages = {{"user", "Hello"}};
  req.options.max_tokens = 8;
  auto out = (*backend)->generate(req);
  ASSERT_TRUE(out) << out.error().why;
  EXPECT_GT(out->completion_tokens, 0);
}

TEST_F(TrainE2E, LlamaOptRefusesAFullFineTuneOfAQuantizedModelWithExit2) {
  llm::init_llama();
  const fs::path q = m_dir / "q8.gguf";
  llama_model_quantize_params qp = llama_model_quantize_default_params();
  qp.ftype = LLAMA_FTYPE_MOSTLY_Q8_0;
  ASSERT_EQ(llama_model_quantize((m_dir / "base model.gguf").c_str(), q.c_str(), &qp), 0u);
  llama_opt("method = \"full\"\n", q.string());
  auto r = kt({"train", "--force"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("F32"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("method = \"lora\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint:"), std::string::npos) << r.err;
  EXPECT_TRUE(candidates().empty());  // refused before a candidate was made
}

TEST_F(TrainE2E, LlamaOptRefusesTrainingThatDoesNotFitInMemory) {
  llama_opt("memory_limit_mb = 1\n");
  auto r = kt({"train", "--force"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("training needs about"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[train] memory_limit_mb is 1.0 MiB"), std::string::npos) << r.err;
  EXPECT_TRUE(candidates().empty());
}

TEST_F(TrainE2E, AnAbortInsideTheTrainerFailsTheCandidateNotTheCommand) {
  llama_opt();
  // The child aborts (as a failed GGML_ASSERT does) at its second training step.
  auto r = kt({"train", "--json"}, {{"KNOWTHY_CRASH_AT", "llama-opt-step:2:abort"}});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["candidate"]["state"], "train_failed");
  EXPECT_NE(j["candidate"]["reason"].get<std::string>().find("SIGABRT"), std::string::npos) << j;
  EXPECT_FALSE(fs::exists(cand("cand_0001") / "output/model.gguf"));
  // The loop goes on: the gate is not blocked.
  configure("");
  r = kt({"train", "--force", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["candidate"]["state"], "ready");
}

}  // namespace
}  // namespace knowthy
