// Extraction benchmark (issue 03). Two measurements, each beside its baseline in the same run;
// prints one JSON object per line. bench/extract_bench.sh prepares the workspaces and runs both.
//
//   extract_bench overhead WORKSPACE
//     Every batch of an imported archive through the real pipeline (queue, prompts, parsing,
//     artifacts with fsync, SQLite) with a backend that answers instantly: batches/s, overhead
//     per batch, and the share of wall time spent outside the model. Baseline: the durability
//     floor, i.e. the same six files written + fdatasync'd + renamed as a folder + one SQLite
//     commit per batch, with nothing else.
//
//   extract_bench model WORKSPACE MODEL BATCHES THREADS
//     BATCHES batches end to end with the embedded engine, then the exact same model calls
//     (recorded) replayed on a freshly loaded engine with nothing around them: the pipeline's
//     tweets/s against the raw engine's. Two rounds (the second redoes the same batches), averaged.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "llm/engine.hpp"
#include "llm/llama_backend.hpp"
#include "pipeline/extract.hpp"
#include "store/workspace.hpp"
#include "util/fs.hpp"

using namespace knowthy;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const Error& e) {
  std::fprintf(stderr, "extract_bench: %s: %s\n", e.what.c_str(), e.why.c_str());
  std::exit(1);
}

double secs(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

// Answers at once with a valid critique-contract JSON citing the batch's first two tweets.
class InstantBackend final : public llm::ModelBackend {
 public:
  llm::BackendInfo info() const override { return {"instant", "none", 0, false, 2}; }
  std::vector<Result<llm::Completion>> generate(std::span<const llm::ChatRequest> rq) override {
    static const std::regex k_id(R"(\n\[(\d+)\])");
    std::vector<Result<llm::Completion>> out;
    for (const auto& r : rq) {
      const std::string& user = r.messages.at(1).content;
      std::vector<std::string> ids;
      for (std::sregex_iterator it(user.begin(), user.end(), k_id), end; it != end && ids.size() < 2; ++it)
        ids.push_back((*it)[1]);
      llm::Completion c;
      c.text = json{
          {"notes_markdown", "Writes about fieldwork."},
          {"knowledge_candidates",
           {{{"category", "habit"}, {"claim", "Samples rivers."}, {"evidence_tweet_ids", ids}, {"confidence", 0.7}}}},
          {"training_examples",
           {{{"prompt", "What do you do?"}, {"response", "River sampling."}, {"evidence_tweet_ids", ids}}}},
          {"rubric_scores",
           {{"grounding", 4},
            {"specificity", 3},
            {"source_distinction", 4},
            {"coverage",
             3}}}}.dump();
      c.session = r.session.empty() ? llm::new_session_id("instant") : r.session;
      out.push_back(std::move(c));
    }
    return out;
  }
  Result<llm::Score> score(std::string_view, std::string_view) override { return fail("score", "no"); }
};

// What a Forward saw: the time spent in the backend and, when asked, every call's requests and
// the session ids its answers got.
struct Seen {
  bool record = false;
  std::vector<std::vector<llm::ChatRequest>> calls{};
  std::vector<std::vector<std::string>> sessions{};
  double model_s = 0;
  std::uint64_t generated = 0;  // completion tokens of every answer, retries included
};

// Forwards to a backend it does not own (run_extract owns what its factory makes, and drops it on
// return), writing what it saw into `seen`, which outlives it.
class Forward final : public llm::ModelBackend {
 public:
  Forward(llm::ModelBackend& b, Seen& seen) : m_b(b), m_seen(seen) {}
  llm::BackendInfo info() const override { return m_b.info(); }
  std::vector<Result<llm::Completion>> generate(std::span<const llm::ChatRequest> rq) override {
    auto t = Clock::now();
    auto r = m_b.generate(rq);
    m_seen.model_s += secs(t);
    for (const auto& c : r)
      if (c) m_seen.generated += static_cast<std::uint64_t>(c->completion_tokens);
    if (m_seen.record) {
      m_seen.calls.emplace_back(rq.begin(), rq.end());
      auto& ids = m_seen.sessions.emplace_back();
      for (const auto& c : r) ids.push_back(c ? c->session : std::string());
    }
    return r;
  }
  Result<llm::Score> score(std::string_view p, std::string_view c) override { return m_b.score(p, c); }

 private:
  llm::ModelBackend& m_b;
  Seen& m_seen;
};

pipeline::BackendFactory forwarding(llm::ModelBackend& b, Seen& seen) {
  return [&b, &seen]() -> Result<std::unique_ptr<llm::ModelBackend>> { return std::make_unique<Forward>(b, seen); };
}

// Replays recorded calls on `engine`; returns the tokens generated. A critique names its draft's
// session: it is mapped to the session this engine gave that draft, so that the engine continues
// the same KV sequence exactly as in the recording (without it, the engine would match the
// prompt by token prefix, re-tokenize the draft's answer and, on a random model, answer
// something else entirely).
std::uint64_t replay(llm::ModelBackend& engine, const Seen& seen) {
  std::map<std::string, std::string> session;
  std::uint64_t gen = 0;
  for (size_t i = 0; i < seen.calls.size(); ++i) {
    std::vector<llm::ChatRequest> call = seen.calls[i];
    for (auto& r : call)
      if (auto it = session.find(r.session); it != session.end()) r.session = it->second;
    auto out = engine.generate(call);
    for (size_t k = 0; k < out.size(); ++k) {
      if (!out[k]) continue;
      gen += static_cast<std::uint64_t>(out[k]->completion_tokens);
      session[seen.sessions[i][k]] = out[k]->session;
    }
  }
  return gen;
}

store::Workspace open_ws(const char* dir) {
  store::WorkspaceOptions o;
  o.dir = dir;
  o.allow_in_git = true;
  auto ws = store::Workspace::open(o);
  if (!ws) die(ws.error());
  return std::move(*ws);
}

// The durability floor per batch: six files written and flushed in a temp folder, the folder
// renamed into place and flushed, and one SQLite transaction committed.
double floor_per_batch(const std::filesystem::path& dir, int n) {
  auto db = store::Db::open(dir / "floor.db");
  if (!db) die(db.error());
  (void)db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE IF NOT EXISTS t(x)");
  const std::string payload(6000, 'x');
  auto t = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto tmp = dir / ("tmp" + std::to_string(i)), fin = dir / ("b" + std::to_string(i));
    (void)util::make_private_dir(tmp);
    for (int f = 0; f < 6; ++f) (void)util::write_file_synced(tmp / std::to_string(f), payload);
    (void)util::fsync_dir(tmp);
    std::rename(tmp.c_str(), fin.c_str());
    (void)util::fsync_dir(dir);
    auto tx = store::Transaction::begin(*db);
    (void)db->exec("INSERT INTO t VALUES (1)");
    (void)tx->commit();
  }
  return secs(t) / n;
}

int overhead(const char* dir) {
  auto ws = open_ws(dir);
  auto cfg = store::load_config(ws.config_path());
  if (!cfg) die(cfg.error());
  InstantBackend instant;
  util::SystemClock clock;
  pipeline::ExtractRequest req;
  req.command = "bench";
  Seen seen;
  pipeline::BackendFactory f = forwarding(instant, seen);
  auto t = Clock::now();
  auto r = pipeline::run_extract(ws, *cfg, f, clock, req);
  const double wall = secs(t);
  if (!r) die(r.error());
  const double model_s = seen.model_s;
  const int batches = r->summary.done + r->summary.failed;
  auto floor_dir = std::filesystem::path(dir) / "floor";
  std::filesystem::remove_all(floor_dir);
  std::filesystem::create_directories(floor_dir);
  const double floor = floor_per_batch(floor_dir, std::min(batches, 500));
  std::filesystem::remove_all(floor_dir);
  const double per = (wall - model_s) / batches;
  std::printf("%s\n", json{{"test", "overhead"},
                           {"batches", batches},
                           {"tweets", r->summary.tweets},
                           {"seconds", wall},
                           {"batches_per_s", batches / wall},
                           {"model_seconds", model_s},
                           {"outside_model_share", (wall - model_s) / wall},
                           {"overhead_ms_per_batch", per * 1000},
                           {"floor_ms_per_batch", floor * 1000},
                           {"ratio_to_floor", per / floor}}
                          .dump()
                          .c_str());
  return 0;
}

std::unique_ptr<llm::LlamaBackend> load(const char* model, int threads, int context) {
  llm::LlamaOptions o;
  o.model_path = model;
  o.threads = threads;
  o.parallel = 2;
  o.context = context;
  auto b = llm::LlamaBackend::load(o);
  if (!b) die(b.error());
  return std::move(*b);
}

int model(const char* dir, const char* model_path, int batches, int threads) {
  auto ws = open_ws(dir);
  auto cfg = store::load_config(ws.config_path());
  if (!cfg) die(cfg.error());
  util::SystemClock clock;
  // One round: the pipeline on a fresh engine (recording its calls), then those calls replayed
  // on another fresh engine. The second round redoes the same batches, so both rounds do the
  // same work (greedy decoding: the same answers), and the order of the two is alternated out.
  double e2e = 0, raw = 0;
  std::int64_t tweets = 0;
  int done = 0, failed = 0;
  size_t calls = 0;
  std::uint64_t gen = 0, e2e_gen = 0;
  std::vector<std::int64_t> ids;
  for (int round = 0; round < 2; ++round) {
    auto engine = load(model_path, threads, cfg->model.context);
    pipeline::ExtractRequest req;
    req.command = "bench";
    req.max_batches = batches;
    req.redo = ids;
    Seen rec{.record = true};
    pipeline::BackendFactory f = forwarding(*engine, rec);
    auto t = Clock::now();
    auto r = pipeline::run_extract(ws, *cfg, f, clock, req);
    e2e += secs(t);
    if (!r) die(r.error());
    tweets = r->summary.tweets;
    done = r->summary.done;
    failed = r->summary.failed;
    calls = rec.calls.size();
    if (ids.empty())
      for (const auto& b : r->summary.batches) ids.push_back(b.id);
    engine.reset();
    auto raw_engine = load(model_path, threads, cfg->model.context);
    auto t2 = Clock::now();
    gen = replay(*raw_engine, rec);
    e2e_gen = rec.generated;
    raw += secs(t2);
  }
  std::printf("%s\n", json{{"test", "model"},
                           {"batches_done", done},
                           {"batches_failed", failed},
                           {"tweets", tweets},
                           {"model_calls", calls},
                           {"generated_tokens", e2e_gen},
                           {"replay_generated_tokens", gen},
                           {"e2e_seconds", e2e / 2},
                           {"raw_seconds", raw / 2},
                           {"e2e_tweets_per_s", tweets / (e2e / 2)},
                           {"raw_tweets_per_s", tweets / (raw / 2)},
                           {"ratio", raw / e2e}}
                          .dump()
                          .c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  llm::quiet_llama_log();
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "overhead" && argc == 3) return overhead(argv[2]);
  if (mode == "model" && argc == 6) return model(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]));
  std::fprintf(stderr, "usage: extract_bench overhead WORKSPACE | model WORKSPACE MODEL BATCHES THREADS\n");
  return 2;
}
