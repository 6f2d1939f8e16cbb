// knowthy datasets: rebuilds the DPO and SFT datasets from the batches, keeping weak pairs out.
#include <cstdio>

#include "cli/commands.hpp"
#include "knowledge/datasets.hpp"
#include "store/lock.hpp"

namespace knowthy::cli {
namespace {

Status datasets(const GlobalOptions& g, const std::string& format, bool json_out) {
  auto ws = open_workspace(g);
  if (!ws) return std::unexpected(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return std::unexpected(cfg.error());
  auto lock = store::WorkspaceLock::acquire(ws->dir(), "datasets");
  if (!lock) return std::unexpected(lock.error());
  const auto f = format == "standard" ? knowledge::DpoFormat::standard : knowledge::DpoFormat::conversational;
  auto rep = knowledge::run_datasets(*ws, *cfg, f);
  if (!rep) return std::unexpected(rep.error());
  if (json_out) {
    std::printf("%s\n", rep->to_json().dump().c_str());
    return {};
  }
  std::printf("dpo  %lld train, %lld held out, %lld flagged (of %lld pairs)\n", static_cast<long long>(rep->dpo_train),
              static_cast<long long>(rep->dpo_heldout), static_cast<long long>(rep->dpo_flagged),
              static_cast<long long>(rep->pairs));
  std::printf("sft  %lld train, %lld held out, %lld flagged (of %lld examples)\n",
              static_cast<long long>(rep->sft_train), static_cast<long long>(rep->sft_heldout),
              static_cast<long long>(rep->sft_flagged), static_cast<long long>(rep->examples));
  if (!rep->flags.empty()) {
    std::printf("flags");
    for (const auto& [flag, n] : rep->flags) std::printf("  %s %lld", flag.c_str(), static_cast<long long>(n));
    std::printf("\n");
  }
  std::printf("     %s\n", (ws->dir() / "datasets").c_str());
  return {};
}

}  // namespace

void register_datasets(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("datasets", "rebuild the DPO and SFT datasets, flagging weak pairs");
  auto format = std::make_shared<std::string>("conversational");
  auto json_out = std::make_shared<bool>(false);
  cmd->add_option("--format", *format,
                  "DPO form: conversational (messages, the default) or standard (strings, written as "
                  "dpo.standard.*.jsonl)")
      ->check(CLI::IsMember({"conversational", "standard"}));
  cmd->add_flag("--json", *json_out, "print as JSON");
  cmd->callback(
      [&g, &run, format, json_out] { run = [&g, format, json_out] { return datasets(g, *format, *json_out); }; });
}

}  // namespace knowthy::cli
