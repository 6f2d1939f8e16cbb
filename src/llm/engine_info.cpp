#include "llm/engine_info.hpp"

#include <llama.h>

namespace knowthy::llm {

std::string llama_build_info() {
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);  // keep --version quiet
  return std::string("llama.cpp: ") + llama_print_system_info();
}

}  // namespace knowthy::llm
