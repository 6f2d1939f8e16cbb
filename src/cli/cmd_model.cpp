// knowthy model check: the first thing to run after configuring a model. Loads or reaches it,
// runs one short schema-constrained generation, and says whether the answer parsed and how fast.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "llm/factory.hpp"

namespace knowthy::cli {
namespace {

const char* k_check_schema = R"({"type":"object","properties":{
  "greeting":{"type":"string","maxLength":40},
  "number":{"type":"integer","minimum":1,"maximum":10}},
  "required":["greeting","number"],"additionalProperties":false})";

bool answer_matches(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() && j.contains("greeting") && j["greeting"].is_string() && j.contains("number") &&
         j["number"].is_number_integer() && j["number"].get<long long>() >= 1 && j["number"].get<long long>() <= 10;
}

double per_s(int tokens, double ms) { return ms > 0 ? tokens * 1000.0 / ms : 0.0; }

Status check(const GlobalOptions& g, const ModelOverrides& ov, bool json_out) {
  nlohmann::json j{{"backend", nullptr},
                   {"model", nullptr},
                   {"ok", false},
                   {"parsed", false},
                   {"prompt_tokens_per_s", nullptr},
                   {"gen_tokens_per_s", nullptr},
                   {"error", nullptr}};
  auto finish = [&](const Error& e) -> Status {
    j["error"] = e.why.empty() ? e.what : e.what + ": " + e.why;
    if (json_out) std::printf("%s\n", j.dump(2).c_str());
    return std::unexpected(e);
  };
  auto ws = open_workspace(g);
  if (!ws) return finish(ws.error());
  auto cfg = store::load_config(ws->config_path());
  if (!cfg) return finish(cfg.error());
  ov.apply(cfg->model);
  j["backend"] = cfg->model.backend;
  SystemProcessRunner runner;
  auto backend = llm::make_backend(cfg->model, runner);
  if (!backend) return finish(backend.error());
  auto info = (*backend)->info();
  j["model"] = info.model;
  j["context_size"] = info.context_size;
  j["chat_template"] = info.chat_template;
  j["parallel"] = info.parallel;
  if (!json_out) {
    std::printf("backend:       %s\nmodel:         %s\n", info.backend.c_str(), info.model.c_str());
    if (info.context_size) std::printf("context:       %d tokens\n", info.context_size);
    if (info.backend == "llama")
      std::printf("chat template: %s\n", info.chat_template ? "found in the model" : "none in the model (ChatML used)");
    std::fflush(stdout);
  }

  llm::ChatRequest rq;
  rq.messages = {{"system", "You answer in JSON."}, {"user", "Greet me and pick a number from 1 to 10."}};
  rq.options.max_tokens = 96;
  rq.options.json_schema = k_check_schema;
  auto c = (*backend)->generate(rq);
  if (!c) return finish(c.error());
  const bool parsed = answer_matches(c->text);
  j["answer"] = c->text;
  j["session"] = c->session;
  j["parsed"] = parsed;
  j["ok"] = parsed;
  j["prompt_tokens"] = c->prompt_tokens;
  j["completion_tokens"] = c->completion_tokens;
  if (c->prompt_ms > 0) j["prompt_tokens_per_s"] = per_s(c->prompt_tokens_evaluated, c->prompt_ms);
  if (c->generation_ms > 0) j["gen_tokens_per_s"] = per_s(c->completion_tokens, c->generation_ms);
  Error unusable{ErrorKind::failed, "model check",
                 "the model answered, but not with JSON matching the schema: " + c->text.substr(0, 200),
                 "a model this small or a server without response_format support cannot drive the loop"};
  if (!parsed) j["error"] = unusable.why;
  if (json_out) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("answer:        %s\nparsed:        %s\nsession:       %s\n", c->text.c_str(), parsed ? "yes" : "no",
                c->session.c_str());
    if (c->prompt_ms > 0 || c->generation_ms > 0)
      std::printf("speed:         prompt %.0f tokens/s, generation %.0f tokens/s\n",
                  per_s(c->prompt_tokens_evaluated, c->prompt_ms), per_s(c->completion_tokens, c->generation_ms));
    std::printf("%s\n", parsed ? "ok: the model works" : "not usable");
  }
  if (!parsed) return std::unexpected(unusable);
  return {};
}

}  // namespace

void register_model(CLI::App& app, const GlobalOptions& g, Runner& run) {
  auto* cmd = app.add_subcommand("model", "inspect the configured model");
  cmd->require_subcommand(1);
  auto* chk = cmd->add_subcommand("check", "load or reach the model and run one short JSON-constrained generation");
  struct Opts {
    ModelOverrides ov;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  o->ov.add_to(chk);
  chk->add_flag("--json", o->json, "print as JSON");
  chk->callback([&g, &run, o] { run = [&g, o]() -> Status { return check(g, o->ov, o->json); }; });
}

}  // namespace knowthy::cli
