#pragma once
// knowthy.toml: the workspace's configuration. `knowthy init` writes every default, commented,
// so a person can see and edit what the loop will do.
#include <filesystem>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace knowthy::store {

struct Config {
  struct Import {
    bool show_progress = true;
  } import;
  struct Extract {
    int batch_size = 50;
    bool include_retweets = false;
    int batches_per_tick = 4;     // `extract` without --batches
    int max_tokens = 2048;        // per pass
    double temperature = 0.0;     // 0: greedy, reproducible; retries sample at 0.7
    int retries = 2;              // per pass, after the first attempt
    int retry_backoff_ms = 2000;  // doubled on each retry of a model error
    int stop_after_failures = 3;  // consecutive failed batches that stop a run
  } extract;
  struct Consolidate {
    double similarity = 0.6;  // token-set (Jaccard) similarity at which two claims are one entry
    int keep_versions = 100;  // earlier profile versions kept; 0 keeps all
  } consolidate;
  struct Datasets {
    int heldout_percent = 10;            // share of batches held out (fixed per batch once made)
    double near_identical_below = 0.05;  // normalized edit distance under which a pair is near-identical
    double length_ratio_min = 0.5;       // chosen/rejected length ratio outside [min, max]: length-outlier
    double length_ratio_max = 2.0;
  } datasets;
  struct Health {
    int recent_batches = 50;  // the failure and hallucination rates look at this many finished batches
    double failure_warn = 0.2, failure_fail = 0.5;
    double hallucination_warn = 0.1, hallucination_fail = 0.3;
    double flagged_warn = 0.5;  // share of flagged dataset pairs
    int stuck_hours = 24;       // a model candidate training or awaiting evaluation longer than this
    int tick_warn_hours = 12;   // no successful tick for this long
    int disk_warn_mb = 2048, disk_fail_mb = 256;
  } health;
  struct Insights {
    bool model_summary = false;  // the model writes a summary paragraph of the week's new claims
  } insights;
  struct Model {
    std::string backend = "llama";  // llama | openai | command
    // llama (embedded)
    std::string path;
    int parallel = 2;
    int threads = 0;  // 0: one per core
    int context = 8192;
    int gpu_layers = 999;
    std::string chat_template;  // overrides the model's own when set
    // openai
    std::vector<std::string> endpoints{"http://127.0.0.1:8080"};
    std::string model_name;  // sent as "model"; servers with one model ignore it
    std::string api_key_env = "KNOWTHY_API_KEY";
    bool allow_remote = false;
    int connect_timeout_s = 5;
    int timeout_s = 600;
    int retries = 4;
    // command
    std::string command;         // run with /bin/sh -c; reads the prompt on stdin, prints the answer
    std::string resume_command;  // continues a session; {session} is replaced by its id
    std::string session_regex;   // its first group (or whole match) is the session id in the output
    int command_timeout_s = 600;
  } model;
};

std::string default_config_text();

// Reads knowthy.toml; a missing file gives the defaults. A syntax error or a value of the wrong
// type is bad input naming the file, line and key.
Result<Config> load_config(const std::filesystem::path& path);

}  // namespace knowthy::store
