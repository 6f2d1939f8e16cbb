// The README's first command, in small: the demo's own settings (scripts/demo.toml) on the random
// sample model, through every step the demo runs. What must hold on any machine is what the
// construction guarantees: every batch done (an answer under its batch's grammar always closes
// and parses), no evidence outside the batch, and every later step succeeding: two ticks, with
// health, training with the built-in trainer, its evaluation and the promotion it allows.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "knowledge/insights.hpp"
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

  // The first tick reads every tweet (the demo's batches_per_tick), then runs every later step.
  auto steps = [](const test::RunResult& r) {
    std::map<std::string, std::pair<std::string, std::string>> out;
    const json j = json::parse(r.out, nullptr, false);
    if (j.is_object())
      for (const auto& s : j["steps"]) out[s["step"]] = {s["status"], s["detail"]};
    return out;
  };
  auto tick1 = kt({"tick", "--json"});
  ASSERT_EQ(tick1.exit_code, 0) << tick1.out << tick1.err;
  auto s1 = steps(tick1);
  EXPECT_EQ(s1["extract"].first, "ok") << s1["extract"].second;
  const json status = json::parse(kt({"status", "--json"}).out);
  EXPECT_GE(status["batches"]["done"].get<int>(), 4);
  EXPECT_EQ(status["batches"]["failed"], 0);
  EXPECT_EQ(status["batches"]["tweets_remaining"], 0);
  EXPECT_EQ(status["last_tick"]["status"], "ok");
  for (const auto& e : fs::directory_iterator(fs::path(ws) / "runs")) {
    const json b = json::parse(test::read_text(e.path() / "batch.json"));
    EXPECT_EQ(b["normalization"]["hallucinated_count"], 0) << e.path();
  }
  EXPECT_EQ(kt({"verify"}).exit_code, 0);
  auto health = json::parse(test::read_text(fs::path(ws) / "health.json"));
  EXPECT_NE(health["status"], "fail") << health.dump(1);
  const auto week = knowledge::previous_iso_week(static_cast<std::int64_t>(std::time(nullptr))).label();
  const std::vector<std::string> outputs{"profile/profile.md", "datasets/dpo.train.jsonl", "datasets/sft.train.jsonl",
                                         "insights/" + week + ".md"};
  for (const auto& f : outputs) EXPECT_TRUE(fs::exists(fs::path(ws) / f)) << f;

  // A forced train when the tick's gate stayed closed, as the demo does. Whether the random
  // model's pairs and examples are clean is up to what it said; when the train split holds
  // anything, the candidate trains on it and its training loss goes down (gradient descent on its
  // own data); when it holds nothing, no candidate is made and the gate says so.
  const int train_records = ds_lines("dpo.train.jsonl") + ds_lines("sft.train.jsonl");
  if (json::parse(kt({"models", "--json"}).out)["candidates"].empty()) {
    auto train = kt({"train", "--force", "--json"});
    ASSERT_EQ(train.exit_code, 0) << train.out << train.err;
    auto t = json::parse(train.out);
    if (train_records == 0) {
      EXPECT_EQ(t["gate"], "closed") << t.dump(1);
      EXPECT_NE(t["reason"].get<std::string>().find("nothing to train on"), std::string::npos) << t.dump(1);
      return;
    }
    EXPECT_EQ(t["candidate"]["state"], "awaiting_eval") << t.dump(1);
  }
  const json metrics = json::parse(test::read_text(fs::path(ws) / "models/cand_0001/metrics.json"));
  EXPECT_LT(metrics["train_loss_after"].get<double>(), metrics["train_loss_before"].get<double>());

  // The second tick: nothing new to read; the candidate has its verdict (from either tick), and
  // a passed one is the active model.
  auto tick2 = kt({"tick", "--json"});
  ASSERT_EQ(tick2.exit_code, 0) << tick2.out << tick2.err;
  EXPECT_EQ(steps(tick2)["extract"].first, "skipped");
  const std::string verdict =
      json::parse(test::read_text(fs::path(ws) / "models/cand_0001/eval.json"))["verdict"].get<std::string>();
  const json models = json::parse(kt({"models", "--json"}).out);
  EXPECT_EQ(models["candidates"][0]["state"], verdict == "passed" ? "promoted" : "failed") << models.dump(1);
  EXPECT_EQ(models["active"]["name"], verdict == "passed" ? "cand_0001" : "base");
  EXPECT_EQ(kt({"models"}).exit_code, 0);
  // The demo ends with the report, whose path it prints.
  auto report = kt({"report"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string path = report.out.substr(0, report.out.find('\n'));
  EXPECT_EQ(fs::path(path).parent_path(), fs::path(ws) / "reports");
  EXPECT_NE(test::read_text(path).find("<svg class=\"chart\" id=\"chart-months\""), std::string::npos);
}

}  // namespace
}  // namespace knowthy
