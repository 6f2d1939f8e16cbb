#pragma once
// The extraction prompts: templates compiled in, each overridable by a file in the workspace's
// prompts/ folder (`knowthy init` writes the defaults there for editing), and the batch's tweets
// rendered as `[id] date: text` lines.
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace knowthy::pipeline {

// The template names, which are also the file names under prompts/.
inline constexpr std::string_view k_draft_system = "draft.system.md";
inline constexpr std::string_view k_draft_user = "draft.user.md";
inline constexpr std::string_view k_critique_user = "critique.user.md";

struct Prompts {
  std::string draft_system, draft_user, critique_user;
  std::vector<std::string> overridden;  // which templates came from the workspace
};

// The compiled-in default of one template.
std::string_view default_prompt(std::string_view name);

// Writes the defaults into `dir` (created 0700), leaving files that exist alone (they may be the
// user's edits). Returns the names written.
Result<std::vector<std::string>> write_default_prompts(const std::filesystem::path& dir);

// The templates: each from `dir` when a file is there, else the default. An empty or unreadable
// file is bad input, so a typo never silently sends the model an empty prompt.
Result<Prompts> load_prompts(const std::filesystem::path& dir);

// Replaces every `{{name}}` whose name is in `vars`; others are left as written.
std::string render_template(std::string_view tmpl, const std::map<std::string, std::string>& vars);

// One tweet as the model sees it.
struct PromptTweet {
  std::string id;
  std::string created_at;  // ISO-8601; the date part is shown
  std::string text;
  std::string kind;         // as stored: original, reply, self_reply, quote, retweet
  std::string parent_text;  // the own tweet a self-reply answers, when the archive has it
  std::string reply_to_screen_name;
  std::string quoted_url;  // the status a quote tweet quotes
};

// `[id] YYYY-MM-DD: text` per tweet, with context for replies and quotes; continuation lines of a
// multi-line tweet are indented so every tweet still starts with its id.
std::string format_tweets(const std::vector<PromptTweet>& tweets);

}  // namespace knowthy::pipeline
