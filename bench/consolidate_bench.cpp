// Consolidation benchmark (issue 04): N generated claims, consolidated three ways.
//   memory  N claims in memory -> consolidate() -> profile.json + profile.md text
//   db      a workspace database holding N claims (done batches, tweets, candidates) ->
//           run_consolidate(), exactly what `knowthy consolidate` does, files written
//   naive   the baseline: every pair of claims of a category compared (the all-pairs merge the
//           LSH replaces), on the same claims; only sensible up to ~100k
// Prints one JSON line: seconds per phase, entries, and peak RSS (of this process).
//
// The claims are paraphrases of a persona's facts: each fact is 4-7 words of a 5,000-word
// vocabulary; a claim picks a fact (Zipf-like), then drops, adds or reorders a word, changes case
// or punctuation, and is negated 3% of the time. ~5 claims per batch of 50 tweets.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "knowledge/claim_text.hpp"
#include "knowledge/consolidate.hpp"
#include "knowledge/profile_io.hpp"
#include "knowledge/profile_store.hpp"
#include "pipeline/extraction.hpp"
#include "store/workspace.hpp"

using namespace knowthy;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

long peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

struct Generated {
  std::vector<knowledge::ClaimInput> claims;
  std::unordered_map<std::uint64_t, std::string> dates;
};

Generated generate(size_t n) {
  std::mt19937_64 rng(42);
  std::vector<std::string> vocab;
  for (int i = 0; i < 5000; ++i) {
    std::string w;
    for (int k = 0, len = 3 + static_cast<int>(rng() % 6); k < len; ++k) w += static_cast<char>('a' + rng() % 26);
    vocab.push_back(w);
  }
  const size_t facts_n = std::max<size_t>(50, n / 20);  // ~20 mentions per fact on average
  struct Fact {
    std::string category;
    std::vector<std::string> words;
  };
  std::vector<Fact> facts(facts_n);
  const auto& cats = pipeline::categories();
  for (auto& f : facts) {
    f.category = cats[rng() % cats.size()];
    f.words.push_back("Ada");
    for (int k = 0, len = 4 + static_cast<int>(rng() % 4); k < len; ++k) f.words.push_back(vocab[rng() % vocab.size()]);
  }
  Generated g;
  const std::uint64_t tweets_per_batch = 50, claims_per_batch = 5;
  std::uint64_t next_tweet = 1'000'000'000'000'000'000ULL;
  std::int64_t batch = 0;
  int idx = 0;
  std::uint64_t batch_first = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % claims_per_batch == 0) {
      ++batch, idx = 0;
      batch_first = next_tweet;
      for (std::uint64_t t = 0; t < tweets_per_batch; ++t) {
        const std::int64_t sec =
            1'400'000'000 + static_cast<std::int64_t>((next_tweet - 1'000'000'000'000'000'000ULL) * 600);
        char buf[32];
        const std::time_t tt = sec;
        std::tm tm{};
        gmtime_r(&tt, &tm);
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        g.dates.emplace(next_tweet++, buf);
      }
    }
    // Zipf-like: a few facts are said very often.
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const Fact& f = facts[static_cast<size_t>(std::pow(u, 3.0) * static_cast<double>(facts_n - 1))];
    std::vector<std::string> w = f.words;
    switch (rng() % 5) {
      case 0: w.erase(w.begin() + 1 + static_cast<long>(rng() % (w.size() - 1))); break;
      case 1: w.push_back(vocab[rng() % vocab.size()]); break;
      case 2: std::swap(w[1], w[w.size() - 1]); break;
      default: break;
    }
    if (rng() % 33 == 0) w.insert(w.begin() + 1, "never");
    std::string claim;
    for (const auto& x : w) claim += (claim.empty() ? "" : " ") + x;
    if (rng() % 2) claim += '.';
    if (rng() % 4 == 0) claim[1] = static_cast<char>(std::toupper(static_cast<unsigned char>(claim[1])));
    knowledge::ClaimInput c;
    c.batch_id = batch;
    c.idx = idx++;
    c.category = f.category;
    c.claim = std::move(claim);
    c.evidence = {batch_first + rng() % tweets_per_batch, batch_first + rng() % tweets_per_batch};
    c.confidence = 0.3 + 0.7 * std::uniform_real_distribution<double>(0, 1)(rng);
    g.claims.push_back(std::move(c));
  }
  return g;
}

// The baseline: all pairs within a category, merged when similar (same threshold, same words).
size_t naive_groups(const std::vector<knowledge::ClaimInput>& claims, double similarity) {
  std::vector<knowledge::ClaimWords> words;
  std::vector<std::string> cat;
  for (const auto& c : claims) words.push_back(knowledge::claim_words(c.claim)), cat.push_back(c.category);
  std::vector<size_t> parent(claims.size());
  for (size_t i = 0; i < parent.size(); ++i) parent[i] = i;
  auto find = [&](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (size_t i = 0; i < claims.size(); ++i)
    for (size_t j = i + 1; j < claims.size(); ++j)
      if (cat[i] == cat[j] && words[i].negated == words[j].negated &&
          knowledge::jaccard(words[i].content, words[j].content) >= similarity)
        parent[find(j)] = find(i);
  size_t groups = 0;
  for (size_t i = 0; i < parent.size(); ++i) groups += find(i) == i;
  return groups;
}

int memory(size_t n) {
  auto t0 = Clock::now();
  Generated g = generate(n);
  const double gen_s = since(t0);
  t0 = Clock::now();
  knowledge::Profile p = knowledge::consolidate(std::move(g.claims), g.dates, {0.6});
  const double merge_s = since(t0);
  p.username = "ada";
  t0 = Clock::now();
  const std::string json = knowledge::profile_json(p), md = knowledge::profile_markdown(p);
  const double write_s = since(t0);
  std::printf(
      "{\"mode\":\"memory\",\"claims\":%zu,\"entries\":%zu,\"generate_s\":%.3f,\"consolidate_s\":%.3f,\"render_s\":%."
      "3f,"
      "\"total_s\":%.3f,\"json_mb\":%.1f,\"peak_rss_mb\":%ld}\n",
      n, p.entries.size(), gen_s, merge_s, write_s, merge_s + write_s,
      static_cast<double>(json.size() + md.size()) / 1e6, peak_rss_mb());
  return 0;
}

int naive(size_t n) {
  Generated g = generate(n);
  auto t0 = Clock::now();
  const size_t groups = naive_groups(g.claims, 0.6);
  const double naive_s = since(t0);
  t0 = Clock::now();
  knowledge::Profile p = knowledge::consolidate(std::move(g.claims), g.dates, {0.6});
  const double lsh_s = since(t0);
  std::printf(
      "{\"mode\":\"naive\",\"claims\":%zu,\"naive_groups\":%zu,\"lsh_entries\":%zu,\"naive_s\":%.3f,\"lsh_s\":%.3f}\n",
      n, groups, p.entries.size(), naive_s, lsh_s);
  return 0;
}

int fill_db(size_t n, const std::string& dir);
int run_db(store::Workspace& ws, size_t n);

// The consolidation is measured in a process of its own, so its peak RSS is its own.
int db(size_t n, const std::string& dir, bool fill_only = false) {
  if (fill_only) return fill_db(n, dir);
  // A database already filled with N claims is reused (filling 1M takes a minute).
  store::WorkspaceOptions o;
  o.dir = dir;
  auto ws = store::Workspace::open(o);
  if (!ws) return std::fprintf(stderr, "%s\n", ws.error().why.c_str()), 1;
  store::Db& d = ws->db();
  const bool filled = d.query_int("SELECT COUNT(*) FROM candidates").value_or(0) == static_cast<std::int64_t>(n);
  if (!filled) {
    ws = {};
    std::filesystem::remove_all(dir);
    return db(n, dir, true);
  }
  return run_db(*ws, n);
}

int fill_db(size_t n, const std::string& dir) {
  store::WorkspaceOptions o;
  o.dir = dir;
  auto ws = store::Workspace::open(o);
  if (!ws) return std::fprintf(stderr, "%s\n", ws.error().why.c_str()), 1;
  Generated g = generate(n);
  store::Db& d = ws->db();
  auto t0 = Clock::now();
  {
    auto tx = store::Transaction::begin(d);
    (void)d.exec("INSERT INTO imports VALUES (1, 'x', 'x', 'bench', 0, NULL, 0, 0, 0, 0, 0)");
    (void)d.exec("INSERT INTO account (account_id, username, updated_at) VALUES ('1', 'ada', 'x')");
    auto b = d.prepare(
        "INSERT INTO batches (id, status, tweet_count, created_at, finished_at) VALUES (?1, 'done', 50, 'x', 'x')");
    auto t = d.prepare(
        "INSERT INTO tweets (id, created_at, kind, text, mentions, hashtags, urls, media_count, raw, import_id, "
        "batch_id) "
        "VALUES (?1, ?2, 'original', 't', '[]', '[]', '[]', 0, '{}', 1, ?3)");
    auto c = d.prepare(
        "INSERT INTO candidates (batch_id, idx, category, claim, evidence_tweet_ids, confidence, flags) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, '[]')");
    std::int64_t last = 0;
    for (const auto& x : g.claims) {
      if (x.batch_id != last) {
        last = x.batch_id;
        b->bind(1, last);
        (void)b->exec();
      }
      c->bind(1, x.batch_id).bind(2, x.idx).bind(3, x.category).bind(4, x.claim);
      c->bind(5, "[\"" + std::to_string(x.evidence[0]) + "\",\"" + std::to_string(x.evidence[1]) + "\"]");
      c->bind(6, x.confidence);
      (void)c->exec();
    }
    for (const auto& [id, date] : g.dates) {
      const std::int64_t batch = static_cast<std::int64_t>((id - 1'000'000'000'000'000'000ULL) / 50) + 1;
      t->bind(1, static_cast<std::int64_t>(id)).bind(2, date).bind(3, batch);
      (void)t->exec();
    }
    (void)tx->commit();
  }
  std::fprintf(stderr, "filled %zu claims in %.1f s\n", n, since(t0));
  return 0;
}

int run_db(store::Workspace& ws, size_t n) {
  store::Config cfg;
  auto t0 = Clock::now();
  auto rep = knowledge::run_consolidate(ws, cfg);
  const double run_s = since(t0);
  if (!rep) return std::fprintf(stderr, "%s\n", rep.error().why.c_str()), 1;
  std::printf("{\"mode\":\"db\",\"claims\":%zu,\"entries\":%lld,\"consolidate_command_s\":%.3f,\"peak_rss_mb\":%ld}\n",
              n, static_cast<long long>(rep->entries), run_s, peak_rss_mb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: consolidate_bench memory|naive N | db N DIR\n");
    return 2;
  }
  const std::string mode = argv[1];
  const size_t n = std::stoul(argv[2]);
  if (mode == "memory") return memory(n);
  if (mode == "naive") return naive(n);
  if (mode == "db" && argc > 3) return db(n, argv[3]);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
