#pragma once
// The private workspace: one folder (0700) holding the configuration, the database and every
// artifact the loop writes. Files are 0600.
#include <filesystem>
#include <optional>
#include <string>

#include "store/db.hpp"

namespace knowthy::store {

struct WorkspaceOptions {
  std::optional<std::filesystem::path> dir;  // --workspace
  bool allow_in_git = false;                 // --allow-in-git
};

// --workspace, else $KNOWTHY_HOME, else ~/.knowthy.
std::filesystem::path resolve_workspace_dir(const WorkspaceOptions& opt);

// The top of the git work tree containing `dir` (or its nearest existing ancestor), if any.
std::optional<std::filesystem::path> enclosing_git_work_tree(const std::filesystem::path& dir);

class Workspace {
 public:
  // Opens the workspace, creating it (folders, knowthy.toml, database) on first use.
  static Result<Workspace> open(const WorkspaceOptions& opt);

  const std::filesystem::path& dir() const { return m_dir; }
  std::filesystem::path config_path() const { return m_dir / "knowthy.toml"; }
  std::filesystem::path db_path() const { return m_dir / "knowthy.db"; }
  Db& db() { return m_db; }
  bool created() const { return m_created; }  // true when this open() made it

 private:
  std::filesystem::path m_dir;
  Db m_db;
  bool m_created = false;
};

}  // namespace knowthy::store
