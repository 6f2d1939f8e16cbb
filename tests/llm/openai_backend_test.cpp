// The openai backend against a small fake server in the test (faults on demand) and URL rules.
#include "llm/openai_backend.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

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

// An httplib server on a free loopback port, in a thread.
class FakeServer {
 public:
  explicit FakeServer(std::function<void(const httplib::Request&, httplib::Response&)> handler) {
    m_server.Post(".*", std::move(handler));
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    while (!m_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeServer() {
    m_server.stop();
    m_thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

 private:
  httplib::Server m_server;
  int m_port = 0;
  std::thread m_thread;
};

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
  o.backoff_ms = 5;
  o.retries = 3;
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

TEST(OpenAIBackend, RetriesServerErrorsAnd429ThenSucceeds) {
  std::atomic<int> calls{0};
  FakeServer srv([&](const httplib::Request&, httplib::Response& res) {
    int n = calls++;
    if (n == 0) {
      res.status = 500;
      res.set_content(R"({"error":{"message":"boom"}})", "application/json");
    } else if (n == 1) {
      res.status = 429;
      res.set_header("Retry-After", "0");
      res.set_content("slow down", "text/plain");
    } else if (n == 2) {
      res.status = 503;
    } else {
      res.set_content(chat_reply("fine").dump(), "application/json");
    }
  });
  auto b = OpenAIBackend::create(fast({srv.url()}));
  auto c = (*b)->generate(hello());
  ASSERT_TRUE(c) << c.error().why;
  EXPECT_EQ(c->text, "fine");
  EXPECT_EQ(calls.load(), 4);
  EXPECT_EQ((*b)->attempts(), 4);
}

TEST(OpenAIBackend, GivesUpAfterTheRetriesWithTheLastError) {
  std::atomic<int> calls{0};
  FakeServer srv([&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 502;
    res.set_content(R"({"error":{"message":"upstream is down"}})", "application/json");
  });
  auto b = OpenAIBackend::create(fast({srv.url()}));
  auto c = (*b)->generate(hello());
  ASSERT_FALSE(c);
  EXPECT_EQ(calls.load(), 4);  // 1 + 3 retries
  EXPECT_NE(c.error().why.find("502"), std::string::npos) << c.error().why;
  EXPECT_NE(c.error().why.find("upstream is down"), std::string::npos);
}

TEST(OpenAIBackend, ClientErrorsAreNotRetried) {
  std::atomic<int> calls{0};
  FakeServer srv([&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 400;
    res.set_content(R"({"error":{"message":"unknown model"}})", "application/json");
  });
  auto c = (*OpenAIBackend::create(fast({srv.url()})))->generate(hello());
  ASSERT_FALSE(c);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE(c.error().why.find("unknown model"), std::string::npos);
}

TEST(OpenAIBackend, TimeoutsAndClosedConnectionsAreRetried) {
  std::atomic<int> calls{0};
  FakeServer slow([&](const httplib::Request&, httplib::Response& res) {
    if (calls++ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the read timeout
    res.set_content(chat_reply("late but fine").dump(), "application/json");
  });
  auto o = fast({slow.url()});
  o.timeout_ms = 500;
  auto c = (*OpenAIBackend::create(o))->generate(hello());
  ASSERT_TRUE(c) << c.error().why;
  EXPECT_EQ(c->text, "late but fine");
  EXPECT_EQ(calls.load(), 2);

  SlammingServer slam;
  auto d = (*OpenAIBackend::create(fast({slam.url()})))->generate(hello());
  ASSERT_FALSE(d);
  EXPECT_EQ(slam.accepted.load(), 4);
  EXPECT_NE(d.error().why.find("after 4 attempts"), std::string::npos) << d.error().why;
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

  // A dead endpoint: its requests are retried on the live one.
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
