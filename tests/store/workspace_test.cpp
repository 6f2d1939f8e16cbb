#include "store/workspace.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "store/config.hpp"
#include "store/schema.hpp"
#include "support/support.hpp"

namespace knowthy::store {
namespace {
namespace fs = std::filesystem;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(Workspace, CreatedPrivateWithConfigAndSchema) {
  test::TempDir dir;
  WorkspaceOptions o;
  o.dir = dir / "ws";
  auto ws = Workspace::open(o);
  ASSERT_TRUE(ws) << ws.error().why;
  EXPECT_TRUE(ws->created());
  EXPECT_EQ(mode_of(dir / "ws"), 0700u);
  EXPECT_EQ(mode_of(ws->config_path()), 0600u);
  EXPECT_EQ(mode_of(ws->db_path()), 0600u);
  EXPECT_EQ(*ws->db().query_int("PRAGMA user_version"), schema_version());
  auto mode = ws->db().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode && *mode->step());
  EXPECT_EQ(mode->column_text(0), "wal");
  // The written config parses back to the defaults.
  auto cfg = load_config(ws->config_path());
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->extract.batch_size, 40);
  EXPECT_EQ(cfg->model.backend, "llama");
}

TEST(Workspace, ReopenKeepsDataAndDoesNotRecreate) {
  test::TempDir dir;
  WorkspaceOptions o;
  o.dir = dir / "ws";
  {
    auto ws = Workspace::open(o);
    ASSERT_TRUE(ws);
    ASSERT_TRUE(ws->db().exec("INSERT INTO account(account_id, username, updated_at) VALUES ('1','a','x')"));
  }
  auto ws = Workspace::open(o);
  ASSERT_TRUE(ws);
  EXPECT_FALSE(ws->created());
  EXPECT_EQ(*ws->db().query_int("SELECT COUNT(*) FROM account"), 1);
}

TEST(Workspace, RefusedInsideGitWorkTree) {
  test::TempDir dir;
  fs::create_directories(dir / "repo" / ".git");
  WorkspaceOptions o;
  o.dir = dir / "repo" / "sub" / "ws";
  auto ws = Workspace::open(o);
  ASSERT_FALSE(ws);
  EXPECT_EQ(ws.error().kind, ErrorKind::bad_input);
  EXPECT_NE(ws.error().why.find("git work tree"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "repo" / "sub"));  // nothing was created
  o.allow_in_git = true;
  EXPECT_TRUE(Workspace::open(o));
}

TEST(Workspace, NewerSchemaIsRefused) {
  test::TempDir dir;
  WorkspaceOptions o;
  o.dir = dir / "ws";
  { ASSERT_TRUE(Workspace::open(o)->db().exec("PRAGMA user_version = 999")); }
  auto ws = Workspace::open(o);
  ASSERT_FALSE(ws);
  EXPECT_NE(ws.error().why.find("newer"), std::string::npos);
}

TEST(Config, WrongTypeAndSyntaxErrorsNameTheFile) {
  test::TempDir dir;
  test::write_text(dir / "k.toml", "[extract]\nbatch_size = \"fifty\"\n");
  auto c = load_config(dir / "k.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::bad_input);
  EXPECT_NE(c.error().what.find("k.toml:2"), std::string::npos);
  test::write_text(dir / "k.toml", "[extract\n");
  c = load_config(dir / "k.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().what.find("k.toml"), std::string::npos);
}

TEST(Config, ModelSectionReadsEveryBackendsSettings) {
  test::TempDir dir;
  // The commented defaults parse to the built-in defaults.
  test::write_text(dir / "d.toml", default_config_text());
  auto d = load_config(dir / "d.toml");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->model.backend, "llama");
  EXPECT_EQ(d->model.parallel, 2);
  EXPECT_EQ(d->model.endpoints, std::vector<std::string>{"http://127.0.0.1:8080"});

  test::write_text(dir / "k.toml", R"([model]
backend = "openai"
endpoint = ["http://127.0.0.1:8080", "http://127.0.0.1:8081/v1"]
model_name = "qwen"
parallel = 4
retries = 0
command = "agent --print"
session_regex = 'session: (\S+)'
)");
  auto c = load_config(dir / "k.toml");
  ASSERT_TRUE(c) << c.error().why;
  EXPECT_EQ(c->model.backend, "openai");
  EXPECT_EQ(c->model.endpoints.size(), 2u);
  EXPECT_EQ(c->model.endpoints[1], "http://127.0.0.1:8081/v1");
  EXPECT_EQ(c->model.model_name, "qwen");
  EXPECT_EQ(c->model.parallel, 4);
  EXPECT_EQ(c->model.retries, 0);
  EXPECT_EQ(c->model.command, "agent --print");
  EXPECT_EQ(c->model.session_regex, "session: (\\S+)");

  test::write_text(dir / "k.toml", "[model]\nendpoint = \"http://127.0.0.1:9\"\n");
  ASSERT_TRUE(load_config(dir / "k.toml"));
  EXPECT_EQ(load_config(dir / "k.toml")->model.endpoints, std::vector<std::string>{"http://127.0.0.1:9"});
  for (std::string bad : {"[model]\nparallel = 0\n", "[model]\nendpoint = []\n", "[model]\nendpoint = [1]\n",
                          "[model]\nallow_remote = \"yes\"\n"}) {
    test::write_text(dir / "k.toml", bad);
    auto e = load_config(dir / "k.toml");
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().kind, ErrorKind::bad_input);
  }
}

}  // namespace
}  // namespace knowthy::store
