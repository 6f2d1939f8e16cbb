#include "knowledge/profile_io.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <unordered_map>

#include "pipeline/extraction.hpp"
#include "util/text.hpp"

namespace knowthy::knowledge {
namespace {

constexpr size_t k_md_evidence = 12;  // links per claim in profile.md; profile.json has them all

std::string conf(double c) { return fmt::format("{:.3f}", c); }

void append_strings(std::string& out, const std::vector<std::string>& v) {
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    util::append_json_string(out, v[i]);
  }
  out += ']';
}

}  // namespace

std::string status_url(const std::string& username, std::uint64_t tweet_id) {
  return fmt::format("https://x.com/{}/status/{}", username.empty() ? "i" : username, tweet_id);
}

// Written by hand, one entry per line: a million entries take a second, and a line-per-entry
// file diffs well with ordinary tools.
std::string profile_json(const Profile& p) {
  std::string out;
  out.reserve(256 * p.entries.size() + 256);
  out += "{\"username\":";
  util::append_json_string(out, p.username);
  out += fmt::format(",\"batches\":{},\"claims\":{},\"entries\":[", p.batches, p.claims);
  for (size_t i = 0; i < p.entries.size(); ++i) {
    const auto& e = p.entries[i];
    out += i ? ",\n" : "\n";
    out += "{\"id\":";
    util::append_json_string(out, e.id);
    out += ",\"category\":";
    util::append_json_string(out, e.category);
    out += ",\"claim\":";
    util::append_json_string(out, e.claim);
    out += fmt::format(",\"support\":{},\"mentions\":{},\"confidence\":{},\"first_seen\":", e.support, e.mentions,
                       conf(e.confidence));
    util::append_json_string(out, e.first_seen);
    out += ",\"last_seen\":";
    util::append_json_string(out, e.last_seen);
    out += ",\"evidence\":[";
    for (size_t k = 0; k < e.evidence.size(); ++k) {
      if (k) out += ',';
      out += fmt::format("{{\"id\":\"{}\",\"date\":", e.evidence[k].id);
      util::append_json_string(out, e.evidence[k].date);
      out += '}';
    }
    out += "],\"wordings\":";
    append_strings(out, e.wordings);
    out += ",\"contradicts\":";
    append_strings(out, e.contradicts);
    out += '}';
  }
  out += "\n]}\n";
  return out;
}

std::string profile_markdown(const Profile& p) {
  std::string out;
  out.reserve(300 * p.entries.size() + 256);
  out += fmt::format("# Profile of @{}\n\n", p.username);
  out += fmt::format(
      "{} claims from {} batches, merged into {} entries. Every claim links the tweets it rests on "
      "(newest first); support is the number of batches that made it, confidence their noisy-OR.\n",
      p.claims, p.batches, p.entries.size());
  std::unordered_map<std::string, const ProfileEntry*> by_id;
  for (const auto& e : p.entries) by_id.emplace(e.id, &e);
  std::string category;
  for (const auto& e : p.entries) {
    if (e.category != category) {
      category = e.category;
      out += fmt::format("\n## {}\n\n", category);
    }
    out += fmt::format("- **{}** (support {}, confidence {}, {} to {})", e.claim, e.support, conf(e.confidence),
                       e.first_seen.substr(0, 10), e.last_seen.substr(0, 10));
    out += "\n  evidence:";
    for (size_t k = 0; k < e.evidence.size() && k < k_md_evidence; ++k)
      out += fmt::format(" [{}]({})", e.evidence[k].date.substr(0, 10), status_url(p.username, e.evidence[k].id));
    if (e.evidence.size() > k_md_evidence)
      out += fmt::format(" and {} more (profile.json)", e.evidence.size() - k_md_evidence);
    out += '\n';
    // A contradiction shows both sides, the one with the newest evidence first: people change.
    for (const auto& other_id : e.contradicts) {
      auto it = by_id.find(other_id);
      if (it == by_id.end()) continue;
      const ProfileEntry& o = *it->second;
      const bool this_newer = e.last_seen >= o.last_seen;
      out += fmt::format("  contradicted by: \"{}\" (last seen {}); the {} evidence is {}\n", o.claim,
                         o.last_seen.substr(0, 10), this_newer ? "newer" : "older",
                         this_newer ? "this entry's" : "the other's");
    }
  }
  return out;
}

Result<Profile> parse_profile(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc))
    return bad_input("profile.json", simdjson::error_message(err), "run `knowthy consolidate` to rewrite it");
  Profile p;
  try {
    p.username = std::string(std::string_view(doc["username"]));
    p.batches = int64_t(doc["batches"]);
    p.claims = int64_t(doc["claims"]);
    for (simdjson::dom::element je : doc["entries"].get_array()) {
      ProfileEntry e;
      e.id = std::string(std::string_view(je["id"]));
      e.category = std::string(std::string_view(je["category"]));
      e.claim = std::string(std::string_view(je["claim"]));
      e.support = static_cast<int>(int64_t(je["support"]));
      e.mentions = static_cast<int>(int64_t(je["mentions"]));
      e.confidence = double(je["confidence"]);
      e.first_seen = std::string(std::string_view(je["first_seen"]));
      e.last_seen = std::string(std::string_view(je["last_seen"]));
      for (simdjson::dom::element ev : je["evidence"].get_array()) {
        auto id = util::parse_u64(std::string_view(ev["id"]));
        e.evidence.push_back({id.value_or(0), std::string(std::string_view(ev["date"]))});
      }
      for (simdjson::dom::element w : je["wordings"].get_array()) e.wordings.emplace_back(std::string_view(w));
      for (simdjson::dom::element c : je["contradicts"].get_array()) e.contradicts.emplace_back(std::string_view(c));
      p.entries.push_back(std::move(e));
    }
  } catch (const simdjson::simdjson_error& e) {  // the DOM accessors report a wrong shape by exception
    return bad_input("profile.json", std::string("unexpected shape: ") + e.what(),
                     "run `knowthy consolidate` to rewrite it");
  }
  return p;
}

ProfileDiff diff_profiles(const Profile& before, const Profile& after) {
  ProfileDiff d;
  std::unordered_map<std::string_view, const ProfileEntry*> old_by_id;
  for (const auto& e : before.entries) old_by_id.emplace(e.id, &e);
  std::unordered_map<std::string_view, bool> seen;
  for (const auto& e : after.entries) {
    auto it = old_by_id.find(e.id);
    if (it == old_by_id.end()) {
      d.added.push_back(e);
      continue;
    }
    seen[e.id] = true;
    const ProfileEntry& o = *it->second;
    EntryChange c{e.id, e.category, e.claim, {}};
    if (o.claim != e.claim) c.what.push_back("wording was \"" + o.claim + "\"");
    if (o.support != e.support) c.what.push_back(fmt::format("support {} -> {}", o.support, e.support));
    if (conf(o.confidence) != conf(e.confidence))
      c.what.push_back(fmt::format("confidence {} -> {}", conf(o.confidence), conf(e.confidence)));
    const bool same_evidence = std::equal(o.evidence.begin(), o.evidence.end(), e.evidence.begin(), e.evidence.end(),
                                          [](const EvidenceRef& a, const EvidenceRef& b) { return a.id == b.id; });
    if (!same_evidence) c.what.push_back(fmt::format("evidence {} -> {} tweets", o.evidence.size(), e.evidence.size()));
    if (o.contradicts != e.contradicts)
      c.what.push_back(fmt::format("contradictions {} -> {}", o.contradicts.size(), e.contradicts.size()));
    if (!c.what.empty()) d.changed.push_back(std::move(c));
  }
  for (const auto& e : before.entries)
    if (!seen.contains(e.id)) d.dropped.push_back(e);
  return d;
}

}  // namespace knowthy::knowledge
