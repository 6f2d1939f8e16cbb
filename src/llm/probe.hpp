#pragma once
// A cheap check that the configured backend can answer, for `knowthy health`: it never loads a
// model or generates (that is `knowthy model check`), so it can run on every tick.
#include <string>

#include "store/config.hpp"

namespace knowthy::llm {

struct ProbeResult {
  enum class Level { ok, warn, fail } level = Level::ok;
  std::string reason;
};

// llama: the model file exists and is a GGUF. openai: each endpoint answers /health (llama-server;
// 503 while it loads the model) or /v1/models. command: its program can be found.
ProbeResult probe_backend(const store::Config::Model& m);

}  // namespace knowthy::llm
