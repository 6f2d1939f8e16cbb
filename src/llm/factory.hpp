#pragma once
// Builds the backend that the [model] configuration (after command-line overrides) names.
#include <memory>

#include "llm/backend.hpp"
#include "store/config.hpp"
#include "util/process.hpp"

namespace knowthy::llm {

// `runner` must outlive a command backend. Configuration errors are bad input (exit 2).
Result<std::unique_ptr<ModelBackend>> make_backend(const store::Config::Model& config, ProcessRunner& runner);

}  // namespace knowthy::llm
