// The access commands of the real `patron` binary: users, keys, audit, and a
// customer's export and erasure.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "patron_process.h"

namespace patron {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::ReadFile;
using testing::RunPatron;
using testing::ShellQuote;

// Runs the binary with `input` on its standard input.
CommandResult RunWithInput(const std::vector<std::string>& args, const std::string& input) {
  std::string cmd = "printf '%s\\n' " + ShellQuote(input) + " | " + ShellQuote(PATRON_BINARY);
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  cmd += " 2>&1";
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class AccessCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("patron_access_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "patron.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> Args(std::initializer_list<std::string> rest) {
    std::vector<std::string> a = {"--db", db_};
    a.insert(a.end(), rest);
    return a;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(AccessCliTest, UsersKeysAndAudit) {
  const std::string password = "a long enough passphrase";
  CommandResult add = RunWithInput(
      Args({"user", "add", "sara", "--role", "support", "--password-stdin"}), password);
  ASSERT_EQ(add.exit_code, 0) << add.out;
  EXPECT_NE(add.out.find("Created user 'sara'"), std::string::npos) << add.out;
  CommandResult dup =
      RunWithInput(Args({"user", "add", "sara", "--role", "admin", "--password-stdin"}), password);
  EXPECT_EQ(dup.exit_code, 1) << dup.out;
  CommandResult short_pw =
      RunWithInput(Args({"user", "add", "ali", "--role", "admin", "--password-stdin"}), "short");
  EXPECT_EQ(short_pw.exit_code, 1);
  EXPECT_NE(short_pw.out.find("at least 10 characters"), std::string::npos) << short_pw.out;
  CommandResult no_pw = RunPatron(Args({"user", "add", "ali", "--role", "admin"}));
  EXPECT_EQ(no_pw.exit_code, 1);
  EXPECT_NE(no_pw.out.find("--password-stdin"), std::string::npos) << no_pw.out;

  CommandResult users = RunPatron(Args({"--json", "user", "list"}), true);
  ASSERT_EQ(users.exit_code, 0) << users.out;
  json u = json::parse(users.out);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0]["role"], "support");
  ASSERT_EQ(
      RunWithInput(Args({"user", "passwd", "sara", "--password-stdin"}), "another long passphrase")
          .exit_code,
      0);
  ASSERT_EQ(RunPatron(Args({"user", "disable", "sara"})).exit_code, 0);
  EXPECT_EQ(RunPatron(Args({"user", "disable", "nobody"})).exit_code, 1);

  CommandResult key = RunPatron(Args({"key", "create", "--name", "web", "--role", "collector"}));
  ASSERT_EQ(key.exit_code, 0) << key.out;
  EXPECT_NE(key.out.find("will not be shown again"), std::string::npos) << key.out;
  size_t at = key.out.find("pat_");
  ASSERT_NE(at, std::string::npos);
  std::string plain = key.out.substr(at, key.out.find('\n', at) - at);
  CommandResult list = RunPatron(Args({"key", "list"}));
  ASSERT_EQ(list.exit_code, 0) << list.out;
  EXPECT_NE(list.out.find(plain.substr(0, 12)), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find(plain), std::string::npos) << "the key is shown once";
  EXPECT_EQ(ReadFile(db_).find(plain), std::string::npos);
  ASSERT_EQ(RunPatron(Args({"key", "revoke", "1"})).exit_code, 0);
  CommandResult listed = RunPatron(Args({"--json", "key", "list"}), true);
  EXPECT_FALSE(json::parse(listed.out)[0]["revoked_at"].is_null()) << listed.out;
  EXPECT_EQ(RunPatron(Args({"key", "revoke", "42"})).exit_code, 1);

  CommandResult audit = RunPatron(Args({"--json", "audit"}), true);
  ASSERT_EQ(audit.exit_code, 0) << audit.out;
  json a = json::parse(audit.out);
  std::vector<std::string> actions;
  for (const auto& e : a) {
    actions.push_back(e["action"]);
    EXPECT_EQ(e["origin"], "cli");
    EXPECT_EQ(e["actor"].get<std::string>().rfind("cli:", 0), 0u);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"key.revoke", "key.create", "user.disable",
                                               "user.password", "user.create"}));
  CommandResult keys_only = RunPatron(Args({"audit", "--action", "key."}));
  EXPECT_NE(keys_only.out.find("key.create"), std::string::npos) << keys_only.out;
  EXPECT_EQ(keys_only.out.find("user.create"), std::string::npos) << keys_only.out;
}

TEST_F(AccessCliTest, ExportAndErase) {
  fs::path csv = dir_ / "customers.csv";
  {
    std::FILE* f = std::fopen(csv.c_str(), "w");
    std::fputs(
        "customer_id,given_name,family_name,email,city\n"
        "C1,Sara,Rezaei,sara.rezaei@example.com,Tehran\n"
        "C2,Erik,Lund,erik.lund@example.se,Uppsala\n",
        f);
    std::fclose(f);
  }
  CommandResult imp = RunPatron(Args({"import", "customers", csv.string(), "--source", "crm"}));
  ASSERT_EQ(imp.exit_code, 0) << imp.out;

  fs::path out = dir_ / "export.json";
  CommandResult exp = RunPatron(Args({"customer", "export", "1", "--out", out.string()}));
  ASSERT_EQ(exp.exit_code, 0) << exp.out;
  json doc = json::parse(ReadFile(out));
  EXPECT_EQ(doc["profile"]["given_name"], "Sara");
  EXPECT_EQ(doc["contact_points"][0]["value"], "sara.rezaei@example.com");
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::others_read, fs::perms::none);

  CommandResult refuse = RunPatron(Args({"customer", "erase", "1"}));
  EXPECT_EQ(refuse.exit_code, 1);
  EXPECT_NE(refuse.out.find("contact_points"), std::string::npos) << refuse.out;
  EXPECT_NE(refuse.out.find("--yes"), std::string::npos) << refuse.out;
  CommandResult still = RunPatron(Args({"customer", "show", "1"}));
  EXPECT_EQ(still.exit_code, 0) << "nothing erased without --yes";

  CommandResult erase = RunPatron(Args({"customer", "erase", "1", "--yes"}));
  ASSERT_EQ(erase.exit_code, 0) << erase.out;
  EXPECT_NE(erase.out.find("Erased customer 1"), std::string::npos) << erase.out;
  EXPECT_EQ(RunPatron(Args({"customer", "show", "1"})).exit_code, 1);
  EXPECT_EQ(RunPatron(Args({"customer", "export", "1"})).exit_code, 1);

  CommandResult again =
      RunPatron(Args({"--json", "import", "customers", csv.string(), "--source", "crm"}), true);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  json report = json::parse(again.out);
  EXPECT_EQ(report["erased_skipped"], 1) << again.out;
  EXPECT_EQ(RunPatron(Args({"customer", "show", "sara.rezaei@example.com"})).exit_code, 1);
  EXPECT_EQ(RunPatron(Args({"customer", "show", "erik.lund@example.se"})).exit_code, 0);

  CommandResult audit = RunPatron(Args({"--json", "audit", "--customer", "1"}), true);
  json a = json::parse(audit.out);
  ASSERT_GE(a.size(), 3u) << audit.out;
  EXPECT_EQ(a[0]["action"], "customer.erase");
  EXPECT_EQ(audit.out.find("sara.rezaei"), std::string::npos)
      << "no personal values in the audit log";
  bool exported = false, read = false;
  for (const auto& e : a) {
    exported |= e["action"] == "customer.export";
    read |= e["action"] == "customer.read";
  }
  EXPECT_TRUE(exported && read) << audit.out;
}

}  // namespace
}  // namespace patron
