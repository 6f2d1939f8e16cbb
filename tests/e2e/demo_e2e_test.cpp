// The README's first command, in small: the demo's own settings (scripts/demo.toml) on the random
// sample model, through every step the demo runs. What must hold on any machine is what the
// construction guarantees: every batch done (an answer under its batch's grammar always closes
// and parses), no evidence outside the batch, and every later step succeeding, health and a
// forced train with the built-in trainer, its evaluation and the promotion it allows included.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/support.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

TEST(DemoE2E, TheDemoSettingsCompleteEveryStepOnTheSampleModel) {
  test::TempDir dir;
  const std::string ws = (dir / "ws").string();
  auto ds_lines = [&](const char* f) {
    const std::string text = test::read_text(fs::path(ws) / "datasets" / f);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  };
  auto kt = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", ws});
    return test::run_knowthy(args);
  };
  ASSERT_EQ(test::run_knowthy({"sample-archive", (dir / "a.zip").string(), "--tweets", "120"}).exit_code, 0);
  ASSERT_EQ(test::run_knowthy(test::sample_model_args(dir / "m.gguf")).exit_code, 0);
  ASSERT_EQ(kt({"init"}).exit_code, 0);
  test::write_text(fs::path(ws) / "knowthy.toml", test::read_text(fs::path(KNOWTHY_SOURCE_DIR) / "scripts/demo.toml") +
                                                      "path = \"" + (dir / "m.gguf").string() + "\"\n" +
                                                      test::threads_setting());
  ASSERT_EQ(kt({"ingest", (dir / "a.zip").string()}).exit_code, 0);
  auto check = kt({"model", "check", "--json"});
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;

  auto run = kt({"run", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto r = json::parse(run.out);
  EXPECT_GE(r["batches_done"].get<int>(), 4);
  EXPECT_EQ(r["batches_failed"], 0);
  EXPECT_EQ(r["batches_released"], 0);
  for (const auto& b : r["batches"]) EXPECT_EQ(b["hallucinated_ids"], 0) << b;
  EXPECT_EQ(kt({"verify"}).exit_code, 0);

  for (std::vector<std::string> step : {std::vector<std::string>{"consolidate"}, {"datasets"}, {"health"}}) {
    auto s = kt(step);
    EXPECT_EQ(s.exit_code, 0) << step[0] << "\n" << s.out << s.err;
  }
  auto health = json::parse(test::read_text(fs::path(ws) / "health.json"));
  EXPECT_NE(health["status"], "fail") << health.dump(1);
  char week[16];
  const std::time_t now = std::time(nullptr);
  std::strftime(week, sizeof week, "%G-W%V", std::gmtime(&now));
  auto insights = kt({"insights", "--week", week});
  EXPECT_EQ(insights.exit_code, 0) << insights.err;
  for (const char* f : {"profile/profile.md", "datasets/dpo.train.jsonl", "datasets/sft.train.jsonl"})
    EXPECT_TRUE(fs::exists(fs::path(ws) / f)) << f;
  EXPECT_TRUE(fs::exists(fs::path(ws) / "insights" / (std::string(week) + ".md")));

  // A forced train with the built-in trainer. Whether the random model's pairs and examples are
  // clean is up to what it said; when the train split holds anything, the candidate trains on
  // it and its training loss goes down (gradient descent on its own data); when it holds
  // nothing, no candidate is made and the gate says so.
  const int train_records = ds_lines("dpo.train.jsonl") + ds_lines("sft.train.jsonl");
  auto train = kt({"train", "--force", "--json"});
  ASSERT_EQ(train.exit_code, 0) << train.out << train.err;
  auto t = json::parse(train.out);
  if (train_records == 0) {
    EXPECT_EQ(t["gate"], "closed") << t.dump(1);
    EXPECT_NE(t["reason"].get<std::string>().find("nothing to train on"), std::string::npos) << t.dump(1);
    return;
  }
  EXPECT_EQ(t["candidate"]["state"], "awaiting_eval") << t.dump(1);
  EXPECT_EQ(t["candidate"]["output"], "output/model.gguf");
  EXPECT_LT(t["metrics"]["train_loss_after"].get<double>(), t["metrics"]["train_loss_before"].get<double>());

  // The verdict: passed or failed is up to the random model; either way it is written, and
  // promote follows it.
  auto ev = kt({"eval", "--json"});
  ASSERT_EQ(ev.exit_code, 0) << ev.out << ev.err;
  const json e = json::parse(ev.out);
  const std::string verdict = e["verdict"];
  EXPECT_TRUE(verdict == "passed" || verdict == "failed") << verdict;
  EXPECT_EQ(e["candidate"]["state"], verdict);
  EXPECT_EQ(json::parse(test::read_text(fs::path(ws) / "models/cand_0001/eval.json"))["verdict"], verdict);
  auto promote = kt({"promote", "--json"});
  if (verdict == "passed") {
    ASSERT_EQ(promote.exit_code, 0) << promote.err;
    EXPECT_EQ(json::parse(promote.out)["active"]["name"], "cand_0001");
  } else {
    EXPECT_EQ(promote.exit_code, 2) << promote.err;
  }
  EXPECT_EQ(kt({"models"}).exit_code, 0);
}

}  // namespace
}  // namespace knowthy
