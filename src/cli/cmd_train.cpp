// knowthy train: the train gate, then the candidate and its trainer. knowthy models: the
// candidates and the active model. knowthy promote / rollback: the active-model pointer. knowthy train-child: the
// built-in trainer's child process (not for direct use).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "eval/eval.hpp"
#include "store/lock.hpp"
#include "train/llama_opt.hpp"
#include "train/promote.hpp"
#include "train/train.hpp"

namespace knowthy::cli {
namespace {

Status train_cmd(const GlobalOptions& g, bool force, bool no_datasets, bool json_out) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  auto lock = store::WorkspaceLock::acquire(ws->dir(), "train");
  if (!lock) return std::unexpected(lock.error());
  auto rep = train::run_train(*ws, *cfg,
                              {.force = force,
                               .rebuild_datasets = !no_datasets,
                               .knowthy_version = KNOWTHY_VERSION,
                               .self_exe = self_exe(),
                               .progress = !json_out});
  if (!rep) return std::unexpected(rep.error());
  const bool failed = rep->candidate && rep->candidate->state == store::CandidateState::train_failed;
  if (json_out) {
    std::printf("%s\n", rep->to_json().dump().c_str());
  } else {
    for (const auto& r : rep->recovered)
      std::printf("%s: train_failed (its trainer died with the knowthy process that ran it)\n", r.c_str());
    if (!rep->opened) {
      std::printf("train: gate closed: %s\n", rep->closed_reason.c_str());
      return {};
    }
    const auto& c = *rep->candidate;
    std::printf("train: gate open%s: %lld new clean pairs (of %d), %lld new batches (of %d)\n",
                rep->forced ? " (forced)" : "", static_cast<long long>(rep->counts.clean_train_pairs), rep->min_pairs,
                static_cast<long long>(rep->counts.done_batches), rep->min_batches);
    switch (c.state) {
      case store::CandidateState::ready:
        std::printf("%s: ready (no trainer configured: [train] trainer = \"none\")\n", c.name.c_str());
        break;
      case store::CandidateState::awaiting_eval:
        std::printf("%s: awaiting_eval: %s %s\n", c.name.c_str(), c.output_kind.value_or("").c_str(),
                    (rep->dir / c.output.value_or("")).c_str());
        if (rep->metrics.is_object() && rep->metrics.contains("train_loss_before"))
          std::printf("    train loss %.4f -> %.4f%s, %.0f tokens/s\n", rep->metrics["train_loss_before"].get<double>(),
                      rep->metrics["train_loss_after"].get<double>(),
                      rep->metrics.contains("heldout_loss_after")
                          ? (", held-out " + std::to_string(rep->metrics["heldout_loss_before"].get<double>()) +
                             " -> " + std::to_string(rep->metrics["heldout_loss_after"].get<double>()))
                                .c_str()
                          : "",
                      rep->metrics.value("tokens_per_second", 0.0));
        break;
      default:
        std::printf("%s: %s: %s\n", c.name.c_str(), std::string(store::to_string(c.state)).c_str(),
                    c.reason.value_or("").c_str());
    }
    std::printf("    %s\n", (rep->dir / "manifest.json").c_str());
  }
  if (failed)
    return fail(rep->candidate->name, "training failed: " + rep->candidate->reason.value_or("?"),
                "its log: " + (rep->dir / "train.log").string());
  return {};
}

Status models_cmd(const GlobalOptions& g, bool json_out) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  auto rows = train::list_candidates_recovered(ws->db(), std::chrono::seconds(cfg->train.stop_grace_s));
  if (!rows) return std::unexpected(rows.error());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : *rows) {
    auto j = train::candidate_json(c);
    j["dir"] = (ws->dir() / "models" / c.name).string();
    j.update(eval::candidate_summary(ws->dir() / "models" / c.name));
    list.push_back(std::move(j));
  }
  auto active = train::active_model(*ws, *cfg);
  if (!active) return std::unexpected(active.error());
  if (json_out) {
    const nlohmann::json j{{"active", active->to_json()}, {"base_model", cfg->model.path}, {"candidates", list}};
    std::printf("%s\n", j.dump().c_str());
    return {};
  }
  std::printf("active    %s (%s%s%s)\n", active->name.c_str(),
              active->path.empty() ? "no [model] path" : active->path.c_str(),
              active->adapter.empty() ? "" : " + adapter ", active->adapter.c_str());
  std::printf("rollback  %s\n", active->rollback_to.empty() ? "nothing to roll back to" : active->rollback_to.c_str());
  if (rows->empty()) std::printf("no candidates yet (`knowthy train`)\n");
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& c = (*rows)[i];
    const auto& j = list[i];
    std::string facts;
    if (j.contains("datasets"))
      facts += fmt::format("pairs {}+{} held out", j["datasets"].value("dpo_train", 0),
                           j["datasets"].value("dpo_heldout", 0));
    if (j.contains("eval") && j["eval"]["metrics"].contains("preference_accuracy")) {
      const auto& m = j["eval"]["metrics"];
      facts += fmt::format(", accuracy {:.2f}", m["preference_accuracy"].value("value", 0.0));
      if (m.contains("regression") && m["regression"].contains("value"))
        facts += fmt::format(", regression {:+.1f}%", 100 * m["regression"].value("value", 0.0));
    }
    std::printf("%s  %-13s %-9s %s  %s\n", c.name.c_str(), std::string(store::to_string(c.state)).c_str(),
                c.trainer.c_str(), c.created_at.c_str(), facts.c_str());
    if (c.reason) std::printf("    %s\n", c.reason->c_str());
  }
  return {};
}

}  // namespace

void register_train(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("train", "open the train gate and, when it opens, make and train a candidate");
  struct Opts {
    bool force = false, no_datasets = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_flag("--force", o->force, "skip the new-data counts (never a candidate awaiting evaluation)");
  cmd->add_flag("--no-datasets", o->no_datasets, "use the datasets as last built instead of rebuilding them");
  cmd->add_flag("--json", o->json, "print as JSON");
  cmd->callback([&g, &run, o] { run = [&g, o] { return train_cmd(g, o->force, o->no_datasets, o->json); }; });

  auto* models = app.add_subcommand("models", "the model candidates and their states");
  auto mj = std::make_shared<bool>(false);
  models->add_flag("--json", *mj, "print as JSON");
  models->callback([&g, &run, mj] { run = [&g, mj] { return models_cmd(g, *mj); }; });

  struct PromoteOpts {
    std::int64_t candidate = 0;
    bool json = false;
  };
  auto po = std::make_shared<PromoteOpts>();
  auto* prom = app.add_subcommand("promote", "make the newest passed candidate (or --candidate N) the active model");
  prom->add_option("--candidate", po->candidate, "the candidate's number (cand_NNNN)");
  prom->add_flag("--json", po->json, "print as JSON");
  auto* roll = app.add_subcommand("rollback", "make the model active before the current one active again");
  auto rj = std::make_shared<bool>(false);
  roll->add_flag("--json", *rj, "print as JSON");
  auto move = [&g](bool is_promote, std::optional<std::int64_t> id, bool json_out) -> Status {
    auto ws = open_workspace(g);
    if (!ws) return std::unexpected(ws.error());
    auto cfg = store::load_config(ws->config_path());
    if (!cfg) return std::unexpected(cfg.error());
    auto lock = store::WorkspaceLock::acquire(ws->dir(), is_promote ? "promote" : "rollback");
    if (!lock) return std::unexpected(lock.error());
    auto r = is_promote ? train::promote(*ws, *cfg, id) : train::rollback(*ws, *cfg);
    if (!r) return std::unexpected(r.error());
    if (json_out) {
      std::printf("%s\n", r->to_json().dump().c_str());
    } else {
      std::printf("%s: %s; active: %s (%s)\n", r->action.c_str(), r->candidate.c_str(), r->active.name.c_str(),
                  (r->active.adapter.empty() ? r->active.path : r->active.path + " + " + r->active.adapter).c_str());
      std::printf("rollback would restore: %s\n",
                  r->active.rollback_to.empty() ? "nothing" : r->active.rollback_to.c_str());
    }
    return {};
  };
  prom->callback([&run, po, move] {
    run = [po, move] { return move(true, po->candidate > 0 ? std::optional(po->candidate) : std::nullopt, po->json); };
  });
  roll->callback([&run, rj, move] { run = [rj, move] { return move(false, std::nullopt, *rj); }; });

  register_child(app, run, "train-child", "DIR",
                 [](const std::string& dir) { return train::run_llama_opt_child(dir); });
}

}  // namespace knowthy::cli
