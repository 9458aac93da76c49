// The Collector's contract with the server: a submission returns only after its
// messages are committed, and a full queue refuses at once (429) rather than
// queueing without bound or dropping.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <thread>

#include "collect/collect.h"
#include "store/store.h"

namespace patron::collect {
namespace {

namespace fs = std::filesystem;

ParsedRequest Batch(int n, const std::string& prefix) {
  std::string body = R"({"batch":[)";
  for (int i = 0; i < n; ++i) {
    body += std::string(i ? "," : "") + R"({"type":"track","userId":"u)" + std::to_string(i % 7) +
            R"(","event":"e","messageId":")" + prefix + std::to_string(i) + R"("})";
  }
  auto r = ParseRequest(Endpoint::kBatch, body + "]}", SystemClock::Get().Now());
  EXPECT_TRUE(r.ok());
  return std::move(*r);
}

TEST(Collector, AcknowledgesAfterCommitAndRefusesWhenFull) {
  fs::path dir = fs::temp_directory_path() / ("patron-collector-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path = (dir / "c.db").string();
  auto holder = Database::Open(path);
  ASSERT_TRUE(holder.ok());

  CollectorOptions options;
  options.db_path = path;
  options.max_queued_messages = 150;
  auto collector = Collector::Start(options, SystemClock::Get());
  ASSERT_TRUE(collector.ok()) << collector.status().ToString();

  // Another writer holds the database: the collector's commit has to wait.
  ASSERT_TRUE((*holder)->Begin().ok());
  auto first = std::async(std::launch::async, [&] { return (*collector)->Submit("web", Batch(100, "a")); });
  for (int i = 0; i < 500 && (*collector)->stats().queued < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ((*collector)->stats().queued, 100u);
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "acknowledged before the commit";

  Status refused = (*collector)->Submit("web", Batch(100, "b"));
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused.ToString();
  EXPECT_EQ((*collector)->stats().refused, 1u);

  ASSERT_TRUE((*holder)->Commit().ok());
  EXPECT_TRUE(first.get().ok());
  EXPECT_EQ(*(*holder)->QueryInt("SELECT count(*) FROM events"), 100);
  // After the refusal, the same batch goes through (what an SDK's retry does).
  EXPECT_TRUE((*collector)->Submit("web", Batch(100, "b")).ok());
  EXPECT_TRUE((*collector)->Submit("web", Batch(100, "b")).ok());  // and a retry of it adds nothing
  CollectorStats stats = (*collector)->stats();
  EXPECT_EQ(stats.accepted, 200u);
  EXPECT_EQ(stats.duplicates, 100u);
  EXPECT_EQ(*(*holder)->QueryInt("SELECT count(*) FROM events"), 200);
  EXPECT_EQ(*(*holder)->QueryInt("SELECT count(*) FROM customers"), 7);
  (*collector)->Stop();
  holder->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace patron::collect
