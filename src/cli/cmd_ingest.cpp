#include <cstdio>
#include <nlohmann/json.hpp>

#include "archive/importer.hpp"
#include "cli/commands.hpp"
#include "store/config.hpp"
#include "store/lock.hpp"

namespace knowthy::cli {

void register_ingest(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("ingest", "import a Twitter/X archive (the .zip, or its extracted folder)");
  struct Opts {
    std::string path;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("PATH", o->path, "the export zip or folder")->required();
  cmd->add_flag("--json", o->json, "print the result as JSON");
  cmd->callback([&g, &run, o] {
    run = [&g, o]() -> Status {
      const std::string& path = o->path;
      const bool json_out = o->json;
      auto ws = open_workspace(g);
      if (!ws) return std::unexpected(ws.error());
      auto lock = store::WorkspaceLock::acquire(ws->dir(), "ingest");
      if (!lock) return std::unexpected(lock.error());
      auto cfg = store::load_config(ws->config_path());
      if (!cfg) return std::unexpected(cfg.error());
      archive::ImportOptions opt;
      opt.progress = cfg->import.show_progress && !json_out;
      auto rep = archive::import_archive(ws->db(), path, opt);
      if (!rep) return std::unexpected(rep.error());
      for (const auto& f : rep->skipped)
        std::fprintf(stderr, "knowthy: warning: %s: listed in manifest.js but not in the archive; skipped\n",
                     f.c_str());
      if (json_out) {
        nlohmann::json j = {{"account", {{"username", rep->username}, {"account_id", rep->account_id}}},
                            {"tweets_seen", rep->tweets_seen},
                            {"tweets_added", rep->tweets_added},
                            {"deleted_seen", rep->deleted_seen},
                            {"deleted_added", rep->deleted_added},
                            {"notes_seen", rep->notes_seen},
                            {"notes_merged", rep->notes_merged},
                            {"likes_seen", rep->likes_seen},
                            {"likes_added", rep->likes_added},
                            {"bytes", rep->bytes},
                            {"seconds", rep->seconds},
                            {"files", rep->files},
                            {"skipped", rep->skipped}};
        std::printf("%s\n", j.dump().c_str());
      } else {
        std::printf(
            "imported @%s: %llu tweets (%llu new), %llu deleted (%llu new), %llu of %llu note tweets merged, "
            "%llu likes (%llu new) in %.2f s\n",
            rep->username.c_str(), (unsigned long long)rep->tweets_seen, (unsigned long long)rep->tweets_added,
            (unsigned long long)rep->deleted_seen, (unsigned long long)rep->deleted_added,
            (unsigned long long)rep->notes_merged, (unsigned long long)rep->notes_seen,
            (unsigned long long)rep->likes_seen, (unsigned long long)rep->likes_added, rep->seconds);
      }
      return {};
    };
  });
}

}  // namespace knowthy::cli
