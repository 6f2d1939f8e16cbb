#pragma once
// knowthy.toml: the workspace's configuration. One table of keys (config_keys()) parses the file,
// checks every value's range and writes the commented defaults that `knowthy init` puts in the
// workspace, so the file and the parser cannot drift apart. An unknown section or key is an
// error naming the line and the nearest known key: a typo must not silently lose a setting.
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/result.hpp"

namespace knowthy::store {

// The bounds of a model's answer ([extract] in knowthy.toml): the answer schema, and through it the
// grammar, constrains a model to them, and the normalizer enforces them on answers of
// unconstrained backends. Strings are bounded in characters (code points). The defaults take at
// most 6,161 tokens per pass, so that with [model] context = 16384 the prompt, the draft and the
// critique leave about 3,100 tokens for 40 tweets.
struct AnswerBounds {
  int notes_max_chars = 240;
  int max_claims = 5;
  int claim_max_chars = 100;
  int max_evidence = 3;  // evidence tweet ids per claim or example
  int max_examples = 2;
  int example_prompt_max_chars = 80;
  int example_response_max_chars = 160;
};

struct Config {
  struct Import {
    bool show_progress = true;
  } import;
  struct Extract {
    int batch_size = 40;
    bool include_retweets = false;
    int batches_per_tick = 4;      // `extract` without --batches
    double minutes_per_tick = 30;  // a tick starts no batch after this long
    int max_tokens = 0;            // per pass; 0: the answer schema's worst case (an answer always closes)
    double temperature = 0.0;      // 0: greedy, reproducible; retries sample at 0.7
    int retries = 2;               // unparseable answers: new attempts of the pass
    int retry_backoff_ms = 2000;   // the first wait after a model error, doubled each time
    int stop_after_failures = 3;   // consecutive failed batches that stop a run
    AnswerBounds bounds;           // of each answer (both passes)
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
  struct Schedule {
    std::string cron = "15 */4 * * *";  // when the loop ticks (daemon, systemd timer, crontab line)
    std::string zone = "local";         // local (the machine's time zone, DST included) | utc
    double stop_grace_s = 60;           // after SIGTERM, the batch in flight gets this long to commit
    int log_max_kb = 1024;              // workspace/logs/daemon.jsonl rotates past this size
    int log_files = 5;                  // rotated logs kept besides the current one
  } schedule;
  struct Insights {
    bool model_summary = false;  // the model writes a summary paragraph of the week's new claims
  } insights;
  struct Train {
    std::string trainer = "none";  // none (manifest only) | command | llama-opt
    int min_new_pairs = 200;       // new clean DPO train pairs since the last candidate ...
    int min_new_batches = 10;      // ... or new done batches: either opens the gate
    double max_minutes = 360;      // a trainer running longer is stopped
    int stop_grace_s = 30;         // between SIGTERM and SIGKILL
    // command
    std::vector<std::string> command;  // argv; {base_model} {dpo_train} ... are replaced
    bool shell = false;                // run command[0] with /bin/sh -c (placeholders quoted)
    // llama-opt
    int epochs = 2;
    double learning_rate = 1e-5;
    double weight_decay = 0.0;
    std::string optimizer = "adamw";  // adamw | sgd
    int context = 512;                // tokens per training sequence
    int batch = 512;                  // tokens per optimizer step (divides context)
    int ubatch = 512;                 // tokens per compute pass (divides batch)
    std::string tensors;              // regex over tensor names that train; empty: all
    int threads = 0;                  // 0: one per core
    int memory_limit_mb = 0;          // 0: what the machine has available
    std::string method = "auto";      // auto (full for an all-F32 model, else lora) | full | lora
    int lora_rank = 16;
    double lora_alpha = 32;                                               // the adapter's scale is alpha / rank
    std::string lora_targets = "attn_(q|k|v|output)|ffn_(gate|up|down)";  // regex over block weights
    std::string objective = "dpo";  // dpo (the pairs) | sft (the chosen answers and the SFT examples)
    double dpo_beta = 0.1;
    double rpo_alpha = 1.0;  // weight of the chosen answers' NLL per token added to DPO (TRL's rpo_alpha)
  } train;
  struct Eval {
    std::vector<std::string> command;  // argv replacing the built-in evaluation; prints a JSON verdict
    bool shell = false;
    double timeout_minutes = 120;
    double min_chosen_logprob_gain = 0.0;
    double min_preference_accuracy = 0.55;
    double max_regression = 0.02;
    int min_heldout_pairs = 20;
    int bootstrap_samples = 1000;
    int seed = 1;
    int max_tweets = 2000;  // held-out tweets scored for the regression check; 0: all
    int context = 0;        // longest scored sequence; 0: the longest item, whole
    int batch = 2048;       // tokens per llama_decode
    int threads = 0;
  } eval;
  struct Promote {
    bool automatic = true;             // tick promotes a candidate that passed
    std::vector<std::string> command;  // argv; {candidate_path} {previous_path} are replaced
    bool shell = false;
    double timeout_minutes = 10;
  } promote;
  struct Model {
    std::string backend = "llama";  // llama | openai | command
    bool use_active = true;         // the promoted model replaces `path` (with its adapter)
    // llama (embedded)
    std::string path;
    std::string adapter;  // not a setting: a promoted LoRA adapter, applied over `path`
    int parallel = 2;
    int threads = 0;  // 0: one per core
    int context = 16384;
    int gpu_layers = 999;
    std::string chat_template;  // overrides the model's own when set
    // openai
    std::vector<std::string> endpoints{"http://127.0.0.1:8080"};
    std::string model_name;  // sent as "model"; servers with one model ignore it
    std::string api_key_env = "KNOWTHY_API_KEY";
    bool allow_remote = false;
    int connect_timeout_s = 5;
    int timeout_s = 600;
    int retries = 4;  // model errors (server down, time-outs, 429, 5xx): retried with backoff
    // command
    std::string command;         // run with /bin/sh -c; reads the prompt on stdin, prints the answer
    std::string resume_command;  // continues a session; {session} is replaced by its id
    std::string session_regex;   // its first group (or whole match) is the session id in the output
    int command_timeout_s = 600;
  } model;
};

// One setting of knowthy.toml: where it lives in Config, its range and its commented help.
struct ConfigKey {
  using Accessor = std::variant<bool& (*)(Config&), int& (*)(Config&), double& (*)(Config&), std::string& (*)(Config&),
                                std::vector<std::string>& (*)(Config&)>;
  std::string_view section;
  std::string_view key;
  Accessor value;
  double lo = 0, hi = 0;                  // numbers: the allowed range, both ends included
  std::vector<std::string_view> choices;  // strings: the allowed values (empty: any)
  std::string_view help;                  // comment lines written above the key ("\n" separated)
  std::string_view heading;               // a comment written before the key's help (a group)
};

// Every key, in the order knowthy.toml shows them.
const std::vector<ConfigKey>& config_keys();

// The commented defaults `knowthy init` writes, made from config_keys().
std::string default_config_text();

// Reads knowthy.toml; a missing file gives the defaults. A syntax error, a value of the wrong
// type or out of its range, or an unknown section or key is bad input naming the file and line.
Result<Config> load_config(const std::filesystem::path& path);

}  // namespace knowthy::store
