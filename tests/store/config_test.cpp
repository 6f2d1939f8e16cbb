// knowthy.toml: one table of keys parses the file, checks ranges and writes the defaults.
#include "store/config.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>

#include "support/support.hpp"

namespace knowthy::store {
namespace {

// Every value of `c`, by "section.key", as text (for comparing two configurations key by key).
std::map<std::string, std::string> values(Config c) {
  std::map<std::string, std::string> out;
  for (const auto& k : config_keys()) {
    std::ostringstream v;
    std::visit(
        [&](auto get) {
          const auto& x = get(c);
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::vector<std::string>>)
            for (const auto& e : x) v << e << ';';
          else
            v << x;
        },
        k.value);
    out[std::string(k.section) + "." + std::string(k.key)] = v.str();
  }
  return out;
}

Result<Config> parse(const std::string& text) {
  static test::TempDir dir;
  test::write_text(dir / "k.toml", text);
  return load_config(dir / "k.toml");
}

TEST(Config, TheDefaultFileWithEveryKeyUncommentedParsesToTheDefaults) {
  // "# key = value  (lo to hi)" -> "key = value": the file must then set every key to its default.
  static const std::regex k_setting(R"(^# ([a-z_]+) = (.*?)(  \(.*\))?$)");
  std::istringstream in(default_config_text());
  std::string line, text;
  std::map<std::string, int> seen;
  std::string section;
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.starts_with("[")) section = line.substr(1, line.size() - 2);
    if (std::regex_match(line, m, k_setting)) {
      const std::string key = m[1].str(), value = m[2].str();
      line = key + " = " + value;
      ++seen[section + "." + key];
    }
    text += line + "\n";
  }
  EXPECT_EQ(seen.size(), config_keys().size()) << text;
  for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << k;
  auto c = parse(text);
  ASSERT_TRUE(c) << c.error().what << ": " << c.error().why;
  EXPECT_EQ(values(*c), values(Config{}));
  // Every key of the table is in the file, under its section.
  for (const auto& k : config_keys())
    EXPECT_TRUE(seen.contains(std::string(k.section) + "." + std::string(k.key))) << k.key;
}

TEST(Config, EveryNumberOutsideItsRangeIsAnErrorNamingTheKeyAndLine) {
  int numbers = 0;
  for (const auto& k : config_keys()) {
    const bool is_int = std::holds_alternative<int& (*)(Config&)>(k.value);
    const bool is_real = std::holds_alternative<double& (*)(Config&)>(k.value);
    if (!is_int && !is_real) continue;
    ++numbers;
    for (double bad : {k.lo - 1, k.hi + 1}) {
      const std::string v = is_int ? std::to_string(static_cast<long long>(bad)) : std::to_string(bad);
      auto c = parse(fmt::format("[{}]\n{} = {}\n", k.section, k.key, v));
      ASSERT_FALSE(c) << k.key << " = " << v;
      EXPECT_EQ(c.error().kind, ErrorKind::bad_input);
      EXPECT_NE(c.error().what.find("k.toml:2"), std::string::npos) << c.error().what;
      EXPECT_NE(c.error().why.find(fmt::format("{}.{} = ", k.section, k.key)), std::string::npos) << c.error().why;
      EXPECT_NE(c.error().why.find("out of range"), std::string::npos) << c.error().why;
    }
    // Both ends are allowed.
    for (double ok : {k.lo, k.hi}) {
      const std::string v = is_int ? std::to_string(static_cast<long long>(ok)) : std::to_string(ok);
      auto c = parse(fmt::format("[{}]\n{} = {}\n", k.section, k.key, v));
      // A value can be in range and still conflict with a related default (warn above fail, a
      // batch that does not divide the context).
      if (!c) {
        const bool conflict = c.error().why.find("must not be above") != std::string::npos ||
                              c.error().why.find("must divide") != std::string::npos;
        EXPECT_TRUE(conflict) << k.key << ": " << c.error().why;
      }
    }
  }
  EXPECT_GT(numbers, 30);
}

TEST(Config, UnknownKeysAndSectionsAreErrorsNamingTheNearestKnownOne) {
  auto typo = parse("[extract]\nbatch_size = 10\nbatch_sise = 20\n");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().kind, ErrorKind::bad_input);
  EXPECT_NE(typo.error().what.find("k.toml:3"), std::string::npos) << typo.error().what;
  EXPECT_EQ(typo.error().why, "unknown key batch_sise in [extract]");
  EXPECT_TRUE(typo.error().hint.starts_with("did you mean batch_size?")) << typo.error().hint;

  auto section = parse("[extrakt]\nbatch_size = 10\n");
  ASSERT_FALSE(section);
  EXPECT_EQ(section.error().why, "unknown section [extrakt]");
  EXPECT_TRUE(section.error().hint.starts_with("did you mean [extract]?")) << section.error().hint;

  auto misplaced = parse("[model]\nbatch_size = 10\n");
  ASSERT_FALSE(misplaced);
  EXPECT_EQ(misplaced.error().hint, "batch_size belongs under [extract]");

  auto top = parse("context = 4096\n");
  ASSERT_FALSE(top);
  EXPECT_NE(top.error().why.find("outside any [section]"), std::string::npos);
  EXPECT_EQ(top.error().hint, "it belongs under [train], [eval] or [model]");

  auto nested = parse("[model.extra]\nx = 1\n");
  ASSERT_FALSE(nested);
  EXPECT_NE(nested.error().why.find("unknown key extra in [model]"), std::string::npos) << nested.error().why;
}

TEST(Config, ChoicesTypesAndRelatedKeysAreChecked) {
  auto backend = parse("[model]\nbackend = \"lama\"\n");
  ASSERT_FALSE(backend);
  EXPECT_NE(backend.error().why.find("model.backend = \"lama\" is not one of \"llama\", \"openai\", \"command\""),
            std::string::npos)
      << backend.error().why;
  auto type = parse("[extract]\ninclude_retweets = 1\n");
  ASSERT_FALSE(type);
  EXPECT_NE(type.error().why.find("extract.include_retweets must be true or false"), std::string::npos);
  auto pair = parse("[health]\nfailure_warn = 0.6\n");  // above failure_fail = 0.5
  ASSERT_FALSE(pair);
  EXPECT_NE(pair.error().why.find("health.failure_warn (0.6) must not be above health.failure_fail (0.5)"),
            std::string::npos)
      << pair.error().why;
  auto real = parse("[consolidate]\nsimilarity = 1\n[datasets]\nlength_ratio_max = 3\n");  // integers for reals
  ASSERT_TRUE(real) << real.error().why;
  EXPECT_EQ(real->consolidate.similarity, 1.0);
  EXPECT_EQ(real->datasets.length_ratio_max, 3.0);
  auto bounds = parse("[extract]\nmax_claims = 3\nclaim_max_chars = 2000\n");
  ASSERT_TRUE(bounds);
  EXPECT_EQ(bounds->extract.bounds.max_claims, 3);
  EXPECT_EQ(bounds->extract.bounds.claim_max_chars, 2000);
  EXPECT_FALSE(parse("[extract]\nclaim_max_chars = 2001\n"));  // llama.cpp's grammar repeats at most 2000 times
}

}  // namespace
}  // namespace knowthy::store
