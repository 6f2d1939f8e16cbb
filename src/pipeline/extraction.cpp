#include "pipeline/extraction.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "llm/grammar.hpp"
#include "util/text.hpp"

namespace knowthy::pipeline {

using nlohmann::json;

const std::vector<std::string>& categories() {
  static const std::vector<std::string> k{"identity", "belief", "value", "preference", "habit", "relationship",
                                          "project",  "skill",  "event", "style",      "other"};
  return k;
}

const std::vector<std::string>& rubric_keys() {
  static const std::vector<std::string> k{"grounding", "specificity", "source_distinction", "coverage"};
  return k;
}

json NormalizationReport::to_json() const {
  return json{{"hallucinated_ids", hallucinated_ids},     {"hallucinated_count", hallucinated_ids.size()},
              {"dropped_candidates", dropped_candidates}, {"dropped_examples", dropped_examples},
              {"missing_evidence", missing_evidence},     {"changes", changes}};
}

namespace {

// Whether a scan over JSON text is inside a string literal, where braces and digits mean nothing.
struct StringScan {
  bool in_string = false;
  bool escaped = false;
  // Feeds one character; true when it belongs to a string literal (its quotes included).
  bool inside(char c) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      return true;
    }
    return in_string = c == '"';
  }
};

}  // namespace

std::optional<std::pair<size_t, size_t>> find_object_span(std::string_view t, size_t from) {
  const size_t start = t.find('{', from);
  if (start == std::string_view::npos) return std::nullopt;
  int depth = 0;
  StringScan scan;
  for (size_t i = start; i < t.size(); ++i) {
    const char c = t[i];
    if (scan.inside(c)) continue;
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return std::pair{start, i + 1};
    }
  }
  return std::nullopt;  // truncated
}

namespace {

using util::trim;

// Numbers whose exponent no double can hold make the JSON library give up on the whole answer;
// they are rewritten (outside strings) to values it can read, which normalization then clamps.
std::string clamp_huge_numbers(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  StringScan scan;
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (scan.inside(c)) {
      out += c;
      ++i;
      continue;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i + (c == '-');
      size_t int_digits = 0;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j, ++int_digits;
      if (j < s.size() && s[j] == '.')
        for (++j; j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]));) ++j;
      long long exp = 0;
      bool exp_neg = false, has_exp = false;
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        has_exp = true;
        ++j;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) exp_neg = s[j++] == '-';
        for (; j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])); ++j)
          exp = std::min<long long>(exp * 10 + (s[j] - '0'), 1'000'000);
      }
      const long long magnitude = static_cast<long long>(int_digits) + (has_exp ? (exp_neg ? -exp : exp) : 0);
      if (magnitude > 300)
        out += c == '-' ? "-1e300" : "1e300";
      else if (has_exp && exp_neg && exp > 300)
        out += "0";
      else
        out.append(s.substr(i, j - i));
      i = std::max(j, i + 1);
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

// The first `max` characters (code points) of `s`.
std::string cut_chars(std::string s, size_t max) {
  s.resize(util::utf8_offset(s, max));
  return s;
}

size_t char_count(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string shown(const json& v) {
  std::string d = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return d.size() > 60 ? d.substr(0, 57) + "..." : d;
}

// A string field: trimmed and cut to `max` characters; missing or not a string gives "".
std::string text_field(const json& obj, const char* key, int max, const std::string& where, NormalizationReport& rep) {
  auto it = obj.find(key);
  if (it == obj.end()) return {};
  if (!it->is_string()) {
    rep.changes.push_back(fmt::format("{}.{}: {} is not text, dropped", where, key, shown(*it)));
    return {};
  }
  std::string s = trim(it->get<std::string>());
  if (const size_t n = char_count(s); n > static_cast<size_t>(max)) {
    rep.changes.push_back(fmt::format("{}.{}: {} characters cut to {}", where, key, n, max));
    s = trim(cut_chars(std::move(s), static_cast<size_t>(max)));
  }
  return s;
}

std::vector<std::string> evidence(const json& obj, const std::string& where, const std::set<std::string>& batch,
                                  int max, NormalizationReport& rep) {
  std::vector<std::string> ids;
  auto it = obj.find("evidence_tweet_ids");
  if (it == obj.end()) return ids;
  if (!it->is_array()) {
    rep.changes.push_back(fmt::format("{}.evidence_tweet_ids: {} is not a list, dropped", where, shown(*it)));
    return ids;
  }
  for (const auto& v : *it) {
    std::string id;
    if (v.is_number_unsigned()) {
      id = std::to_string(v.get<std::uint64_t>());
    } else if (v.is_string()) {
      id = trim(v.get<std::string>());
      // The prompt shows tweets as "[id] date: text"; models often copy the brackets.
      if (id.size() >= 2 && id.front() == '[' && id.back() == ']') id = trim(id.substr(1, id.size() - 2));
    }
    const bool digits = !id.empty() && id.size() <= 20 &&
                        std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || !batch.contains(id)) {
      const std::string bad = digits ? id : shown(v);
      rep.hallucinated_ids.push_back(bad);
      rep.changes.push_back(fmt::format("{}.evidence_tweet_ids: {} is not a tweet of this batch, dropped", where, bad));
      continue;
    }
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      rep.changes.push_back(fmt::format("{}.evidence_tweet_ids: {} repeated, dropped", where, id));
      continue;
    }
    if (ids.size() >= static_cast<size_t>(max)) {
      rep.changes.push_back(fmt::format("{}.evidence_tweet_ids: {} is past the {} kept, dropped", where, id, max));
      continue;
    }
    ids.push_back(id);
  }
  return ids;
}

// A number clamped to [lo, hi]; a numeric string is read; anything else gives `fallback`.
double number(const json& v, double lo, double hi, double fallback, const std::string& where,
              NormalizationReport& rep) {
  double x = fallback;
  if (v.is_number()) {
    x = v.get<double>();
  } else if (v.is_string()) {
    const std::string s = trim(v.get<std::string>());
    char* end = nullptr;
    x = std::strtod(s.c_str(), &end);
    if (s.empty() || *end) {
      rep.changes.push_back(fmt::format("{}: {} is not a number, {} used", where, shown(v), fallback));
      return fallback;
    }
    rep.changes.push_back(fmt::format("{}: {} read as a number", where, shown(v)));
  } else {
    rep.changes.push_back(fmt::format("{}: {} is not a number, {} used", where, shown(v), fallback));
    return fallback;
  }
  const double c = std::clamp(x, lo, hi);
  if (c != x) rep.changes.push_back(fmt::format("{}: {} clamped to {}", where, x, c));
  return c;
}

}  // namespace

Result<json> first_json_object(std::string_view text) {
  size_t from = 0;
  while (auto span = find_object_span(text, from)) {
    const std::string body = clamp_huge_numbers(text.substr(span->first, span->second - span->first));
    json j = json::parse(body, nullptr, false);
    if (!j.is_discarded() && j.is_object()) return j;
    from = span->second;
  }
  const bool truncated = text.find('{', from) != std::string_view::npos;
  return bad_input("model answer", truncated ? "its JSON object is cut off (not closed)"
                                             : "the answer holds no JSON object that parses");
}

Extraction normalize(const json& a, const std::set<std::string>& batch, NormalizationReport& rep,
                     const AnswerBounds& b) {
  Extraction e;
  if (!a.is_object()) {
    rep.changes.push_back("the answer is not a JSON object");
    return e;
  }
  for (const auto& [k, v] : a.items())
    if (k != "notes_markdown" && k != "knowledge_candidates" && k != "training_examples" && k != "rubric_scores")
      rep.changes.push_back(fmt::format("unknown key \"{}\" ignored", k));
  e.notes_markdown = text_field(a, "notes_markdown", b.notes_max_chars, "answer", rep);
  if (!a.contains("notes_markdown")) rep.changes.push_back("notes_markdown missing");

  if (auto it = a.find("knowledge_candidates"); it != a.end() && !it->is_array()) {
    rep.changes.push_back(fmt::format("knowledge_candidates: {} is not a list, dropped", shown(*it)));
  } else if (it != a.end()) {
    size_t i = 0;
    for (const auto& c : *it) {
      const std::string where = fmt::format("knowledge_candidates[{}]", i++);
      if (e.candidates.size() >= static_cast<size_t>(b.max_claims)) {
        rep.changes.push_back(fmt::format("{}: more than {} candidates, dropped", where, b.max_claims));
        ++rep.dropped_candidates;
        continue;
      }
      if (!c.is_object()) {
        rep.changes.push_back(fmt::format("{}: {} is not an object, dropped", where, shown(c)));
        ++rep.dropped_candidates;
        continue;
      }
      Candidate cand;
      cand.claim = text_field(c, "claim", b.claim_max_chars, where, rep);
      if (cand.claim.empty()) {
        rep.changes.push_back(fmt::format("{}: no claim, dropped", where));
        ++rep.dropped_candidates;
        continue;
      }
      std::string cat =
          c.contains("category") && c["category"].is_string() ? trim(c["category"].get<std::string>()) : "";
      std::string lower = cat;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (std::find(categories().begin(), categories().end(), lower) != categories().end()) {
        cand.category = lower;
      } else {
        cand.category = "other";
        rep.changes.push_back(
            fmt::format("{}.category: {} -> other", where, c.contains("category") ? shown(c["category"]) : "missing"));
      }
      cand.evidence_tweet_ids = evidence(c, where, batch, b.max_evidence, rep);
      if (cand.evidence_tweet_ids.empty()) {
        cand.flags.push_back("missing-evidence");
        ++rep.missing_evidence;
      }
      if (c.contains("confidence")) {
        cand.confidence = number(c["confidence"], 0.0, 1.0, 0.5, where + ".confidence", rep);
      } else {
        rep.changes.push_back(fmt::format("{}.confidence: missing, 0.5 used", where));
      }
      e.candidates.push_back(std::move(cand));
    }
  }

  if (auto it = a.find("training_examples"); it != a.end() && !it->is_array()) {
    rep.changes.push_back(fmt::format("training_examples: {} is not a list, dropped", shown(*it)));
  } else if (it != a.end()) {
    size_t i = 0;
    for (const auto& x : *it) {
      const std::string where = fmt::format("training_examples[{}]", i++);
      if (e.examples.size() >= static_cast<size_t>(b.max_examples) || !x.is_object()) {
        rep.changes.push_back(
            fmt::format("{}: {}, dropped", where, x.is_object() ? "too many examples" : "not an object"));
        ++rep.dropped_examples;
        continue;
      }
      TrainingExample ex;
      ex.prompt = text_field(x, "prompt", b.example_prompt_max_chars, where, rep);
      ex.response = text_field(x, "response", b.example_response_max_chars, where, rep);
      if (ex.prompt.empty() || ex.response.empty()) {
        rep.changes.push_back(fmt::format("{}: empty {}, dropped", where, ex.prompt.empty() ? "prompt" : "response"));
        ++rep.dropped_examples;
        continue;
      }
      ex.evidence_tweet_ids = evidence(x, where, batch, b.max_evidence, rep);
      if (ex.evidence_tweet_ids.empty()) ex.flags.push_back("missing-evidence");
      e.examples.push_back(std::move(ex));
    }
  }

  if (auto it = a.find("rubric_scores"); it != a.end() && it->is_object()) {
    for (const auto& key : rubric_keys()) {
      if (it->contains(key))
        e.rubric_scores[key] = number((*it)[key], 0.0, 5.0, 0.0, "rubric_scores." + key, rep);
      else
        rep.changes.push_back("rubric_scores." + key + ": missing");
    }
    for (const auto& [k, v] : it->items())
      if (std::find(rubric_keys().begin(), rubric_keys().end(), k) == rubric_keys().end())
        rep.changes.push_back(fmt::format("rubric_scores.{}: unknown score ignored", k));
  } else {
    rep.changes.push_back("rubric_scores: missing");
  }
  return e;
}

Result<Extraction> parse_answer(std::string_view text, const std::set<std::string>& batch_ids,
                                NormalizationReport& report, const AnswerBounds& bounds) {
  auto j = first_json_object(text);
  if (!j) return std::unexpected(j.error());
  return normalize(*j, batch_ids, report, bounds);
}

json to_json(const Candidate& c) {
  return json{{"category", c.category},
              {"claim", c.claim},
              {"evidence_tweet_ids", c.evidence_tweet_ids},
              {"confidence", c.confidence},
              {"flags", c.flags}};
}

json to_json(const Extraction& e) {
  json cands = json::array(), exs = json::array();
  for (const auto& c : e.candidates) cands.push_back(to_json(c));
  for (const auto& x : e.examples)
    exs.push_back(json{{"prompt", x.prompt},
                       {"response", x.response},
                       {"evidence_tweet_ids", x.evidence_tweet_ids},
                       {"flags", x.flags}});
  json rubric = json::object();
  for (const auto& [k, v] : e.rubric_scores) rubric[k] = v;
  return json{{"notes_markdown", e.notes_markdown},
              {"knowledge_candidates", cands},
              {"training_examples", exs},
              {"rubric_scores", rubric}};
}

json to_json(const AnswerBounds& b) {
  return json{{"notes_max_chars", b.notes_max_chars},
              {"max_claims", b.max_claims},
              {"claim_max_chars", b.claim_max_chars},
              {"max_evidence", b.max_evidence},
              {"max_examples", b.max_examples},
              {"example_prompt_max_chars", b.example_prompt_max_chars},
              {"example_response_max_chars", b.example_response_max_chars}};
}

std::string answer_schema(const AnswerBounds& b, const std::vector<std::string>& tweet_ids) {
  json id = tweet_ids.empty() ? json{{"type", "string"}, {"pattern", "^[0-9]{1,20}$"}}
                              : json{{"type", "string"}, {"enum", tweet_ids}};
  json ids = {{"type", "array"}, {"items", id}, {"maxItems", b.max_evidence}};
  json confidence = json::array();
  for (int i = 0; i <= 10; ++i) confidence.push_back(i / 10.0);
  json score = {{"type", "integer"}, {"minimum", 0}, {"maximum", 5}};
  auto text = [](int max, int min = 0) {
    json t = {{"type", "string"}, {"maxLength", max}};
    if (min > 0) t["minLength"] = min;
    return t;
  };
  json schema = {
      {"type", "object"},
      {"properties",
       {{"notes_markdown", text(b.notes_max_chars)},
        {"knowledge_candidates",
         {{"type", "array"},
          {"maxItems", b.max_claims},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"category", {{"type", "string"}, {"enum", categories()}}},
              {"claim", text(b.claim_max_chars, 1)},
              {"evidence_tweet_ids", ids},
              {"confidence", {{"enum", confidence}}}}},
            {"required", {"category", "claim", "evidence_tweet_ids", "confidence"}},
            {"additionalProperties", false}}}}},
        {"training_examples",
         {{"type", "array"},
          {"maxItems", b.max_examples},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"prompt", text(b.example_prompt_max_chars, 1)},
              {"response", text(b.example_response_max_chars, 1)},
              {"evidence_tweet_ids", ids}}},
            {"required", {"prompt", "response", "evidence_tweet_ids"}},
            {"additionalProperties", false}}}}},
        {"rubric_scores",
         {{"type", "object"},
          {"properties",
           {{"grounding", score}, {"specificity", score}, {"source_distinction", score}, {"coverage", score}}},
          {"required", rubric_keys()},
          {"additionalProperties", false}}}}},
      {"required", {"notes_markdown", "knowledge_candidates", "training_examples", "rubric_scores"}},
      {"additionalProperties", false}};
  return schema.dump();
}

Result<int> answer_token_bound(const AnswerBounds& b) {
  return llm::schema_max_tokens(answer_schema(b, {std::string(20, '9')}));
}

}  // namespace knowthy::pipeline
