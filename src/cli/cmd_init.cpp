#include <cstdio>

#include "cli/commands.hpp"
#include "pipeline/prompts.hpp"

namespace knowthy::cli {

void register_init(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("init", "create the private workspace (folder, knowthy.toml, database)");
  cmd->callback([&g, &run] {
    run = [&g]() -> Status {
      auto ws = open_workspace(g);
      if (!ws) return std::unexpected(ws.error());
      std::printf("%s workspace %s\n", ws->created() ? "created" : "using existing", ws->dir().c_str());
      // The prompt templates, for editing; files already there are the user's and stay.
      auto written = pipeline::write_default_prompts(ws->dir() / "prompts");
      if (!written) return std::unexpected(written.error());
      for (const auto& f : *written) std::printf("wrote prompts/%s\n", f.c_str());
      return {};
    };
  });
}

}  // namespace knowthy::cli
