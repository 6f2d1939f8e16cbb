// knowthy eval: the verdict on a trained candidate against the active model. knowthy eval-child:
// the scoring child process (not for direct use).
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "eval/eval.hpp"
#include "eval/score.hpp"
#include "store/lock.hpp"

namespace knowthy::cli {
namespace {

std::string metric_line(const nlohmann::ordered_json& m) {
  std::string out;
  if (m.contains("heldout_chosen_logprob")) {
    const auto& c = m["heldout_chosen_logprob"];
    out += fmt::format(
        "    held-out chosen log-likelihood/token  {:.4f} -> {:.4f} (gain {:+.4f}, 95% [{:+.4f}, {:+.4f}])\n",
        c["active"].get<double>(), c["candidate"].get<double>(), c["gain"].get<double>(),
        c["gain_ci95"][0].get<double>(), c["gain_ci95"][1].get<double>());
  }
  if (m.contains("preference_accuracy")) {
    const auto& a = m["preference_accuracy"];
    out += fmt::format(
        "    preference accuracy                   {:.3f} (95% [{:.3f}, {:.3f}]), mean margin {:+.3f} nats\n",
        a["value"].get<double>(), a["ci95"][0].get<double>(), a["ci95"][1].get<double>(),
        m["mean_margin"]["value"].get<double>());
  }
  if (m.contains("regression") && m["regression"].contains("value")) {
    const auto& r = m["regression"];
    out +=
        fmt::format("    held-out tweets log-likelihood/token  {:.4f} -> {:.4f} (regression {:+.2f}%, max {:.2f}%)\n",
                    r["active"].get<double>(), r["candidate"].get<double>(), 100 * r["value"].get<double>(),
                    100 * r["max"].get<double>());
  }
  return out;
}

Status eval_cmd(const GlobalOptions& g, std::optional<std::int64_t> id, bool json_out) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  auto lock = store::WorkspaceLock::acquire(ws->dir(), "eval");
  if (!lock) return std::unexpected(lock.error());
  auto rep = eval::run_eval(*ws, *cfg, {.candidate = id, .self_exe = self_exe(), .progress = !json_out});
  if (!rep) return std::unexpected(rep.error());
  const auto broken = [&]() -> Status {
    if (!rep->broken) return {};
    return fail(rep->candidate->name, "the evaluation failed: " + rep->reasons.front(),
                "the candidate is marked failed; fix the cause and run `knowthy eval --candidate " +
                    std::to_string(rep->candidate->id) + "` again");
  };
  if (json_out) {
    std::printf("%s\n", rep->to_json().dump().c_str());
    return broken();
  }
  if (!rep->evaluated) {
    std::printf("eval: nothing to evaluate: %s\n", rep->nothing_reason.c_str());
    return {};
  }
  const auto& e = rep->result;
  std::printf("%s: %s (against %s, %s evaluation)\n", rep->candidate->name.c_str(), rep->passed ? "passed" : "failed",
              e["active"]["name"].get<std::string>().c_str(), e["evaluator"].get<std::string>().c_str());
  std::printf("%s", metric_line(e["metrics"]).c_str());
  for (const auto& r : rep->reasons) std::printf("    - %s\n", r.c_str());
  std::printf("    %s\n", (rep->dir / "eval.md").c_str());
  if (rep->passed) std::printf("    `knowthy promote` makes it the active model\n");
  return broken();
}

}  // namespace

void register_eval(CLI::App& app, const GlobalOptions& g, Runner& run) {
  struct Opts {
    std::int64_t candidate = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("eval",
                                 "evaluate the candidate awaiting evaluation (or --candidate N) against "
                                 "the active model");
  cmd->add_option("--candidate", o->candidate, "the candidate's number (cand_NNNN)");
  cmd->add_flag("--json", o->json, "print as JSON");
  cmd->callback([&g, &run, o] {
    run = [&g, o] { return eval_cmd(g, o->candidate > 0 ? std::optional(o->candidate) : std::nullopt, o->json); };
  });

  register_child(app, run, "eval-child", "REQUEST", [](const std::string& r) { return eval::run_score_child(r); });
}

}  // namespace knowthy::cli
