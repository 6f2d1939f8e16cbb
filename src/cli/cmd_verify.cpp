// knowthy verify: checks that the database and the batch folders agree (exit 1 when they do not).
#include <cstdio>

#include "cli/commands.hpp"
#include "pipeline/integrity.hpp"
#include "store/lock.hpp"

namespace knowthy::cli {

void register_verify(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("verify", "check that the database and the batch folders agree");
  auto json_out = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_out, "print as JSON");
  cmd->callback([&g, &run, json_out] {
    run = [&g, json_out]() -> Status {
      auto ws = open_workspace(g);
      if (!ws) return std::unexpected(ws.error());
      // Under the lock, so that a batch in flight in another process is not taken for a leftover.
      auto lock = store::WorkspaceLock::acquire(ws->dir(), "verify");
      if (!lock) return std::unexpected(lock.error());
      auto rep = pipeline::check_integrity(*ws);
      if (!rep) return std::unexpected(rep.error());
      if (*json_out) {
        std::printf("%s\n", rep->to_json().dump().c_str());
      } else {
        for (const auto& p : rep->problems) std::printf("problem: %s\n", p.c_str());
        std::printf("%s: %lld batches, %lld tweets in batches\n", rep->problems.empty() ? "consistent" : "INCONSISTENT",
                    static_cast<long long>(rep->batches_checked), static_cast<long long>(rep->tweets_in_batches));
      }
      if (!rep->problems.empty())
        return fail("verify", std::to_string(rep->problems.size()) + " problem(s) found",
                    "`knowthy extract` recovers batches an interrupted run left; report anything else as a bug");
      return {};
    };
  });
}

}  // namespace knowthy::cli
