#include "store/config.hpp"

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

[model]
# Backend: "llama" (embedded llama.cpp), "openai" (an OpenAI-compatible server) or "command".
# backend = "llama"
# GGUF model file for the embedded backend.
# path = ""
# Server for the openai backend. Only loopback hosts are used unless allow_remote = true,
# so that your tweets never leave this machine by accident.
# endpoint = "http://127.0.0.1:8080"
# allow_remote = false
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
  if (s = read_value(t, "model", "backend", cfg.model.backend, path); !s) return std::unexpected(s.error());
  if (s = read_value(t, "model", "path", cfg.model.path, path); !s) return std::unexpected(s.error());
  if (s = read_value(t, "model", "endpoint", cfg.model.endpoint, path); !s) return std::unexpected(s.error());
  if (s = read_value(t, "model", "allow_remote", cfg.model.allow_remote, path); !s) return std::unexpected(s.error());
  return cfg;
}

}  // namespace knowthy::store
