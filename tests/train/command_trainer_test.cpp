#include "train/command_trainer.hpp"

#include <gtest/gtest.h>

namespace knowthy::train {
namespace {

const Placeholders k_p{"/m/base model.gguf", "/w/dpo.train.jsonl", "/w/dpo.heldout.jsonl",
                       "/w/sft.train.jsonl", "/w/out dir",         "/w/manifest.json"};

TEST(CommandTrainer, ReplacesEveryPlaceholderWithoutAShell) {
  auto argv = expand_command(
      {"python3", "train.py", "--model={base_model}", "{dpo_train}", "{dpo_heldout}", "{sft_train}", "--out",
       "{output_dir}/adapter.gguf", "{manifest}", "{not a placeholder}", "{}", "json={\"a\": 1}"},
      false, k_p);
  ASSERT_TRUE(argv) << argv.error().why;
  EXPECT_EQ(*argv,
            (std::vector<std::string>{"python3", "train.py", "--model=/m/base model.gguf", "/w/dpo.train.jsonl",
                                      "/w/dpo.heldout.jsonl", "/w/sft.train.jsonl", "--out", "/w/out dir/adapter.gguf",
                                      "/w/manifest.json", "{not a placeholder}", "{}", "json={\"a\": 1}"}));
}

TEST(CommandTrainer, AnUnknownPlaceholderIsBadInput) {
  auto argv = expand_command({"train", "{base_modle}"}, false, k_p);
  ASSERT_FALSE(argv);
  EXPECT_EQ(argv.error().kind, ErrorKind::bad_input);
  EXPECT_NE(argv.error().why.find("{base_modle}"), std::string::npos);
  EXPECT_FALSE(expand_command({}, false, k_p));
}

TEST(CommandTrainer, WithAShellTheValuesAreQuoted) {
  Placeholders p = k_p;
  p.output_dir = "/w/it's here";
  auto argv = expand_command({"cd {output_dir} && train {base_model} > x"}, true, p);
  ASSERT_TRUE(argv);
  EXPECT_EQ(*argv,
            (std::vector<std::string>{"/bin/sh", "-c", "cd '/w/it'\\''s here' && train '/m/base model.gguf' > x"}));
  EXPECT_FALSE(expand_command({"a", "b"}, true, p));
}

}  // namespace
}  // namespace knowthy::train
