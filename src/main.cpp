// knowthy: parses the command line and dispatches to one command (src/cli/cmd_*.cpp).
#include <csignal>
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "llm/engine_info.hpp"

int main(int argc, char** argv) {
  using namespace knowthy;
  // Past a file size limit (ulimit -f) a write fails with EFBIG, which the commands report,
  // instead of the default SIGXFSZ ending the process.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"knowthy: a private, local-first learning loop over your Twitter/X archive", "knowthy"};
  app.set_version_flag("--version",
                       [] { return std::string("knowthy " KNOWTHY_VERSION "\n") + llm::llama_build_info(); });
  app.require_subcommand(1);
  cli::GlobalOptions g;
  app.add_option("--workspace", g.workspace, "workspace folder (default: $KNOWTHY_HOME or ~/.knowthy)");
  app.add_flag("--allow-in-git", g.allow_in_git, "allow a workspace inside a git work tree");
  cli::Runner run;
  cli::register_init(app, g, run);
  cli::register_ingest(app, g, run);
  cli::register_status(app, g, run);
  cli::register_export(app, g, run);
  cli::register_sample_archive(app, g, run);
  cli::register_sample_model(app, g, run);
  cli::register_model(app, g, run);
  cli::register_extract(app, g, run);
  cli::register_verify(app, g, run);
  cli::register_consolidate(app, g, run);
  cli::register_datasets(app, g, run);
  cli::register_health(app, g, run);
  cli::register_insights(app, g, run);
  cli::register_train(app, g, run);
  cli::register_eval(app, g, run);
  cli::register_tick(app, g, run);
  cli::register_schedule(app, g, run);
  cli::register_daemon(app, g, run);
  cli::register_report(app, g, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    Status s = run();
    if (!s) {
      std::fprintf(stderr, "%s\n", format_error(s.error()).c_str());
      return exit_code(s.error());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "knowthy: error: %s\n", e.what());
    return 1;
  }
}
