// generate_retrying: the one retry policy for callers that make a single request.
#include <gtest/gtest.h>

#include "llm/backend.hpp"

namespace knowthy::llm {
namespace {

class Flaky final : public ModelBackend {
 public:
  std::vector<Result<Completion>> script;  // answers, in order
  int calls = 0;
  BackendInfo info() const override { return {"flaky", "", 0, false, 1}; }
  std::vector<Result<Completion>> generate(std::span<const ChatRequest> rq) override {
    std::vector<Result<Completion>> out;
    for (size_t i = 0; i < rq.size(); ++i) out.push_back(script.at(static_cast<size_t>(calls++)));
    return out;
  }
  using ModelBackend::generate;
  Result<Score> score(std::string_view, std::string_view) override { return fail("score", "no"); }
};

class FakeClock final : public util::Clock {
 public:
  std::vector<long> sleeps;
  time_point now() override { return {}; }
  void sleep_for(std::chrono::milliseconds d) override { sleeps.push_back(static_cast<long>(d.count())); }
};

Result<Completion> busy(int retry_after_ms = 0) {
  auto e = fail("http://127.0.0.1:8080", "answered 503: Loading model");
  e.error().retry_after_ms = retry_after_ms;
  return e;
}

TEST(GenerateRetrying, RetriesWhatARetryCanFixWithBackoffAndRetryAfter) {
  Flaky b;
  Completion ok;
  ok.text = "fine";
  b.script = {busy(), busy(5000), ok};
  FakeClock clock;
  auto c = generate_retrying(b, ChatRequest{}, clock, 4, 100);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "fine");
  EXPECT_EQ(b.calls, 3);
  EXPECT_EQ(clock.sleeps, (std::vector<long>{100, 5000}));  // backoff, then the server's Retry-After
}

TEST(GenerateRetrying, GivesUpAfterTheRetriesAndNeverRetriesARefusal) {
  Flaky b;
  b.script = {busy(), busy(), busy()};
  FakeClock clock;
  auto c = generate_retrying(b, ChatRequest{}, clock, 2, 100);
  ASSERT_FALSE(c);
  EXPECT_EQ(b.calls, 3);
  EXPECT_EQ(clock.sleeps, (std::vector<long>{100, 200}));

  Flaky refused;
  refused.script = {bad_input("http://127.0.0.1:8080", "the server refused the request (400): too long")};
  FakeClock none;
  auto r = generate_retrying(refused, ChatRequest{}, none, 4, 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(refused.calls, 1);
  EXPECT_TRUE(none.sleeps.empty());
}

}  // namespace
}  // namespace knowthy::llm
