// The sample model must load in the real llama.cpp engine and generate, deterministically.
#include "sample/model.hpp"

#include <gtest/gtest.h>
#include <llama-cpp.h>

#include <memory>

#include "support/support.hpp"

namespace knowthy::sample {
namespace {

std::vector<llama_token> greedy(const std::string& path, const std::string& prompt, int n) {
  llama_model_params mp = llama_model_default_params();
  llama_model_ptr model(llama_model_load_from_file(path.c_str(), mp));
  EXPECT_TRUE(model);
  if (!model) return {};
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = 512;
  cp.n_threads = cp.n_threads_batch = test::engine_threads();
  llama_context_ptr ctx(llama_init_from_model(model.get(), cp));
  EXPECT_TRUE(ctx);
  const llama_vocab* vocab = llama_model_get_vocab(model.get());
  std::vector<llama_token> toks(prompt.size() + 8);
  int nt = llama_tokenize(vocab, prompt.c_str(), static_cast<int32_t>(prompt.size()), toks.data(),
                          static_cast<int32_t>(toks.size()), true, false);
  EXPECT_GT(nt, 0);
  toks.resize(static_cast<size_t>(nt));
  llama_sampler_ptr smpl(llama_sampler_init_greedy());
  std::vector<llama_token> out;
  llama_batch batch = llama_batch_get_one(toks.data(), nt);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(llama_decode(ctx.get(), batch), 0);
    llama_token t = llama_sampler_sample(smpl.get(), ctx.get(), -1);
    out.push_back(t);
    batch = llama_batch_get_one(&out.back(), 1);
  }
  return out;
}

TEST(SampleModel, LoadsInLlamaCppAndGeneratesDeterministically) {
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
  test::TempDir dir;
  auto path = (dir / "tiny.gguf").string();
  SampleModelOptions mine;
  mine.seed = test::model_seed();
  auto params = write_sample_model(path, mine);
  ASSERT_TRUE(params) << params.error().why;
  EXPECT_GT(*params, 4'000'000u);  // two 32000x64 embedding matrices dominate

  llama_model_params mp = llama_model_default_params();
  llama_model_ptr model(llama_model_load_from_file(path.c_str(), mp));
  ASSERT_TRUE(model);
  EXPECT_EQ(llama_vocab_n_tokens(llama_model_get_vocab(model.get())), 32000);
  EXPECT_EQ(llama_model_n_embd(model.get()), 64);
  EXPECT_EQ(llama_model_n_layer(model.get()), 2);
  const char* tmpl = llama_model_chat_template(model.get(), nullptr);
  ASSERT_NE(tmpl, nullptr);
  EXPECT_EQ(std::string(tmpl), sample_chat_template());

  auto a = greedy(path, "### user:\nHello there\n\n### assistant:\n", 8);
  auto b = greedy(path, "### user:\nHello there\n\n### assistant:\n", 8);
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(a, b);
  // Another seed gives other weights, hence (almost surely) other tokens.
  auto other = (dir / "other.gguf").string();
  SampleModelOptions o;
  o.seed = mine.seed + 1;
  ASSERT_TRUE(write_sample_model(other, o));
  EXPECT_NE(greedy(other, "### user:\nHello there\n\n### assistant:\n", 8), a);
}

TEST(SampleModel, SameSeedSameBytes) {
  test::TempDir dir;
  ASSERT_TRUE(write_sample_model(dir / "a.gguf", SampleModelOptions{}));
  ASSERT_TRUE(write_sample_model(dir / "b.gguf", SampleModelOptions{}));
  EXPECT_EQ(test::read_text(dir / "a.gguf"), test::read_text(dir / "b.gguf"));
}

}  // namespace
}  // namespace knowthy::sample

namespace knowthy::sample {
namespace {

TEST(SampleModelE2E, CommandWritesALoadableModel) {
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
  test::TempDir dir;
  auto path = (dir / "m.gguf").string();
  auto r = test::run_knowthy({"sample-model", path, "--seed", "3", "--layers", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_text(path).substr(0, 4), "GGUF");
  llama_model_params mp = llama_model_default_params();
  llama_model_ptr model(llama_model_load_from_file(path.c_str(), mp));
  ASSERT_TRUE(model);
  EXPECT_EQ(llama_model_n_layer(model.get()), 1);
  auto bad = test::run_knowthy({"sample-model", path, "--heads", "5"});  // 64 does not divide by 5
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("knowthy: error:"), std::string::npos);
}

}  // namespace
}  // namespace knowthy::sample
