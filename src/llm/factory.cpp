#include "llm/factory.hpp"

#include <cstdlib>

#include "llm/command_backend.hpp"
#include "llm/llama_backend.hpp"
#include "llm/openai_backend.hpp"

namespace knowthy::llm {

Result<std::unique_ptr<ModelBackend>> make_backend(const store::Config::Model& m, ProcessRunner& runner) {
  if (m.backend == "llama") {
    LlamaOptions o;
    o.model_path = m.path;
    o.adapter = m.adapter;
    o.parallel = m.parallel;
    o.threads = m.threads;
    o.context = m.context;
    o.gpu_layers = m.gpu_layers;
    o.chat_template = m.chat_template;
    auto b = LlamaBackend::load(o);
    if (!b) return std::unexpected(b.error());
    return std::unique_ptr<ModelBackend>(std::move(*b));
  }
  if (m.backend == "openai") {
    OpenAIOptions o;
    o.endpoints = m.endpoints;
    o.allow_remote = m.allow_remote;
    o.model_name = m.model_name;
    if (!m.api_key_env.empty())
      if (const char* key = std::getenv(m.api_key_env.c_str())) o.api_key = key;
    o.connect_timeout_ms = m.connect_timeout_s * 1000;
    o.timeout_ms = m.timeout_s * 1000;
    o.parallel = m.parallel;
    auto b = OpenAIBackend::create(o);
    if (!b) return std::unexpected(b.error());
    return std::unique_ptr<ModelBackend>(std::move(*b));
  }
  if (m.backend == "command") {
    CommandOptions o;
    o.command = m.command;
    o.resume_command = m.resume_command;
    o.session_regex = m.session_regex;
    o.timeout = std::chrono::seconds(m.command_timeout_s);
    auto b = CommandBackend::create(o, runner);
    if (!b) return std::unexpected(b.error());
    return std::unique_ptr<ModelBackend>(std::move(*b));
  }
  return bad_input("model.backend", "unknown backend '" + m.backend + "'", "use llama, openai or command");
}

}  // namespace knowthy::llm
