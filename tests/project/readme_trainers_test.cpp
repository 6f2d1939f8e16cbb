// The README's worked trainer configurations cannot run here (TRL wants a GPU, mlx-lm-lora a
// Mac), but every one of them must be a valid [train] section whose placeholders knowthy knows
// and whose scripts exist in contrib/trainers/ with the arguments they parse.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "store/config.hpp"
#include "support/support.hpp"
#include "train/command_trainer.hpp"

namespace knowthy {
namespace {

namespace fs = std::filesystem;

TEST(ReadmeTrainers, EveryWorkedConfigurationParsesAndNamesRealScripts) {
  const fs::path root = KNOWTHY_SOURCE_DIR;
  const std::string readme = test::read_text(root / "README.md");
  const auto from = readme.find("### Trainer `command`");
  const auto to = readme.find("### Trainer `llama-opt`");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  const std::string section = readme.substr(from, to - from);
  const std::regex block("```toml\\n([\\s\\S]*?)```");
  test::TempDir dir;
  int blocks = 0;
  for (auto it = std::sregex_iterator(section.begin(), section.end(), block); it != std::sregex_iterator(); ++it) {
    ++blocks;
    test::write_text(dir / "k.toml", (*it)[1].str());
    auto cfg = store::load_config(dir / "k.toml");
    ASSERT_TRUE(cfg) << cfg.error().what << ": " << cfg.error().why;
    EXPECT_EQ(cfg->train.trainer, "command");
    const train::Placeholders p{
        "/m/base.gguf", "/c/data/dpo.train.jsonl", "/c/data/dpo.heldout.jsonl", "/c/data/sft.train.jsonl",
        "/c/output",    "/c/manifest.json"};
    auto argv = train::expand_command(cfg->train.command, cfg->train.shell, p);
    ASSERT_TRUE(argv) << argv.error().why;
    bool names_script = false;
    for (const auto& a : *argv) {
      if (!a.starts_with("/opt/knowthy/")) continue;
      const fs::path script = root / a.substr(std::string("/opt/knowthy/").size());
      ASSERT_TRUE(fs::exists(script)) << script;
      names_script = true;
      // Every --option the configuration passes is one the script parses.
      const std::string text = test::read_text(script);
      for (const auto& opt : *argv) {
        if (opt.starts_with("--")) {
          EXPECT_NE(text.find("\"" + opt + "\""), std::string::npos) << script << " " << opt;
        }
      }
    }
    EXPECT_TRUE(names_script) << (*it)[1].str();
    // The frozen files and the output folder reach the trainer.
    const std::string joined = [&] {
      std::string s;
      for (const auto& a : *argv) s += a + " ";
      return s;
    }();
    for (const char* want : {"/c/data/dpo.train.jsonl", "/c/data/dpo.heldout.jsonl", "/c/output"})
      EXPECT_NE(joined.find(want), std::string::npos) << want;
  }
  EXPECT_EQ(blocks, 2);
}

}  // namespace
}  // namespace knowthy
