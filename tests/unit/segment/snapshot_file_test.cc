// The persisted engine snapshot: what is loaded answers exactly what was built;
// a damaged, truncated or stale file is refused and rebuilt.
#include <gtest/gtest.h>
#include <roaring/roaring.hh>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <utility>

#include "demo/demo.h"
#include "engine/engine.h"
#include "ingest/ingest.h"
#include "models/models.h"
#include "segment/segment.h"
#include "store/store.h"
#include "../../tools/demo_import.h"

namespace patron::engine {
namespace {

namespace fs = std::filesystem;
const std::string kData = std::string(PATRON_SOURCE_DIR) + "/tests/data/segments/";

// Doubles compared by their bits, so that missing values (NaN) compare equal.
std::vector<uint64_t> Bits(std::span<const double> v) {
  std::vector<uint64_t> out(v.size());
  if (!v.empty()) std::memcpy(out.data(), v.data(), v.size() * sizeof(double));
  return out;
}

void ExpectSameDictionary(const Dictionary& a, const Dictionary& b, const std::string& what) {
  EXPECT_EQ(a.values, b.values) << what;
  EXPECT_EQ(a.folded, b.folded) << what;
  EXPECT_EQ(a.index.size(), b.index.size()) << what;
  for (const auto& [value, code] : b.index) {
    auto found = a.index.find(value);
    ASSERT_NE(found, a.index.end()) << what << ": " << value;
    EXPECT_EQ(found->second, code) << what << ": " << value;
  }
}

void ExpectSameColumn(const Column& a, const Column& b, const std::string& what) {
  EXPECT_EQ(a.type, b.type) << what;
  EXPECT_EQ(a.codes, b.codes) << what;
  EXPECT_EQ(Bits(a.numbers), Bits(b.numbers)) << what;
  ExpectSameDictionary(a.dict, b.dict, what);
}

void ExpectSameColumns(const std::map<std::string, Column, std::less<>>& a,
                       const std::map<std::string, Column, std::less<>>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [name, column] : b) {
    auto found = a.find(name);
    ASSERT_NE(found, a.end()) << what << "." << name;
    ExpectSameColumn(found->second, column, what + "." + name);
  }
}

template <typename Map>  // key -> std::unique_ptr<Roaring>
void ExpectSameBitmaps(const Map& a, const Map& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [key, bitmap] : b) {
    auto found = a.find(key);
    ASSERT_NE(found, a.end());
    EXPECT_TRUE(*found->second == *bitmap);
  }
}

// Every column a loaded snapshot has equals the built one's.
void ExpectSameSnapshot(const Snapshot& a, const Snapshot& b) {
  EXPECT_EQ(a.built_at, b.built_at);
  EXPECT_EQ(a.watermarks, b.watermarks);
  EXPECT_EQ(a.customer_ids, b.customer_ids);
  for (uint32_t i = 0; i < b.customer_count(); ++i) ASSERT_EQ(a.IndexOf(b.customer_ids[i]), i);
  ExpectSameColumns(a.profile, b.profile, "profile");
  ExpectSameColumns(a.attributes, b.attributes, "attributes");
  ExpectSameBitmaps(a.tags, b.tags);
  EXPECT_EQ(a.account_ids, b.account_ids);
  ExpectSameColumns(a.account_columns, b.account_columns, "accounts");
  EXPECT_EQ(a.account_offsets, b.account_offsets);
  EXPECT_EQ(a.account_members, b.account_members);
  EXPECT_EQ(a.orders.offsets, b.orders.offsets);
  EXPECT_EQ(a.orders.at, b.orders.at);
  EXPECT_EQ(Bits(a.orders.amount), Bits(b.orders.amount));
  EXPECT_EQ(a.orders.channel, b.orders.channel);
  EXPECT_EQ(a.orders.status, b.orders.status);
  EXPECT_EQ(a.orders.currency, b.orders.currency);
  ExpectSameDictionary(a.orders.channels, b.orders.channels, "channels");
  ExpectSameDictionary(a.orders.statuses, b.orders.statuses, "statuses");
  ExpectSameDictionary(a.orders.currencies, b.orders.currencies, "currencies");
  EXPECT_EQ(a.purchases.offsets, b.purchases.offsets);
  EXPECT_EQ(a.purchases.at, b.purchases.at);
  EXPECT_EQ(a.purchases.product, b.purchases.product);
  EXPECT_EQ(a.purchases.order_channel, b.purchases.order_channel);
  EXPECT_EQ(a.purchases.status, b.purchases.status);
  EXPECT_EQ(a.purchases.currency, b.purchases.currency);
  EXPECT_EQ(Bits(a.purchases.quantity), Bits(b.purchases.quantity));
  EXPECT_EQ(Bits(a.purchases.amount), Bits(b.purchases.amount));
  EXPECT_EQ(Bits(a.purchases.unit_price), Bits(b.purchases.unit_price));
  EXPECT_EQ(a.products.ids, b.products.ids);
  ExpectSameColumn(a.products.sku, b.products.sku, "sku");
  ExpectSameColumn(a.products.name, b.products.name, "name");
  ExpectSameColumn(a.products.brand, b.products.brand, "brand");
  EXPECT_EQ(a.products.category, b.products.category);
  EXPECT_EQ(a.categories.slugs, b.categories.slugs);
  EXPECT_EQ(a.categories.names, b.categories.names);
  EXPECT_EQ(a.categories.parent, b.categories.parent);
  EXPECT_EQ(a.events.offsets, b.events.offsets);
  EXPECT_EQ(a.events.at, b.events.at);
  EXPECT_EQ(a.events.type, b.events.type);
  ExpectSameDictionary(a.events.types, b.events.types, "event types");
  EXPECT_EQ(a.events.max_event_id, b.events.max_event_id);
  ExpectSameBitmaps(a.consent_granted, b.consent_granted);
  for (int ch = 0; ch < kChannelCount; ++ch) EXPECT_EQ(Bits(a.contact_fresh_at[ch]), Bits(b.contact_fresh_at[ch]));
  EXPECT_EQ(a.scores.recommended_offsets, b.scores.recommended_offsets);
  EXPECT_EQ(a.scores.recommended, b.scores.recommended);
  EXPECT_EQ(a.scores.propensity_offsets, b.scores.propensity_offsets);
  EXPECT_EQ(a.scores.propensity_category, b.scores.propensity_category);
  EXPECT_EQ(Bits(a.scores.propensity), Bits(b.scores.propensity));
}

class SnapshotFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patron_snapshot_file_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = Database::Open((dir_ / "patron.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    for (auto [kind, file, source] : {std::tuple{"accounts", "accounts.csv", "crm"},
                                      std::tuple{"products", "products.csv", "catalog"},
                                      std::tuple{"customers", "customers.csv", "crm"},
                                      std::tuple{"orders", "orders.csv", "shop"},
                                      std::tuple{"events", "events.jsonl", "web"}}) {
      ingest::ImportOptions io;
      io.kind = *ingest::ParseEntityKind(kind);
      io.path = kData + file;
      io.source_name = source;
      io.reject_path = (dir_ / "rejects.csv").string();
      auto report = ingest::ImportFile(*db_, io, clock_);
      ASSERT_TRUE(report.ok()) << report.status().ToString();
    }
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }

  std::vector<uint64_t> Counts(const Snapshot& s) {
    segment::EvalOptions o;
    o.now = clock_.Now();
    std::vector<uint64_t> counts;
    for (const char* text :
         {"city = \"Tehran\"", "age between 20 and 35", "bought(category = \"electronics\")", "reachable(email)",
          "tagged(\"vip\", \"b2b\")", "account.tier = \"gold\"", "interests contains \"gaming\"",
          "did(\"cart_abandoned\") then not bought() within 3 days", "sum(event.value) >= 500",
          "last(order.channel) = \"app\"", "bought(category = \"school-supplies\", in Mehr)",
          "recommended(\"electronics\")", "propensity(\"electronics\") >= 0"}) {
      auto node = segment::Parse(text, segment::LoadVocabulary(*db_, &s));
      EXPECT_TRUE(node.ok()) << text;
      auto c = segment::Count(s, *node, o);
      EXPECT_TRUE(c.ok()) << text << ": " << c.status().ToString();
      counts.push_back(c.ok() ? *c : 0);
    }
    return counts;
  }

  fs::path dir_;
  ManualClock clock_{*ParseInstant("2026-06-15T12:00:00Z")};
  std::unique_ptr<Database> db_;
};

TEST_F(SnapshotFileTest, ALoadedSnapshotAnswersLikeTheBuiltOne) {
  // With model scores, so that their arrays are written and read too.
  models::ModelRunOptions mo;
  mo.until = CivilDate{2026, 6, 15};
  auto scored = models::ScoreCustomers(*db_, mo, clock_);
  ASSERT_TRUE(scored.ok()) << scored.status().ToString();
  auto built = BuildSnapshot(*db_, clock_);
  ASSERT_TRUE(built.ok());
  auto stamp = ReadStoreStamp(*db_);
  ASSERT_TRUE(stamp.ok());
  std::string path = (dir_ / "patron.db.engine").string();
  ASSERT_TRUE(SaveSnapshot(**built, *stamp, path).ok());
  EXPECT_FALSE(fs::exists(path + ".partial"));
  auto loaded = LoadSnapshot(path, *stamp, db_->path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->customer_ids, (*built)->customer_ids);
  EXPECT_EQ((*loaded)->events.at, (*built)->events.at);
  EXPECT_FALSE((*built)->scores.recommended.empty());
  EXPECT_EQ((*loaded)->scores.recommended_offsets, (*built)->scores.recommended_offsets);
  EXPECT_EQ((*loaded)->scores.recommended, (*built)->scores.recommended);
  EXPECT_EQ((*loaded)->scores.propensity_offsets, (*built)->scores.propensity_offsets);
  EXPECT_EQ((*loaded)->scores.propensity, (*built)->scores.propensity);
  ExpectSameSnapshot(**loaded, **built);
  std::vector<uint64_t> expected = Counts(**built);
  EXPECT_EQ(Counts(**loaded), expected);
  EXPECT_GT(expected[0], 0u);
  // Look-ups by name work on the loaded dictionaries as on the built ones (reports find
  // event types by name; deltas intern new values without duplicating known ones).
  const Dictionary& types = (*built)->events.types;
  ASSERT_GT(types.size(), 1u);
  for (size_t code = 1; code < types.size(); ++code) {
    auto found = (*loaded)->events.types.index.find(types.values[code]);
    ASSERT_NE(found, (*loaded)->events.types.index.end()) << types.values[code];
    EXPECT_EQ(found->second, code);
  }
  EXPECT_EQ((*loaded)->events.types.index.size(), types.index.size());
}

// A loaded snapshot's columns are the file's mapped pages, not copies: it keeps
// answering after its file is deleted or replaced (SaveSnapshot renames a new
// file over it), and a delta over it copies what it changes, leaving it as it was.
TEST_F(SnapshotFileTest, ALoadedSnapshotViewsItsFileAndOutlivesIt) {
  auto built = BuildSnapshot(*db_, clock_);
  ASSERT_TRUE(built.ok());
  auto stamp = ReadStoreStamp(*db_);
  ASSERT_TRUE(stamp.ok());
  const std::string path = SnapshotPath(db_->path());
  ASSERT_TRUE(SaveSnapshot(**built, *stamp, path).ok());
  auto loaded = LoadSnapshot(path, *stamp, db_->path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Snapshot& view = **loaded;
  EXPECT_FALSE((*built)->events.at.is_view());
  EXPECT_TRUE(view.events.at.is_view());
  EXPECT_TRUE(view.events.type.is_view());
  EXPECT_TRUE(view.orders.amount.is_view());
  EXPECT_TRUE(view.profile.at("city").codes.is_view());
  EXPECT_TRUE(view.customer_ids.is_view());
  const std::vector<uint64_t> expected = Counts(**built);

  // Replaced by a newer file, then deleted: the mapping keeps the old contents.
  ASSERT_TRUE(SaveSnapshot(**built, *stamp, path).ok());
  fs::remove(path);
  EXPECT_EQ(Counts(view), expected);
  ExpectSameSnapshot(view, **built);

  // A new event: the delta's snapshot owns the arrays it extended and equals
  // a rebuild; the loaded snapshot still views its file and answers as before.
  ASSERT_TRUE(db_->Exec("INSERT INTO events(customer_id, type, occurred_at, received_at, source_id, source_key) "
                        "SELECT min(id), 'page_viewed', 0, 0, 1, 'view-test' FROM customers").ok());
  auto delta = ApplyDelta(*loaded, *db_, clock_);
  ASSERT_TRUE(delta.ok()) << delta.status().ToString();
  ASSERT_NE(delta->get(), loaded->get());
  EXPECT_FALSE((*delta)->events.at.is_view());
  EXPECT_EQ((*delta)->events.at.size(), view.events.at.size() + 1);
  auto rebuilt = BuildSnapshot(*db_, clock_);
  ASSERT_TRUE(rebuilt.ok());
  ExpectSameSnapshot(**delta, **rebuilt);
  EXPECT_TRUE(view.events.at.is_view());
  EXPECT_EQ(view.events.at.size(), (*built)->events.at.size());
  EXPECT_EQ(Counts(view), expected);
}

// Array: copies of a view share it; writing to one copies it first (copy on
// write), so the others and the viewed memory stay as they were.
TEST(EngineArray, CopiesShareAViewAndWritesCopyItFirst) {
  auto memory = std::make_shared<std::vector<int64_t>>(std::vector<int64_t>{1, 2, 3});
  Array<int64_t> a = Array<int64_t>::View(memory->data(), memory->size(), memory);
  EXPECT_TRUE(a.is_view());
  Array<int64_t> b = a;
  EXPECT_TRUE(b.is_view());
  EXPECT_EQ(std::as_const(b).data(), memory->data());
  b.push_back(4);
  EXPECT_FALSE(b.is_view());
  EXPECT_EQ(b, (Array<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(a, (Array<int64_t>{1, 2, 3}));
  EXPECT_EQ(*memory, (std::vector<int64_t>{1, 2, 3}));
  Array<int64_t> c = a;
  c[0] = 9;  // non-const access copies
  EXPECT_EQ(c, (Array<int64_t>{9, 2, 3}));
  EXPECT_EQ((*memory)[0], 1);
  // The view keeps its memory alive after the other owner lets go.
  std::weak_ptr<std::vector<int64_t>> watch = memory;
  memory.reset();
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(std::as_const(a)[2], 3);
  EXPECT_TRUE(a.is_view());
  a = Array<int64_t>{7};
  EXPECT_TRUE(watch.expired());
  // Moves keep the data where it is.
  Array<int64_t> d{5, 6};
  const int64_t* at = d.data();
  Array<int64_t> e = std::move(d);
  EXPECT_EQ(e.data(), at);
  EXPECT_TRUE(d.empty());
}

TEST_F(SnapshotFileTest, DamagedTruncatedOrStaleFilesAreRefusedAndRebuilt) {
  SnapshotSource source;
  auto first = OpenSnapshot(*db_, clock_, {}, &source);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(source, SnapshotSource::kStore);
  auto second = OpenSnapshot(*db_, clock_, {}, &source);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(source, SnapshotSource::kFile);
  std::string path = SnapshotPath(db_->path());
  auto stamp = ReadStoreStamp(*db_);
  ASSERT_TRUE(stamp.ok());

  // One flipped byte in the middle.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(path) / 2));
    f.put('\x5a');
  }
  auto damaged = LoadSnapshot(path, *stamp, db_->path());
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::kDataLoss);
  ASSERT_TRUE(OpenSnapshot(*db_, clock_, {}, &source).ok());
  EXPECT_EQ(source, SnapshotSource::kStore);

  // Cut short.
  fs::resize_file(path, fs::file_size(path) / 3);
  EXPECT_EQ(LoadSnapshot(path, *stamp, db_->path()).status().code(), StatusCode::kDataLoss);
  ASSERT_TRUE(OpenSnapshot(*db_, clock_, {}, &source).ok());
  EXPECT_EQ(source, SnapshotSource::kStore);

  // Not a snapshot at all.
  std::ofstream(path + ".junk") << "hello";
  EXPECT_EQ(LoadSnapshot(path + ".junk", *stamp, db_->path()).status().code(), StatusCode::kDataLoss);

  // The store changes through an import: a customer gets a new tag.
  ASSERT_TRUE(OpenSnapshot(*db_, clock_, {}, &source).ok());
  EXPECT_EQ(source, SnapshotSource::kFile);
  {
    std::ofstream(dir_ / "retag.csv") << "customer_id,given_name,tags\nC1,Sara,vip|new-tag\n";
    ingest::ImportOptions io;
    io.kind = ingest::EntityKind::kCustomers;
    io.path = (dir_ / "retag.csv").string();
    io.source_name = "crm";
    io.reject_path = (dir_ / "rejects.csv").string();
    auto report = ingest::ImportFile(*db_, io, clock_);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
  }
  auto newer = ReadStoreStamp(*db_);
  ASSERT_TRUE(newer.ok());
  EXPECT_NE(newer->generation, stamp->generation);
  EXPECT_EQ(LoadSnapshot(path, *newer, db_->path()).status().code(), StatusCode::kFailedPrecondition);
  // A changed customer: the file is brought up to date, not rebuilt.
  auto rebuilt = OpenSnapshot(*db_, clock_, {}, &source);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(source, SnapshotSource::kFileAndDelta);
  EXPECT_TRUE((*rebuilt)->tags.count("new-tag"));
  // A write outside imports, to a table the triggers watch: a new product.
  ASSERT_TRUE(db_->Exec("INSERT INTO products(sku, name, created_at, updated_at) VALUES ('NEW-1', 'New', 0, 0)").ok());
  ASSERT_TRUE(OpenSnapshot(*db_, clock_, {}, &source).ok());
  EXPECT_EQ(source, SnapshotSource::kStore);
  // A delete anywhere: the customer C5.
  ASSERT_TRUE(db_->Exec("DELETE FROM customers WHERE id = (SELECT max(id) FROM customers)").ok());
  ASSERT_TRUE(OpenSnapshot(*db_, clock_, {}, &source).ok());
  EXPECT_EQ(source, SnapshotSource::kStore);
  auto before = OpenSnapshot(*db_, clock_, {}, &source);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(source, SnapshotSource::kFile);
  // New events are noticed by their ids, and appended.
  ASSERT_TRUE(db_->Exec("INSERT INTO events(customer_id, type, occurred_at, received_at, source_id, source_key) "
                        "SELECT min(id), 'page_viewed', 0, 0, 1, 'x' FROM customers").ok());
  auto appended = OpenSnapshot(*db_, clock_, {}, &source);
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(source, SnapshotSource::kFileAndDelta);
  EXPECT_EQ((*appended)->events.at.size(), (*before)->events.at.size() + 1);
  ASSERT_TRUE(OpenSnapshot(*db_, clock_, {}, &source).ok());
  EXPECT_EQ(source, SnapshotSource::kFile);
}

// An event property read once is cached beside the snapshot file, so that the
// next process does not read every event's JSON again; the cache is used only
// for the rebuild generation it was read at, is extended with newer events,
// and is ignored when damaged and removed when the snapshot is rebuilt.
TEST_F(SnapshotFileTest, EventPropertiesAreCachedBesideTheSnapshotForTheNextProcess) {
  const std::string cache = SnapshotPath(db_->path()) + ".property.63617465676f7279";  // hex("category")
  auto categories = [](const Snapshot& s) {
    std::vector<std::string> out;
    auto column = s.Property("category");
    EXPECT_TRUE(column.ok()) << column.status().ToString();
    if (!column.ok()) return out;
    for (uint32_t code : (*column)->codes) out.push_back((*column)->dict.values[code]);
    return out;
  };
  auto first = BuildSnapshot(*db_, clock_);
  ASSERT_TRUE(first.ok());
  const std::vector<std::string> expected = categories(**first);
  ASSERT_NE(std::count(expected.begin(), expected.end(), "electronics/tablets"), 0);
  ASSERT_TRUE(fs::exists(cache)) << "written on first use";

  // The next snapshot (another process) reads the cache. To see that, the
  // events' JSON is changed behind the engine's back: without the trigger that
  // makes such an update a new rebuild generation (which would retire the cache).
  ASSERT_TRUE(db_->Exec("DROP TRIGGER engine_rebuild_events_update").ok());
  ASSERT_TRUE(db_->Exec("UPDATE events SET properties = json_set(properties, '$.category', 'changed') "
                        "WHERE json_extract(properties, '$.category') IS NOT NULL").ok());
  auto second = BuildSnapshot(*db_, clock_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(categories(**second), expected) << "the cached values, not the store's";
  // Numbers keep their type through the cache.
  auto price = (*second)->Property("price");
  ASSERT_TRUE(price.ok());
  auto again = BuildSnapshot(*db_, clock_);
  ASSERT_TRUE(again.ok());
  auto price_again = (*again)->Property("price");
  ASSERT_TRUE(price_again.ok());
  EXPECT_EQ((*price_again)->codes, (*price)->codes);
  for (uint32_t code : (*price)->codes) {
    if (code) {
      EXPECT_EQ((*price_again)->numbers[code], (*price)->numbers[code]);
    }
  }

  // New events are read from the store and added to the cache.
  {
    std::ofstream(dir_ / "more.jsonl")
        << R"({"messageId":"x1","userId":"C1","event":"product_viewed","timestamp":"2026-06-14T09:00:00Z","properties":{"category":"garden"}})"
        << "\n";
    ingest::ImportOptions io;
    io.kind = ingest::EntityKind::kEvents;
    io.path = (dir_ / "more.jsonl").string();
    io.source_name = "web";
    io.reject_path = (dir_ / "rejects.csv").string();
    ASSERT_TRUE(ingest::ImportFile(*db_, io, clock_).ok());
  }
  auto third = BuildSnapshot(*db_, clock_);
  ASSERT_TRUE(third.ok());
  auto with_new = categories(**third);
  EXPECT_EQ(with_new.size(), expected.size() + 1);
  EXPECT_EQ(std::count(with_new.begin(), with_new.end(), "garden"), 1);
  EXPECT_EQ(std::count(with_new.begin(), with_new.end(), "changed"), 0);
  auto fourth = BuildSnapshot(*db_, clock_);
  EXPECT_EQ(categories(**fourth), with_new) << "the extended cache";

  // A damaged cache is ignored: the store's values are read again.
  {
    std::fstream f(cache, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(cache) / 2));
    f.put('\x5a');
  }
  auto fifth = BuildSnapshot(*db_, clock_);
  auto reread = categories(**fifth);
  std::vector<std::string> from_store = with_new;
  for (auto& v : from_store)
    if (!v.empty() && v != "garden") v = "changed";
  EXPECT_EQ(reread, from_store);

  // Deleting a customer (as an erasure does) bumps the rebuild generation: the
  // cache is not used, and saving the rebuilt snapshot removes it.
  ASSERT_TRUE(fs::exists(cache));
  ASSERT_TRUE(db_->Exec("DELETE FROM customers WHERE id = (SELECT max(id) FROM customers)").ok());
  SnapshotSource source;
  auto rebuilt = OpenSnapshot(*db_, clock_, {}, &source);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(source, SnapshotSource::kStore);
  EXPECT_FALSE(fs::exists(cache)) << "a cache of another rebuild generation is removed";
}

// A snapshot of a generated store spans many checksum blocks (1 MiB each) and
// large arrays (copied on several threads): it loads equal to the built one; a
// byte changed in any block is found; a file of another format version (an
// older release's) is refused, rebuilt and rewritten.
TEST_F(SnapshotFileTest, AGeneratedStoreLoadsEqualAndEveryBlockIsChecked) {
  db_.reset();
  fs::remove(dir_ / "patron.db");
  demo::GenerateOptions options;
  options.customers = 3000;
  options.seed = 11;
  options.out_dir = (dir_ / "demo").string();
  auto summary = demo::Generate(options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto db = Database::Open((dir_ / "generated.db").string());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  db_ = std::move(*db);
  ASSERT_NO_FATAL_FAILURE(patron::testing::ImportDemoFiles(*db_, summary->files, clock_));
  SnapshotSource source;
  auto built = OpenSnapshot(*db_, clock_, {}, &source);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(source, SnapshotSource::kStore);
  const std::string path = SnapshotPath(db_->path());
  const size_t size = fs::file_size(path);
  ASSERT_GT(size, size_t{2} << 20) << "several checksum blocks";
  auto stamp = ReadStoreStamp(*db_);
  ASSERT_TRUE(stamp.ok());
  auto loaded = LoadSnapshot(path, *stamp, db_->path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ExpectSameSnapshot(**loaded, **built);

  // One changed byte in each block (and in the checksum itself), each on a
  // fresh copy: refused as damaged.
  std::string original;
  {
    std::ifstream in(path, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ(original.size(), size);
  std::vector<size_t> offsets;
  for (size_t at = 100; at < size; at += (size_t{1} << 20) - 4097) offsets.push_back(at);
  offsets.push_back(size - 1);
  for (size_t at : offsets) {
    std::string bytes = original;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    auto damaged = LoadSnapshot(path, *stamp, db_->path());
    ASSERT_FALSE(damaged.ok()) << "byte " << at;
    EXPECT_EQ(damaged.status().code(), StatusCode::kDataLoss) << "byte " << at << ": " << damaged.status().ToString();
  }

  // Format version 4 (before the block checksum) in an otherwise intact file.
  {
    std::string bytes = original;
    const uint32_t old_version = 4;
    std::memcpy(bytes.data() + 16, &old_version, sizeof old_version);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
  auto old = LoadSnapshot(path, *stamp, db_->path());
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), StatusCode::kFailedPrecondition) << old.status().ToString();
  auto rebuilt = OpenSnapshot(*db_, clock_, {}, &source);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(source, SnapshotSource::kStore);
  ExpectSameSnapshot(**rebuilt, **built);
  ASSERT_TRUE(OpenSnapshot(*db_, clock_, {}, &source).ok());
  EXPECT_EQ(source, SnapshotSource::kFile) << "the rebuilt snapshot was written in this version";
}

// Building puts each customer's events in (time, id) order whatever order the
// store holds them in, and event ids still find their events (properties are
// read by id).
TEST_F(SnapshotFileTest, EventsAreGroupedInTimeThenIdOrderAndFoundById) {
  // Five events of the first customer, stored in an order that is not their time order:
  // times 3000, 2000, 1000, 5000, 5000 (the last two tie: id decides).
  for (int k = 1; k <= 5; ++k) {
    const int at = k <= 3 ? (4 - k) * 1000 : 5000;
    ASSERT_TRUE(db_->Exec("INSERT INTO events(customer_id, type, occurred_at, received_at, source_id, source_key, "
                          "properties) SELECT min(id), 'probe', " + std::to_string(at) + ", 0, 1, 'probe-" +
                          std::to_string(k) + "', '{\"k\": " + std::to_string(k) + "}' FROM customers")
                    .ok());
  }
  auto built = BuildSnapshot(*db_, clock_);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  const Snapshot& s = **built;
  auto total = db_->QueryInt("SELECT count(*) FROM events");
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(s.events.at.size(), static_cast<size_t>(*total));
  for (uint32_t c = 0; c < s.customer_count(); ++c) {
    EXPECT_TRUE(std::is_sorted(s.events.at.begin() + s.events.offsets[c], s.events.at.begin() + s.events.offsets[c + 1]))
        << "customer " << c;
  }
  auto k = s.Property("k");
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  auto probe = s.events.types.index.find("probe");
  ASSERT_NE(probe, s.events.types.index.end());
  std::vector<double> order;
  std::vector<int64_t> times;
  for (uint32_t i = s.events.offsets[0]; i < s.events.offsets[1]; ++i) {
    if (s.events.type[i] != probe->second) continue;
    order.push_back((*k)->numbers[(*k)->codes[i]]);
    times.push_back(s.events.at[i]);
  }
  EXPECT_EQ(order, (std::vector<double>{3, 2, 1, 4, 5}));
  EXPECT_EQ(times, (std::vector<int64_t>{1000, 2000, 3000, 5000, 5000}));
}

}  // namespace
}  // namespace patron::engine
