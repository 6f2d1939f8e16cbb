#include "store/workspace.hpp"

#include <sys/stat.h>

#include <cstdlib>

#include "store/config.hpp"
#include "store/schema.hpp"
#include "util/fs.hpp"

namespace knowthy::store {
namespace fs = std::filesystem;

fs::path resolve_workspace_dir(const WorkspaceOptions& opt) {
  if (opt.dir) return fs::absolute(*opt.dir).lexically_normal();
  if (const char* home = std::getenv("KNOWTHY_HOME"); home && *home) return fs::absolute(home).lexically_normal();
  const char* user_home = std::getenv("HOME");
  return fs::path(user_home && *user_home ? user_home : ".") / ".knowthy";
}

std::optional<fs::path> enclosing_git_work_tree(const fs::path& dir) {
  std::error_code ec;
  for (fs::path p = fs::absolute(dir).lexically_normal();; p = p.parent_path()) {
    if (fs::exists(p / ".git", ec)) return p;
    if (p == p.root_path() || p.empty()) return std::nullopt;
  }
}

Result<Workspace> Workspace::open(const WorkspaceOptions& opt) {
  Workspace ws;
  ws.m_dir = resolve_workspace_dir(opt);
  if (!opt.allow_in_git) {
    if (auto top = enclosing_git_work_tree(ws.m_dir))
      return bad_input(
          "workspace " + ws.m_dir.string(),
          "it is inside the git work tree " + top->string() + ", where archive content could end up committed",
          "choose another folder with --workspace or $KNOWTHY_HOME, or pass --allow-in-git");
  }
  std::error_code ec;
  ws.m_created = !fs::exists(ws.m_dir / "knowthy.db", ec);
  if (fs::exists(ws.m_dir, ec) && !fs::is_directory(ws.m_dir, ec))
    return bad_input("workspace " + ws.m_dir.string(), "exists and is not a folder");
  ::umask(077);  // everything this process writes holds personal data
  if (auto s = util::make_private_dir(ws.m_dir); !s) return std::unexpected(s.error());
  if (!fs::exists(ws.config_path(), ec)) {
    if (auto s = util::write_file_atomic(ws.config_path(), default_config_text()); !s)
      return std::unexpected(s.error());
  }
  auto db = Db::open(ws.db_path());
  if (!db) return std::unexpected(db.error());
  ws.m_db = std::move(*db);
  // Bigger pages hold whole tweet rows (raw JSON is ~1 KB) with less overflow and B-tree overhead;
  // page_size only takes effect on a new database. temp_store=MEMORY keeps statement journals
  // (one per multi-row UPDATE in a transaction) off the disk: they were most of a batch's writes.
  if (auto s = ws.m_db.exec(
          "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
          "PRAGMA temp_store=MEMORY;");
      !s)
    return std::unexpected(s.error());
  if (auto s = migrate(ws.m_db); !s) return std::unexpected(s.error());
  for (const char* f : {"knowthy.db", "knowthy.db-wal", "knowthy.db-shm"}) {
    if (fs::exists(ws.m_dir / f, ec)) ::chmod((ws.m_dir / f).c_str(), 0600);
  }
  return ws;
}

}  // namespace knowthy::store
