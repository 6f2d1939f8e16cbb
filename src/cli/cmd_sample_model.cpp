#include <cstdio>

#include "cli/commands.hpp"
#include "sample/model.hpp"

namespace knowthy::cli {

void register_sample_model(CLI::App& app, const GlobalOptions&, Runner& run) {
  auto* cmd = app.add_subcommand(
      "sample-model", "write a tiny random-weight GGUF that exercises the real engine (its answers are nonsense)");
  struct Opts {
    std::string out;
    sample::SampleModelOptions m;
  };
  auto o = std::make_shared<Opts>();
  o->m.n_head_kv = 0;
  cmd->add_option("OUT", o->out, "output .gguf file")->required();
  cmd->add_option("--seed", o->m.seed, "random seed; the same seed gives the same file")->capture_default_str();
  cmd->add_option("--embd", o->m.n_embd, "embedding width")->capture_default_str()->check(CLI::Range(8, 4096));
  cmd->add_option("--layers", o->m.n_layer, "transformer blocks")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--heads", o->m.n_head, "attention heads")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--heads-kv", o->m.n_head_kv, "key/value heads (grouped-query attention); 0: as many as --heads")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  cmd->add_option("--ff", o->m.n_ff, "feed-forward width")->capture_default_str()->check(CLI::Range(8, 16384));
  cmd->callback([&run, o] {
    run = [o]() -> Status {
      if (o->m.n_head_kv == 0) o->m.n_head_kv = o->m.n_head;
      auto n = sample::write_sample_model(o->out, o->m);
      if (!n) return std::unexpected(n.error());
      std::printf("wrote %s (%llu parameters, random weights)\n", o->out.c_str(), (unsigned long long)*n);
      return {};
    };
  });
}

}  // namespace knowthy::cli
