#include "train/command_trainer.hpp"

#include <fmt/format.h>

namespace knowthy::train {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

bool name_char(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

Result<std::string> expand(const std::string& arg, bool quote, const PlaceholderValues& values,
                           std::string_view setting) {
  std::string out;
  for (size_t i = 0; i < arg.size();) {
    if (arg[i] == '{') {
      size_t j = i + 1;
      while (j < arg.size() && name_char(arg[j])) ++j;
      if (j < arg.size() && arg[j] == '}' && j > i + 1) {
        const std::string_view name(arg.data() + i + 1, j - i - 1);
        const std::string* value = nullptr;
        for (const auto& [n, v] : values)
          if (n == name) value = &v;
        if (!value) {
          std::string known;
          for (const auto& [n, v] : values) known += fmt::format("{}{{{}}}", known.empty() ? "" : " ", n);
          return bad_input(std::string(setting), fmt::format("unknown placeholder {{{}}} in \"{}\"", name, arg),
                           "the placeholders are " + known);
        }
        out += quote ? shell_quote(*value) : *value;
        i = j + 1;
        continue;
      }
    }
    out += arg[i++];
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> expand_placeholders(const std::vector<std::string>& command, bool shell,
                                                     const PlaceholderValues& values, std::string_view setting) {
  if (command.empty() || command[0].empty())
    return bad_input(std::string(setting), "is not set", "set it to an argument vector (README)");
  if (shell) {
    if (command.size() != 1)
      return bad_input(std::string(setting), "with shell = true it must be one string (the shell command)");
    auto line = expand(command[0], true, values, setting);
    if (!line) return std::unexpected(line.error());
    return std::vector<std::string>{"/bin/sh", "-c", *line};
  }
  std::vector<std::string> argv;
  for (const auto& a : command) {
    auto e = expand(a, false, values, setting);
    if (!e) return std::unexpected(e.error());
    argv.push_back(std::move(*e));
  }
  return argv;
}

Result<std::vector<std::string>> expand_command(const std::vector<std::string>& command, bool shell,
                                                const Placeholders& p) {
  return expand_placeholders(command, shell,
                             {{"base_model", p.base_model},
                              {"dpo_train", p.dpo_train},
                              {"dpo_heldout", p.dpo_heldout},
                              {"sft_train", p.sft_train},
                              {"output_dir", p.output_dir},
                              {"manifest", p.manifest}},
                             "train.command");
}

}  // namespace knowthy::train
