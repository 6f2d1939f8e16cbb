// Bad archives get a clear error naming the file, exit 2, and leave the database as it was.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "support/support.hpp"

namespace knowthy::test {
namespace {
namespace fs = std::filesystem;

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    // A workspace that already holds an import, so "unchanged" means something.
    good = dir / "good";
    auto r =
        run_knowthy({"sample-archive", good.string(), "--tweets", "300", "--media-fraction", "0", "--format", "dir"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ws = dir / "ws";
    ASSERT_EQ(run_knowthy({"--workspace", ws.string(), "ingest", good.string()}).exit_code, 0);
    // The snapshot covers what every table the import writes shows through the CLI.
    snapshot_before = snapshot();
  }

  std::string snapshot() {
    auto st = run_knowthy({"--workspace", ws.string(), "status", "--json"});
    auto ex = run_knowthy({"--workspace", ws.string(), "export", "tweets", "--include-deleted"});
    return st.out + ex.out;
  }

  // Copies the good archive, lets `damage` change it, imports it: must fail with exit 2,
  // a message containing `expect`, and no change to the database.
  void expect_refused(const std::function<fs::path(const fs::path&)>& damage, const std::string& expect) {
    fs::path copy = dir / ("bad" + std::to_string(++n));
    fs::copy(good, copy, fs::copy_options::recursive);
    fs::path target = damage(copy);
    auto r = run_knowthy({"--workspace", ws.string(), "ingest", target.string()});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("knowthy: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << "message: " << r.err;
    EXPECT_EQ(snapshot(), snapshot_before);
  }

  static void edit(const fs::path& file, const std::string& from, const std::string& to) {
    std::string s = read_text(file);
    auto pos = s.find(from, s.size() / 2);  // a record in the middle: earlier ones were inserted
    ASSERT_NE(pos, std::string::npos) << from;
    s.replace(pos, from.size(), to);
    write_text(file, s);
  }

  TempDir dir;
  fs::path good, ws;
  std::string snapshot_before;
  int n = 0;
};

fs::path zip_of(const fs::path& folder) {
  fs::path z = folder.string() + ".zip";
  std::string cmd = "cd '" + folder.string() + "' && python3 -c \"import shutil; shutil.make_archive('" +
                    folder.string() + "', 'zip', '.')\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return z;
}

TEST_F(BadInput, NotAZip) {
  expect_refused(
      [](const fs::path& c) {
        write_text(c.string() + ".zip", "hello, not a zip");
        return fs::path(c.string() + ".zip");
      },
      "not a readable zip");
}

TEST_F(BadInput, TruncatedZip) {
  expect_refused(
      [](const fs::path& c) {
        fs::path z = zip_of(c);
        std::string s = read_text(z);
        write_text(z, s.substr(0, s.size() / 2));
        return z;
      },
      ".zip");
}

TEST_F(BadInput, CorruptZipData) {
  expect_refused(
      [](const fs::path& c) {
        fs::path z = zip_of(c);
        std::string s = read_text(z);
        for (size_t i = s.size() * 2 / 5; i < s.size() * 2 / 5 + 64; ++i) s[i] = static_cast<char>(s[i] ^ 0x5a);
        write_text(z, s);
        return z;
      },
      "data/");
}

TEST_F(BadInput, FolderWithoutData) {
  expect_refused(
      [](const fs::path& c) {
        fs::remove_all(c / "data");
        return c;
      },
      "no data/ folder");
}

TEST_F(BadInput, MissingTweetsFile) {
  expect_refused(
      [](const fs::path& c) {
        fs::remove(c / "data" / "tweets.js");
        return c;
      },
      "data/tweets.js");
}

TEST_F(BadInput, MissingPrefix) {
  expect_refused(
      [](const fs::path& c) {
        std::string s = read_text(c / "data" / "tweets.js");
        write_text(c / "data" / "tweets.js", s.substr(s.find('[')));
        return c;
      },
      "data/tweets.js");
}

TEST_F(BadInput, InvalidJson) {
  expect_refused(
      [](const fs::path& c) {
        edit(c / "data" / "tweets.js", "\"favorited\" : false", "\"favorited\" : fals");
        return c;
      },
      "data/tweets.js: record");
}

TEST_F(BadInput, RecordWithoutIdStr) {
  expect_refused(
      [](const fs::path& c) {
        edit(c / "data" / "tweets.js", "\"id_str\" :", "\"id_strx\" :");
        return c;
      },
      "missing id_str");
}

TEST_F(BadInput, RecordWithoutFullText) {
  expect_refused(
      [](const fs::path& c) {
        edit(c / "data" / "tweets.js", "\"full_text\" :", "\"fulltext\" :");
        return c;
      },
      "missing full_text");
}

TEST_F(BadInput, UnknownExtraFieldIsFine) {
  fs::path copy = dir / "extra";
  fs::copy(good, copy, fs::copy_options::recursive);
  edit(copy / "data" / "tweets.js",
       "\"favorited\" :", "\"brand_new_field\" : { \"x\" : [ \"1\" ] },\n      \"favorited\" :");
  auto r = run_knowthy({"--workspace", ws.string(), "ingest", "--json", copy.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tweets_seen"], 300);
}

TEST_F(BadInput, NoSuchPath) {
  auto r = run_knowthy({"--workspace", ws.string(), "ingest", (dir / "nope.zip").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no such file"), std::string::npos);
}

// A typo in knowthy.toml must not silently lose the setting: every command that reads it stops.
TEST_F(BadInput, ATypoInTheConfigurationNamesTheLineAndTheNearestKey) {
  write_text(ws / "knowthy.toml", "[extract]\nbatch_size = 10\nbatch_sise = 20\n");
  for (const char* cmd : {"extract", "status", "health"}) {
    auto r = run_knowthy({"--workspace", ws.string(), cmd});
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.err;
    EXPECT_NE(
        r.err.find("knowthy: error: " + (ws / "knowthy.toml").string() + ":3: unknown key batch_sise in [extract]"),
        std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("hint: did you mean batch_size?"), std::string::npos) << r.err;
  }
  write_text(ws / "knowthy.toml", "[model]\ncontext = 10\n");
  auto r = run_knowthy({"--workspace", ws.string(), "extract"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("model.context = 10 is out of range: it must be between 64 and 1048576"), std::string::npos)
      << r.err;
  write_text(ws / "knowthy.toml", "");  // nothing was changed meanwhile
  EXPECT_EQ(snapshot(), snapshot_before);
}

}  // namespace
}  // namespace knowthy::test
