#include "cli/commands.hpp"

namespace knowthy::cli {

store::WorkspaceOptions GlobalOptions::workspace_options() const {
  store::WorkspaceOptions o;
  if (!workspace.empty()) o.dir = workspace;
  o.allow_in_git = allow_in_git;
  return o;
}

Result<store::Workspace> open_workspace(const GlobalOptions& g) {
  return store::Workspace::open(g.workspace_options());
}

}  // namespace knowthy::cli
