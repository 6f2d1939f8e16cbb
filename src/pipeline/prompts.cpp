#include "pipeline/prompts.hpp"

#include <system_error>

#include "util/fs.hpp"

namespace knowthy::pipeline {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_default_draft_system =
    R"(You study the tweets of one person, @{{account}}, to learn who they are: what they believe, value,
like and do, what they make and know, who they talk with, and how they write.

Answer with one JSON object and nothing else, matching this JSON schema:
{{schema}}

Rules:
- A knowledge candidate is one sentence about @{{account}} in the third person. Its
  evidence_tweet_ids are the ids (the numbers in brackets) of the tweets that show it; cite only
  ids from the list you are given.
- Claims rest on the person's own words. A reply shows what they said, not what they answer; a
  quoted link is someone else's post.
- confidence (0 to 1) is how sure the cited tweets make you.
- training_examples are questions someone might ask @{{account}}, answered in their voice and
  grounded in the tweets they cite.
- notes_markdown says briefly what this batch shows about the person.
- rubric_scores rate your own answer from 0 to 5: grounding (every claim supported),
  specificity, source_distinction (their words, not others'), coverage (nothing important missed).
)";

constexpr std::string_view k_default_draft_user =
    R"(Here are {{count}} tweets by @{{account}}, oldest first, one per line as [id] date: text.

{{tweets}}

Answer with the JSON object.
)";

constexpr std::string_view k_default_critique_user =
    R"(Now check your answer against the tweets above, claim by claim:
- Remove every claim the tweets do not support.
- Fix evidence_tweet_ids: cite only ids from the list, and only tweets that really show the claim.
- Add what the tweets show and your answer missed.
- Keep claims specific, and score the rubric honestly.
Answer with the corrected JSON object only.
)";

std::string one_line(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) out += (c == '\n' || c == '\r') ? ' ' : c;
  if (out.size() <= max) return out;
  size_t n = max;  // cut before a UTF-8 sequence, never inside one
  while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80) --n;
  out.resize(n);
  return out + "...";
}

}  // namespace

std::string_view default_prompt(std::string_view name) {
  if (name == k_draft_system) return k_default_draft_system;
  if (name == k_draft_user) return k_default_draft_user;
  if (name == k_critique_user) return k_default_critique_user;
  return {};
}

Result<std::vector<std::string>> write_default_prompts(const fs::path& dir) {
  if (auto s = util::make_private_dir(dir); !s) return std::unexpected(s.error());
  std::vector<std::string> written;
  for (std::string_view name : {k_draft_system, k_draft_user, k_critique_user}) {
    std::error_code ec;
    if (fs::exists(dir / name, ec)) continue;
    if (auto s = util::write_file_atomic(dir / name, default_prompt(name)); !s) return std::unexpected(s.error());
    written.emplace_back(name);
  }
  return written;
}

Result<Prompts> load_prompts(const fs::path& dir) {
  Prompts p;
  for (auto [name, out] : {std::pair{k_draft_system, &p.draft_system},
                           {k_draft_user, &p.draft_user},
                           {k_critique_user, &p.critique_user}}) {
    std::error_code ec;
    const fs::path file = dir / name;
    if (!fs::exists(file, ec)) {
      *out = default_prompt(name);
      continue;
    }
    auto text = util::read_file(file);
    if (!text) return std::unexpected(text.error());
    if (text->find_first_not_of(" \t\r\n") == std::string::npos)
      return bad_input(file.string(), "the prompt template is empty",
                       "write a prompt there, or delete the file to use the default");
    if (*text != default_prompt(name)) p.overridden.emplace_back(name);  // init's copies are defaults
    *out = std::move(*text);
  }
  return p;
}

std::string render_template(std::string_view t, const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(t.size() + 4096);
  size_t i = 0;
  while (i < t.size()) {
    const size_t open = t.find("{{", i);
    if (open == std::string_view::npos) break;
    const size_t close = t.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(t.substr(i, open - i));
    auto it = vars.find(std::string(t.substr(open + 2, close - open - 2)));
    if (it != vars.end())
      out += it->second;
    else
      out.append(t.substr(open, close + 2 - open));
    i = close + 2;
  }
  out.append(t.substr(i));
  return out;
}

std::string format_tweets(const std::vector<PromptTweet>& tweets) {
  std::string out;
  for (const PromptTweet& t : tweets) {
    out += '[';
    out += t.id;
    out += "] ";
    out += t.created_at.substr(0, 10);
    if (t.kind == "self_reply" && !t.parent_text.empty()) {
      out += " (replying to their own tweet: \"" + one_line(t.parent_text, 200) + "\")";
    } else if ((t.kind == "reply" || t.kind == "self_reply") && !t.reply_to_screen_name.empty()) {
      out += " (replying to @" + t.reply_to_screen_name + ")";
    } else if (t.kind == "quote" && !t.quoted_url.empty()) {
      out += " (quoting " + t.quoted_url + ")";
    } else if (t.kind == "retweet") {
      out += " (a retweet: someone else's words)";
    }
    out += ": ";
    for (char c : t.text) {
      if (c == '\r') continue;
      out += c;
      if (c == '\n') out += "    ";  // continuation lines stay under their tweet
    }
    out += '\n';
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace knowthy::pipeline
