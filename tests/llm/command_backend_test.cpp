// The command backend with real scripts: prompt on stdin, answer on stdout, session id by regex.
#include "llm/command_backend.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/support.hpp"

namespace knowthy::llm {
namespace {

class CommandBackendTest : public ::testing::Test {
 protected:
  std::string script(const std::string& name, const std::string& body) {
    auto p = m_dir / name;
    test::write_text(p, "#!/bin/sh\n" + body);
    ::chmod(p.c_str(), 0755);
    return p.string();
  }
  std::unique_ptr<CommandBackend> make(CommandOptions o) {
    auto b = CommandBackend::create(std::move(o), m_runner);
    EXPECT_TRUE(b) << (b ? "" : b.error().why);
    return b ? std::move(*b) : nullptr;
  }
  test::TempDir m_dir;
  SystemProcessRunner m_runner;
};

TEST_F(CommandBackendTest, PromptOnStdinAnswerOnStdoutSessionFromRegex) {
  // The "agent" saves its prompt, answers with the prompt's size, and prints a session line.
  auto agent = script("agent.sh",
                      "cat > \"$0.in\"\necho \"answer: $(wc -c < \"$0.in\" | tr -d ' ') bytes\"\n"
                      "echo 'session id: abc-123'\n");
  auto resume = script("resume.sh", "cat > \"$0.in\"\necho \"resumed $1\"\n");
  CommandOptions o;
  o.command = agent;
  o.resume_command = resume + " {session}";
  o.session_regex = R"(session id: ([a-z0-9-]+))";
  auto b = make(o);
  ChatRequest rq;
  rq.messages = {{"system", "Be brief."}, {"user", "Hello \"there\""}};
  auto c = b->generate(rq);
  ASSERT_TRUE(c) << c.error().why;
  const std::string prompt = "### system:\nBe brief.\n\n### user:\nHello \"there\"\n\n### assistant:\n";
  EXPECT_EQ(test::read_text(agent + ".in"), prompt);
  EXPECT_EQ(c->text, "answer: " + std::to_string(prompt.size()) + " bytes");  // the session line is removed
  EXPECT_EQ(c->session, "abc-123");

  // Continuing the session runs the resume command with only the new message.
  rq.messages.push_back({"assistant", c->text});
  rq.messages.push_back({"user", "Now critique it."});
  rq.session = c->session;
  auto next = b->generate(rq);
  ASSERT_TRUE(next) << next.error().why;
  EXPECT_EQ(next->text, "resumed abc-123");
  EXPECT_EQ(next->session, "abc-123");
  EXPECT_EQ(test::read_text(resume + ".in"), "Now critique it.");
  EXPECT_FALSE(b->score("a", "b"));
}

TEST_F(CommandBackendTest, SchemaIsAskedForInThePrompt) {
  auto agent = script("json.sh", "cat > \"$0.in\"\necho '{\"ok\":true}'\n");
  CommandOptions o;
  o.command = agent;
  auto b = make(o);
  ChatRequest rq;
  rq.messages = {{"user", "hi"}};
  rq.options.json_schema = R"({"type":"object"})";
  auto c = b->generate(rq);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "{\"ok\":true}");
  EXPECT_NE(test::read_text(agent + ".in").find("JSON Schema:\n{\"type\":\"object\"}"), std::string::npos);
  EXPECT_TRUE(c->session.starts_with("command-"));  // no regex: a generated id
}

TEST_F(CommandBackendTest, NonZeroExitIsAnErrorWithTheStderrTail) {
  auto bad = script("bad.sh", "cat >/dev/null\necho 'loading...' >&2\necho 'model not found: foo' >&2\nexit 3\n");
  CommandOptions o;
  o.command = bad;
  auto c = make(o)->generate(ChatRequest{{{"user", "hi"}}, {}, {}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::failed);
  EXPECT_NE(c.error().why.find("exited with code 3"), std::string::npos) << c.error().why;
  EXPECT_NE(c.error().why.find("model not found: foo"), std::string::npos) << c.error().why;
}

TEST_F(CommandBackendTest, TimeoutKillsTheCommandAndItsChildren) {
  auto slow = script("slow.sh", "sleep 30 &\nsleep 30\necho never\n");
  CommandOptions o;
  o.command = slow;
  o.timeout = std::chrono::milliseconds(300);
  const auto t0 = std::chrono::steady_clock::now();
  auto c = make(o)->generate(ChatRequest{{{"user", "hi"}}, {}, {}});
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().why.find("timed out"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(10));  // not the 30 s the script wanted
}

TEST_F(CommandBackendTest, BadConfigurationIsBadInput) {
  CommandOptions o;
  auto none = CommandBackend::create(o, m_runner);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::bad_input);
  o.command = "cat";
  o.session_regex = "([unclosed";
  auto re = CommandBackend::create(o, m_runner);
  ASSERT_FALSE(re);
  EXPECT_EQ(re.error().kind, ErrorKind::bad_input);
}

}  // namespace
}  // namespace knowthy::llm
