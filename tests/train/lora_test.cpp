// The adapter training starts from: its targets, its shapes as llama.cpp's loader wants them, and
// B = 0 (the model unchanged until the first step).
#include "train/lora.hpp"

#include <ggml.h>
#include <gguf.h>
#include <gtest/gtest.h>

#include "support/support.hpp"

namespace knowthy::train {
namespace {

namespace fs = std::filesystem;

TEST(Lora, TargetsMatchTheBlocksWeightsAndAdapterStartsAtZero) {
  test::TempDir dir;
  test::write_model(dir / "m.gguf");
  auto t = lora_targets(dir / "m.gguf", "attn_(q|k|v|output)|ffn_(gate|up|down)");
  ASSERT_TRUE(t) << t.error().why;
  ASSERT_FALSE(t->empty());
  for (const auto& x : *t) {
    EXPECT_TRUE(x.name.starts_with("blk.")) << x.name;
    EXPECT_GT(x.n_in, 0);
    EXPECT_GT(x.n_out, 0);
  }
  auto only_q = lora_targets(dir / "m.gguf", "attn_q");
  ASSERT_TRUE(only_q);
  EXPECT_LT(only_q->size(), t->size());
  EXPECT_EQ(lora_parameters(*only_q, 4),
            only_q->size() * 4 * static_cast<std::uint64_t>(only_q->front().n_in + only_q->front().n_out));

  auto none = lora_targets(dir / "m.gguf", "no_such_weight");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::bad_input);
  EXPECT_FALSE(lora_targets(dir / "m.gguf", "(unclosed"));

  ASSERT_TRUE(write_initial_adapter(dir / "a.gguf", "llama", *t, 4, 8, 7));
  ggml_context* meta = nullptr;
  gguf_context* g = gguf_init_from_file((dir / "a.gguf").c_str(), {false, &meta});
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(std::string(gguf_get_val_str(g, gguf_find_key(g, "general.type"))), "adapter");
  EXPECT_FLOAT_EQ(gguf_get_val_f32(g, gguf_find_key(g, "adapter.lora.alpha")), 8.0f);
  EXPECT_EQ(gguf_get_n_tensors(g), static_cast<int64_t>(2 * t->size()));
  for (const auto& x : *t) {
    const ggml_tensor* a = ggml_get_tensor(meta, (x.name + ".lora_a").c_str());
    const ggml_tensor* b = ggml_get_tensor(meta, (x.name + ".lora_b").c_str());
    ASSERT_TRUE(a && b) << x.name;
    EXPECT_EQ(a->ne[0], x.n_in);
    EXPECT_EQ(a->ne[1], 4);
    EXPECT_EQ(b->ne[0], 4);
    EXPECT_EQ(b->ne[1], x.n_out);
    const auto* bd = static_cast<const float*>(b->data);
    const auto* ad = static_cast<const float*>(a->data);
    float a_abs = 0;
    for (int64_t i = 0; i < ggml_nelements(b); ++i) EXPECT_EQ(bd[i], 0.0f);
    for (int64_t i = 0; i < ggml_nelements(a); ++i) {
      a_abs = std::max(a_abs, std::abs(ad[i]));
      EXPECT_LE(std::abs(ad[i]), 1.0f / std::sqrt(static_cast<float>(x.n_in)));
    }
    EXPECT_GT(a_abs, 0.0f);
  }
  ggml_free(meta);
  gguf_free(g);
}

}  // namespace
}  // namespace knowthy::train
