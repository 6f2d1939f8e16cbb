// The train gate's arithmetic and the candidate it makes, on a workspace whose batches and dataset
// pairs are written directly (no model): the thresholds exactly, flagged and held-out pairs not
// counting, the candidate awaiting evaluation that blocks even --force, the manifest and its
// hashes, and the recovery of a candidate whose knowthy process died.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "store/candidates.hpp"
#include "store/workspace.hpp"
#include "support/support.hpp"
#include "train/manifest.hpp"
#include "train/train.hpp"
#include "util/hash.hpp"

namespace knowthy {
namespace {

namespace fs = std::filesystem;
using store::CandidateState;

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ws = store::Workspace::open({.dir = m_dir / "ws", .allow_in_git = false});
    ASSERT_TRUE(ws) << ws.error().why;
    m_ws.emplace(std::move(*ws));
    test::write_text(m_dir / "base.gguf", "not really a model: trainer none never reads it");
    m_cfg.model.path = (m_dir / "base.gguf").string();
    m_cfg.train.trainer = "none";
    fs::create_directories(m_ws->dir() / "datasets");
    for (const char* f : {"dpo.train.jsonl", "dpo.heldout.jsonl", "sft.train.jsonl", "sft.heldout.jsonl"})
      test::write_text(m_ws->dir() / "datasets" / f, std::string(f) + " line 1\nline 2\n");
  }

  // `n` more done batches whose pairs are `split` and clean or flagged.
  void add_batches(int n, const char* split = "train", bool clean = true, const char* status = "done") {
    for (int i = 0; i < n; ++i) {
      const int id = ++m_next;
      ASSERT_TRUE(m_ws->db().exec("INSERT INTO batches (id, status, tweet_count, created_at, split) VALUES (" +
                                  std::to_string(id) + ", '" + status + "', 1, '2026-01-01T00:00:00Z', '" +
                                  (std::string(split) == "heldout" ? "heldout" : "train") + "')"));
      ASSERT_TRUE(m_ws->db().exec("INSERT INTO dataset_pairs (batch_id, split, clean) VALUES (" + std::to_string(id) +
                                  ", '" + split + "', " + (clean ? "1" : "0") + ")"));
    }
  }

  train::TrainReport train(bool force = false) {
    auto r = train::run_train(
        *m_ws, m_cfg,
        {.force = force, .rebuild_datasets = false, .knowthy_version = "test", .self_exe = {}, .progress = false});
    EXPECT_TRUE(r) << (r ? "" : r.error().what + ": " + r.error().why);
    return r ? *r : train::TrainReport{};
  }

  test::TempDir m_dir;
  std::optional<store::Workspace> m_ws;
  store::Config m_cfg;
  int m_next = 0;
};

TEST_F(GateTest, OpensAtExactlyMinNewPairsAndCountsOnlyCleanTrainPairs) {
  m_cfg.train.min_new_pairs = 200;
  m_cfg.train.min_new_batches = 100000;  // only the pairs count here
  add_batches(199);
  add_batches(40, "train", false);  // flagged
  add_batches(30, "heldout");       // held out
  auto r = train();
  EXPECT_FALSE(r.opened);
  EXPECT_EQ(r.counts.clean_train_pairs, 199);
  EXPECT_EQ(r.counts.done_batches, 269);
  EXPECT_NE(r.closed_reason.find("199 new clean DPO train pairs of 200"), std::string::npos) << r.closed_reason;
  EXPECT_FALSE(r.candidate);

  add_batches(1);
  r = train();
  ASSERT_TRUE(r.opened) << r.closed_reason;
  EXPECT_EQ(r.counts.clean_train_pairs, 200);
  ASSERT_TRUE(r.candidate);
  EXPECT_EQ(r.candidate->name, "cand_0001");
  EXPECT_EQ(r.candidate->state, CandidateState::ready);  // no trainer configured

  // Everything is covered by cand_0001 now: nothing new, the gate stays closed.
  r = train();
  EXPECT_FALSE(r.opened);
  EXPECT_EQ(r.counts.clean_train_pairs, 0);
  EXPECT_EQ(r.counts.done_batches, 0);
  EXPECT_EQ(r.last_candidate, "cand_0001");
}

TEST_F(GateTest, OpensAtExactlyMinNewBatchesAndFailedBatchesDoNotCount) {
  m_cfg.train.min_new_pairs = 100000;
  m_cfg.train.min_new_batches = 10;
  add_batches(9, "train", false);  // flagged pairs: the batches still count
  add_batches(3, "train", false, "failed");
  auto r = train();
  EXPECT_FALSE(r.opened);
  EXPECT_EQ(r.counts.done_batches, 9);
  add_batches(1, "heldout");
  r = train();
  EXPECT_TRUE(r.opened) << r.closed_reason;
  EXPECT_EQ(r.counts.done_batches, 10);
}

TEST_F(GateTest, ACandidateAwaitingEvaluationBlocksEvenForce) {
  add_batches(10);
  auto r = train();
  ASSERT_TRUE(r.candidate);
  ASSERT_TRUE(store::mark_trained(m_ws->db(), r.candidate->id, "output/model.gguf", "model"));
  add_batches(50);
  for (bool force : {false, true}) {
    r = train(force);
    EXPECT_FALSE(r.opened);
    ASSERT_TRUE(r.blocking);
    EXPECT_EQ(r.blocking->name, "cand_0001");
    EXPECT_NE(r.closed_reason.find("awaiting evaluation"), std::string::npos);
    EXPECT_EQ(r.to_json()["blocking"]["state"], "awaiting_eval");
  }
  // Its verdict given (here: failed), the gate opens again.
  ASSERT_TRUE(m_ws->db().exec("UPDATE models SET state = 'failed' WHERE id = 1"));
  EXPECT_TRUE(train().opened);
}

TEST_F(GateTest, ForceSkipsTheCounts) {
  add_batches(1);
  EXPECT_FALSE(train().opened);
  auto r = train(true);
  EXPECT_TRUE(r.opened);
  EXPECT_TRUE(r.forced);
  EXPECT_EQ(r.to_json()["gate"], "open");
}

TEST_F(GateTest, NothingToTrainOnMakesNoCandidateEvenForced) {
  add_batches(20, "train", false);                              // every pair flagged ...
  for (const char* f : {"dpo.train.jsonl", "sft.train.jsonl"})  // ... and no clean example
    test::write_text(m_ws->dir() / "datasets" / f, "");
  for (bool force : {false, true}) {
    auto r = train(force);
    EXPECT_FALSE(r.opened);
    EXPECT_NE(r.closed_reason.find("nothing to train on"), std::string::npos) << r.closed_reason;
    EXPECT_FALSE(r.candidate);
  }
  test::write_text(m_ws->dir() / "datasets" / "sft.train.jsonl", "{}\n");  // one clean example
  EXPECT_TRUE(train().opened);
}

TEST_F(GateTest, TheManifestListsTheModelTheFrozenDatasetsAndTheBatches) {
  add_batches(8);
  add_batches(2, "heldout");
  add_batches(3, "train", false);
  auto r = train(true);
  ASSERT_TRUE(r.candidate);
  const fs::path dir = m_ws->dir() / "models" / "cand_0001";
  auto m = train::read_manifest(dir / "manifest.json");
  ASSERT_TRUE(m) << m.error().why;
  EXPECT_EQ(m->name, "cand_0001");
  EXPECT_EQ(m->knowthy_version, "test");
  EXPECT_EQ(m->trainer, "none");
  EXPECT_EQ(m->starts_from, "base");
  EXPECT_EQ(m->base_model, fs::absolute(m_cfg.model.path));
  EXPECT_EQ(m->base_sha256, util::sha256_file(m_cfg.model.path)->sha256);
  EXPECT_EQ(m->base_sha256.size(), 64u);
  EXPECT_EQ(r.candidate->base_sha256, m->base_sha256);
  EXPECT_EQ(m->batches_train.size(), 8u);
  EXPECT_EQ(m->batches_heldout, (std::vector<std::int64_t>{9, 10}));
  EXPECT_EQ(m->batches_flagged, (std::vector<std::int64_t>{11, 12, 13}));
  ASSERT_EQ(m->datasets.size(), 4u);
  for (const auto& f : m->datasets) {
    EXPECT_EQ(f.path.parent_path(), fs::absolute(dir / "data")) << f.role;
    EXPECT_EQ(f.records, 2) << f.role;
    EXPECT_EQ(f.sha256, util::sha256_file(f.path)->sha256) << f.role;
  }
  // Frozen: rebuilding the datasets (by rename, as `datasets` does) leaves the candidate's copy.
  const std::string before = test::read_text(m->dataset("dpo_train")->path);
  test::write_text(m_ws->dir() / "datasets" / "new.tmp", "rebuilt\n");
  fs::rename(m_ws->dir() / "datasets" / "new.tmp", m_ws->dir() / "datasets" / "dpo.train.jsonl");
  EXPECT_EQ(test::read_text(m->dataset("dpo_train")->path), before);
  EXPECT_EQ(r.to_json()["candidate"]["state"], "ready");
  EXPECT_EQ(m->to_json()["gate"]["forced"], true);
}

TEST_F(GateTest, ACandidateWhoseKnowthyProcessDiedIsMarkedTrainFailed) {
  add_batches(10);
  // A candidate left `training` by a process that is gone: a child that has exited.
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  const auto start = util::process_start_ticks(pid);
  ::waitpid(pid, nullptr, 0);
  ASSERT_TRUE(store::insert_candidate(m_ws->db(), 1,
                                      {.state = CandidateState::training,
                                       .trainer = "command",
                                       .parent = "base",
                                       .base_path = "m",
                                       .base_sha256 = "",
                                       .owner = {pid, start.value_or(1)}},
                                      {}));
  // One training under this (live) process is left alone.
  ASSERT_TRUE(store::insert_candidate(m_ws->db(), 2,
                                      {.state = CandidateState::training,
                                       .trainer = "command",
                                       .parent = "base",
                                       .base_path = "m",
                                       .base_sha256 = "",
                                       .owner = util::self_process()},
                                      {}));
  auto names = train::recover_stale_candidates(m_ws->db(), std::chrono::milliseconds(100));
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"cand_0001"});
  auto c1 = store::find_candidate(m_ws->db(), 1);
  EXPECT_EQ((*c1)->state, CandidateState::train_failed);
  EXPECT_NE((*c1)->reason->find("trainer died"), std::string::npos);
  EXPECT_EQ((*store::find_candidate(m_ws->db(), 2))->state, CandidateState::training);
  // cand_0002 still blocks; once it is gone too, the gate opens.
  EXPECT_FALSE(train().opened);
  ASSERT_TRUE(store::mark_train_failed(m_ws->db(), 2, "test"));
  EXPECT_TRUE(train(true).opened);
}

}  // namespace
}  // namespace knowthy
