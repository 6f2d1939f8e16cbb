#include "store/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

namespace knowthy::store {

std::string default_config_text() {
  return R"(# knowthy configuration. Every setting is shown with its default; uncomment to change.
# This file lives in your private workspace (mode 0600) and is never sent anywhere.

[import]
# Show a progress bar while importing (only on a terminal).
# show_progress = true

[extract]
# Tweets per batch given to the model.
# batch_size = 50
# Retweets are other people's words; by default they are not given to the model.
# include_retweets = false
# Batches one `knowthy extract` (and one scheduler tick) processes; `knowthy run` does them all.
# batches_per_tick = 4
# Most tokens the model may write per pass (draft, then critique).
# max_tokens = 2048
# Sampling temperature; 0 is greedy and reproducible. Retries sample at 0.7 when this is 0.
# temperature = 0.0
# Retries of a pass whose answer did not parse or whose model call failed, and the wait before
# the first retry of a failed call (doubled each time).
# retries = 2
# retry_backoff_ms = 2000
# A run stops after this many batches in a row failed (e.g. the model server is down).
# stop_after_failures = 3

[consolidate]
# Two claims of one category whose word sets overlap at least this much (Jaccard, after
# normalizing case, Unicode and punctuation) are one profile entry.
# similarity = 0.6
# Earlier profile versions kept in profile/versions/ (0 keeps every one).
# keep_versions = 100

[datasets]
# Percent of batches held out of training (for evaluation). A batch's split never changes once made.
# heldout_percent = 10
# DPO pairs whose chosen and rejected answers differ by less than this normalized edit distance
# are flagged near-identical and kept out of training.
# near_identical_below = 0.05
# Pairs whose chosen/rejected length ratio is outside [min, max] are flagged length-outlier.
# length_ratio_min = 0.5
# length_ratio_max = 2.0

[health]
# Finished batches the failure and hallucinated-evidence rates look at.
# recent_batches = 50
# failure_warn = 0.2
# failure_fail = 0.5
# hallucination_warn = 0.1
# hallucination_fail = 0.3
# Share of flagged dataset pairs that warns.
# flagged_warn = 0.5
# A model candidate training or awaiting evaluation for longer than this is stuck.
# stuck_hours = 24
# No successful scheduler tick for this long warns.
# tick_warn_hours = 12
# Free disk space in the workspace's filesystem that warns and that fails (MiB).
# disk_warn_mb = 2048
# disk_fail_mb = 256

[insights]
# Have the model write a short summary paragraph of the week's new claims into the report.
# model_summary = false

[model]
# Backend: "llama" (embedded llama.cpp), "openai" (an OpenAI-compatible server) or "command".
# Every command that calls the model also takes --backend, --model, --endpoint, --model-name.
# backend = "llama"

# -- llama: the model runs inside knowthy --
# GGUF model file.
# path = ""
# Conversations decoded together (raise on machines with more cores or a GPU).
# parallel = 2
# CPU threads; 0 uses one per core.
# threads = 0
# Context size in tokens, per conversation: a batch's prompt, its draft and its critique must fit.
# context = 8192
# Layers offloaded to a GPU when llama.cpp was built with one (ignored otherwise).
# gpu_layers = 999
# A Jinja chat template to use instead of the model's own.
# chat_template = ""

# -- openai: an OpenAI-compatible server (llama-server, Ollama, vLLM, LM Studio) --
# One URL or a list; requests are spread over them. Only loopback hosts are used unless
# allow_remote = true, so that your tweets never leave this machine by accident.
# endpoint = "http://127.0.0.1:8080"
# allow_remote = false
# Model name sent to the server.
# model_name = ""
# Environment variable holding an API key, sent as a Bearer token when set.
# api_key_env = "KNOWTHY_API_KEY"
# Seconds to connect, seconds to wait for an answer, and retries (with exponential backoff)
# on connection errors, 429 and 5xx.
# connect_timeout_s = 5
# timeout_s = 600
# retries = 4

# -- command: an external program (e.g. a local agent's CLI) --
# Run with /bin/sh -c; it reads the prompt on stdin and prints the answer on stdout.
# command = ""
# Continues a session instead (only the new message is sent); {session} is its id.
# resume_command = ""
# A regular expression that finds the session id in the output (its first group, or the
# whole match); the matched text is removed from the answer.
# session_regex = ""
# command_timeout_s = 600
)";
}

namespace {

template <class T>
Status read_value(const toml::table& tbl, std::string_view section, std::string_view key, T& out,
                  const std::filesystem::path& path) {
  const toml::node* node = tbl.at_path(std::string(section) + "." + std::string(key)).node();
  if (!node) return {};
  if (auto v = node->value<T>()) {
    out = *v;
    return {};
  }
  return bad_input(path.string() + ":" + std::to_string(node->source().begin.line),
                   std::string(section) + "." + std::string(key) + " has the wrong type", "see the commented defaults");
}

struct IntKey {
  const char* key;
  int* out;
  int lo, hi;
};

Status read_int(const toml::table& tbl, std::string_view section, const IntKey& k, const std::filesystem::path& path) {
  int64_t v = *k.out;
  if (auto s = read_value(tbl, section, k.key, v, path); !s) return s;
  if (v < k.lo || v > k.hi)
    return bad_input(path.string(), fmt::format("{}.{} must be between {} and {}", section, k.key, k.lo, k.hi));
  *k.out = static_cast<int>(v);
  return {};
}

// A real number; an integer is accepted too (`similarity = 1`).
Status read_real(const toml::table& tbl, std::string_view section, std::string_view key, double& out,
                 const std::filesystem::path& path) {
  const toml::node* node = tbl.at_path(std::string(section) + "." + std::string(key)).node();
  if (node && node->is_integer()) {
    out = static_cast<double>(*node->value<int64_t>());
    return {};
  }
  return read_value(tbl, section, key, out, path);
}

}  // namespace

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
  Status s;
  if (s = read_value(t, "import", "show_progress", cfg.import.show_progress, path); !s)
    return std::unexpected(s.error());
  int64_t batch_size = cfg.extract.batch_size;
  if (s = read_value(t, "extract", "batch_size", batch_size, path); !s) return std::unexpected(s.error());
  if (batch_size < 1 || batch_size > 10000)
    return bad_input(path.string(), "extract.batch_size must be between 1 and 10000");
  cfg.extract.batch_size = static_cast<int>(batch_size);
  if (s = read_value(t, "extract", "include_retweets", cfg.extract.include_retweets, path); !s)
    return std::unexpected(s.error());
  if (s = read_value(t, "extract", "temperature", cfg.extract.temperature, path); !s) return std::unexpected(s.error());
  if (cfg.extract.temperature < 0 || cfg.extract.temperature > 5)
    return bad_input(path.string(), "extract.temperature must be between 0 and 5");
  auto& m = cfg.model;
  for (auto [key, out] : {std::pair{"backend", &m.backend},
                          {"path", &m.path},
                          {"chat_template", &m.chat_template},
                          {"model_name", &m.model_name},
                          {"api_key_env", &m.api_key_env},
                          {"command", &m.command},
                          {"resume_command", &m.resume_command},
                          {"session_regex", &m.session_regex}})
    if (s = read_value(t, "model", key, *out, path); !s) return std::unexpected(s.error());
  if (s = read_value(t, "model", "allow_remote", m.allow_remote, path); !s) return std::unexpected(s.error());
  auto& x = cfg.extract;
  for (auto k :
       {IntKey{"batches_per_tick", &x.batches_per_tick, 1, 1000000}, IntKey{"max_tokens", &x.max_tokens, 16, 1 << 20},
        IntKey{"retries", &x.retries, 0, 100}, IntKey{"retry_backoff_ms", &x.retry_backoff_ms, 0, 3600000},
        IntKey{"stop_after_failures", &x.stop_after_failures, 1, 1000000}}) {
    int64_t v = *k.out;
    if (s = read_value(t, "extract", k.key, v, path); !s) return std::unexpected(s.error());
    if (v < k.lo || v > k.hi)
      return bad_input(path.string(), std::string("extract.") + k.key + " must be between " + std::to_string(k.lo) +
                                          " and " + std::to_string(k.hi));
    *k.out = static_cast<int>(v);
  }
  for (auto k :
       {IntKey{"parallel", &m.parallel, 1, 64}, IntKey{"threads", &m.threads, 0, 1024},
        IntKey{"context", &m.context, 64, 1 << 20}, IntKey{"gpu_layers", &m.gpu_layers, 0, 100000},
        IntKey{"connect_timeout_s", &m.connect_timeout_s, 1, 3600}, IntKey{"timeout_s", &m.timeout_s, 1, 86400},
        IntKey{"retries", &m.retries, 0, 100}, IntKey{"command_timeout_s", &m.command_timeout_s, 1, 86400}}) {
    int64_t v = *k.out;
    if (s = read_value(t, "model", k.key, v, path); !s) return std::unexpected(s.error());
    if (v < k.lo || v > k.hi)
      return bad_input(path.string(), std::string("model.") + k.key + " must be between " + std::to_string(k.lo) +
                                          " and " + std::to_string(k.hi));
    *k.out = static_cast<int>(v);
  }
  if (s = read_value(t, "insights", "model_summary", cfg.insights.model_summary, path); !s)
    return std::unexpected(s.error());
  auto& h = cfg.health;
  for (auto k : {IntKey{"keep_versions", &cfg.consolidate.keep_versions, 0, 1000000}})
    if (s = read_int(t, "consolidate", k, path); !s) return std::unexpected(s.error());
  if (s = read_int(t, "datasets", IntKey{"heldout_percent", &cfg.datasets.heldout_percent, 0, 100}, path); !s)
    return std::unexpected(s.error());
  for (auto k :
       {IntKey{"recent_batches", &h.recent_batches, 1, 1000000}, IntKey{"stuck_hours", &h.stuck_hours, 1, 100000},
        IntKey{"tick_warn_hours", &h.tick_warn_hours, 1, 100000}, IntKey{"disk_warn_mb", &h.disk_warn_mb, 0, 1 << 30},
        IntKey{"disk_fail_mb", &h.disk_fail_mb, 0, 1 << 30}})
    if (s = read_int(t, "health", k, path); !s) return std::unexpected(s.error());
  struct RealKey {
    const char* section;
    const char* key;
    double* out;
    double lo, hi;
  };
  auto& d = cfg.datasets;
  for (auto k : {RealKey{"consolidate", "similarity", &cfg.consolidate.similarity, 0.05, 1},
                 RealKey{"datasets", "near_identical_below", &d.near_identical_below, 0, 1},
                 RealKey{"datasets", "length_ratio_min", &d.length_ratio_min, 0, 1},
                 RealKey{"datasets", "length_ratio_max", &d.length_ratio_max, 1, 1000},
                 RealKey{"health", "failure_warn", &h.failure_warn, 0, 1},
                 RealKey{"health", "failure_fail", &h.failure_fail, 0, 1},
                 RealKey{"health", "hallucination_warn", &h.hallucination_warn, 0, 1},
                 RealKey{"health", "hallucination_fail", &h.hallucination_fail, 0, 1},
                 RealKey{"health", "flagged_warn", &h.flagged_warn, 0, 1}}) {
    if (s = read_real(t, k.section, k.key, *k.out, path); !s) return std::unexpected(s.error());
    if (*k.out < k.lo || *k.out > k.hi)
      return bad_input(path.string(), fmt::format("{}.{} must be between {} and {}", k.section, k.key, k.lo, k.hi));
  }
  // endpoint: one URL or a list of them.
  if (const toml::node* node = t.at_path("model.endpoint").node()) {
    m.endpoints.clear();
    if (auto one = node->value<std::string>()) {
      m.endpoints.push_back(*one);
    } else if (const toml::array* arr = node->as_array()) {
      for (const auto& e : *arr)
        if (auto v = e.value<std::string>())
          m.endpoints.push_back(*v);
        else
          return bad_input(path.string() + ":" + std::to_string(e.source().begin.line),
                           "model.endpoint must list URLs as strings");
    }
    if (m.endpoints.empty())
      return bad_input(path.string() + ":" + std::to_string(node->source().begin.line),
                       "model.endpoint must be a URL or a list of URLs");
  }
  return cfg;
}

}  // namespace knowthy::store
