#include <cstdio>

#include "cli/commands.hpp"

namespace knowthy::cli {

void register_init(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("init", "create the private workspace (folder, knowthy.toml, database)");
  cmd->callback([&g, &run] {
    run = [&g]() -> Status {
      auto ws = open_workspace(g);
      if (!ws) return std::unexpected(ws.error());
      std::printf("%s workspace %s\n", ws->created() ? "created" : "using existing", ws->dir().c_str());
      return {};
    };
  });
}

}  // namespace knowthy::cli
