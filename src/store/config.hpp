#pragma once
// knowthy.toml: the workspace's configuration. `knowthy init` writes every default, commented,
// so a person can see and edit what the loop will do.
#include <filesystem>
#include <string>

#include "util/result.hpp"

namespace knowthy::store {

struct Config {
  struct Import {
    bool show_progress = true;
  } import;
  struct Extract {
    int batch_size = 50;
    bool include_retweets = false;
  } extract;
  struct Model {
    std::string backend = "llama";
    std::string path;
    std::string endpoint = "http://127.0.0.1:8080";
    bool allow_remote = false;
  } model;
};

std::string default_config_text();

// Reads knowthy.toml; a missing file gives the defaults. A syntax error or a value of the wrong
// type is bad input naming the file, line and key.
Result<Config> load_config(const std::filesystem::path& path);

}  // namespace knowthy::store
