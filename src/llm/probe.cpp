#include "llm/probe.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "llm/openai_backend.hpp"

namespace knowthy::llm {
namespace fs = std::filesystem;
using Level = ProbeResult::Level;

namespace {

ProbeResult probe_file(const std::string& path) {
  if (path.empty()) return {Level::fail, "no model configured: set [model] path in knowthy.toml"};
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (!in || !in.read(magic, 4)) return {Level::fail, path + " cannot be read"};
  if (std::string_view(magic, 4) != "GGUF") return {Level::fail, path + " is not a GGUF model"};
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return {Level::ok, fmt::format("{} is a GGUF model ({} MiB); `knowthy model check` loads it and generates", path,
                                 ec ? 0 : size >> 20)};
}

// Whether a server answers; 503 from llama-server means "loading the model".
ProbeResult probe_endpoint(const Endpoint& ep, int connect_timeout_s) {
  const bool v6 = ep.host.find(':') != std::string::npos;
  httplib::Client cli(ep.scheme + "://" + (v6 ? "[" + ep.host + "]" : ep.host) + ":" + std::to_string(ep.port));
  cli.set_connection_timeout(std::chrono::seconds(std::min(connect_timeout_s, 5)));
  cli.set_read_timeout(std::chrono::seconds(5));
  auto res = cli.Get(ep.base + "/health");
  if (res && res->status == 503) return {Level::warn, ep.url + " is up but still loading its model"};
  if (!res || res->status == 404) res = cli.Get(ep.base + "/v1/models");
  if (!res) return {Level::fail, ep.url + " cannot be reached (" + httplib::to_string(res.error()) + ")"};
  if (res->status >= 200 && res->status < 300) return {Level::ok, ep.url + " answers"};
  return {Level::fail, fmt::format("{} answered {}", ep.url, res->status)};
}

bool on_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
  return false;
}

}  // namespace

ProbeResult probe_backend(const store::Config::Model& m) {
  if (m.backend == "llama") return probe_file(m.path);
  if (m.backend == "openai") {
    int up = 0;
    std::string reasons;
    Level worst = Level::ok;
    for (const auto& url : m.endpoints) {
      auto ep = parse_endpoint(url, m.allow_remote);
      ProbeResult r =
          ep ? probe_endpoint(*ep, m.connect_timeout_s) : ProbeResult{Level::fail, url + ": " + ep.error().why};
      up += r.level != Level::fail;
      if (r.level != Level::ok) worst = std::max(worst, r.level);
      reasons += (reasons.empty() ? "" : "; ") + r.reason;
    }
    // One dead endpoint of several: the others take its requests.
    if (worst == Level::fail && up > 0) worst = Level::warn;
    return {worst, reasons};
  }
  if (m.backend == "command") {
    std::istringstream words(m.command);
    std::string program;
    words >> program;
    if (program.empty()) return {Level::fail, "no command configured: set [model] command in knowthy.toml"};
    if (!on_path(program)) return {Level::fail, "`" + program + "` (the command backend's program) is not found"};
    return {Level::ok, "`" + program + "` is found (it is run per batch)"};
  }
  return {Level::fail, "unknown backend \"" + m.backend + "\""};
}

}  // namespace knowthy::llm
