#include <unistd.h>

#include <cstdio>

#include "cli/commands.hpp"

namespace knowthy::cli {

store::WorkspaceOptions GlobalOptions::workspace_options() const {
  store::WorkspaceOptions o;
  if (!workspace.empty()) o.dir = workspace;
  o.allow_in_git = allow_in_git;
  return o;
}

void ModelOverrides::add_to(CLI::App* cmd) {
  cmd->add_option("--backend", backend, "model backend: llama, openai or command (default: [model] backend)")
      ->check(CLI::IsMember({"llama", "openai", "command"}));
  cmd->add_option("--model", model, "GGUF model file for the llama backend (default: [model] path)");
  cmd->add_option("--endpoint", endpoint, "server URL for the openai backend (default: [model] endpoint)");
  cmd->add_option("--model-name", model_name, "model name sent to the server (default: [model] model_name)");
}

void ModelOverrides::apply(store::Config::Model& m) const {
  if (!backend.empty()) m.backend = backend;
  if (!model.empty()) {
    m.path = model;
    m.adapter.clear();  // --model names the model to use, not a base for the active adapter
  }
  if (!endpoint.empty()) m.endpoints = {endpoint};
  if (!model_name.empty()) m.model_name = model_name;
}

std::filesystem::path self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("knowthy") : p;
}

void register_child(CLI::App& app, Runner& run, const std::string& name, const std::string& arg,
                    std::function<int(const std::string&)> child) {
  auto* cmd = app.add_subcommand(name, "");
  cmd->group("");
  auto value = std::make_shared<std::string>();
  cmd->add_option(arg, *value, arg)->required();
  cmd->callback([&run, value, child] {
    run = [value, child]() -> Status {
      const int rc = child(*value);
      std::fflush(stdout);
      if (rc != 0) ::_exit(rc);
      return {};
    };
  });
}

Result<store::Workspace> open_workspace(const GlobalOptions& g) {
  return store::Workspace::open(g.workspace_options());
}

}  // namespace knowthy::cli
