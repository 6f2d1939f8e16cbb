#pragma once
// What must hold in a workspace however its runs ended (the crash and fault tests check these):
// every eligible tweet is in exactly one done or failed batch, the database and the files agree,
// nothing is left half-written, and the model candidates and the active-model pointer are sound.
#include <filesystem>

namespace knowthy::test {

// Every tweet that is neither deleted nor a retweet is in exactly one batch, done or failed; the
// done batches' folders list exactly their tweets and have every file, and `verify` agrees.
// Returns the number of done batches.
int expect_exactly_once(const std::filesystem::path& ws);

struct Soundness {
  int candidates = 0;  // checked
  int promotions = 0;
};
// After a run that ended normally: the database passes integrity_check and foreign_key_check; no
// batch and no `runs` row is still running; no temp file or folder is left; every candidate row
// has a valid state, its manifest, and a GGUF output when it was trained; models/active.json
// names the model the promotions table makes active (and that one is `promoted`).
Soundness expect_sound(const std::filesystem::path& ws);

}  // namespace knowthy::test
