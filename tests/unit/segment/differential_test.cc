// Differential tests: random segments (seeded) over generated demo data,
// evaluated by the engine and by SQLite running the emitted SQL, must select
// exactly the same customers. Every random segment also round-trips through
// its text and JSON forms.
#include <algorithm>
#include <gtest/gtest.h>
#include <roaring/roaring.hh>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "demo/demo.h"
#include "engine/engine.h"
#include "ingest/ingest.h"
#include "models/models.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::segment {
namespace {

const Instant kNow = *ParseInstant("2026-11-01T12:00:00Z");

class DifferentialTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("patron_segment_diff_" + std::to_string(::getpid())));
    std::filesystem::remove_all(*dir_);
    demo::GenerateOptions options;
    options.customers = 1200;
    options.seed = 7;
    options.out_dir = (*dir_ / "data").string();
    auto summary = demo::Generate(options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    auto db = Database::Open((*dir_ / "patron.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = db->release();
    ManualClock clock(kNow);
    for (const auto& f : summary->files) {
      ingest::ImportOptions io;
      io.kind = *ingest::ParseEntityKind(f.kind);
      io.path = f.path;
      io.source_name = f.source;
      io.source_kind = f.source_kind;
      io.source_vendor = f.vendor;
      io.source_cost = f.cost;
      io.default_country = f.default_country;
      auto report = ingest::ImportFile(*db_, io, clock);
      ASSERT_TRUE(report.ok()) << f.path << ": " << report.status().ToString();
    }
    // Computed traits, so that segments on them are compared too.
    models::ModelRunOptions mo;
    mo.until = CivilDate{2026, 11, 1};
    auto scored = models::ScoreCustomers(*db_, mo, clock);
    ASSERT_TRUE(scored.ok()) << scored.status().ToString();
    ASSERT_TRUE(RegisterSqlFunctions(*db_).ok());
    auto snapshot = engine::BuildSnapshot(*db_, clock);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    snapshot_ = new std::shared_ptr<const engine::Snapshot>(*snapshot);
  }
  static void TearDownTestSuite() {
    delete snapshot_;
    delete db_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static const engine::Snapshot& snap() { return **snapshot_; }

  static Vocabulary Vocab() { return LoadVocabulary(*db_, &snap()); }

  static EvalOptions Options(const Vocabulary& vocabulary) {
    EvalOptions o;
    o.now = kNow;
    o.vocabulary = &vocabulary;
    o.resolve = StoreResolver(*db_);
    return o;
  }

  static std::vector<int64_t> EngineIds(const Node& node, const EvalOptions& o) {
    auto members = Evaluate(snap(), node, o);
    EXPECT_TRUE(members.ok()) << members.status().ToString();
    std::vector<int64_t> ids;
    if (!members.ok()) return ids;
    for (uint32_t c : *members) ids.push_back(snap().customer_ids[c]);
    return ids;
  }

  static std::vector<int64_t> SqlIds(const Node& node, const EvalOptions& o, std::string* sql_out = nullptr) {
    std::vector<int64_t> ids;
    auto sql = EmitSql(node, Dialect::kSqlite, o);
    EXPECT_TRUE(sql.ok()) << sql.status().ToString();
    if (!sql.ok()) return ids;
    if (sql_out) *sql_out = *sql;
    auto stmt = db_->Prepare(*sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status().ToString() << "\n" << *sql;
    if (!stmt.ok()) return ids;
    while (true) {
      auto row = (*stmt)->Step();
      EXPECT_TRUE(row.ok()) << row.status().ToString();
      if (!row.ok() || !*row) break;
      ids.push_back((*stmt)->Int(0));
    }
    return ids;
  }

  static std::filesystem::path* dir_;
  static Database* db_;
  static std::shared_ptr<const engine::Snapshot>* snapshot_;
};

std::filesystem::path* DifferentialTest::dir_ = nullptr;
Database* DifferentialTest::db_ = nullptr;
std::shared_ptr<const engine::Snapshot>* DifferentialTest::snapshot_ = nullptr;

// Random segments drawn from the values that occur in the data.
class SegmentGenerator {
 public:
  SegmentGenerator(const engine::Snapshot& s, uint64_t seed) : s_(s), rng_(seed) {}

  std::string Segment(int depth = 0) {
    int pick = Uniform(0, depth >= 2 ? 9 : 13);
    if (pick >= 10) {
      std::string a = Segment(depth + 1), b = Segment(depth + 1);
      switch (pick) {
        case 10: return "(" + a + ") and (" + b + ")";
        case 11: return "(" + a + ") or (" + b + ")";
        case 12: return "not (" + a + ")";
        default: return a + " and " + b;
      }
    }
    switch (pick) {
      case 0: return ProfileText();
      case 1: return ProfileNumber();
      case 2: return Bought();
      case 3: return Ordered();
      case 4: return Did();
      case 5: return AggregateCondition();
      case 6: return Sequence();
      case 7: {
        int which = Uniform(0, 3);
        if (which == 0) return "reachable(" + Pick<std::string>({"email", "sms", "phone", "mail"}) + ")";
        if (which == 1) return Tagged();
        if (which == 2) return ModelScore();
        return Trait();
      }
      case 8: return AccountCondition();
      default: return AttributeCondition();
    }
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <typename T>
  T Pick(const std::vector<T>& v) {
    return v[Uniform(0, static_cast<int>(v.size()) - 1)];
  }
  static std::string Quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  }
  // The first character boundary at or after byte `at` of UTF-8 text.
  static size_t CharBoundary(const std::string& v, size_t at) {
    while (at < v.size() && (static_cast<unsigned char>(v[at]) & 0xC0) == 0x80) at++;
    return std::min(at, v.size());
  }
  std::string DictValue(const engine::Dictionary& d) {
    if (d.size() <= 1) return "nothing";
    std::string v = d.values[Uniform(1, static_cast<int>(d.size()) - 1)];
    if (Uniform(0, 4) == 0) {
      for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));  // case must not matter
    }
    return v;
  }
  std::string TextTail(const engine::Dictionary& d) {
    switch (Uniform(0, 7)) {
      case 0: return "= " + Quote(DictValue(d));
      case 1: return "!= " + Quote(DictValue(d));
      case 2: return "in (" + Quote(DictValue(d)) + ", " + Quote(DictValue(d)) + ")";
      case 3: return "not in (" + Quote(DictValue(d)) + ")";
      case 4: {
        std::string v = DictValue(d);
        size_t from = CharBoundary(v, v.size() / 3);
        std::string part = v.substr(from, CharBoundary(v, from + std::max<size_t>(1, v.size() / 3)) - from);
        return "contains " + Quote(part.empty() ? v : part);
      }
      case 5: {
        std::string v = DictValue(d);
        std::string part = v.substr(0, CharBoundary(v, std::max<size_t>(1, v.size() / 2)));
        return "starts with " + Quote(part.empty() ? v : part);
      }
      case 6: return "is missing";
      default: return "is not missing";
    }
  }
  std::string ProfileText() {
    std::string field = Pick<std::string>({"city", "country", "language", "gender", "lifecycle_stage",
                                           "acquisition_channel", "income_band", "source", "marital_status",
                                           "given_name", "time_zone"});
    return field + " " + TextTail(s_.profile.at(field).dict);
  }
  std::string Date() {
    int y = Uniform(2023, 2026), m = Uniform(1, 12), d = Uniform(1, 28);
    char buf[16];
    if (Uniform(0, 5) == 0) {  // a Persian date
      std::snprintf(buf, sizeof buf, "%d-%02d-%02d", Uniform(1402, 1405), m, d);
    } else {
      std::snprintf(buf, sizeof buf, "%d-%02d-%02d", y, m, d);
    }
    return buf;
  }
  std::string Duration() {
    return std::to_string(Uniform(1, 400)) + " " + Pick<std::string>({"days", "weeks", "months", "hours", "years"});
  }
  std::string NumberTail(int lo, int hi) {
    auto n = [&] { return std::to_string(Uniform(lo, hi)); };
    switch (Uniform(0, 7)) {
      case 0: return "= " + n();
      case 1: return "!= " + n();
      case 2: return "< " + n();
      case 3: return "<= " + n();
      case 4: return "> " + n();
      case 5: return ">= " + n();
      case 6: {
        int a = Uniform(lo, hi);
        return "between " + std::to_string(a) + " and " + std::to_string(a + Uniform(0, (hi - lo) / 2 + 1));
      }
      default: return "in (" + n() + ", " + n() + ")";
    }
  }
  std::string TimeTail() {
    switch (Uniform(0, 6)) {
      case 0: return "within " + Duration();
      case 1: return "before " + Date();
      case 2: return "after " + Date();
      case 3: return "< " + Duration() + " ago";
      case 4: return ">= " + Date();
      case 5: return "between " + Date() + " and " + Date();
      default: return "= " + Date();
    }
  }
  std::string ProfileNumber() {
    switch (Uniform(0, 4)) {
      case 0: return "age " + NumberTail(15, 80);
      case 1: return "household_size " + NumberTail(0, 6);
      case 2: return "birth_date " + TimeTail();
      case 3: return "created_at " + TimeTail();
      default: return Uniform(0, 1) ? "age is missing" : "birth_date is not missing";
    }
  }
  std::string Window() {
    switch (Uniform(0, 7)) {
      case 0: return "within " + Duration();
      case 1: return "between " + Date() + " and " + Date();
      case 2: return "before " + Date();
      case 3: return "after " + Date();
      case 4: return "in " + Pick<std::string>({"Mehr", "Farvardin", "Esfand", "Ramadan", "Shawwal", "March",
                                                "December", "مهر"});
      case 5: return "in " + Pick<std::string>({"Mehr", "Dey", "Muharram", "June"}) + " " +
                     Pick<std::string>({"1403", "1404", "1446", "2025"});
      default: return "within " + Duration();
    }
  }
  std::string Amount() {
    return Pick<std::string>({"0", "5", "20", "50", "100", "250", "1000", "5000", "100000", "5000000", "100000000"});
  }
  std::string PurchaseFilter() {
    switch (Uniform(0, 8)) {
      case 0: {
        std::vector<std::string> names;
        for (size_t i = 0; i < s_.categories.slugs.size(); ++i) {
          names.push_back(s_.categories.slugs[i]);
          names.push_back(s_.categories.names[i]);
          auto slash = s_.categories.slugs[i].rfind('/');
          if (slash != std::string::npos) names.push_back(s_.categories.slugs[i].substr(slash + 1));
        }
        names.push_back("no-such-category");
        std::string op = Pick<std::string>({"=", "!=", "in", "not in"});
        if (op == "in" || op == "not in") return "category " + op + " (" + Quote(Pick(names)) + ", " + Quote(Pick(names)) + ")";
        return "category " + op + " " + Quote(Pick(names));
      }
      case 1: return "sku " + TextTail(s_.products.sku.dict);
      case 2: return "brand " + TextTail(s_.products.brand.dict);
      case 3: return "amount " + Pick<std::string>({">", "<", ">=", "<="}) + " " + Amount();
      case 4: return "quantity " + NumberTail(1, 4);
      case 5: return "channel " + TextTail(s_.orders.channels);
      case 6: return "status " + TextTail(s_.orders.statuses);
      case 7: return "price > " + Amount();
      default: return "at " + TimeTail();
    }
  }
  std::string Args(const std::function<std::string()>& filter) {
    std::vector<std::string> parts;
    int filters = Uniform(0, 2);
    for (int i = 0; i < filters; ++i) parts.push_back(filter());
    if (Uniform(0, 2) > 0) parts.push_back(Window());
    std::string s;
    for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
    return s;
  }
  std::string Bought() { return "bought(" + Args([this] { return PurchaseFilter(); }) + ")"; }
  std::string OrderFilter() {
    switch (Uniform(0, 3)) {
      case 0: return "amount " + Pick<std::string>({">", "<", ">=", "<="}) + " " + Amount();
      case 1: return "channel " + TextTail(s_.orders.channels);
      case 2: return "currency " + TextTail(s_.orders.currencies);
      default: return "status " + TextTail(s_.orders.statuses);
    }
  }
  std::string Ordered() { return "ordered(" + Args([this] { return OrderFilter(); }) + ")"; }
  std::string EventFilter() {
    switch (Uniform(0, 5)) {
      case 0: return "channel = " + Quote(Pick<std::string>({"web", "app", "store", "phone"}));
      case 1: return "price > " + Amount();
      case 2: return "category " + Pick<std::string>({"= \"electronics/tablets\"", "starts with \"electronics\"",
                                                      "contains \"office\"", "is missing", "in (\"home/decor\", \"stationery/office\")"});
      case 3: return "score " + NumberTail(0, 10);
      case 4: return "referrer " + Pick<std::string>({"= \"google\"", "is not missing", "!= \"telegram\""});
      default: return "type " + TextTail(s_.events.types);
    }
  }
  std::string EventType() { return Quote(DictValue(s_.events.types)); }
  std::string Did() {
    std::string args = Args([this] { return EventFilter(); });
    return "did(" + EventType() + (args.empty() ? "" : ", " + args) + ")";
  }
  std::string AggregateCondition() {
    auto cmp = [&](const std::string& lhs, const std::string& tail) { return lhs + " " + tail; };
    switch (Uniform(0, 11)) {
      case 0: return cmp("count(order" + Sep(Args([this] { return OrderFilter(); })) + ")", NumberTail(0, 5));
      case 1: return cmp("sum(order.amount" + Sep(Args([this] { return OrderFilter(); })) + ")",
                         Pick<std::string>({">", "<", ">="}) + " " + Amount());
      case 2: return cmp("avg(purchase.amount" + Sep(Args([this] { return PurchaseFilter(); })) + ")",
                         Pick<std::string>({">", "<"}) + " " + Amount());
      case 3: return cmp(Pick<std::string>({"min", "max"}) + "(order.amount)", Pick<std::string>({">", "<"}) + " " + Amount());
      case 4: return cmp(Pick<std::string>({"first", "last"}) + "(order.channel)", TextTail(s_.orders.channels));
      case 5: return cmp(Pick<std::string>({"first", "last", "min", "max"}) + "(order.at)", TimeTail());
      case 6: return cmp("distinct(purchase." + Pick<std::string>({"category", "sku", "brand", "amount"}) + ")",
                         NumberTail(0, 4));
      case 7: return cmp("distinct(event.type" + Sep(Args([this] { return EventFilter(); })) + ")", NumberTail(0, 6));
      case 8: return cmp("sum(event.price" + Sep(Args([this] { return EventFilter(); })) + ")",
                         Pick<std::string>({">", "<"}) + " " + Amount());
      case 9: return cmp("count(event, type = " + EventType() + Sep(Window()) + ")", NumberTail(0, 8));
      case 10: return cmp("last(event.category)", TextTail(s_.events.types));
      default: return cmp("count(purchase" + Sep(Args([this] { return PurchaseFilter(); })) + ")", NumberTail(0, 6));
    }
  }
  static std::string Sep(const std::string& s) { return s.empty() ? "" : ", " + s; }
  std::string Sequence() {
    std::string first = Uniform(0, 1) ? Did() : Bought();
    std::string then = Pick<std::string>({"bought()", "ordered()", "did(\"page_viewed\")", "bought(category = \"phones\")"});
    return first + " then " + (Uniform(0, 1) ? "not " : "") + then + " within " + std::to_string(Uniform(1, 30)) +
           " " + Pick<std::string>({"days", "hours", "weeks"});
  }
  std::string Tagged() {
    std::vector<std::string> tags;
    for (const auto& [tag, _] : s_.tags) tags.push_back(tag);
    tags.push_back("never-used");
    return "tagged(" + Quote(Pick(tags)) + (Uniform(0, 1) ? ", " + Quote(Pick(tags)) : "") + ")";
  }
  // A category as segments name it: full slug, last part or display name;
  // sometimes one that does not exist.
  std::string CategoryName() {
    const auto& k = s_.categories;
    if (k.slugs.empty() || Uniform(0, 9) == 0) return "no-such-category";
    size_t i = static_cast<size_t>(Uniform(0, static_cast<int>(k.slugs.size()) - 1));
    const std::string& slug = k.slugs[i];
    switch (Uniform(0, 2)) {
      case 0: return slug;
      case 1: return k.names[i];
      default: return slug.substr(slug.rfind('/') == std::string::npos ? 0 : slug.rfind('/') + 1);
    }
  }
  std::string ModelScore() {
    switch (Uniform(0, 2)) {
      case 0: return "best_channel " + TextTail(s_.profile.at("best_channel").dict);
      case 1: return "recommended(" + Quote(CategoryName()) + ")";
      default:
        if (Uniform(0, 5) == 0) return "propensity(" + Quote(CategoryName()) + ") is missing";
        return "propensity(" + Quote(CategoryName()) + ") " + Pick<std::string>({">", "<", ">=", "<="}) + " 0.0" +
               std::to_string(Uniform(0, 9));
    }
  }
  std::string Trait() {
    switch (Uniform(0, 7)) {
      case 0: return "rfm " + TextTail(s_.profile.at("rfm").dict);
      case 1: return "lifecycle " + TextTail(s_.profile.at("lifecycle").dict);
      case 2: return "churn_risk " + Pick<std::string>({">", "<", ">="}) + " 0." + std::to_string(Uniform(0, 9));
      case 3: return "clv_12m " + Pick<std::string>({">", "<"}) + " " + Amount();
      case 4: return "rfm_r " + NumberTail(1, 5);
      case 5: return "expected_purchases_12m > " + std::to_string(Uniform(0, 3));
      case 6: return "last_purchase_at " + TimeTail();
      default: return Pick<std::string>({"best_send_hour between 8 and 60", "lead_stage = \"mql\"", "lead_score > 10",
                                         "p_alive is missing", "expected_order_value > 100"});
    }
  }
  std::string AccountCondition() {
    switch (Uniform(0, 3)) {
      case 0: return "account.tier " + TextTail(s_.account_columns.at("tier").dict);
      case 1: return "account.employees " + NumberTail(0, 2000);
      case 2: return "account.revenue > " + Amount();
      default: return "account.country " + TextTail(s_.account_columns.at("country").dict);
    }
  }
  std::string AttributeCondition() {
    return Pick<std::string>({"interests contains \"gaming\"", "attr.interests is missing",
                              "interests starts with \"travel\"", "attr.interests != \"reading\"",
                              "attr.never_declared = \"x\""});
  }

  const engine::Snapshot& s_;
  std::mt19937_64 rng_;
};

TEST_F(DifferentialTest, TheDemoDataHasWhatTheSegmentsNeed) {
  EXPECT_GT(snap().customer_count(), 1000u);
  EXPECT_GT(snap().orders.at.size(), 500u);
  EXPECT_GT(snap().purchases.at.size(), 500u);
  EXPECT_GT(snap().events.at.size(), 5000u);
  EXPECT_FALSE(snap().tags.empty());
  EXPECT_FALSE(snap().consent_granted.empty());
}

TEST_F(DifferentialTest, TheIssueExampleMatchesSql) {
  Vocabulary vocabulary = Vocab();
  EvalOptions o = Options(vocabulary);
  auto node = Parse(
      "city = \"Tehran\" and age between 20 and 35\n"
      "and bought(category in (\"phones\", \"phone-accessories\"), within 180 days)\n"
      "and not received(kind = \"promo\", within 7 days)\n"
      "and reachable(sms)",
      vocabulary);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(EngineIds(*node, o), SqlIds(*node, o));
  // Each clause on its own selects someone, so the comparison is not vacuous.
  for (const Node* clause : Clauses(*node)) {
    if (clause->kind == Node::Kind::kNot) continue;
    EXPECT_FALSE(EngineIds(*clause, o).empty()) << ToText(*clause);
  }
}

TEST_F(DifferentialTest, ModelScoresMatchSqlAndSelectSomeone) {
  Vocabulary vocabulary = Vocab();
  EvalOptions o = Options(vocabulary);
  for (const char* text : {"recommended(\"phones\")", "recommended(\"electronics\")",
                           "propensity(\"phones\") > 0.01", "propensity(\"electronics\") >= 0.02",
                           "best_channel = \"email\"", "best_channel = \"sms\""}) {
    auto node = Parse(text, vocabulary);
    ASSERT_TRUE(node.ok()) << text << ": " << node.status().ToString();
    std::vector<int64_t> ids = EngineIds(*node, o);
    EXPECT_FALSE(ids.empty()) << text;
    EXPECT_LT(ids.size(), snap().customer_count()) << text;
    EXPECT_EQ(ids, SqlIds(*node, o)) << text;
  }
  // A category includes the ones below it, as in bought(category = ...).
  auto phones = Parse("recommended(\"phones\")", vocabulary);
  auto electronics = Parse("recommended(\"electronics\")", vocabulary);
  ASSERT_TRUE(phones.ok() && electronics.ok());
  std::vector<int64_t> narrow = EngineIds(*phones, o), wide = EngineIds(*electronics, o);
  EXPECT_TRUE(std::includes(wide.begin(), wide.end(), narrow.begin(), narrow.end()));
  EXPECT_GT(wide.size(), narrow.size());
  // The best channel is always one the customer can be reached on.
  for (const char* channel : {"email", "sms", "phone", "mail", "push"}) {
    std::string text = std::string("best_channel = \"") + channel + "\" and not reachable(" + channel + ")";
    auto node = Parse(text, vocabulary);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    EXPECT_TRUE(EngineIds(*node, o).empty()) << text;
  }
}

TEST_F(DifferentialTest, RandomSegmentsAgreeWithSqlite) {
  Vocabulary vocabulary = Vocab();
  EvalOptions o = Options(vocabulary);
  int total = 1000;
  if (const char* env = std::getenv("PATRON_DIFF_SEGMENTS")) total = std::atoi(env);
  uint64_t seed = 20261123;
  if (const char* env = std::getenv("PATRON_DIFF_SEED")) seed = std::strtoull(env, nullptr, 10);
  SegmentGenerator gen(snap(), seed);
  int non_empty = 0, not_everyone = 0;
  for (int i = 0; i < total; ++i) {
    std::string text = gen.Segment();
    auto node = Parse(text, vocabulary);
    ASSERT_TRUE(node.ok()) << text << "\n" << node.status().ToString();
    // Round trips: text and JSON.
    auto again = Parse(ToText(*node), vocabulary);
    ASSERT_TRUE(again.ok()) << ToText(*node) << "\n" << again.status().ToString();
    EXPECT_EQ(*again, *node) << text << "\n => " << ToText(*node);
    auto from_json = FromJson(ToJson(*node), vocabulary);
    ASSERT_TRUE(from_json.ok()) << ToJson(*node) << "\n" << from_json.status().ToString();
    EXPECT_EQ(*from_json, *node) << ToJson(*node);

    std::string sql;
    std::vector<int64_t> engine_ids = EngineIds(*node, o);
    std::vector<int64_t> sql_ids = SqlIds(*node, o, &sql);
    ASSERT_EQ(engine_ids, sql_ids) << "segment #" << i << ": " << text << "\nSQL: " << sql << "\nengine "
                                   << engine_ids.size() << " customers, SQL " << sql_ids.size();
    non_empty += !engine_ids.empty();
    not_everyone += engine_ids.size() < snap().customer_count();
  }
  // The random segments must not be trivially empty or trivially everyone.
  EXPECT_GT(non_empty, total / 3);
  EXPECT_GT(not_everyone, total / 3);
}

TEST_F(DifferentialTest, SavedSegmentsAreInlined) {
  ManualClock clock(kNow);
  auto saved = SaveSegment(*db_, "tehran buyers", "city = \"Tehran\" and bought()", "", clock);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  Vocabulary vocabulary = Vocab();
  EvalOptions o = Options(vocabulary);
  auto node = Parse("segment(\"tehran buyers\") or tagged(\"vip\")", vocabulary);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto direct = Parse("(city = \"Tehran\" and bought()) or tagged(\"vip\")", vocabulary);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(EngineIds(*node, o), EngineIds(*direct, o));
  EXPECT_EQ(EngineIds(*node, o), SqlIds(*node, o));
  // A segment may not refer to itself, directly or through another.
  auto loop = SaveSegment(*db_, "a", "segment(\"tehran buyers\")", "", clock);
  ASSERT_TRUE(loop.ok());
  auto cycle = SaveSegment(*db_, "tehran buyers", "segment(\"a\")", "", clock);
  EXPECT_FALSE(cycle.ok());
}

TEST_F(DifferentialTest, MembershipHistoryRecordsWhoEnteredAndLeft) {
  ManualClock clock(kNow);
  auto saved = SaveSegment(*db_, "history", "country = \"SE\"", "", clock);
  ASSERT_TRUE(saved.ok());
  auto first = RecordMembership(*db_, *saved, {1, 2, 3}, clock);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->entered, 3);
  clock.Advance(std::chrono::hours(24));
  auto second = RecordMembership(*db_, *saved, {2, 3, 4, 5}, clock);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->count, 4);
  EXPECT_EQ(second->entered, 2);
  EXPECT_EQ(second->left, 1);
  auto list = ListSegments(*db_);
  ASSERT_TRUE(list.ok());
  bool found = false;
  for (const auto& s : *list) {
    if (s.name == "history") {
      found = true;
      EXPECT_EQ(s.last_count, 4);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace patron::segment
