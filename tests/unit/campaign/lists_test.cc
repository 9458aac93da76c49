// Call and mail lists as workbooks: what a call centre opens must hold exactly
// the CSV's rows, and a list with nothing in it is refused with a reason
// rather than written as an empty file someone might distribute.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "campaign/campaign.h"

namespace patron::campaign {
namespace {

namespace fs = std::filesystem;

class ListsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patron_lists_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(ListsTest, AnEmptyListIsRefusedAndNoWorkbookIsLeft) {
  std::string csv = Write("empty.csv", "");
  std::string xlsx = (dir_ / "empty.xlsx").string();
  auto rows = WriteListXlsx(csv, xlsx, "calls");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(rows.status().message().find("empty"), std::string::npos) << rows.status().ToString();
  EXPECT_FALSE(fs::exists(xlsx));
}

TEST_F(ListsTest, AMissingListIsAnErrorNamingTheFile) {
  auto rows = WriteListXlsx((dir_ / "nowhere.csv").string(), (dir_ / "x.xlsx").string(), "calls");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().ToString().find("nowhere.csv"), std::string::npos) << rows.status().ToString();
}

TEST_F(ListsTest, AHeaderOnlyListMakesAWorkbookWithNoRows) {
  std::string csv = Write("header.csv", "customer_id,name,phone,language\n");
  std::string xlsx = (dir_ / "header.xlsx").string();
  auto rows = WriteListXlsx(csv, xlsx, "calls");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 0u);
  ASSERT_TRUE(fs::exists(xlsx));
  std::ifstream in(xlsx, std::ios::binary);
  char magic[2] = {};
  in.read(magic, 2);
  EXPECT_EQ(std::string(magic, 2), "PK") << "an XLSX is a zip archive";
}

TEST_F(ListsTest, EveryDataRowIsCounted) {
  std::string csv = Write("calls.csv",
                          "customer_id,name,phone,language\n"
                          "1,Anna,+46701234567,sv\n"
                          "2,\"Sara, \"\"Sally\"\"\",+46701234568,en\n"
                          "3,مریم,+989121234567,fa\n");
  auto rows = WriteListXlsx(csv, (dir_ / "calls.xlsx").string(), "calls");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 3u);
}

}  // namespace
}  // namespace patron::campaign
