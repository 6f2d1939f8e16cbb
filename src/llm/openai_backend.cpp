#include "llm/openai_backend.hpp"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "llm/grammar.hpp"

namespace knowthy::llm {

using nlohmann::json;

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, written as a dotted quad
  unsigned a, b, c, d;
  char extra;
  return std::sscanf(host.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 && a == 127 && b < 256 && c < 256 &&
         d < 256;
}

Result<Endpoint> parse_endpoint(const std::string& url, bool allow_remote) {
  const std::string hint = "write it like http://127.0.0.1:8080";
  Endpoint e;
  e.url = url;
  std::string rest;
  if (url.starts_with("http://")) {
    e.scheme = "http";
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    e.scheme = "https";
    e.port = 443;
    rest = url.substr(8);
  } else {
    return bad_input(url, "not an http:// URL", hint);
  }
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  e.base = slash == std::string::npos ? "" : rest.substr(slash);
  while (e.base.ends_with("/")) e.base.pop_back();
  if (e.base.ends_with("/v1")) e.base.resize(e.base.size() - 3);  // users often paste the /v1 URL
  std::string port;
  if (hostport.starts_with("[")) {
    size_t close = hostport.find(']');
    if (close == std::string::npos) return bad_input(url, "unclosed [ in the host", hint);
    e.host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return bad_input(url, "malformed host", hint);
      port = hostport.substr(close + 2);
    }
  } else {
    size_t colon = hostport.rfind(':');
    e.host = hostport.substr(0, colon);
    if (colon != std::string::npos) port = hostport.substr(colon + 1);
  }
  if (e.host.empty()) return bad_input(url, "no host", hint);
  if (!port.empty()) {
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (*end || p < 1 || p > 65535) return bad_input(url, "bad port '" + port + "'", hint);
    e.port = static_cast<int>(p);
  }
  if (!allow_remote && !is_loopback_host(e.host))
    return bad_input(
        url, "refusing a non-loopback host: your tweets would leave this machine",
        "to send them to " + e.host + " anyway, set allow_remote = true in the [model] section of knowthy.toml");
  return e;
}

OpenAIBackend::OpenAIBackend(OpenAIOptions options, std::vector<Endpoint> endpoints)
    : m_options(std::move(options)), m_endpoints(std::move(endpoints)) {}

Result<std::unique_ptr<OpenAIBackend>> OpenAIBackend::create(OpenAIOptions options) {
  if (options.endpoints.empty()) return bad_input("model.endpoint", "no endpoint is configured");
  std::vector<Endpoint> eps;
  for (const auto& u : options.endpoints) {
    auto e = parse_endpoint(u, options.allow_remote);
    if (!e) return std::unexpected(e.error());
    eps.push_back(*e);
  }
  return std::unique_ptr<OpenAIBackend>(new OpenAIBackend(std::move(options), std::move(eps)));
}

BackendInfo OpenAIBackend::info() const {
  std::string where;
  for (const auto& e : m_endpoints) where += (where.empty() ? "" : ", ") + e.url;
  return BackendInfo{"openai", (m_options.model_name.empty() ? "" : m_options.model_name + " at ") + where, 0, false,
                     m_options.parallel * static_cast<int>(m_endpoints.size())};
}

namespace {

std::string server_error(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
    if (e.is_string()) return e.get<std::string>();
  }
  return body.size() > 300 ? body.substr(0, 300) + "..." : body;
}

// A refused request is bad input: retrying the same request cannot help.
Status client_error(int status, const std::string& where, const std::string& body) {
  return bad_input(where, "the server refused the request (" + std::to_string(status) + "): " + server_error(body),
                   status == 401 || status == 403
                       ? "set the API key in the environment variable named by [model] api_key_env"
                       : "check [model] model_name and that the server supports this endpoint");
}

}  // namespace

Result<OpenAIBackend::Reply> OpenAIBackend::post(const std::string& path, const std::string& body,
                                                 size_t first_endpoint) {
  // Each endpoint is asked at most once: a failing server hands the request to the next one.
  // Waiting and asking again is the caller's (the batch runner's), so there is one retry layer.
  std::string last_error;
  int retry_after_ms = 0;
  for (size_t k = 0; k < m_endpoints.size(); ++k) {
    const Endpoint& ep = m_endpoints[(first_endpoint + k) % m_endpoints.size()];
    ++m_attempts;
    auto res = client(ep, m_options.timeout_ms)->Post(ep.base + path, body, "application/json");
    if (!res) {
      last_error = ep.url + ": request failed (" + httplib::to_string(res.error()) + ")";
    } else if (res->status >= 200 && res->status < 300) {
      return Reply{res->status, res->body, ep.url + ep.base + path};
    } else if (res->status == 408 || res->status == 425 || res->status == 429 || res->status >= 500) {
      last_error = ep.url + " answered " + std::to_string(res->status) + ": " + server_error(res->body);
      if (auto ra = res->get_header_value("Retry-After"); !ra.empty()) {
        char* end = nullptr;
        long secs = std::strtol(ra.c_str(), &end, 10);
        if (!*end && secs >= 0) retry_after_ms = static_cast<int>(std::min<long>(secs, 600) * 1000);
      }
    } else {
      // Other 4xx (408/425/429 aside): the request itself is wrong; no retry can help.
      return Reply{res->status, res->body, ep.url + ep.base + path};
    }
  }
  auto err = fail("model server", last_error, "is the server running? start it, or check [model] endpoint");
  err.error().retry_after_ms = retry_after_ms;
  return err;
}

std::unique_ptr<httplib::Client> OpenAIBackend::client(const Endpoint& ep, int timeout_ms) const {
  const bool v6 = ep.host.find(':') != std::string::npos;
  auto cli = std::make_unique<httplib::Client>(ep.scheme + "://" + (v6 ? "[" + ep.host + "]" : ep.host) + ":" +
                                               std::to_string(ep.port));
  cli->set_connection_timeout(std::chrono::milliseconds(m_options.connect_timeout_ms));
  cli->set_read_timeout(std::chrono::milliseconds(timeout_ms));
  cli->set_write_timeout(std::chrono::milliseconds(timeout_ms));
  if (!m_options.api_key.empty()) cli->set_bearer_token_auth(m_options.api_key);
  return cli;
}

bool OpenAIBackend::is_llama_server() {
  std::lock_guard lock(m_probe_mutex);
  if (m_llama_server) return *m_llama_server;
  for (const Endpoint& ep : m_endpoints) {
    auto res = client(ep, m_options.connect_timeout_ms)->Get(ep.base + "/props");
    if (!res) continue;  // down: ask the next one (or again next time)
    auto j = json::parse(res->body, nullptr, false);
    m_llama_server = res->status == 200 && j.is_object() && j.contains("default_generation_settings");
    return *m_llama_server;
  }
  return false;
}

Result<Completion> OpenAIBackend::run_one(const ChatRequest& rq, size_t first_endpoint) {
  json body;
  body["model"] = m_options.model_name.empty() ? "knowthy" : m_options.model_name;
  body["messages"] = json::array();
  for (const auto& m : rq.messages) body["messages"].push_back({{"role", m.role}, {"content", m.content}});
  body["max_tokens"] = rq.options.max_tokens;
  body["temperature"] = rq.options.temperature;
  body["seed"] = rq.options.seed;
  if (!rq.options.stop.empty()) body["stop"] = rq.options.stop;
  if (!rq.options.grammar.empty()) body["grammar"] = rq.options.grammar;  // llama-server's own field
  if (!rq.options.json_schema.empty() && rq.options.grammar.empty() && is_llama_server()) {
    // llama-server takes knowthy's own grammar for the schema, the one whose worst case the caller
    // sized max_tokens by: its response_format converter allows far more whitespace and escapes.
    auto g = schema_grammar(rq.options.json_schema);
    if (!g) return std::unexpected(g.error());
    body["grammar"] = *g;
  } else if (!rq.options.json_schema.empty() && rq.options.grammar.empty()) {
    auto schema = json::parse(rq.options.json_schema, nullptr, false);
    if (schema.is_discarded()) return bad_input("json schema", "not valid JSON");
    body["response_format"] = {{"type", "json_schema"},
                               {"json_schema", {{"name", "answer"}, {"strict", true}, {"schema", schema}}}};
  }
  auto reply = post("/v1/chat/completions", body.dump(), first_endpoint);
  if (!reply) return std::unexpected(reply.error());
  if (reply->status == 400 && body.contains("response_format") &&
      reply->body.find("Failed to initialize samplers") != std::string::npos) {
    // llama-server cannot prefill some templates' generation prompt into its response_format
    // grammar (see sample/model.cpp). Its own "grammar" field is not prefilled: send the schema
    // as a grammar instead.
    auto g = schema_grammar(rq.options.json_schema);
    if (!g) return std::unexpected(g.error());
    body["grammar"] = *g;
    body.erase("response_format");
    reply = post("/v1/chat/completions", body.dump(), first_endpoint);
    if (!reply) return std::unexpected(reply.error());
  }
  if (reply->status >= 400) return std::unexpected(client_error(reply->status, reply->where, reply->body).error());
  auto j = json::parse(reply->body, nullptr, false);
  const char* what = "model server reply";
  // A reply that is not a chat completion would come again: the request is not retried.
  if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() || j["choices"].empty())
    return bad_input(what, "no choices in the answer: " + reply->body.substr(0, 200));
  const auto& choice = j["choices"][0];
  Completion c;
  if (!choice.contains("message") || !choice["message"].contains("content") ||
      !choice["message"]["content"].is_string())
    return bad_input(what, "the answer has no message content");
  c.text = choice["message"]["content"].get<std::string>();
  if (choice.value("finish_reason", json()).is_string() && choice["finish_reason"] == "length")
    c.finish = FinishReason::length;
  if (j.contains("usage") && j["usage"].is_object()) {
    c.prompt_tokens = j["usage"].value("prompt_tokens", 0);
    c.completion_tokens = j["usage"].value("completion_tokens", 0);
  }
  c.prompt_tokens_evaluated = c.prompt_tokens;
  if (j.contains("timings") && j["timings"].is_object()) {  // llama-server tells what its cache saved
    const auto& t = j["timings"];
    c.prompt_tokens_evaluated = t.value("prompt_n", c.prompt_tokens);
    c.prompt_ms = t.value("prompt_ms", 0.0);
    c.generation_ms = t.value("predicted_ms", 0.0);
  }
  if (!rq.session.empty())
    c.session = rq.session;
  else if (j.contains("id") && j["id"].is_string() && !j["id"].get<std::string>().empty())
    c.session = "openai-" + j["id"].get<std::string>();
  else
    c.session = new_session_id("openai");
  return c;
}

std::vector<Result<Completion>> OpenAIBackend::generate(std::span<const ChatRequest> requests) {
  std::vector<Result<Completion>> out(requests.size(), fail("generate", "not run"));
  const size_t width = std::max<size_t>(1, static_cast<size_t>(m_options.parallel) * m_endpoints.size());
  for (size_t start = 0; start < requests.size(); start += width) {
    const size_t end = std::min(requests.size(), start + width);
    if (end - start == 1) {
      out[start] = run_one(requests[start], m_next++ % m_endpoints.size());
      continue;
    }
    std::vector<std::thread> threads;
    for (size_t i = start; i < end; ++i) {
      size_t ep = m_next++ % m_endpoints.size();
      threads.emplace_back([this, &out, &requests, i, ep] { out[i] = run_one(requests[i], ep); });
    }
    for (auto& t : threads) t.join();
  }
  return out;
}

Result<Score> OpenAIBackend::score(std::string_view prompt, std::string_view completion) {
  const std::string cannot = "evaluation needs the embedded llama backend or llama-server";
  const size_t ep = m_next++ % m_endpoints.size();
  // The canonical tokens, as the embedded engine scores them: the completion's tokens are what
  // follows the prompt's own tokenization.
  // A llama-server endpoint's JSON answer; a server without it cannot score.
  auto call = [&](const char* path, const json& body) -> Result<json> {
    auto reply = post(path, body.dump(), ep);
    if (!reply) return std::unexpected(reply.error());
    if (reply->status == 404)
      return fail("model server", std::string("cannot score: it has no llama-server ") + path + " endpoint", cannot);
    if (reply->status >= 400) return std::unexpected(client_error(reply->status, reply->where, reply->body).error());
    return json::parse(reply->body, nullptr, false);
  };
  auto tokenize = [&](const std::string& content) -> Result<std::vector<long long>> {
    auto j = call("/tokenize", json{{"content", content}, {"add_special", true}, {"parse_special", true}});
    if (!j) return std::unexpected(j.error());
    if (!j->is_object() || !j->contains("tokens") || !(*j)["tokens"].is_array())
      return fail("model server", "cannot score: /tokenize gave no tokens", cannot);
    std::vector<long long> t;
    for (const auto& x : (*j)["tokens"])
      if (x.is_number_integer()) t.push_back(x.get<long long>());
    return t;
  };
  auto ptoks = tokenize(std::string(prompt));
  if (!ptoks) return std::unexpected(ptoks.error());
  auto all = tokenize(std::string(prompt) + std::string(completion));
  if (!all) return std::unexpected(all.error());
  size_t first = 0;
  while (first < ptoks->size() && first < all->size() && (*ptoks)[first] == (*all)[first]) ++first;
  if (first == 0) return bad_input("score", "the prompt is empty");
  Score s;
  if (first == all->size()) return s;
  // The completion is forced token by token with a token-id grammar; n_probs reports each forced
  // token's log-probability under the model (before the grammar).
  std::string grammar = "root ::=";
  for (size_t i = first; i < all->size(); ++i) grammar += " <[" + std::to_string((*all)[i]) + "]>";
  json body;
  body["prompt"] = json(std::vector<long long>(all->begin(), all->begin() + static_cast<std::ptrdiff_t>(first)));
  body["grammar"] = grammar;
  body["n_predict"] = static_cast<int>(all->size() - first);
  body["n_probs"] = 1;
  body["temperature"] = 0;
  body["cache_prompt"] = true;
  auto answer = call("/completion", body);
  if (!answer) return std::unexpected(answer.error());
  const json& j = *answer;
  if (!j.is_object() || !j.contains("completion_probabilities") || !j["completion_probabilities"].is_array())
    return fail("model server", "cannot score: the answer has no token probabilities", cannot);
  size_t i = first;
  for (const auto& t : j["completion_probabilities"]) {
    if (!t.contains("logprob") || !t["logprob"].is_number()) return fail("model server", "a token has no logprob");
    if (i >= all->size() || !t.contains("id") || t["id"] != (*all)[i])
      return fail("model server", "cannot score: the server did not follow the grammar that forces the completion",
                  cannot);
    s.logprob += t["logprob"].get<double>();
    ++s.tokens;
    ++i;
  }
  if (i != all->size())
    return fail("model server", "cannot score: the server stopped before the end of the completion", cannot);
  return s;
}

}  // namespace knowthy::llm
