#include "train/gguf_info.hpp"

#include <ggml.h>
#include <gguf.h>
#include <gtest/gtest.h>

#include "support/support.hpp"

namespace knowthy::train {
namespace {

namespace fs = std::filesystem;

// A GGUF holding one small tensor and the given general.type ("" for none).
void write_gguf(const fs::path& path, const std::string& type, bool architecture) {
  gguf_context* g = gguf_init_empty();
  if (!type.empty()) gguf_set_val_str(g, "general.type", type.c_str());
  if (architecture) gguf_set_val_str(g, "general.architecture", "llama");
  if (type == "adapter") gguf_set_val_str(g, "adapter.type", "lora");
  ggml_init_params gp{16 * 1024, nullptr, false};
  ggml_context* ctx = ggml_init(gp);
  ggml_tensor* t = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, 8);
  ggml_set_name(t, "blk.0.attn_q.weight.lora_a");
  gguf_add_tensor(g, t);
  ASSERT_TRUE(gguf_write_to_file(g, path.c_str(), false));
  ggml_free(ctx);
  gguf_free(g);
}

TEST(GgufInfo, TellsModelsFromAdaptersAndRefusesTheRest) {
  test::TempDir dir;
  write_gguf(dir / "adapter.gguf", "adapter", true);
  write_gguf(dir / "model.gguf", "model", true);
  write_gguf(dir / "saved.gguf", "", true);  // as llama_model_save_to_file writes it
  write_gguf(dir / "odd.gguf", "vocab", true);
  write_gguf(dir / "bare.gguf", "", false);
  auto kind = [&](const char* f) {
    auto info = read_gguf_info(dir / f);
    return info ? gguf_kind(*info, dir / f) : Result<GgufKind>(std::unexpected(info.error()));
  };
  EXPECT_EQ(kind("adapter.gguf"), GgufKind::adapter);
  EXPECT_EQ(read_gguf_info(dir / "adapter.gguf")->adapter_type, "lora");
  EXPECT_EQ(kind("model.gguf"), GgufKind::model);
  EXPECT_EQ(kind("saved.gguf"), GgufKind::model);
  EXPECT_FALSE(kind("odd.gguf"));
  EXPECT_FALSE(kind("bare.gguf"));

  test::write_text(dir / "text.gguf", "this is not a GGUF file at all");
  auto text = read_gguf_info(dir / "text.gguf");
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().why.find("not a GGUF file"), std::string::npos);
  test::write_text(dir / "cut.gguf", "GGUF\x03");  // the magic, then a cut-off header
  EXPECT_FALSE(read_gguf_info(dir / "cut.gguf"));
}

TEST(GgufInfo, ReadsTheSampleModelsSizesAndTensorTypes) {
  test::TempDir dir;
  test::write_model(dir / "m.gguf");
  auto info = read_gguf_info(dir / "m.gguf");
  ASSERT_TRUE(info) << info.error().why;
  EXPECT_EQ(info->architecture, "llama");
  EXPECT_EQ(info->n_embd, 64);
  EXPECT_EQ(info->n_layer, 2);
  EXPECT_EQ(info->n_ff, 128);
  EXPECT_EQ(info->n_head, 4);
  EXPECT_GT(info->n_vocab, 1000);
  for (const auto& t : info->tensors) EXPECT_EQ(t.type, "f32") << t.name;
  EXPECT_EQ(info->tensor_bytes(),
            4 * (2 * 64 * static_cast<std::uint64_t>(info->n_vocab) + 64 + 2 * (2 * 64 + 4 * 64 * 64 + 3 * 64 * 128)));
}

}  // namespace
}  // namespace knowthy::train
