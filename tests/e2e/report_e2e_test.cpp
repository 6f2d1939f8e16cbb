// `knowthy report` end to end: a workspace that ran the loop (a scripted model that quotes a tweet
// planted with a <script> into its claims, the command trainer, the built-in evaluator), its report
// parsed with libxml2 and checked number by number against the workspace, then opened in Debian's
// chromium at 1280 and 360 px: no console error, no request, every chart's marks, the claim
// search, the planted script inert, the print style. Screenshots and a PDF go to
// build/test-artifacts/report/.
#include <gtest/gtest.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "store/db.hpp"
#include "support/support.hpp"

namespace knowthy {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const char* k_planted = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";

// Quotes the first tweet of its batch into its claim; the critique says the same in other words.
const char* k_quoting_model = R"(import sys, re, json
text = sys.stdin.read()
tweets = re.findall(r'^\[(\d+)\][^\S\n]*(.*)$', text, re.M)
ids = [t[0] for t in tweets]
critique = text.count('### assistant:') > 1
quote = tweets[0][1][:160] if tweets else "nothing"
drink = "Likes strong coffee in the morning" if critique else "Drinks green tea all day, it seems"
print(json.dumps({"notes_markdown": "Ada writes about " + ("coffee and running" if critique else "tea and walking, maybe"),
  "knowledge_candidates": [{"category": "habit", "claim": "Says: " + quote, "evidence_tweet_ids": ids[:2], "confidence": 0.7},
                           {"category": "preference", "claim": drink, "evidence_tweet_ids": ids[:1], "confidence": 0.6}],
  "training_examples": [{"prompt": "What do you drink?", "response": "Coffee, strong." if critique else "Tea.", "evidence_tweet_ids": ids[:1]}],
  "rubric_scores": {"grounding": 4, "specificity": 3, "source_distinction": 4, "coverage": 3}}))
)";

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct CtxFree {
  void operator()(xmlXPathContext* c) const { xmlXPathFreeContext(c); }
};
struct ObjFree {
  void operator()(xmlXPathObject* o) const { xmlXPathFreeObject(o); }
};

class Html {
 public:
  explicit Html(const std::string& text)
      : m_doc(htmlReadMemory(text.data(), static_cast<int>(text.size()), "report.html", "utf-8",
                             HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET)),
        m_ctx(m_doc ? xmlXPathNewContext(m_doc.get()) : nullptr) {}
  bool ok() const { return m_doc && m_ctx; }
  double number(const std::string& xpath) {
    std::unique_ptr<xmlXPathObject, ObjFree> o(xmlXPathEvalExpression(BAD_CAST xpath.c_str(), m_ctx.get()));
    return o ? xmlXPathCastToNumber(o.get()) : std::nan("");
  }
  std::vector<std::string> strings(const std::string& xpath) {
    std::vector<std::string> out;
    std::unique_ptr<xmlXPathObject, ObjFree> o(xmlXPathEvalExpression(BAD_CAST xpath.c_str(), m_ctx.get()));
    if (!o || !o->nodesetval) return out;
    for (int i = 0; i < o->nodesetval->nodeNr; ++i) {
      xmlChar* s = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
      out.emplace_back(s ? reinterpret_cast<const char*>(s) : "");
      xmlFree(s);
    }
    return out;
  }

 private:
  std::unique_ptr<xmlDoc, DocFree> m_doc;
  std::unique_ptr<xmlXPathContext, CtxFree> m_ctx;
};

class ReportE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ws = m_dir / "ws";
    ASSERT_EQ(test::run_knowthy({"sample-archive", (m_dir / "a.zip").string(), "--tweets", "80"}).exit_code, 0);
    test::write_model(m_dir / "base.gguf");
    test::write_text(m_dir / "model.py", k_quoting_model);
    ASSERT_EQ(kt({"init"}).exit_code, 0);
    test::write_text(m_ws / "knowthy.toml",
                     "[extract]\nbatch_size = 8\nbatches_per_tick = 100\n[datasets]\nheldout_percent = 50\n"
                     "[train]\ntrainer = \"command\"\nmin_new_batches = 1\ncommand = [\"cp\", \"" +
                         (m_dir / "base.gguf").string() +
                         "\", \"{output_dir}/model.gguf\"]\n[eval]\nmin_heldout_pairs = 2\n" +
                         "[model]\nbackend = \"command\"\ncommand = \"python3 '" + (m_dir / "model.py").string() +
                         "'\"\npath = \"" + (m_dir / "base.gguf").string() + "\"\n" + test::threads_setting());
    ASSERT_EQ(kt({"ingest", (m_dir / "a.zip").string()}).exit_code, 0);
    // The planted tweet: the oldest the loop reads (the first of the first batch), which the model
    // quotes into a claim.
    auto db = store::Db::open(m_ws / "knowthy.db");
    auto st = db->prepare(
        "UPDATE tweets SET text = ?1 WHERE id = (SELECT id FROM tweets WHERE kind <> 'retweet' AND deleted = 0 ORDER "
        "BY created_at, id LIMIT 1)");
    st->bind(1, std::string(k_planted));
    ASSERT_TRUE(st->exec());
  }
  test::RunResult kt(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", m_ws.string()});
    return test::run_knowthy(args);
  }
  std::int64_t count(const std::string& sql) {
    auto db = store::Db::open(m_ws / "knowthy.db");
    auto v = db->query_ints(sql);
    return v && !v->empty() ? v->front() : -1;
  }
  test::TempDir m_dir;
  fs::path m_ws;
};

TEST_F(ReportE2E, AnEmptyWorkspaceSaysSoSectionBySectionWithoutEmptyCharts) {
  test::TempDir d;
  auto r = test::run_knowthy({"--workspace", (d / "ws").string(), "report", "--out", (d / "r.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string text = test::read_text(d / "r.html");
  Html h(text);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.number("count(//svg)"), 0);
  EXPECT_GE(h.number("count(//p[@class='none'])"), 6);  // archive, batches, failures, ticks, health, ... each one line
  EXPECT_EQ(h.number("count(//section)"), 6);
}

TEST_F(ReportE2E, EverySectionShowsTheWorkspacesNumbersAndTheBrowserFindsThemToo) {
  auto t = kt({"tick"});
  ASSERT_TRUE(t.exit_code == 0 || t.exit_code == 1) << t.out << t.err;
  ASSERT_EQ(kt({"health"}).exit_code == 2, false);
  auto r = kt({"report", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json rj = json::parse(r.out);
  const fs::path report = rj["path"].get<std::string>();
  EXPECT_EQ(report.parent_path(), m_ws / "reports");
  EXPECT_EQ(fs::status(report).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  const std::string text = test::read_text(report);
  Html h(text);
  ASSERT_TRUE(h.ok());

  // Self-contained: a policy that forbids every other origin, and nothing that loads.
  const auto csp = h.strings("//meta[@http-equiv='Content-Security-Policy']/@content");
  ASSERT_EQ(csp.size(), 1u);
  EXPECT_EQ(csp[0].rfind("default-src 'none'", 0), 0u) << csp[0];
  EXPECT_EQ(h.number("count(//*[@src])"), 0);
  EXPECT_EQ(h.number("count(//link)"), 0);
  EXPECT_EQ(h.number("count(//script)"), 1);  // the page's own, allowed by its hash
  for (const auto& href : h.strings("//a/@href"))
    EXPECT_TRUE(href.rfind("#", 0) == 0 || href.rfind("https://x.com/", 0) == 0) << href;
  // Headings in order.
  EXPECT_EQ(h.number("count(//h1)"), 1);

  // The archive: a bar per month, and the bars add up to the tweets.
  const auto months = count("SELECT COUNT(DISTINCT substr(created_at, 1, 7)) FROM tweets WHERE deleted = 0");
  EXPECT_EQ(h.number("count(//svg[@id='chart-months']//*[local-name()='g' and @class='bar'])"), months);
  EXPECT_EQ(h.number("sum(//svg[@id='chart-months']//*[local-name()='rect']/@data-value)"),
            count("SELECT COUNT(*) FROM tweets WHERE deleted = 0"));
  // The loop: batches done per day add up; the tick is listed.
  EXPECT_EQ(h.number("sum(//svg[@id='chart-batches']//*[local-name()='rect' and @class='s0']/@data-value)"),
            count("SELECT COUNT(*) FROM batches WHERE status = 'done'"));
  EXPECT_EQ(h.number("count(//section[@id='loop']//table[caption[starts-with(., 'The last')]]/tbody/tr)"),
            count("SELECT COUNT(*) FROM runs WHERE command = 'tick'"));
  // The profile: claims per category as profile.json has them, each linking its tweets on x.com.
  const json profile = json::parse(test::read_text(m_ws / "profile" / "profile.json"));
  std::map<std::string, int> per_category;
  for (const auto& e : profile["entries"]) ++per_category[e["category"].get<std::string>()];
  ASSERT_FALSE(per_category.empty());
  for (const auto& [cat, n] : per_category)
    EXPECT_EQ(h.number("count(//div[@data-category='" + cat + "']//li[@class='claim'])"), n) << cat;
  EXPECT_GT(h.number("count(//li[@class='claim']//a[starts-with(@href, 'https://x.com/')])"), 0);
  // The planted script is text, not markup.
  bool planted_as_text = false;
  for (const auto& c : h.strings("//li[@class='claim']"))
    planted_as_text |= c.find("<script>window.__pwned=1</script><img src=x") != std::string::npos;
  EXPECT_TRUE(planted_as_text);
  EXPECT_NE(text.find("&lt;script&gt;window.__pwned=1&lt;/script&gt;"), std::string::npos);
  // No tweet text beyond what the profile cites.
  auto db = store::Db::open(m_ws / "knowthy.db");
  auto st = db->prepare("SELECT text FROM tweets WHERE length(text) >= 30");
  const std::string profile_text = test::read_text(m_ws / "profile" / "profile.json");
  int tweets_checked = 0;
  while (*st->step()) {
    const std::string head = st->column_text(0).substr(0, 30);
    ++tweets_checked;
    if (text.find(head) != std::string::npos) {
      EXPECT_NE(profile_text.find(head), std::string::npos) << "the report shows a tweet the profile does not cite";
    }
  }
  EXPECT_GT(tweets_checked, 20);
  // The models: each candidate's state as `models` says, and the evaluation's metrics.
  const json models = json::parse(kt({"models", "--json"}).out);
  ASSERT_FALSE(models["candidates"].empty()) << models;
  for (const auto& c : models["candidates"]) {
    const std::string row = "//section[@id='models']//tr[td[1]='" + c["name"].get<std::string>() + "']/td[2]";
    const auto state = h.strings(row);
    ASSERT_EQ(state.size(), 1u) << c;
    EXPECT_EQ(state[0], c["state"]) << c;
  }
  const json eval = json::parse(test::read_text(m_ws / "models" / "cand_0001" / "eval.json"));
  ASSERT_TRUE(eval["metrics"].contains("preference_accuracy")) << eval.dump(1);
  const double acc = eval["metrics"]["preference_accuracy"]["value"];
  EXPECT_NEAR(h.number("//*[local-name()='g' and @data-name='preference accuracy']/@data-value"), acc,
              1e-3 * std::max(1.0, std::fabs(acc)));
  const int metrics_drawn = static_cast<int>(h.number("count(//*[local-name()='g' and contains(@class, 'metric')])"));
  EXPECT_GE(metrics_drawn, 3);
  // The latest week: rendered from markdown, its headings below the section's.
  EXPECT_GT(h.number("count(//section[@id='insights']//h3)"), 0);

  // In a real browser.
  const fs::path shots = fs::path(KNOWTHY_BIN).parent_path() / "test-artifacts" / "report";
  const auto node = test::run_command({"node", std::string(KNOWTHY_SOURCE_DIR) + "/tests/browser/report_check.mjs",
                                       report.string(), shots.string(), "pwned"});
  ASSERT_EQ(node.exit_code, 0) << node.out << node.err;
  const json b = json::parse(node.out);
  EXPECT_TRUE(b["console_errors"].empty()) << b["console_errors"];
  EXPECT_TRUE(b["requests"].empty()) << b["requests"];
  for (const char* width : {"1280", "360"}) {
    const json& w = b["widths"][width];
    EXPECT_FALSE(w["pwned"].get<bool>()) << width;
    EXPECT_EQ(w["charts"]["chart-months"]["bars"], months) << width;
    EXPECT_EQ(w["charts"]["chart-eval"]["metrics"], metrics_drawn) << width;
    EXPECT_GT(w["charts"]["chart-datasets"]["points"].get<int>(), 0) << width;
    for (const auto& [id, c] : w["charts"].items()) {
      EXPECT_FALSE(c["title"].get<std::string>().empty()) << id;
      EXPECT_FALSE(c["desc"].get<std::string>().empty()) << id;
    }
    EXPECT_LE(w["scroll_width"].get<int>(), std::stoi(width)) << "the page scrolls sideways at " << width << " px";
    // The search filters: one claim quotes the planted tweet; nothing matches nonsense.
    ASSERT_TRUE(w["search_visible"].get<bool>()) << width;
    EXPECT_EQ(w["search"]["visible"], 1) << w["search"];
    EXPECT_EQ(w["search_none"], 0);
    EXPECT_EQ(w["claims"], profile["entries"].size());
    // Headings never skip a level.
    int prev = 0;
    for (const auto& level : w["headings"]) {
      EXPECT_LE(level.get<int>(), prev + 1) << "a heading skips a level";
      prev = level.get<int>();
    }
  }
  // It prints: no navigation or search on paper, a white page, and a PDF.
  EXPECT_TRUE(b["print"]["nav_hidden"].get<bool>()) << b["print"];
  EXPECT_EQ(b["print"]["background"], "rgb(255, 255, 255)") << b["print"];
  EXPECT_GT(fs::file_size(shots / "report.pdf"), 1000u);
  EXPECT_TRUE(fs::exists(shots / "report-1280.png"));
  EXPECT_TRUE(fs::exists(shots / "report-360.png"));
}

}  // namespace
}  // namespace knowthy
