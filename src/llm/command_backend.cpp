#include "llm/command_backend.hpp"

#include <chrono>

#include "util/text.hpp"

namespace knowthy::llm {

namespace {

using util::trim;

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string tail(const std::string& s, size_t n) {
  std::string t = trim(s.size() > n ? "..." + s.substr(s.size() - n) : s);
  return t.empty() ? "(no output on stderr)" : t;
}

std::string schema_instruction(const std::string& schema) {
  return "\n\nAnswer with one JSON value only, no other text, matching this JSON Schema:\n" + schema;
}

}  // namespace

CommandBackend::CommandBackend(CommandOptions options, ProcessRunner& runner)
    : m_options(std::move(options)), m_runner(runner) {}

Result<std::unique_ptr<CommandBackend>> CommandBackend::create(CommandOptions options, ProcessRunner& runner) {
  if (options.command.empty())
    return bad_input("model.command", "the command backend needs a command",
                     "set command in the [model] section of knowthy.toml");
  std::unique_ptr<CommandBackend> b(new CommandBackend(std::move(options), runner));
  if (!b->m_options.session_regex.empty()) {
    try {
      b->m_session_re.emplace(b->m_options.session_regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return bad_input("model.session_regex", std::string("not a valid regular expression: ") + e.what());
    }
  }
  return b;
}

BackendInfo CommandBackend::info() const { return BackendInfo{"command", m_options.command, 0, false, 1}; }

Result<Completion> CommandBackend::run_one(const ChatRequest& rq) {
  std::string cmd = m_options.command;
  std::string input;
  const bool resume = !rq.session.empty() && !m_options.resume_command.empty();
  if (resume) {
    // The program keeps the conversation: send what came after the last answer.
    cmd = m_options.resume_command;
    for (size_t p; (p = cmd.find("{session}")) != std::string::npos;) cmd.replace(p, 9, shell_quote(rq.session));
    size_t from = 0;
    for (size_t i = 0; i < rq.messages.size(); ++i)
      if (rq.messages[i].role == "assistant") from = i + 1;
    for (size_t i = from; i < rq.messages.size(); ++i) input += (input.empty() ? "" : "\n\n") + rq.messages[i].content;
  } else {
    input = render_transcript(rq.messages);
  }
  if (!rq.options.json_schema.empty()) input += schema_instruction(rq.options.json_schema);

  const auto t0 = std::chrono::steady_clock::now();
  auto r = m_runner.run(cmd, input, m_options.timeout);
  if (!r) return std::unexpected(r.error());
  if (r->timed_out)
    return fail("model command `" + cmd + "`",
                "timed out after " + std::to_string(m_options.timeout.count() / 1000) + " s and was killed",
                "raise [model] command_timeout_s, or check that the command reads its prompt from stdin");
  if (r->exit_code != 0)
    return fail("model command `" + cmd + "`",
                "exited with code " + std::to_string(r->exit_code) + ": " + tail(r->err, 600));

  Completion c;
  c.generation_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string out = r->out;
  if (m_session_re) {
    std::smatch m;
    if (std::regex_search(out, m, *m_session_re)) {
      c.session = m.size() > 1 && m[1].matched ? m[1].str() : m[0].str();
      out.erase(static_cast<size_t>(m.position(0)), static_cast<size_t>(m.length(0)));  // not part of the answer
    } else if (std::regex_search(r->err, m, *m_session_re)) {
      c.session = m.size() > 1 && m[1].matched ? m[1].str() : m[0].str();
    }
  }
  if (c.session.empty()) c.session = rq.session.empty() ? new_session_id("command") : rq.session;
  c.text = util::valid_utf8(trim(out));
  return c;
}

std::vector<Result<Completion>> CommandBackend::generate(std::span<const ChatRequest> requests) {
  std::vector<Result<Completion>> out;
  out.reserve(requests.size());
  for (const auto& rq : requests) out.push_back(run_one(rq));
  return out;
}

Result<Score> CommandBackend::score(std::string_view, std::string_view) {
  return fail("command backend", "cannot score a continuation (it gives no token probabilities)",
              "evaluation uses the embedded llama backend or an OpenAI-compatible llama-server");
}

}  // namespace knowthy::llm
