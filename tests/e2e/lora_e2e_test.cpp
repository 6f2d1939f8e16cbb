// The built-in trainer on the models people have, end to end through the binary: a LoRA adapter
// over a Q8_0 model and over a Q4_K_M model with more blocks than llama.cpp's inference-sized graph
// allowed before patches/llama.cpp-training.patch, a full fine-tune of the same many-block model
// in F32, the refusal of an architecture llama.cpp cannot train, and DPO against SFT on planted
// preference data.
#include <fmt/format.h>
#include <ggml.h>
#include <gguf.h>
#include <gtest/gtest.h>
#include <llama.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "llm/engine.hpp"
#include "llm/llama_backend.hpp"
#include "support/support.hpp"
#include "train/manifest.hpp"
#include "util/hash.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

void quantize(const fs::path& from, const fs::path& to, llama_ftype type) {
  llm::init_llama();
  llama_model_quantize_params qp = llama_model_quantize_default_params();
  qp.ftype = type;
  ASSERT_EQ(llama_model_quantize(from.c_str(), to.c_str(), &qp), 0u) << to;
}

std::string tensor_type(const fs::path& model, const std::string& name) {
  gguf_context* g = gguf_init_from_file(model.c_str(), {true, nullptr});
  if (!g) return "";
  const int64_t i = gguf_find_tensor(g, name.c_str());
  std::string t = i >= 0 ? ggml_type_name(gguf_get_tensor_type(g, i)) : "";
  gguf_free(g);
  return t;
}

// A workspace whose datasets come from the scripted command backend (as in TrainE2E).
class LoraE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ws = (m_dir / "ws").string();
    ASSERT_EQ(test::run_knowthy({"sample-archive", (m_dir / "a.zip").string(), "--tweets", "120"}).exit_code, 0);
    test::write_model(m_dir / "base.gguf");
    test::write_text(m_dir / "answer.py", test::k_scripted_answer_py);
    ASSERT_EQ(kt({"init"}).exit_code, 0);
    configure("", m_dir / "base.gguf");
    ASSERT_EQ(kt({"ingest", (m_dir / "a.zip").string()}).exit_code, 0);
    auto run = kt({"run"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  void configure(const std::string& train, const fs::path& model) {
    test::write_text(fs::path(m_ws) / "knowthy.toml",
                     "[extract]\nbatch_size = 10\n[train]\ntrainer = \"llama-opt\"\nlearning_rate = 0.001\n"
                     "context = 256\nbatch = 256\nubatch = 256\nepochs = 1\n" +
                         test::threads_setting() + train + "\n[model]\nbackend = \"command\"\ncommand = \"python3 '" +
                         (m_dir / "answer.py").string() + "'\"\npath = \"" + model.string() + "\"\n" +
                         test::threads_setting());
  }
  test::RunResult kt(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", m_ws});
    return test::run_knowthy(args);
  }
  fs::path cand(const std::string& name) const { return fs::path(m_ws) / "models" / name; }
  // A copy of a candidate's manifest with other settings (and base), trained by `train-child`.
  template <typename F>
  json retrain(const fs::path& from, F&& edit, const fs::path& base = {}) {
    const fs::path dir = m_dir / "retrained";
    fs::remove_all(dir);
    fs::create_directories(dir / "output");
    json m = json::parse(test::read_text(from / "manifest.json"));
    edit(m["trainer"]["settings"]);
    if (!base.empty()) m["base_model"]["path"] = base.string();
    m["output_dir"] = (dir / "output").string();
    test::write_text(dir / "manifest.json", m.dump());
    auto r = test::run_knowthy({"train-child", dir.string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(test::read_text(dir / "metrics.json"), nullptr, false);
  }
  // Trains with --force and returns the report; the candidate must be awaiting evaluation.
  json train_ok() {
    auto r = kt({"train", "--force", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_EQ(j["candidate"]["state"], "awaiting_eval") << r.out << r.err;
    return j;
  }
  test::TempDir m_dir;
  std::string m_ws;
};

TEST_F(LoraE2E, AnAdapterTrainsOverAQ8ModelWhoseWeightsStayAsTheyWere) {
  const fs::path q8 = m_dir / "q8.gguf";
  quantize(m_dir / "base.gguf", q8, LLAMA_FTYPE_MOSTLY_Q8_0);
  ASSERT_EQ(tensor_type(q8, "blk.0.attn_q.weight"), "q8_0");
  const std::string before = util::sha256_file(q8)->sha256;
  configure("objective = \"sft\"\n", q8);  // method "auto": LoRA, since the model is quantized
  json j = train_ok();
  EXPECT_EQ(j["candidate"]["output"], "output/adapter.gguf");
  EXPECT_EQ(j["candidate"]["output_kind"], "adapter");
  const json& m = j["metrics"];
  EXPECT_EQ(m["method"], "lora");
  EXPECT_EQ(m["objective"], "sft");
  EXPECT_LT(m["train_loss_after"].get<double>(), m["train_loss_before"].get<double>()) << m;
  EXPECT_GT(m["train_answer_tokens"].get<int>(), 0);
  EXPECT_GT(m["peak_rss_bytes"].get<double>(), 0);
  EXPECT_EQ(util::sha256_file(q8)->sha256, before);
  const std::string log = test::read_text(cand("cand_0001") / "train.log");
  EXPECT_NE(log.find("LoRA rank 16"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(cand("cand_0001") / "lora.init.gguf"));

  // The adapter loads over the Q8 model, as `use_active` and eval load it, and generates.
  auto backend = llm::LlamaBackend::load({.model_path = q8.string(),
                                          .parallel = 1,
                                          .threads = test::engine_threads(),
                                          .context = 256,
                                          .batch = 64,
                                          .gpu_layers = 0,
                                          .chat_template = "",
                                          .adapter = (cand("cand_0001") / "output/adapter.gguf").string()});
  ASSERT_TRUE(backend) << backend.error().why;
  llm::ChatRequest req;
  req.messages = {{"user", "Hello"}};
  req.options.max_tokens = 4;
  auto out = (*backend)->generate(req);
  ASSERT_TRUE(out) << out.error().why;
  EXPECT_GT(out->completion_tokens, 0);

  // DPO, the default objective, over the same model and data (cand_0001 awaits its verdict, so
  // its manifest is retrained directly).
  const json dpo = retrain(cand("cand_0001"), [](json& s) { s["objective"] = "dpo"; });
  EXPECT_EQ(dpo["objective"], "dpo");
  EXPECT_GT(dpo["train_pairs"].get<int>(), 0);
  EXPECT_NEAR(dpo["train_loss_before"].get<double>(), std::log(2.0), 1e-9);
}

TEST_F(LoraE2E, NineBlocksTrainFullInF32AndAsLoraOverQ4KM) {
  // Rows of 256 values, as the K-quants need; 9 blocks, which aborted in llama.cpp's graph before.
  const fs::path f32 = m_dir / "nine.gguf", q4 = m_dir / "nine-q4km.gguf";
  ASSERT_EQ(
      test::run_knowthy({"sample-model", f32.string(), "--embd", "256", "--layers", "9", "--ff", "512"}).exit_code, 0);
  quantize(f32, q4, LLAMA_FTYPE_MOSTLY_Q4_K_M);
  ASSERT_EQ(tensor_type(q4, "blk.8.ffn_up.weight"), "q4_K");
  configure("objective = \"sft\"\n", f32);
  json j = train_ok();
  EXPECT_EQ(j["metrics"]["method"], "full");
  EXPECT_EQ(j["candidate"]["output_kind"], "model");
  EXPECT_LT(j["metrics"]["train_loss_after"].get<double>(), j["metrics"]["train_loss_before"].get<double>());
  const json lora = retrain(
      cand("cand_0001"),
      [&](json& s) {
        s["method"] = "lora";
        s["lora_rank"] = 4;
      },
      q4);
  EXPECT_EQ(lora["method"], "lora");
  EXPECT_TRUE(fs::exists(m_dir / "retrained/output/adapter.gguf"));
}

TEST_F(LoraE2E, AnArchitectureLlamaCppCannotTrainIsRefusedBeforeACandidate) {
  // A GGUF that says it is a Mamba model (a recurrent state: no backward pass in llama.cpp).
  const fs::path mamba = m_dir / "mamba.gguf";
  {
    gguf_context* g = gguf_init_empty();
    gguf_set_val_str(g, "general.architecture", "mamba");
    ggml_context* ctx = ggml_init({16 * 1024, nullptr, false});
    ggml_tensor* t = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, 8, 8);
    ggml_set_name(t, "blk.0.ssm_in.weight");
    gguf_add_tensor(g, t);
    ASSERT_TRUE(gguf_write_to_file(g, mamba.c_str(), false));
    ggml_free(ctx);
    gguf_free(g);
  }
  configure("", mamba);
  auto r = kt({"train", "--force"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot train \"mamba\" models"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint:"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(cand("cand_0001") / "manifest.json"));
}

// Planted preferences: the answer "alpha" is preferred after a cat, "omega" after a dog. SFT sees
// both answers as chosen (one per animal) and learns both; DPO learns which one each prompt wants.
class PlantedPreferences : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_model(m_dir / "base.gguf");
    std::string train, heldout;
    for (int i = 0; i < 24; ++i) {
      const bool cat = i % 2 == 0;
      json pair{{"prompt", {{{"role", "user"}, {"content", fmt::format("{} number {}", cat ? "cat" : "dog", i)}}}},
                {"chosen", {{{"role", "assistant"}, {"content", cat ? "alpha" : "omega"}}}},
                {"rejected", {{{"role", "assistant"}, {"content", cat ? "omega" : "alpha"}}}}};
      (i < 16 ? train : heldout) += pair.dump() + "\n";
    }
    test::write_text(m_dir / "dpo.train.jsonl", train);
    test::write_text(m_dir / "dpo.heldout.jsonl", heldout);
  }
  json train(const std::string& objective) {
    const fs::path dir = m_dir / objective;
    fs::create_directories(dir / "output");
    train::Manifest m;
    m.id = 1;
    m.name = "cand_0001";
    m.base_model = m_dir / "base.gguf";
    m.trainer = "llama-opt";
    m.output_dir = dir / "output";
    m.datasets = {{"dpo_train", m_dir / "dpo.train.jsonl", "", 0, 16},
                  {"dpo_heldout", m_dir / "dpo.heldout.jsonl", "", 0, 8}};
    train::LlamaOptSettings& o = m.llama_opt;
    o.epochs = 4;
    o.learning_rate = 0.002;
    o.context = o.batch = o.ubatch = 256;
    o.threads = test::engine_threads();
    o.gpu_layers = 0;
    o.method = "full";
    o.objective = objective;
    // DPO itself, against SFT alone: the RPO term (rpo_alpha) is SFT's loss on the chosen answer,
    // and on these one-token answers it would outweigh DPO's (alpha / n per token against w).
    o.rpo_alpha = 0;
    EXPECT_TRUE(train::write_manifest(dir / "manifest.json", m));
    auto r = test::run_knowthy({"train-child", dir.string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(test::read_text(dir / "metrics.json"));
  }
  test::TempDir m_dir;
};

TEST_F(PlantedPreferences, DpoMovesPreferenceAccuracyAndMarginAboveSftAlone) {
  const json sft = train("sft"), dpo = train("dpo");
  const json& s = sft["preference_train"];
  const json& d = dpo["preference_train"];
  EXPECT_EQ(d["pairs"], 16);
  EXPECT_GT(d["margin"].get<double>(), s["margin"].get<double>()) << "sft " << s << "\ndpo " << d;
  EXPECT_GE(d["accuracy"].get<double>(), s["accuracy"].get<double>()) << "sft " << s << "\ndpo " << d;
  EXPECT_GT(d["accuracy"].get<double>(), 0.5) << d;
  EXPECT_LT(dpo["train_loss_after"].get<double>(), std::log(2.0)) << dpo;
  RecordProperty("sft_margin", std::to_string(s["margin"].get<double>()));
  RecordProperty("dpo_margin", std::to_string(d["margin"].get<double>()));
}

}  // namespace
}  // namespace knowthy
