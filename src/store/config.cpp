#include "store/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>
#include <set>

#include "util/text.hpp"

namespace knowthy::store {

namespace {

constexpr double k_int_max = std::numeric_limits<int>::max();

// Accessors are captureless lambdas, so that the table is plain data.
#define KT_REF(field)        \
  +[](Config & c) -> auto& { \
    return c.field;          \
  }

ConfigKey number(std::string_view section, std::string_view key, ConfigKey::Accessor value, double lo, double hi,
                 std::string_view help = {}, std::string_view heading = {}) {
  return ConfigKey{section, key, value, lo, hi, {}, help, heading};
}

ConfigKey setting(std::string_view section, std::string_view key, ConfigKey::Accessor value, std::string_view help = {},
                  std::string_view heading = {}) {
  return ConfigKey{section, key, value, 0, 0, {}, help, heading};
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> k{
      setting("import", "show_progress", KT_REF(import.show_progress),
              "Show a progress bar while importing (only on a terminal)."),

      number("extract", "batch_size", KT_REF(extract.batch_size), 1, 10000, "Tweets per batch given to the model."),
      setting("extract", "include_retweets", KT_REF(extract.include_retweets),
              "Retweets are other people's words; by default they are not given to the model."),
      number("extract", "batches_per_tick", KT_REF(extract.batches_per_tick), 1, 1000000,
             "Batches one `knowthy extract` (and one scheduler tick) processes; `knowthy run` does them all."),
      number("extract", "minutes_per_tick", KT_REF(extract.minutes_per_tick), 0.01, 10080,
             "A tick starts no batch after this long (the batches running then finish)."),
      number("extract", "max_tokens", KT_REF(extract.max_tokens), 0, 1 << 20,
             "Most tokens the model may write per pass (draft, then critique). 0: the worst case of the\n"
             "answer bounds below, so that an answer constrained by the JSON schema always closes. A value\n"
             "under that worst case is refused when the backend constrains the answer."),
      number("extract", "temperature", KT_REF(extract.temperature), 0, 5,
             "Sampling temperature; 0 is greedy and reproducible. Retries sample at 0.7 when this is 0."),
      number("extract", "retries", KT_REF(extract.retries), 0, 100,
             "New attempts of a pass whose answer did not parse."),
      number("extract", "retry_backoff_ms", KT_REF(extract.retry_backoff_ms), 0, 3600000,
             "The wait before the first retry of a failed model call ([model] retries), doubled each time."),
      number("extract", "stop_after_failures", KT_REF(extract.stop_after_failures), 1, 1000000,
             "A run stops after this many batches in a row failed (e.g. the model server is down)."),
      number("extract", "notes_max_chars", KT_REF(extract.bounds.notes_max_chars), 0, 2000,
             "Bounds of each answer (characters, items). They make the JSON schema and its grammar, and\n"
             "their worst case in tokens (up to 4 per character) must fit the context twice (draft and\n"
             "critique) beside the prompt; `knowthy model check` shows the figures. Strings: at most 2000\n"
             "characters (llama.cpp's grammars repeat at most 2000 times)."),
      number("extract", "max_claims", KT_REF(extract.bounds.max_claims), 0, 1000),
      number("extract", "claim_max_chars", KT_REF(extract.bounds.claim_max_chars), 1, 2000),
      number("extract", "max_evidence", KT_REF(extract.bounds.max_evidence), 1, 100,
             "Evidence tweet ids per claim or example."),
      number("extract", "max_examples", KT_REF(extract.bounds.max_examples), 0, 1000),
      number("extract", "example_prompt_max_chars", KT_REF(extract.bounds.example_prompt_max_chars), 1, 2000),
      number("extract", "example_response_max_chars", KT_REF(extract.bounds.example_response_max_chars), 1, 2000),

      number("consolidate", "similarity", KT_REF(consolidate.similarity), 0.05, 1,
             "Two claims of one category whose word sets overlap at least this much (Jaccard, after\n"
             "normalizing case, Unicode and punctuation) are one profile entry."),
      number("consolidate", "keep_versions", KT_REF(consolidate.keep_versions), 0, 1000000,
             "Earlier profile versions kept in profile/versions/ (0 keeps every one)."),

      number("datasets", "heldout_percent", KT_REF(datasets.heldout_percent), 0, 100,
             "Percent of batches held out of training (for evaluation). A batch's split never changes once made."),
      number("datasets", "near_identical_below", KT_REF(datasets.near_identical_below), 0, 1,
             "DPO pairs whose chosen and rejected answers differ by less than this normalized edit distance\n"
             "are flagged near-identical and kept out of training."),
      number("datasets", "length_ratio_min", KT_REF(datasets.length_ratio_min), 0, 1,
             "Pairs whose chosen/rejected length ratio is outside [min, max] are flagged length-outlier."),
      number("datasets", "length_ratio_max", KT_REF(datasets.length_ratio_max), 1, 1000),

      number("health", "recent_batches", KT_REF(health.recent_batches), 1, 1000000,
             "Finished batches the failure and hallucinated-evidence rates look at."),
      number("health", "failure_warn", KT_REF(health.failure_warn), 0, 1),
      number("health", "failure_fail", KT_REF(health.failure_fail), 0, 1),
      number("health", "hallucination_warn", KT_REF(health.hallucination_warn), 0, 1),
      number("health", "hallucination_fail", KT_REF(health.hallucination_fail), 0, 1),
      number("health", "flagged_warn", KT_REF(health.flagged_warn), 0, 1, "Share of flagged dataset pairs that warns."),
      number("health", "stuck_hours", KT_REF(health.stuck_hours), 1, 100000,
             "A model candidate training or awaiting evaluation for longer than this is stuck."),
      number("health", "tick_warn_hours", KT_REF(health.tick_warn_hours), 1, 100000,
             "No successful scheduler tick for this long warns."),
      number("health", "disk_warn_mb", KT_REF(health.disk_warn_mb), 0, 1 << 30,
             "Free disk space in the workspace's filesystem that warns and that fails (MiB)."),
      number("health", "disk_fail_mb", KT_REF(health.disk_fail_mb), 0, 1 << 30),

      setting("schedule", "cron", KT_REF(schedule.cron),
              "When the loop ticks: a 5-field cron expression (minute hour day-of-month month day-of-week;\n"
              "lists, ranges, steps, month and day names). `knowthy schedule install` turns it into a\n"
              "systemd timer; `knowthy schedule show` also prints a crontab line."),
      ConfigKey{"schedule",
                "zone",
                KT_REF(schedule.zone),
                0,
                0,
                {"local", "utc"},
                "The cron expression's clock: \"local\" (the machine's time zone, DST included) or \"utc\".",
                {}},
      number("schedule", "stop_grace_s", KT_REF(schedule.stop_grace_s), 0, 86400,
             "After SIGTERM or SIGINT, `knowthy daemon` and `knowthy tick` let the batch in flight commit\n"
             "for this many seconds; past that it is abandoned (the next run does it again) and they exit."),
      number("schedule", "log_max_kb", KT_REF(schedule.log_max_kb), 1, 1 << 20,
             "The daemon's log, workspace/logs/daemon.jsonl, is rotated when it would pass this size (KiB)."),
      number("schedule", "log_files", KT_REF(schedule.log_files), 1, 100, "Rotated daemon logs kept."),

      setting("insights", "model_summary", KT_REF(insights.model_summary),
              "Have the model write a short summary paragraph of the week's new claims into the report."),

      ConfigKey{"train",
                "trainer",
                KT_REF(train.trainer),
                0,
                0,
                {"none", "command", "llama-opt"},
                "Trainer of new model candidates: \"none\" (the candidate's manifest and frozen datasets are\n"
                "written and it stays ready for you to train), \"command\" (your trainer: TRL, Axolotl,\n"
                "mlx-lm-lora, ...; README, Training) or \"llama-opt\" (built in: a LoRA adapter over a\n"
                "quantized model, or a full fine-tune of an F32 one).",
                {}},
      number("train", "min_new_pairs", KT_REF(train.min_new_pairs), 1, k_int_max,
             "The gate opens when, since the last candidate, this many new clean DPO train pairs or\n"
             "this many new done batches have built up (and no candidate is training or awaiting eval)."),
      number("train", "min_new_batches", KT_REF(train.min_new_batches), 1, k_int_max),
      number("train", "max_minutes", KT_REF(train.max_minutes), 0.01, 10080,
             "A trainer still running after this long is stopped and the candidate fails."),
      number("train", "stop_grace_s", KT_REF(train.stop_grace_s), 0, 3600,
             "Seconds between SIGTERM and SIGKILL when a trainer is stopped."),
      setting("train", "command", KT_REF(train.command),
              "The trainer's argument vector (no shell: paths with spaces are safe). Placeholders:\n"
              "{base_model} {dpo_train} {dpo_heldout} {sft_train} {output_dir} {manifest}. It must leave\n"
              "a GGUF model or GGUF LoRA adapter in {output_dir}.",
              "-- command: your own trainer --"),
      setting("train", "shell", KT_REF(train.shell),
              "Run command[0] with /bin/sh -c instead (placeholders are shell-quoted)."),
      number("train", "epochs", KT_REF(train.epochs), 1, 1000, "Passes over the training data.",
             "-- llama-opt: built-in training with llama.cpp (LoRA or full, DPO or SFT) --"),
      number("train", "learning_rate", KT_REF(train.learning_rate), 0, 1),
      number("train", "weight_decay", KT_REF(train.weight_decay), 0, 1),
      ConfigKey{"train",
                "optimizer",
                KT_REF(train.optimizer),
                0,
                0,
                {"adamw", "sgd"},
                "\"adamw\" (weights, gradients and two moments: about 4x the model's F32 size) or \"sgd\".",
                {}},
      number("train", "context", KT_REF(train.context), 8, 1 << 20,
             "Tokens per training sequence; batch must divide it and ubatch must divide batch."),
      number("train", "batch", KT_REF(train.batch), 1, 1 << 20, "Tokens per optimizer step."),
      number("train", "ubatch", KT_REF(train.ubatch), 1, 1 << 20, "Tokens per compute pass (less memory)."),
      setting("train", "tensors", KT_REF(train.tensors),
              "A regular expression: only tensors whose name matches it train (e.g. \"ffn_|output\" to\n"
              "save memory). Empty: all that llama.cpp trains."),
      number("train", "threads", KT_REF(train.threads), 0, 1024, "CPU threads; 0 uses one per core."),
      number("train", "memory_limit_mb", KT_REF(train.memory_limit_mb), 0, k_int_max,
             "Memory training may use (MiB); 0: what the machine has available. Training that needs\n"
             "more is refused before it starts."),
      ConfigKey{"train",
                "method",
                KT_REF(train.method),
                0,
                0,
                {"auto", "full", "lora"},
                "\"lora\" trains a LoRA adapter over frozen weights (F32, F16, Q8_0, Q4_K_M, ...: any type but\n"
                "BF16); \"full\" trains the weights themselves (F32 models only); \"auto\": full for an all-F32\n"
                "model, lora otherwise.",
                {}},
      number("train", "lora_rank", KT_REF(train.lora_rank), 1, 1024, "The adapter's rank."),
      number("train", "lora_alpha", KT_REF(train.lora_alpha), 0.001, 1e6, "The adapter's scale is alpha / rank."),
      setting("train", "lora_targets", KT_REF(train.lora_targets),
              "A regular expression over the blocks' weight names: the matrices that get an adapter."),
      ConfigKey{"train",
                "objective",
                KT_REF(train.objective),
                0,
                0,
                {"dpo", "sft"},
                "\"dpo\": preference training on the DPO pairs (chosen up, rejected down, against the\n"
                "model training starts from); \"sft\": the chosen answers and the SFT examples. Either way\n"
                "only answer tokens count in the loss.",
                {}},
      number("train", "dpo_beta", KT_REF(train.dpo_beta), 0.001, 100,
             "DPO's beta: how far from the starting model the preferences may pull it."),
      number("train", "rpo_alpha", KT_REF(train.rpo_alpha), 0, 100,
             "Weight of the chosen answer's negative log-likelihood per token, added to the DPO loss\n"
             "(TRL's rpo_alpha). DPO alone widens the gap by making both answers less likely; this\n"
             "keeps the chosen ones likely, which [eval] min_chosen_logprob_gain checks. 0: DPO alone."),

      number("eval", "min_chosen_logprob_gain", KT_REF(eval.min_chosen_logprob_gain), -100, 100,
             "A candidate passes when, on held-out data it never trained on: its log-likelihood per token\n"
             "of the chosen answers gains at least this much over the active model's ..."),
      number("eval", "min_preference_accuracy", KT_REF(eval.min_preference_accuracy), 0, 1,
             "... it raises chosen over rejected more than the active model does on at least this share\n"
             "of the pairs, with the 95% interval's lower bound above 0.5 ..."),
      number("eval", "max_regression", KT_REF(eval.max_regression), 0, 1,
             "... and its log-likelihood per token of held-out tweets is worse by at most this share."),
      number("eval", "min_heldout_pairs", KT_REF(eval.min_heldout_pairs), 1, k_int_max,
             "Fewer held-out DPO pairs than this is a failed evaluation (too little data to judge)."),
      number("eval", "bootstrap_samples", KT_REF(eval.bootstrap_samples), 100, 1000000,
             "Resamples of the bootstrap behind each metric's 95% interval."),
      number("eval", "seed", KT_REF(eval.seed), 0, k_int_max, "The bootstrap's seed: same inputs, same verdict."),
      number("eval", "max_tweets", KT_REF(eval.max_tweets), 0, k_int_max,
             "Held-out tweets scored for the regression check (the oldest first); 0: all."),
      number("eval", "context", KT_REF(eval.context), 0, 1 << 22,
             "Longest scored sequence in tokens (longer prompts are cut from the front); 0: the longest\n"
             "item, whole."),
      number("eval", "batch", KT_REF(eval.batch), 1, 1 << 20, "Tokens per llama.cpp decode while scoring."),
      number("eval", "threads", KT_REF(eval.threads), 0, 1024, "CPU threads; 0 uses one per core."),
      number("eval", "timeout_minutes", KT_REF(eval.timeout_minutes), 0.01, 10080,
             "An evaluation still running after this long is stopped and the candidate fails."),
      setting("eval", "command", KT_REF(eval.command),
              "Your own evaluation instead of the built-in one: an argument vector with the trainer's\n"
              "placeholders and {candidate} (the candidate's GGUF). It must print a JSON verdict\n"
              "{\"pass\": true|false, \"metrics\": {...}}; anything else fails the candidate.",
              "-- command: your own evaluation --"),
      setting("eval", "shell", KT_REF(eval.shell), "Run command[0] with /bin/sh -c instead."),

      setting("promote", "automatic", KT_REF(promote.automatic),
              "`knowthy tick` promotes a candidate that passed its evaluation (newer than the active\n"
              "model); false leaves promotion to `knowthy promote`."),
      setting("promote", "command", KT_REF(promote.command),
              "Run when a candidate is promoted or rolled back, before it becomes active (e.g. to load it\n"
              "into Ollama or restart a llama-server); an argument vector with {candidate_path} (the GGUF\n"
              "becoming active) and {previous_path} (the one it replaces). If it fails, nothing changes."),
      setting("promote", "shell", KT_REF(promote.shell), "Run command[0] with /bin/sh -c instead."),
      number("promote", "timeout_minutes", KT_REF(promote.timeout_minutes), 0.01, 1440),

      ConfigKey{"model",
                "backend",
                KT_REF(model.backend),
                0,
                0,
                {"llama", "openai", "command"},
                "Backend: \"llama\" (embedded llama.cpp), \"openai\" (an OpenAI-compatible server) or \"command\".\n"
                "Every command that calls the model also takes --backend, --model, --endpoint, --model-name.",
                {}},
      setting("model", "use_active", KT_REF(model.use_active),
              "Once a candidate is promoted, every model call uses it (the GGUF it made, or path with its\n"
              "LoRA adapter) instead of path; false pins path. `knowthy model check` says which is used."),
      number("model", "retries", KT_REF(model.retries), 0, 100,
             "Retries of a model call that failed for a reason a retry can fix (a server down or busy, a\n"
             "time-out, 429, 5xx), with backoff ([extract] retry_backoff_ms). A refused request (4xx, a\n"
             "prompt longer than the context) is not retried: the batch fails at once with the reason."),
      setting("model", "path", KT_REF(model.path), "GGUF model file.", "-- llama: the model runs inside knowthy --"),
      number("model", "parallel", KT_REF(model.parallel), 1, 64,
             "Conversations decoded together (raise on machines with more cores or a GPU)."),
      number("model", "threads", KT_REF(model.threads), 0, 1024, "CPU threads; 0 uses one per core."),
      number("model", "context", KT_REF(model.context), 64, 1 << 20,
             "Context size in tokens, per conversation: a batch's prompt, its draft and its critique must fit."),
      number("model", "gpu_layers", KT_REF(model.gpu_layers), 0, 100000,
             "Layers offloaded to a GPU when llama.cpp was built with one (ignored otherwise)."),
      setting("model", "chat_template", KT_REF(model.chat_template),
              "A Jinja chat template to use instead of the model's own."),
      setting("model", "endpoint", KT_REF(model.endpoints),
              "One URL or a list; requests are spread over them. Only loopback hosts are used\n"
              "unless allow_remote = true, so that your tweets never leave this machine by accident.",
              "-- openai: an OpenAI-compatible server (llama-server, Ollama, vLLM, LM Studio) --"),
      setting("model", "allow_remote", KT_REF(model.allow_remote)),
      setting("model", "model_name", KT_REF(model.model_name), "Model name sent to the server."),
      setting("model", "api_key_env", KT_REF(model.api_key_env),
              "Environment variable holding an API key, sent as a Bearer token when set."),
      number("model", "connect_timeout_s", KT_REF(model.connect_timeout_s), 1, 3600,
             "Seconds to connect and seconds to wait for an answer."),
      number("model", "timeout_s", KT_REF(model.timeout_s), 1, 86400),
      setting("model", "command", KT_REF(model.command),
              "Run with /bin/sh -c; it reads the prompt on stdin and prints the answer on stdout.",
              "-- command: an external program (e.g. a local agent's CLI) --"),
      setting("model", "resume_command", KT_REF(model.resume_command),
              "Continues a session instead (only the new message is sent); {session} is its id."),
      setting("model", "session_regex", KT_REF(model.session_regex),
              "A regular expression that finds the session id in the output (its first group, or the\n"
              "whole match); the matched text is removed from the answer."),
      number("model", "command_timeout_s", KT_REF(model.command_timeout_s), 1, 86400),
  };
  return k;
}

#undef KT_REF

namespace {

std::string toml_string(const std::string& s) {
  std::string out;
  util::append_json_string(out, s);  // a JSON string literal is a TOML basic string
  return out;
}

std::string format_real(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";  // stays a TOML float
  return s;
}

// The value as TOML writes it.
std::string value_text(const ConfigKey& k, Config& c) {
  return std::visit(
      [&](auto get) -> std::string {
        const auto& v = get(c);
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>)
          return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, int>)
          return std::to_string(v);
        else if constexpr (std::is_same_v<T, double>)
          return format_real(v);
        else if constexpr (std::is_same_v<T, std::string>)
          return toml_string(v);
        else {
          if (v.size() == 1) return toml_string(v[0]);
          std::string out = "[";
          for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + toml_string(v[i]);
          return out + "]";
        }
      },
      k.value);
}

void comment_lines(std::string& out, std::string_view text) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    out += "# ";
    out += text.substr(0, nl);
    out += '\n';
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
}

std::string nearest(std::string_view word, const std::vector<std::string>& known) {
  std::string best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (const auto& k : known) {
    const size_t d = util::edit_distance(word, k);
    if (d < best_d) best_d = d, best = k;
  }
  return best;
}

std::string at_line(const std::filesystem::path& path, const toml::node& n) {
  return path.string() + ":" + std::to_string(n.source().begin.line);
}

Status read_key(const ConfigKey& k, const toml::node& node, Config& cfg, const std::filesystem::path& path) {
  const std::string name = fmt::format("{}.{}", k.section, k.key);
  const std::string where = at_line(path, node);
  auto wrong_type = [&](std::string_view want) {
    return bad_input(where, fmt::format("{} must be {}", name, want), "see the commented defaults in `knowthy init`");
  };
  auto out_of_range = [&](double v) {
    return bad_input(where, fmt::format("{} = {} is out of range: it must be between {} and {}", name, v, k.lo, k.hi));
  };
  return std::visit(
      [&](auto get) -> Status {
        auto& out = get(cfg);
        using T = std::decay_t<decltype(out)>;
        if constexpr (std::is_same_v<T, bool>) {
          auto v = node.value_exact<bool>();
          if (!v) return wrong_type("true or false");
          out = *v;
        } else if constexpr (std::is_same_v<T, int>) {
          auto v = node.value_exact<int64_t>();
          if (!v) return wrong_type("a whole number");
          if (static_cast<double>(*v) < k.lo || static_cast<double>(*v) > k.hi)
            return out_of_range(static_cast<double>(*v));
          out = static_cast<int>(*v);
        } else if constexpr (std::is_same_v<T, double>) {
          std::optional<double> v = node.value_exact<double>();
          if (!v)
            if (auto i = node.value_exact<int64_t>()) v = static_cast<double>(*i);  // `similarity = 1`
          if (!v) return wrong_type("a number");
          if (!std::isfinite(*v) || *v < k.lo || *v > k.hi) return out_of_range(*v);
          out = *v;
        } else if constexpr (std::is_same_v<T, std::string>) {
          auto v = node.value_exact<std::string>();
          if (!v) return wrong_type("a string");
          if (!k.choices.empty() && std::find(k.choices.begin(), k.choices.end(), *v) == k.choices.end()) {
            std::string list;
            for (auto c : k.choices) list += (list.empty() ? "\"" : ", \"") + std::string(c) + "\"";
            return bad_input(where, fmt::format("{} = \"{}\" is not one of {}", name, *v, list));
          }
          out = *v;
        } else {
          // One string or a list of strings.
          out.clear();
          if (auto one = node.value_exact<std::string>()) {
            out.push_back(*one);
          } else if (const toml::array* arr = node.as_array()) {
            for (const auto& e : *arr) {
              auto v = e.value_exact<std::string>();
              if (!v) return bad_input(at_line(path, e), fmt::format("{} must list strings", name));
              out.push_back(*v);
            }
          } else {
            return wrong_type("a string or a list of strings");
          }
        }
        return {};
      },
      k.value);
}

// Settings whose ranges depend on each other.
Status check_together(const Config& c, const std::filesystem::path& path) {
  struct Pair {
    const char* low;
    double lo;
    const char* high;
    double hi;
  };
  const auto& h = c.health;
  for (const Pair& p :
       {Pair{"datasets.length_ratio_min", c.datasets.length_ratio_min, "datasets.length_ratio_max",
             c.datasets.length_ratio_max},
        Pair{"health.failure_warn", h.failure_warn, "health.failure_fail", h.failure_fail},
        Pair{"health.hallucination_warn", h.hallucination_warn, "health.hallucination_fail", h.hallucination_fail},
        Pair{"health.disk_fail_mb", static_cast<double>(h.disk_fail_mb), "health.disk_warn_mb",
             static_cast<double>(h.disk_warn_mb)}})
    if (p.lo > p.hi)
      return bad_input(path.string(), fmt::format("{} ({}) must not be above {} ({})", p.low, p.lo, p.high, p.hi));
  if (c.model.endpoints.empty()) return bad_input(path.string(), "model.endpoint must not be empty");
  // llama.cpp asserts (aborts) on these rather than returning an error.
  const auto& t = c.train;
  if (t.context % t.batch != 0 || t.batch % t.ubatch != 0)
    return bad_input(path.string(),
                     fmt::format("train.batch ({}) must divide train.context ({}), and train.ubatch ({}) must divide "
                                 "train.batch",
                                 t.batch, t.context, t.ubatch),
                     "e.g. context = 512, batch = 512, ubatch = 256");
  try {
    std::regex re(t.lora_targets);
  } catch (const std::regex_error& e) {
    return bad_input(path.string(), fmt::format("train.lora_targets \"{}\" is not a regular expression: {}",
                                                t.lora_targets, e.what()));
  }
  if (t.trainer == "command" && t.command.empty())
    return bad_input(path.string(), "train.trainer is \"command\" but train.command is not set",
                     "set train.command to your trainer's argument vector (README, Training)");
  return {};
}

}  // namespace

std::string default_config_text() {
  Config defaults;
  std::string out =
      "# knowthy configuration. Every setting is shown with its default; uncomment to change.\n"
      "# This file lives in your private workspace (mode 0600) and is never sent anywhere.\n";
  std::string_view section;
  for (const auto& k : config_keys()) {
    if (k.section != section) {
      section = k.section;
      out += fmt::format("\n[{}]\n", section);
    }
    if (!k.heading.empty()) {
      out += '\n';
      comment_lines(out, k.heading);
    }
    comment_lines(out, k.help);
    std::string range;
    if (std::holds_alternative<int& (*)(Config&)>(k.value) || std::holds_alternative<double& (*)(Config&)>(k.value))
      range = k.hi >= k_int_max ? fmt::format("  (at least {})", k.lo) : fmt::format("  ({} to {})", k.lo, k.hi);
    out += fmt::format("# {} = {}{}\n", k.key, value_text(k, defaults), range);
  }
  return out;
}

Result<Config> load_config(const std::filesystem::path& path) {
  Config cfg;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return cfg;
  toml::table t;
  try {
    t = toml::parse_file(path.string());
  } catch (const toml::parse_error& err) {  // toml++ reports syntax errors by exception
    return bad_input(path.string() + ":" + std::to_string(err.source().begin.line), std::string(err.description()),
                     "fix the file, or delete it and run `knowthy init` to write the defaults");
  }
  std::vector<std::string> sections;
  for (const auto& k : config_keys())
    if (sections.empty() || sections.back() != k.section) sections.emplace_back(k.section);
  const std::string hint = "the commented defaults that `knowthy init` writes list every setting";
  // The sections a key of that name belongs to, if any ("[train], [eval] or [model]": some names are in several).
  auto home_of = [](std::string_view key) -> std::string {
    std::vector<std::string> homes;
    for (const auto& k : config_keys())
      if (k.key == key) homes.push_back(fmt::format("[{}]", k.section));
    std::string out;
    for (size_t i = 0; i < homes.size(); ++i) out += (i == 0 ? "" : i + 1 == homes.size() ? " or " : ", ") + homes[i];
    return out;
  };
  for (const auto& [name, node] : t) {
    const std::string s(name.str());
    if (!node.is_table()) {
      const std::string home = home_of(s);
      return bad_input(at_line(path, node), fmt::format("{} is outside any [section]", s),
                       home.empty() ? hint : fmt::format("it belongs under {}", home));
    }
    if (std::find(sections.begin(), sections.end(), s) == sections.end())
      return bad_input(at_line(path, node), fmt::format("unknown section [{}]", s),
                       fmt::format("did you mean [{}]? {}", nearest(s, sections), hint));
    std::vector<std::string> keys;
    for (const auto& k : config_keys())
      if (k.section == s) keys.emplace_back(k.key);
    for (const auto& [key, value] : *node.as_table()) {
      const std::string kname(key.str());
      auto it = std::find_if(config_keys().begin(), config_keys().end(),
                             [&](const ConfigKey& k) { return k.section == s && k.key == kname; });
      if (it == config_keys().end()) {
        const std::string home = home_of(kname);
        return bad_input(at_line(path, value), fmt::format("unknown key {} in [{}]", kname, s),
                         home.empty() ? fmt::format("did you mean {}? {}", nearest(kname, keys), hint)
                                      : fmt::format("{} belongs under {}", kname, home));
      }
      if (auto st = read_key(*it, value, cfg, path); !st) return std::unexpected(st.error());
    }
  }
  if (auto st = check_together(cfg, path); !st) return std::unexpected(st.error());
  return cfg;
}

}  // namespace knowthy::store
