#pragma once
// Configured command lines with placeholders: the `command` trainer's ([train] command), and the
// promote command's ([promote] command).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace knowthy::train {

struct Placeholders {
  std::string base_model, dpo_train, dpo_heldout, sft_train, output_dir, manifest;
};

// A configured argument vector with its {name} placeholders replaced by `values`; any other
// {name} is bad input naming `setting` (a typo must not reach the program). With `shell`, the one
// string is run by /bin/sh -c and the values are shell-quoted.
using PlaceholderValues = std::vector<std::pair<std::string_view, std::string>>;
Result<std::vector<std::string>> expand_placeholders(const std::vector<std::string>& command, bool shell,
                                                     const PlaceholderValues& values, std::string_view setting);

// [train] command: {base_model} {dpo_train} {dpo_heldout} {sft_train} {output_dir} {manifest}.
Result<std::vector<std::string>> expand_command(const std::vector<std::string>& command, bool shell,
                                                const Placeholders& p);

std::string shell_quote(const std::string& s);

}  // namespace knowthy::train
