// knowthy model check: the first thing to run after configuring a model. Loads or reaches it,
// shows what the [extract] bounds take of its context, runs the loop's task on a made-up batch of
// two tweets (its prompts, its per-batch schema, its parser) and says whether the answer is one the
// loop accepts, and how fast.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.hpp"
#include "llm/factory.hpp"
#include "llm/grammar.hpp"
#include "pipeline/batch_runner.hpp"
#include "pipeline/extract.hpp"
#include "pipeline/extraction.hpp"
#include "train/promote.hpp"

namespace knowthy::cli {
namespace {

double per_s(int tokens, double ms) { return ms > 0 ? tokens * 1000.0 / ms : 0.0; }

// A made-up batch of two tweets and small bounds: the loop's own task, schema and parser, kept
// short so that the check is quick on any machine.
std::vector<pipeline::PromptTweet> check_tweets() {
  auto tweet = [](std::string id, std::string at, std::string text) {
    pipeline::PromptTweet t;
    t.id = std::move(id);
    t.created_at = std::move(at);
    t.text = std::move(text);
    t.kind = "original";
    return t;
  };
  return {tweet("1001", "2024-03-02T09:00:00Z", "Baked sourdough again this morning. Third loaf this month!"),
          tweet("1002", "2024-03-09T18:30:00Z", "Trail run in the rain, 12 km. Worth it.")};
}

pipeline::AnswerBounds check_bounds() {
  return {.notes_max_chars = 120,
          .max_claims = 2,
          .claim_max_chars = 80,
          .max_evidence = 2,
          .max_examples = 1,
          .example_prompt_max_chars = 60,
          .example_response_max_chars = 80};
}

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
  auto used = train::use_active_model(*ws, *cfg);
  if (!used) return finish(used.error());
  if (!ov.model.empty()) *used = "--model";
  ov.apply(cfg->model);
  j["model_source"] = *used;
  if (!cfg->model.adapter.empty()) j["adapter"] = cfg->model.adapter;
  auto prompts = pipeline::load_prompts(ws->dir() / "prompts");
  if (!prompts) return finish(prompts.error());
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
    std::printf("backend:       %s\nmodel:         %s (%s)\n", info.backend.c_str(), info.model.c_str(),
                j["model_source"].get<std::string>().c_str());
    if (!cfg->model.adapter.empty()) std::printf("adapter:       %s\n", cfg->model.adapter.c_str());
    if (info.context_size) std::printf("context:       %d tokens\n", info.context_size);
    if (info.backend == "llama")
      std::printf("chat template: %s\n", info.chat_template ? "found in the model" : "none in the model (ChatML used)");
    std::fflush(stdout);
  }
  // The configured bounds against this model's context, as `extract` checks them at start.
  const std::string account = "you";
  auto budget = pipeline::check_budget(**backend, *prompts, account, *cfg);
  if (!budget) return finish(budget.error());
  j["budget"] = {{"max_tokens_per_pass", budget->per_pass},
                 {"answer_worst_case", budget->bound},
                 {"prompt_without_tweets", budget->prompt_overhead},
                 {"critique_message", budget->critique_message}};
  if (!json_out) {
    std::printf("answers:       up to %d tokens per pass (the worst case of the [extract] bounds)\n", budget->per_pass);
    if (budget->context > 0 && budget->prompt_overhead > 0) {
      const long long room = budget->tweets_room();
      std::printf("room:          %lld tokens for the tweets of a batch (%lld per tweet at batch_size %d)\n", room,
                  room / std::max(1, cfg->extract.batch_size), cfg->extract.batch_size);
    }
    std::fflush(stdout);
  }

  // The loop's task on a made-up batch: its prompts, its per-batch schema, its parser.
  const auto tweets = check_tweets();
  const auto bounds = check_bounds();
  std::vector<std::string> ids;
  for (const auto& t : tweets) ids.push_back(t.id);
  const std::string schema = pipeline::answer_schema(bounds, ids);
  auto max_tokens = llm::schema_max_tokens(schema);
  if (!max_tokens) return finish(max_tokens.error());
  llm::ChatRequest rq;
  rq.messages = pipeline::draft_messages(*prompts, account, pipeline::answer_schema(bounds, {}), tweets);
  rq.options.max_tokens = *max_tokens;
  rq.options.json_schema = schema;
  auto c = (*backend)->generate(rq);
  if (!c) return finish(c.error());
  pipeline::NormalizationReport rep;
  auto parsed = pipeline::parse_answer(c->text, std::set<std::string>(ids.begin(), ids.end()), rep, bounds);
  j["answer"] = c->text;
  j["session"] = c->session;
  j["parsed"] = static_cast<bool>(parsed);
  j["ok"] = static_cast<bool>(parsed);
  j["hallucinated_ids"] = rep.hallucinated_ids.size();
  j["prompt_tokens"] = c->prompt_tokens;
  j["completion_tokens"] = c->completion_tokens;
  if (c->prompt_ms > 0) j["prompt_tokens_per_s"] = per_s(c->prompt_tokens_evaluated, c->prompt_ms);
  if (c->generation_ms > 0) j["gen_tokens_per_s"] = per_s(c->completion_tokens, c->generation_ms);
  Error unusable{ErrorKind::failed, "model check",
                 "the model answered, but the loop could not read a JSON answer from it (" +
                     (parsed ? std::string() : parsed.error().why) + "): " + c->text.substr(0, 200),
                 "a model this small or a server without response_format support cannot drive the loop"};
  if (!parsed) j["error"] = unusable.why;
  if (json_out) {
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("answer:        %s\nparsed:        %s\nsession:       %s\n", c->text.c_str(), parsed ? "yes" : "no",
                c->session.c_str());
    if (parsed && !rep.hallucinated_ids.empty())
      std::printf("evidence:      %zu id(s) cited that are not tweets of the batch (dropped)\n",
                  rep.hallucinated_ids.size());
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
