#pragma once
// The openai backend: any OpenAI-compatible server (llama-server, Ollama, vLLM, LM Studio).
// Requests go to /v1/chat/completions with response_format json_schema, spread over the
// configured endpoints. Each call asks each endpoint at most once: connection errors, time-outs,
// 429 and 5xx fail over to the next endpoint and then come back as a `failed` error (with the
// server's Retry-After), which the caller may retry; a refused request (other 4xx) is bad input.
// Only loopback hosts are accepted unless remote hosts are explicitly allowed.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "llm/backend.hpp"

namespace httplib {
class Client;
}

namespace knowthy::llm {

struct Endpoint {
  std::string url;  // as configured
  std::string scheme;
  std::string host;  // without brackets for IPv6
  int port = 80;
  std::string base;  // path prefix without a trailing "/v1"
};

// Parses "http[s]://host[:port][/prefix]". Bad input for other schemes or a malformed URL; a
// non-loopback host is refused unless allow_remote.
Result<Endpoint> parse_endpoint(const std::string& url, bool allow_remote);
bool is_loopback_host(const std::string& host);

struct OpenAIOptions {
  std::vector<std::string> endpoints;
  bool allow_remote = false;
  std::string model_name;
  std::string api_key;  // sent as a Bearer token when set
  int connect_timeout_ms = 5000;
  int timeout_ms = 600000;
  int parallel = 2;  // requests in flight per endpoint
};

class OpenAIBackend final : public ModelBackend {
 public:
  static Result<std::unique_ptr<OpenAIBackend>> create(OpenAIOptions options);

  BackendInfo info() const override;
  std::vector<Result<Completion>> generate(std::span<const ChatRequest> requests) override;
  using ModelBackend::generate;
  // Uses llama-server's /tokenize (canonical tokens, as the embedded engine scores them) and
  // /completion with a token-id grammar that forces the completion, reading each forced token's
  // log-probability from n_probs. Other servers cannot score.
  Result<Score> score(std::string_view prompt, std::string_view completion) override;

  // Total HTTP requests made (failovers included), for tests.
  int attempts() const { return m_attempts.load(); }

 private:
  struct Reply {
    int status = 0;
    std::string body;
    std::string where;  // the URL asked
  };
  explicit OpenAIBackend(OpenAIOptions options, std::vector<Endpoint> endpoints);
  Result<Completion> run_one(const ChatRequest& request, size_t first_endpoint);
  // A client for one endpoint: the connect timeout, `timeout_ms` to read and write, the API key.
  std::unique_ptr<httplib::Client> client(const Endpoint& ep, int timeout_ms) const;
  // Whether the endpoints are llama-server (its GET /props), asked once: llama-server then gets a
  // schema as knowthy's own grammar (its `grammar` field), other servers as response_format.
  bool is_llama_server();
  // POSTs to each endpoint at most once until one answers; a 2xx or other 4xx reply, or the error.
  Result<Reply> post(const std::string& path, const std::string& body, size_t first_endpoint);

  OpenAIOptions m_options;
  std::vector<Endpoint> m_endpoints;
  std::atomic<size_t> m_next{0};
  std::atomic<int> m_attempts{0};
  std::mutex m_probe_mutex;
  std::optional<bool> m_llama_server;  // unknown until an endpoint answers
};

}  // namespace knowthy::llm
