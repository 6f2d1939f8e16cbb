#pragma once
// The `command` trainer's command line: [train] command with its placeholders replaced.
#include <string>
#include <vector>

#include "util/result.hpp"

namespace knowthy::train {

struct Placeholders {
  std::string base_model, dpo_train, dpo_heldout, sft_train, output_dir, manifest;
};

// Replaces {base_model} {dpo_train} {dpo_heldout} {sft_train} {output_dir} {manifest} in every
// argument; any other {name} is bad input (a typo must not reach the trainer). With `shell`, the
// one string is run by /bin/sh -c and the values are shell-quoted.
Result<std::vector<std::string>> expand_command(const std::vector<std::string>& command, bool shell,
                                                const Placeholders& p);

std::string shell_quote(const std::string& s);

}  // namespace knowthy::train
