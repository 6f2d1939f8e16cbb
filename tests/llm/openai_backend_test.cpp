// The openai backend against a small fake server in the test (faults on demand) and URL rules.
#include "llm/openai_backend.hpp"

#include "llm/grammar.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/support.hpp"

namespace knowthy::llm {
namespace {

using nlohmann::json;

json chat_reply(const std::string& content, const std::string& id = "chatcmpl-1") {
  return json{
      {"id", id},
      {"choices",
       json::array(
           {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}})},
      {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 3}}}};
}

using FakeServer = test::FakeHttpServer;

// Accepts connections and closes them at once, without a reply.
class SlammingServer {
 public:
  SlammingServer() {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    ::listen(m_fd, 16);
    m_thread = std::thread([this] {
      while (!m_stop) {
        int c = ::accept(m_fd, nullptr, nullptr);
        if (c < 0) break;
        ++accepted;
        ::close(c);
      }
    });
  }
  ~SlammingServer() {
    m_stop = true;
    ::shutdown(m_fd, SHUT_RDWR);
    ::close(m_fd);
    m_thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  std::atomic<int> accepted{0};

 private:
  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

OpenAIOptions fast(std::vector<std::string> endpoints) {
  OpenAIOptions o;
  o.endpoints = std::move(endpoints);
  o.connect_timeout_ms = 1000;
  o.timeout_ms = 2000;
  return o;
}

ChatRequest hello() {
  ChatRequest r;
  r.messages = {{"user", "hi"}};
  r.options.json_schema = R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})";
  return r;
}

TEST(OpenAIBackend, SendsTheChatRequestAndReadsTheAnswer) {
  json seen;
  std::string auth;
  FakeServer srv([&](const httplib::Request& rq, httplib::Response& res) {
    seen = json::parse(rq.body);
    seen["path"] = rq.path;
    auth = rq.get_header_value("Authorization");
    res.set_content(chat_reply(R"({"a":1})").dump(), "application/json");
  });
  auto o = fast({srv.url() + "/v1"});  // a pasted /v1 URL works too
  o.model_name = "qwen";
  o.api_key = "sekret";
  auto b = OpenAIBackend::create(o);
  ASSERT_TRUE(b);
  auto c = (*b)->generate(hello());
  ASSERT_TRUE(c) << c.error().why;
  EXPECT_EQ(c->text, R"({"a":1})");
  EXPECT_EQ(c->session, "openai-chatcmpl-1");
  EXPECT_EQ(c->prompt_tokens, 12);
  EXPECT_EQ(c->completion_tokens, 3);
  EXPECT_EQ(seen["path"], "/v1/chat/completions");
  EXPECT_EQ(seen["model"], "qwen");
  EXPECT_EQ(seen["messages"][0]["content"], "hi");
  EXPECT_EQ(seen["response_format"]["type"], "json_schema");
  EXPECT_EQ(seen["response_format"]["json_schema"]["schema"]["required"][0], "a");
  EXPECT_EQ(auth, "Bearer sekret");
}

// The backend asks each endpoint once per call; the batch runner is the one retry layer (see
// batch_runner_test), so a failing call is one request, and its error says whether to retry.
// llama-server (it answers GET /props) gets knowthy's own grammar for a schema, whose worst case
// sized max_tokens; other servers get response_format.
TEST(OpenAIBackend, LlamaServerGetsTheGrammarOtherServersResponseFormat) {
  for (bool llama : {true, false}) {
    json seen;
    FakeServer srv(
        [&](const httplib::Request& rq, httplib::Response& res) {
          seen = json::parse(rq.body);
          res.set_content(chat_reply(R"({"a":1})").dump(), "application/json");
        },
        [&](const httplib::Request& rq, httplib::Response& res) {
          if (llama && rq.path == "/props")
            res.set_content(R"({"default_generation_settings":{"n_ctx":4096},"total_slots":2})", "application/json");
          else
            res.status = 404;
        });
    auto b = OpenAIBackend::create(fast({srv.url()}));
    ASSERT_TRUE(b);
    auto c = (*b)->generate(hello());
    ASSERT_TRUE(c) << c.error().why;
    if (llama) {
      EXPECT_FALSE(seen.contains("response_format"));
      ASSERT_TRUE(seen.contains("grammar"));
      EXPECT_EQ(seen["grammar"], *schema_grammar(hello().options.json_schema));
    } else {
      EXPECT_TRUE(seen.contains("response_format"));
      EXPECT_FALSE(seen.contains("grammar"));
    }
  }
}

TEST(OpenAIBackend, ServerErrorsAnd429AreOneRequestEachAndSayRetry) {
  std::atomic<int> calls{0};
  FakeServer srv([&](const httplib::Request&, httplib::Response& res) {
    int n = calls++;
    if (n == 0) {
      res.status = 500;
      res.set_content(R"({"error":{"message":"boom"}})", "application/json");
    } else if (n == 1) {
      res.status = 429;
      res.set_header("Retry-After", "7");
      res.set_content("slow down", "text/plain");
    } else {
      res.set_content(chat_reply("fine").dump(), "application/json");
    }
  });
  auto b = OpenAIBackend::create(fast({srv.url()}));
  auto first = (*b)->generate(hello());
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, ErrorKind::failed);  // a retry can fix it
  EXPECT_NE(first.error().why.find("500"), std::string::npos) << first.error().why;
  EXPECT_NE(first.error().why.find("boom"), std::string::npos);
  EXPECT_EQ(calls.load(), 1);
  auto second = (*b)->generate(hello());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::failed);
  EXPECT_EQ(second.error().retry_after_ms, 7000);
  auto third = (*b)->generate(hello());
  ASSERT_TRUE(third) << third.error().why;
  EXPECT_EQ(third->text, "fine");
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ((*b)->attempts(), 3);
}

TEST(OpenAIBackend, ClientErrorsAreBadInputWithTheServersMessage) {
  std::atomic<int> calls{0};
  FakeServer srv([&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 400;
    res.set_content(R"({"error":{"message":"the request exceeds the available context size"}})", "application/json");
  });
  auto c = (*OpenAIBackend::create(fast({srv.url()})))->generate(hello());
  ASSERT_FALSE(c);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(c.error().kind, ErrorKind::bad_input);  // no retry can fix it
  EXPECT_NE(c.error().why.find("exceeds the available context size"), std::string::npos) << c.error().why;
  EXPECT_NE(c.error().why.find("400"), std::string::npos);
}

TEST(OpenAIBackend, TimeoutsAndClosedConnectionsAreOneRequestAndSayRetry) {
  std::atomic<int> calls{0};
  FakeServer slow([&](const httplib::Request&, httplib::Response& res) {
    if (calls++ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the read timeout
    res.set_content(chat_reply("late but fine").dump(), "application/json");
  });
  auto o = fast({slow.url()});
  o.timeout_ms = 500;
  auto backend = *OpenAIBackend::create(o);
  auto late = backend->generate(hello());
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, ErrorKind::failed);
  auto c = backend->generate(hello());
  ASSERT_TRUE(c) << c.error().why;
  EXPECT_EQ(c->text, "late but fine");
  EXPECT_EQ(calls.load(), 2);

  SlammingServer slam;
  auto d = (*OpenAIBackend::create(fast({slam.url()})))->generate(hello());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, ErrorKind::failed);
  EXPECT_EQ(slam.accepted.load(), 2);  // the request, and a look at /props (is it llama-server?) before it
}

TEST(OpenAIBackend, SpreadsRequestsOverEndpointsAndFailsOver) {
  std::atomic<int> a_calls{0}, b_calls{0};
  FakeServer a([&](const httplib::Request&, httplib::Response& res) {
    ++a_calls;
    res.set_content(chat_reply("from a").dump(), "application/json");
  });
  FakeServer b([&](const httplib::Request&, httplib::Response& res) {
    ++b_calls;
    res.set_content(chat_reply("from b").dump(), "application/json");
  });
  auto backend = *OpenAIBackend::create(fast({a.url(), b.url()}));
  std::vector<ChatRequest> rq(8, hello());
  auto out = backend->generate(rq);
  for (auto& c : out) ASSERT_TRUE(c) << c.error().why;
  EXPECT_EQ(a_calls.load(), 4);
  EXPECT_EQ(b_calls.load(), 4);

  // A dead endpoint: its requests fail over to the live one within the same call.
  SlammingServer dead;
  auto mixed = *OpenAIBackend::create(fast({dead.url(), a.url()}));
  auto out2 = mixed->generate(std::vector<ChatRequest>(4, hello()));
  for (auto& c : out2) {
    ASSERT_TRUE(c) << c.error().why;
    EXPECT_EQ(c->text, "from a");
  }
}

TEST(OpenAIBackend, RemoteHostsAreRefusedUnlessAllowed) {
  for (std::string url :
       {"http://10.0.0.2:8080", "http://example.com", "http://192.168.1.5:11434/v1", "https://api.openai.com/v1"}) {
    auto e = parse_endpoint(url, false);
    ASSERT_FALSE(e) << url;
    EXPECT_EQ(e.error().kind, ErrorKind::bad_input);
    EXPECT_NE(e.error().why.find("leave this machine"), std::string::npos);
    EXPECT_NE(e.error().hint.find("allow_remote"), std::string::npos);
    EXPECT_TRUE(parse_endpoint(url, true)) << url;
  }
  for (std::string url :
       {"http://127.0.0.1:8080", "http://localhost:11434/v1", "http://[::1]:8080", "http://127.3.4.5"})
    EXPECT_TRUE(parse_endpoint(url, false)) << url;
  auto e = parse_endpoint("http://localhost:11434/v1/", false);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 11434);
  EXPECT_EQ(e->base, "");
  for (std::string url : {"ftp://127.0.0.1", "127.0.0.1:8080", "http://:80", "http://127.0.0.1:99999"})
    EXPECT_FALSE(parse_endpoint(url, false)) << url;
  OpenAIOptions o;
  o.endpoints = {"http://127.0.0.1:8080", "http://10.9.9.9:8080"};  // one bad endpoint refuses the lot
  EXPECT_FALSE(OpenAIBackend::create(o));
}

}  // namespace
}  // namespace knowthy::llm
