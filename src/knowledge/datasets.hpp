#pragma once
// `knowthy datasets`: the DPO and SFT datasets, rebuilt from the batches on every run.
// - DPO (TRL conversational): prompt = the draft's messages, chosen = the critique's answer,
//   rejected = the draft's, both as normalized JSON; meta = batch id, tweet ids, flags, split.
// - SFT (messages): the critique's training examples.
// A flagged pair or example goes to *.flagged.jsonl instead of train or held-out. A batch's split
// is drawn once (a stable hash of its id) and stored, so it never changes afterwards.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "store/config.hpp"
#include "store/workspace.hpp"

namespace knowthy::knowledge {

enum class DpoFormat { conversational, standard };

struct DatasetsReport {
  std::int64_t dpo_train = 0, dpo_heldout = 0, sft_train = 0, sft_heldout = 0;
  std::int64_t pairs = 0, examples = 0;           // considered, flagged or not
  std::int64_t dpo_flagged = 0, sft_flagged = 0;  // kept out
  std::map<std::string, std::int64_t> flags;      // flag -> pairs and examples carrying it
  std::int64_t newly_split = 0;                   // batches whose split was drawn now
  nlohmann::json to_json() const;
};

// Whether batch `id` is held out, for `percent` percent of batches (xxh64 of its decimal id).
bool heldout_by_hash(std::int64_t batch_id, int percent);

Result<DatasetsReport> run_datasets(store::Workspace& ws, const store::Config& cfg, DpoFormat format);

// The counts of the last build, as `status --json` shows them (null when there was none).
Result<nlohmann::json> last_datasets_build(store::Db& db);

}  // namespace knowthy::knowledge
