#pragma once
#include <string>

namespace knowthy::llm {

// What the linked llama.cpp was built with (CPU features, GPU backends): shown by --version.
std::string llama_build_info();

}  // namespace knowthy::llm
