#pragma once
// The critique contract (docs/DESIGN.md): what both passes answer with, how the untrusted model
// output is parsed and normalized, and every change normalization made, for batch.json.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/config.hpp"
#include "util/result.hpp"

namespace knowthy::pipeline {

using store::AnswerBounds;

// The categories a claim can have; anything else becomes "other".
const std::vector<std::string>& categories();
// The rubric's keys, scored 0..5.
const std::vector<std::string>& rubric_keys();

struct Candidate {
  std::string category;
  std::string claim;
  std::vector<std::string> evidence_tweet_ids;
  double confidence = 0.5;
  std::vector<std::string> flags;  // "missing-evidence"
};

struct TrainingExample {
  std::string prompt;
  std::string response;
  std::vector<std::string> evidence_tweet_ids;
  std::vector<std::string> flags;
};

struct Extraction {
  std::string notes_markdown;
  std::vector<Candidate> candidates;
  std::vector<TrainingExample> examples;
  std::map<std::string, double> rubric_scores;  // only the keys the answer gave
};

struct NormalizationReport {
  std::vector<std::string> hallucinated_ids;  // evidence ids that are not tweets of the batch
  std::vector<std::string> changes;           // one line per change, e.g. "candidates[2].confidence: 1.7 -> 1"
  int dropped_candidates = 0;
  int dropped_examples = 0;
  int missing_evidence = 0;  // candidates kept but flagged
  nlohmann::json to_json() const;
};

// The span [begin, end) of the first complete, balanced JSON object starting at or after `from`,
// skipping braces inside strings. It only finds where the object ends; the JSON library parses it.
std::optional<std::pair<size_t, size_t>> find_object_span(std::string_view text, size_t from = 0);

// The first complete JSON object in `text` that parses: markdown fences, preambles, trailing
// chatter and further objects are ignored. Numbers too large for a double are clamped first.
Result<nlohmann::json> first_json_object(std::string_view text);

// Normalizes a parsed answer against the batch's tweet ids and the bounds, recording every change
// in `report`.
Extraction normalize(const nlohmann::json& answer, const std::set<std::string>& batch_ids, NormalizationReport& report,
                     const AnswerBounds& bounds = {});

// first_json_object + normalize. Nothing parseable: bad input ("the answer holds no JSON object").
Result<Extraction> parse_answer(std::string_view text, const std::set<std::string>& batch_ids,
                                NormalizationReport& report, const AnswerBounds& bounds = {});

nlohmann::json to_json(const Candidate& c);
nlohmann::json to_json(const Extraction& e);
nlohmann::json to_json(const AnswerBounds& b);

// The JSON schema both passes are constrained to (grammar / response_format), made per batch:
// evidence ids are an enum of the batch's tweet ids, so a constrained model cannot cite a tweet it
// was not shown; every string, array and number is bounded (confidence is one of 0, 0.1, ... 1).
// With no ids, any id of up to 20 digits (the shape the prompt shows).
std::string answer_schema(const AnswerBounds& bounds, const std::vector<std::string>& tweet_ids);

// The most tokens an answer under the schema of a batch can take (the grammar's worst case, ids
// of 20 digits), so that max_tokens at this figure lets every constrained answer close.
Result<int> answer_token_bound(const AnswerBounds& bounds);

}  // namespace knowthy::pipeline
