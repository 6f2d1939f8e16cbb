#pragma once
// A synthetic, format-faithful Twitter/X "download your data" archive (zip or folder) plus a ground
// truth JSON that says what a correct importer must find. Used by `knowthy sample-archive`, by the
// tests and by the benchmarks. The same options and seed always give the same bytes.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace knowthy::sample {

enum class SampleLayout {
  modern,  // 2022-10 onward: tweets.js / tweets-partN.js, note tweets, edit_info, json.dumps style
  legacy,  // 2020-2022: tweet.js / tweet-partN.js, no notes, no edit_info, Jackson style
};

struct SampleOptions {
  std::uint64_t tweets = 2000;  // tweets in the tweets files (not counting deleted ones)
  std::uint64_t seed = 7;
  SampleLayout layout = SampleLayout::modern;
  std::uint64_t part_size = 100000;  // max tweets per part file
  bool zip = true;                   // zip file, or a folder
  std::string wrap_folder;           // non-empty: everything under this top folder (a re-zipped extracted folder)
  double note_fraction = 0.02;       // share of tweets that are note tweets (modern only)
  double media_fraction = 0.05;
  std::uint64_t likes = 300;
  std::uint64_t deleted = 20;
  std::string handle = "ada_fieldnotes";
  std::string display_name = "Ada Field";
  bool full_truth = false;  // truth lists every tweet's expected text (for tests); else ~20 samples
  // First and last day of the timeline, "YYYY-MM-DD" UTC; empty end = 2024-06-30 (legacy 2022-03-31).
  std::string start_date = "2016-01-01";
  std::string end_date;
  // Note tweets end in "… https://t.co/…" (a url entity pointing at the whole post); false: just "…".
  bool note_link = true;
  int compression_level = 6;  // zip deflate level 1-9 (benchmarks may trade size for speed)
  // Data files left out although data/manifest.js lists them, as people do before sharing an
  // export: "likes" (like.js), "deleted" (deleted-tweets.js), "media" (the media folders).
  std::vector<std::string> omit;
};

struct SampleSummary {
  std::filesystem::path archive;
  std::filesystem::path truth;
  std::uint64_t tweets = 0;         // non-deleted tweets written
  std::uint64_t bytes_written = 0;  // size of the zip, or of all files in the folder
  std::uint64_t parts = 0;          // tweets part files
};

// Writes the archive at `out` and the ground truth at `truth` (default: out + ".truth.json").
// Refuses (bad_input) an existing zip file or an existing non-empty folder.
Result<SampleSummary> write_sample_archive(const std::filesystem::path& out, const SampleOptions& opt,
                                           std::filesystem::path truth = {});

}  // namespace knowthy::sample
