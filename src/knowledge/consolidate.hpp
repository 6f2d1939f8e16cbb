#pragma once
// Consolidation: the verified claims of every done batch become one profile, in which the same
// claim said in different words is one entry. It runs in time linear in the number of claims:
// exact duplicates (same words after folding) meet in a hash table, near duplicates through
// MinHash locality-sensitive hashing within a category; no claim is compared with all the others.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace knowthy::knowledge {

// One verified claim of a done batch; its evidence already holds only live (not deleted) tweets.
struct ClaimInput {
  std::int64_t batch_id = 0;
  int idx = 0;
  std::string category;
  std::string claim;
  std::vector<std::uint64_t> evidence;  // tweet ids
  double confidence = 0.5;
};

struct EvidenceRef {
  std::uint64_t id = 0;
  std::string date;  // ISO-8601 UTC, the tweet's created_at
};

struct ProfileEntry {
  std::string id;  // "k<batch>-<idx>" of the entry's earliest claim: stable as batches are added
  std::string category;
  std::string claim;                     // the best-supported wording
  std::vector<EvidenceRef> evidence;     // newest first
  int support = 0;                       // batches that made the claim
  int mentions = 0;                      // claims merged into the entry
  double confidence = 0;                 // noisy-OR of each batch's confidence, in [0,1]
  std::string first_seen, last_seen;     // the evidence's dates
  std::vector<std::string> wordings;     // other wordings merged in (at most k_max_wordings)
  std::vector<std::string> contradicts;  // ids of entries of the same category that negate this one
};

inline constexpr size_t k_max_wordings = 5;

struct Profile {
  std::string username;  // for evidence links
  std::int64_t batches = 0;
  std::int64_t claims = 0;            // claims merged
  std::vector<ProfileEntry> entries;  // by category (the contract's order), then support, confidence
};

struct ConsolidateOptions {
  double similarity = 0.6;  // Jaccard of content words at which two claims of a category merge
};

// `dates`: created_at of every tweet an input cites. Inputs may come in any order; the result
// depends only on their content (deterministic).
Profile consolidate(std::vector<ClaimInput> inputs, const std::unordered_map<std::uint64_t, std::string>& dates,
                    const ConsolidateOptions& options);

}  // namespace knowthy::knowledge
