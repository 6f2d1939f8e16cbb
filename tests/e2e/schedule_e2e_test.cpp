// `knowthy schedule show|install|uninstall` through the binary, with the unit folder under a
// temporary XDG_CONFIG_HOME (systemctl cannot reach a user manager here: install says how to
// enable the timer instead).
#include <gtest/gtest.h>

#include <filesystem>

#include "support/support.hpp"

namespace knowthy {
namespace {

namespace fs = std::filesystem;

class ScheduleE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ws = (m_dir / "my ws").string();
    ASSERT_EQ(kt({"init"}).exit_code, 0);
    test::write_text(fs::path(m_ws) / "knowthy.toml", "[schedule]\ncron = \"0 9 * * mon-fri\"\nzone = \"utc\"\n");
  }
  test::RunResult kt(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workspace", m_ws});
    return test::run_knowthy(args, {{"XDG_CONFIG_HOME", (m_dir / "config").string()}});
  }
  fs::path units() const { return m_dir / "config" / "systemd" / "user"; }
  test::TempDir m_dir;
  std::string m_ws;
};

TEST_F(ScheduleE2E, ShowPrintsTheUnitsAndACrontabLine) {
  auto r = kt({"schedule", "show"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 09:00:00 UTC"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Persistent=true"), std::string::npos);
  EXPECT_NE(r.out.find("--workspace \"" + fs::absolute(m_ws).string() + "\" tick"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SuccessExitStatus=75"), std::string::npos);
  EXPECT_NE(r.out.find("CRON_TZ=UTC\n0 9 * * mon-fri '"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(units()));
}

TEST_F(ScheduleE2E, InstallWritesVerifiedUnitsAndUninstallRemovesThem) {
  auto r = kt({"schedule", "install"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(fs::exists(units() / "knowthy-tick.service"));
  const std::string timer = test::read_text(units() / "knowthy-tick.timer");
  EXPECT_NE(timer.find("OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 09:00:00 UTC"), std::string::npos) << timer;
  EXPECT_NE(r.out.find("wrote "), std::string::npos) << r.out;
  r = kt({"schedule", "uninstall"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(units() / "knowthy-tick.service"));
  EXPECT_FALSE(fs::exists(units() / "knowthy-tick.timer"));
  r = kt({"schedule", "uninstall"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("nothing to remove"), std::string::npos) << r.out;
}

TEST_F(ScheduleE2E, ABadCronExpressionIsBadInputNamingTheSetting) {
  test::write_text(fs::path(m_ws) / "knowthy.toml", "[schedule]\ncron = \"0 25 * * *\"\n");
  auto r = kt({"schedule", "install"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("knowthy: error: [schedule] cron"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the hour field has 25"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(units()));
}

}  // namespace
}  // namespace knowthy
