// End to end through the binary: extract with an agent-like command that answers with real
// claims, then consolidate, profile diff, datasets, health and insights on the workspace.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "store/db.hpp"
#include "support/support.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Answers like a model: claims (paraphrased across batches, one pair contradicting) citing the
// batch's first tweets. The draft differs from the critique by batch: the same answer, a changed
// confidence, or an extra claim citing a tweet that is not in the batch.
const char* k_answer_py = R"(import sys, re, json
text = sys.stdin.read()
ids = re.findall(r'^\[(\d+)\]', text, re.M)
critique = text.count('### assistant:') > 1
h = int(ids[0]) % 7 if ids else 0
pool = [
    ("preference", ["Ada likes strong coffee.", "ada LIKES strong coffee!", "Ada really likes strong coffee in the morning."]),
    ("habit", ["Ada runs every morning.", "Ada runs every single morning."]),
    ("belief", ["Ada believes open source matters.", "Ada does not believe open source matters."]),
    ("skill", ["Ada writes C++ for a living."]),
]
cands = []
for k in range(2):
    cat, words = pool[(h + k) % len(pool)]
    cands.append({"category": cat, "claim": words[(int(ids[min(k, len(ids) - 1)]) // 7) % len(words)], "evidence_tweet_ids": ids[k:k + 2], "confidence": 0.6 + 0.05 * k})
ans = {"notes_markdown": "notes", "knowledge_candidates": cands,
       "training_examples": [{"prompt": "What do you drink?", "response": "Coffee, strong.", "evidence_tweet_ids": ids[:1]}],
       "rubric_scores": {"grounding": 4, "specificity": 3, "source_distinction": 4, "coverage": 3}}
if not critique:
    if h % 3 == 1:
        ans["knowledge_candidates"].append({"category": "other", "claim": "Ada is a wizard.", "evidence_tweet_ids": ["1"], "confidence": 0.9})
        ans["notes_markdown"] = "rough draft notes, much longer " * 3
    elif h % 3 == 2:
        ans["knowledge_candidates"][0]["confidence"] = 0.3
print(json.dumps(ans))
)";

class KnowledgeE2E : public ::testing::Test {
 protected:
  // A sample archive imported into workspace `name`, read with the answer script.
  std::string prepare(const std::string& name, int tweets, const std::string& extra_config = "") {
    const std::string ws = (m_dir / name).string();
    if (!fs::exists(m_dir / "a.zip")) {
      auto a = test::run_knowthy({"sample-archive", (m_dir / "a.zip").string(), "--tweets", std::to_string(tweets)});
      EXPECT_EQ(a.exit_code, 0) << a.err;
      test::write_text(m_dir / "answer.py", k_answer_py);
    }
    EXPECT_EQ(test::run_knowthy({"--workspace", ws, "init"}).exit_code, 0);
    test::write_text(fs::path(ws) / "knowthy.toml",
                     "[extract]\nbatch_size = 10\n[model]\nbackend = \"command\"\n"
                     "command = \"python3 " +
                         (m_dir / "answer.py").string() + "\"\n" + extra_config);
    auto g = test::run_knowthy({"--workspace", ws, "ingest", (m_dir / "a.zip").string()});
    EXPECT_EQ(g.exit_code, 0) << g.err;
    return ws;
  }
  test::RunResult kt(const std::string& ws, std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", ws});
    return test::run_knowthy(args);
  }
  static std::vector<json> lines(const fs::path& p) {
    std::vector<json> out;
    std::istringstream in(test::read_text(p));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
  test::TempDir m_dir;
};

TEST_F(KnowledgeE2E, ProfileIsVersionedDeterministicAndCitesTweets) {
  const std::string ws = prepare("ws", 150);
  ASSERT_EQ(kt(ws, {"extract", "--batches", "4"}).exit_code, 0);
  auto c1 = kt(ws, {"consolidate", "--json"});
  ASSERT_EQ(c1.exit_code, 0) << c1.err;
  auto j1 = json::parse(c1.out);
  EXPECT_EQ(j1["version"], 1);
  EXPECT_EQ(j1["batches"], 4);
  EXPECT_EQ(j1["claims"], 8);
  EXPECT_LT(j1["entries"].get<int>(), 8);  // paraphrases merged
  const std::string v1 = test::read_text(fs::path(ws) / "profile" / "profile.json");
  // Nothing new: no new version, byte-identical files.
  auto again = json::parse(kt(ws, {"consolidate", "--json"}).out);
  EXPECT_EQ(again["version"], 1);
  EXPECT_FALSE(again["changed"]);
  EXPECT_EQ(test::read_text(fs::path(ws) / "profile" / "profile.json"), v1);

  ASSERT_EQ(kt(ws, {"run"}).exit_code, 0);
  auto j2 = json::parse(kt(ws, {"consolidate", "--json"}).out);
  EXPECT_EQ(j2["version"], 2);
  EXPECT_TRUE(j2["changed"]);
  EXPECT_TRUE(fs::exists(fs::path(ws) / "profile" / "versions" / "000001.json"));
  EXPECT_EQ(test::read_text(fs::path(ws) / "profile" / "versions" / "000001.json"), v1);  // the previous, kept
  auto d = kt(ws, {"profile", "diff", "--json"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto dj = json::parse(d.out);
  EXPECT_EQ(dj["from"], 1);
  EXPECT_EQ(dj["to"], 2);
  EXPECT_GT(dj["changed"].size() + dj["added"].size(), 0u) << d.out;
  EXPECT_EQ(kt(ws, {"profile", "diff", "1", "9"}).exit_code, 2);

  // Every entry's evidence is tweets of done batches, with their dates, linked in profile.md.
  auto db = store::Db::open(fs::path(ws) / "knowthy.db");
  ASSERT_TRUE(db);
  auto p = json::parse(test::read_text(fs::path(ws) / "profile" / "profile.json"));
  const std::string md = test::read_text(fs::path(ws) / "profile" / "profile.md");
  const std::string user = p["username"];
  bool contradiction = false;
  for (const auto& e : p["entries"]) {
    ASSERT_FALSE(e["evidence"].empty());
    for (const auto& ev : e["evidence"]) {
      auto st = db->prepare(
          "SELECT t.created_at FROM tweets t JOIN batches b ON b.id = t.batch_id "
          "WHERE t.id = ?1 AND b.status = 'done'");
      st->bind(1, static_cast<std::int64_t>(std::stoull(ev["id"].get<std::string>())));
      ASSERT_TRUE(*st->step()) << ev;
      EXPECT_EQ(st->column_text(0), ev["date"]);
    }
    EXPECT_NE(md.find("https://x.com/" + user + "/status/" + e["evidence"][0]["id"].get<std::string>()),
              std::string::npos);
    EXPECT_GE(e["confidence"].get<double>(), 0.0);
    EXPECT_LE(e["confidence"].get<double>(), 1.0);
    contradiction |= !e["contradicts"].empty();
  }
  EXPECT_TRUE(contradiction) << "the script says both 'believes' and 'does not believe'";
  EXPECT_NE(md.find("contradicted by"), std::string::npos);

  // The same batches in another workspace give byte-identical files.
  const std::string ws2 = prepare("ws2", 150);
  ASSERT_EQ(kt(ws2, {"run"}).exit_code, 0);
  ASSERT_EQ(kt(ws2, {"consolidate"}).exit_code, 0);
  EXPECT_EQ(test::read_text(fs::path(ws2) / "profile" / "profile.json"),
            test::read_text(fs::path(ws) / "profile" / "profile.json"));
  EXPECT_EQ(test::read_text(fs::path(ws2) / "profile" / "profile.md"), md);

  // A tweet deleted by a later export no longer supports anything.
  const std::string gone = p["entries"][0]["evidence"][0]["id"];
  ASSERT_TRUE(db->exec("UPDATE tweets SET deleted = 1 WHERE id = " + gone));
  auto j3 = json::parse(kt(ws, {"consolidate", "--json"}).out);
  EXPECT_GT(j3["deleted_evidence"].get<int>(), 0);
  EXPECT_EQ(test::read_text(fs::path(ws) / "profile" / "profile.json").find("\"" + gone + "\""), std::string::npos);
}

TEST_F(KnowledgeE2E, DatasetsInTheTrainersFormatsWithFlagsAndAStableSplit) {
  const std::string ws = prepare("ws", 200, "[datasets]\nheldout_percent = 30\n");
  ASSERT_EQ(kt(ws, {"extract", "--batches", "8"}).exit_code, 0);
  auto r = kt(ws, {"datasets", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = json::parse(r.out);
  EXPECT_EQ(j["pairs"], 8);
  EXPECT_EQ(j["dpo_train"].get<int>() + j["dpo_heldout"].get<int>() + j["dpo_flagged"].get<int>(), 8);
  EXPECT_GT(j["flagged"]["identical"].get<int>(), 0) << r.out;
  const fs::path dir = fs::path(ws) / "datasets";
  std::map<std::int64_t, std::string> split;
  int total = 0;
  for (const char* name : {"dpo.train.jsonl", "dpo.heldout.jsonl", "dpo.flagged.jsonl"}) {
    for (const auto& l : lines(dir / name)) {
      ++total;
      ASSERT_EQ(l["prompt"].size(), 2u);
      EXPECT_EQ(l["prompt"][0]["role"], "system");
      EXPECT_EQ(l["prompt"][1]["role"], "user");
      EXPECT_NE(l["prompt"][1]["content"].get<std::string>().find("["), std::string::npos);
      ASSERT_EQ(l["chosen"].size(), 1u);
      EXPECT_EQ(l["chosen"][0]["role"], "assistant");
      EXPECT_EQ(l["rejected"][0]["role"], "assistant");
      auto chosen = json::parse(l["chosen"][0]["content"].get<std::string>());  // the critique's JSON
      EXPECT_TRUE(chosen.contains("knowledge_candidates"));
      EXPECT_TRUE(l["meta"]["tweet_ids"].is_array());
      EXPECT_EQ(l["meta"]["flags"].empty(), std::string(name) != "dpo.flagged.jsonl");
      if (std::string(name) == "dpo.heldout.jsonl") {
        EXPECT_EQ(l["meta"]["split"], "heldout");
      }
      split[l["meta"]["batch_id"].get<std::int64_t>()] = l["meta"]["split"];
    }
  }
  EXPECT_EQ(total, 8);
  for (const auto& l : lines(dir / "sft.train.jsonl")) {
    ASSERT_EQ(l["messages"].size(), 2u);
    EXPECT_EQ(l["messages"][0]["role"], "user");
    EXPECT_EQ(l["messages"][1]["role"], "assistant");
    EXPECT_FALSE(l["meta"]["evidence_tweet_ids"].empty());
  }
  auto s = json::parse(kt(ws, {"status", "--json"}).out);
  EXPECT_EQ(s["datasets"]["dpo_train"], j["dpo_train"]);
  EXPECT_EQ(s["datasets"]["flagged"]["identical"], j["flagged"]["identical"]);

  // A new percentage applies to new batches only: a batch's split never changes.
  test::write_text(fs::path(ws) / "knowthy.toml",
                   test::read_text(fs::path(ws) / "knowthy.toml") + "heldout_percent = 100\n");
  auto cfg = test::read_text(fs::path(ws) / "knowthy.toml");
  cfg.replace(cfg.find("heldout_percent = 30\n"), 21, "");
  test::write_text(fs::path(ws) / "knowthy.toml", cfg);
  ASSERT_EQ(kt(ws, {"extract", "--batches", "3"}).exit_code, 0);
  ASSERT_EQ(kt(ws, {"datasets"}).exit_code, 0);
  int new_batches = 0;
  for (const char* name : {"dpo.train.jsonl", "dpo.heldout.jsonl", "dpo.flagged.jsonl"})
    for (const auto& l : lines(dir / name)) {
      const auto id = l["meta"]["batch_id"].get<std::int64_t>();
      if (split.contains(id)) {
        EXPECT_EQ(l["meta"]["split"], split[id]) << "batch " << id;
      } else {
        EXPECT_EQ(l["meta"]["split"], "heldout");
        ++new_batches;
      }
    }
  EXPECT_EQ(new_batches, 3);

  // The standard (string) form, on request, beside the conversational one.
  ASSERT_EQ(kt(ws, {"datasets", "--format", "standard"}).exit_code, 0);
  for (const auto& l : lines(dir / "dpo.standard.flagged.jsonl")) {
    EXPECT_TRUE(l["prompt"].is_string());
    EXPECT_TRUE(l["chosen"].is_string());
    EXPECT_TRUE(l["rejected"].is_string());
  }
  EXPECT_EQ(kt(ws, {"datasets", "--format", "weird"}).exit_code, 2);
}

TEST_F(KnowledgeE2E, HealthDetectsWhatWentWrong) {
  const std::string ws = prepare("ws", 60);
  ASSERT_EQ(kt(ws, {"run"}).exit_code, 0);
  auto status_of = [&](const std::string& check) {
    auto r = kt(ws, {"health", "--json"});
    auto j = json::parse(r.out);
    EXPECT_EQ(json::parse(test::read_text(fs::path(ws) / "health.json"))["status"], j["status"]);
    for (const auto& c : j["checks"])
      if (c["name"] == check) return std::pair{r.exit_code, c["status"].get<std::string>()};
    ADD_FAILURE() << "no check " << check;
    return std::pair{r.exit_code, std::string()};
  };
  auto ok = kt(ws, {"health"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(json::parse(kt(ws, {"health", "--json"}).out)["checks"].size(), 10u);

  // Wrong permissions.
  ASSERT_EQ(::chmod((fs::path(ws) / "runs" / "batch_000001").c_str(), 0755), 0);
  EXPECT_EQ(status_of("permissions"), std::pair(1, std::string("fail")));
  ASSERT_EQ(::chmod((fs::path(ws) / "runs" / "batch_000001").c_str(), 0700), 0);
  EXPECT_EQ(status_of("permissions"), std::pair(0, std::string("ok")));

  // A tweet in two batches: batch 2's record also lists a tweet of batch 1.
  const fs::path b2 = fs::path(ws) / "runs" / "batch_000002" / "batch.json";
  const std::string saved = test::read_text(b2);
  auto b1j = json::parse(test::read_text(fs::path(ws) / "runs" / "batch_000001" / "batch.json"));
  auto b2j = json::parse(saved);
  b2j["tweet_ids"].push_back(b1j["tweet_ids"][0]);
  test::write_text(b2, b2j.dump(2));
  EXPECT_EQ(status_of("batches"), std::pair(1, std::string("fail")));
  test::write_text(b2, saved);
  EXPECT_EQ(status_of("batches"), std::pair(0, std::string("ok")));

  // A candidate stuck awaiting evaluation for two days.
  {
    auto db = store::Db::open(fs::path(ws) / "knowthy.db");
    ASSERT_TRUE(
        db->exec("INSERT INTO models (name, state, created_at, updated_at, trainer, parent, base_path, base_sha256) "
                 "VALUES ('cand_0001', 'awaiting_eval', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z', 'none', "
                 "'base', 'm.gguf', '')"));
  }
  EXPECT_EQ(status_of("candidate"), std::pair(1, std::string("fail")));

  // The model backend's program is gone.
  test::write_text(fs::path(ws) / "knowthy.toml", "[model]\nbackend = \"command\"\ncommand = \"/nonexistent/agent\"\n");
  EXPECT_EQ(status_of("model").second, "fail");
}

TEST_F(KnowledgeE2E, InsightsAreWrittenOnce) {
  const std::string ws = prepare("ws", 60);
  ASSERT_EQ(kt(ws, {"run"}).exit_code, 0);
  ASSERT_EQ(kt(ws, {"consolidate"}).exit_code, 0);
  ASSERT_EQ(kt(ws, {"datasets"}).exit_code, 0);
  // This week: the batches were done and the profile made just now.
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char week[16];
  std::strftime(week, sizeof week, "%G-W%V", &tm);
  auto r = kt(ws, {"insights", "--week", week, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out)["written"]);
  const fs::path path = fs::path(ws) / "insights" / (std::string(week) + ".md");
  const std::string md = test::read_text(path);
  EXPECT_NE(md.find("## Processed"), std::string::npos);
  EXPECT_NE(md.find("batches done"), std::string::npos);
  EXPECT_NE(md.find("### New"), std::string::npos) << md;
  EXPECT_NE(md.find("https://x.com/"), std::string::npos);
  EXPECT_NE(md.find("dpo_train"), std::string::npos);
  // Written once: a second run keeps it, --force rewrites it.
  test::write_text(path, "kept\n");
  auto again = kt(ws, {"insights", "--week", week, "--json"});
  EXPECT_FALSE(json::parse(again.out)["written"]);
  EXPECT_EQ(test::read_text(path), "kept\n");
  ASSERT_EQ(kt(ws, {"insights", "--week", week, "--force"}).exit_code, 0);
  EXPECT_EQ(test::read_text(path), md);
  EXPECT_EQ(kt(ws, {"insights", "--week", "2021-W53"}).exit_code, 2);
}

}  // namespace
}  // namespace knowthy
