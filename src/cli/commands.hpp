#pragma once
// Each command registers its subcommand and options on the app; main() parses, then runs the one
// that was chosen. A command returns Status; main prints the error and maps it to an exit code.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "schedule/tick.hpp"
#include "store/config.hpp"
#include "store/workspace.hpp"

namespace knowthy::cli {

struct GlobalOptions {
  std::string workspace;  // --workspace
  bool allow_in_git = false;
  store::WorkspaceOptions workspace_options() const;
};

// --backend, --model, --endpoint, --model-name: on every command that calls the model, over
// the [model] section of knowthy.toml.
struct ModelOverrides {
  std::string backend, model, endpoint, model_name;
  void add_to(CLI::App* cmd);
  void apply(store::Config::Model& m) const;
};

using Runner = std::function<Status()>;

// Every register_* adds a subcommand and sets `run` to its runner when it is chosen.
void register_init(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_ingest(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_status(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_export(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_sample_archive(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_sample_model(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_model(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_extract(CLI::App& app, const GlobalOptions& g, Runner& run);  // extract and run
void register_verify(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_consolidate(CLI::App& app, const GlobalOptions& g, Runner& run);  // and `profile diff`
void register_datasets(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_health(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_insights(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_train(CLI::App& app, const GlobalOptions& g,
                    Runner& run);  // train, models, promote, rollback, train-child
void register_eval(CLI::App& app, const GlobalOptions& g, Runner& run);  // eval, eval-child
void register_tick(CLI::App& app, const GlobalOptions& g, Runner& run);  // one pass of the loop
void register_schedule(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_daemon(CLI::App& app, const GlobalOptions& g, Runner& run);
void register_report(CLI::App& app, const GlobalOptions& g, Runner& run);

// One tick under the workspace lock, stopped by SIGTERM/SIGINT (a util::CancelOnSignal must be
// alive): `tick` and `daemon` alike.
struct TickHooks {
  std::string lock_name;  // the holder's command, for a second process's message
  bool progress = false;
  std::function<void(const nlohmann::json&)> on_event;
  std::function<void(double grace_s)> on_abandon;  // the batch in flight outlived the grace
  int abandon_exit_code = 0;
};
Result<schedule::TickReport> locked_tick(store::Workspace& ws, const store::Config& cfg, const TickHooks& hooks);

// knowthy itself (/proc/self/exe): the built-in trainer's and evaluator's child processes.
std::filesystem::path self_exe();

// A hidden command by which knowthy re-executes itself, so that llama.cpp runs in a process of
// its own: `name ARG` calls `child(ARG)` and exits with its code (the child printed why).
void register_child(CLI::App& app, Runner& run, const std::string& name, const std::string& arg,
                    std::function<int(const std::string&)> child);

// Opens (creating on first use) the workspace the global options name.
Result<store::Workspace> open_workspace(const GlobalOptions& g);

}  // namespace knowthy::cli
