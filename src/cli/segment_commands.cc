// `patron segment` commands: count, preview, explain, export, sql, save, list,
// show, history, refresh and delete.
#include <roaring/roaring.hh>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli_internal.h"
#include "engine/engine.h"
#include "segment/segment.h"

namespace patron::cli {

namespace {

using nlohmann::ordered_json;

struct SegmentArgs {
  std::string definition;   // text form
  std::string file;         // --file: text or JSON form
  std::string saved;        // --saved NAME
  std::string now;          // --now: evaluate as of this time
  std::string name, description;
  std::string format = "csv", out, dialect = "sqlite";
  int limit = 20;
  int64_t freshness_days = 365;
};

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// What every evaluating command needs: the store, a snapshot and the segment.
struct Loaded {
  std::unique_ptr<Database> db;
  std::shared_ptr<const engine::Snapshot> snapshot;
  segment::Node node;
  segment::EvalOptions options;
  double build_ms = 0;
  engine::SnapshotSource source = engine::SnapshotSource::kStore;
};

Result<std::string> DefinitionText(const SegmentArgs& a) {
  int given = !a.definition.empty() + !a.file.empty() + !a.saved.empty();
  if (given != 1) return InvalidArgument("give the segment as text, with --file PATH or with --saved NAME (one of them)");
  if (!a.definition.empty()) return a.definition;
  if (!a.file.empty()) {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) return IoError("cannot read '" + a.file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  return std::string();
}

Result<segment::Node> ParseDefinition(Database& db, const SegmentArgs& a, const engine::Snapshot* snapshot) {
  segment::Vocabulary vocabulary = segment::LoadVocabulary(db, snapshot);
  if (!a.saved.empty()) {
    ASSIGN_OR_RETURN(segment::SavedSegment saved, segment::LoadSegment(db, a.saved));
    return segment::Parse(saved.definition, vocabulary);
  }
  ASSIGN_OR_RETURN(std::string text, DefinitionText(a));
  std::string_view trimmed = TrimAscii(text);
  if (!trimmed.empty() && trimmed.front() == '{') return segment::FromJson(trimmed, vocabulary);
  return segment::Parse(text, vocabulary);
}

Result<Instant> EvaluationTime(const SegmentArgs& a) {
  if (a.now.empty()) return SystemClock::Get().Now();
  auto t = ParseInstant(a.now);
  if (!t.ok()) return t.status().WithContext("--now");
  return t;
}

Result<Loaded> Load(const GlobalOptions& g, const SegmentArgs& a, bool need_snapshot = true) {
  Loaded l;
  ASSIGN_OR_RETURN(l.db, OpenDb(g.db_path));
  ASSIGN_OR_RETURN(l.options.now, EvaluationTime(a));
  l.options.freshness_days = a.freshness_days;
  l.options.resolve = segment::StoreResolver(*l.db);
  // Check the segment before the (longer) snapshot build, against the declared
  // attributes; then again against what the snapshot knows (event types).
  ASSIGN_OR_RETURN(l.node, ParseDefinition(*l.db, a, nullptr));
  if (need_snapshot) {
    auto t0 = std::chrono::steady_clock::now();
    ProgressBar bar("loading customers");
    ASSIGN_OR_RETURN(l.snapshot, engine::OpenSnapshot(
                                     *l.db, SystemClock::Get(),
                                     [&bar](uint64_t d, uint64_t t) { bar.UpdateCount(d, t); }, &l.source));
    bar.Done();
    l.build_ms = MsSince(t0);
    ASSIGN_OR_RETURN(l.node, ParseDefinition(*l.db, a, l.snapshot.get()));
  }
  return l;
}

std::vector<int64_t> CustomerIds(const engine::Snapshot& s, const Roaring& members) {
  std::vector<int64_t> ids;
  ids.reserve(members.cardinality());
  for (uint32_t c : members) ids.push_back(s.customer_ids[c]);
  return ids;
}

std::string TextOf(const engine::Snapshot& s, std::string_view column, uint32_t c) {
  auto it = s.profile.find(column);
  if (it == s.profile.end() || it->second.type != engine::ValueType::kText) return "";
  return it->second.dict.values[it->second.codes[c]];
}

std::string DisplayName(const engine::Snapshot& s, uint32_t c) {
  std::string full = TextOf(s, "full_name", c);
  if (!full.empty()) return full;
  std::string given = TextOf(s, "given_name", c), family = TextOf(s, "family_name", c);
  return given.empty() ? family : family.empty() ? given : given + " " + family;
}

ordered_json CustomerJson(const engine::Snapshot& s, uint32_t c) {
  ordered_json j = {{"customer_id", s.customer_ids[c]}, {"name", DisplayName(s, c)}};
  for (const char* field : {"city", "country", "language", "lifecycle_stage"}) j[field] = TextOf(s, field, c);
  return j;
}

int RunCount(const GlobalOptions& g, const SegmentArgs& a) {
  auto l = Load(g, a);
  if (!l.ok()) return Fail(l.status());
  auto t0 = std::chrono::steady_clock::now();
  auto count = segment::Count(*l->snapshot, l->node, l->options);
  double ms = MsSince(t0);
  if (!count.ok()) return Fail(count.status());
  if (g.json) {
    ordered_json j = {{"count", *count},
                      {"ms", ms},
                      {"customers", l->snapshot->customer_count()},
                      {"load_ms", l->build_ms},
                      {"snapshot", l->source == engine::SnapshotSource::kFile           ? "file"
                                   : l->source == engine::SnapshotSource::kFileAndDelta ? "file+delta"
                                                                                        : "store"}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("%llu\n", static_cast<unsigned long long>(*count));
  }
  return 0;
}

int RunPreview(const GlobalOptions& g, const SegmentArgs& a) {
  auto l = Load(g, a);
  if (!l.ok()) return Fail(l.status());
  auto members = segment::Evaluate(*l->snapshot, l->node, l->options);
  if (!members.ok()) return Fail(members.status());
  ordered_json rows = ordered_json::array();
  int shown = 0;
  for (uint32_t c : *members) {
    if (shown++ >= a.limit) break;
    rows.push_back(CustomerJson(*l->snapshot, c));
  }
  if (g.json) {
    std::cout << ordered_json{{"count", members->cardinality()}, {"customers", rows}}.dump(2) << "\n";
    return 0;
  }
  std::printf("%llu customers match; the first %d:\n", static_cast<unsigned long long>(members->cardinality()),
              std::min<int>(a.limit, static_cast<int>(members->cardinality())));
  std::printf("  %-10s %-30s %-16s %-8s %s\n", "id", "name", "city", "country", "stage");
  for (const auto& r : rows) {
    std::printf("  %-10lld %-30s %-16s %-8s %s\n", r["customer_id"].get<long long>(),
                r["name"].get<std::string>().c_str(), r["city"].get<std::string>().c_str(),
                r["country"].get<std::string>().c_str(), r["lifecycle_stage"].get<std::string>().c_str());
  }
  return 0;
}

int RunExplain(const GlobalOptions& g, const SegmentArgs& a) {
  auto l = Load(g, a);
  if (!l.ok()) return Fail(l.status());
  auto ex = segment::ExplainSegment(*l->snapshot, l->node, l->options);
  if (!ex.ok()) return Fail(ex.status());
  if (g.json) {
    ordered_json clauses = ordered_json::array();
    for (const auto& c : ex->clauses) {
      clauses.push_back({{"clause", c.text}, {"matched", c.matched}, {"remaining", c.remaining}, {"ms", c.ms}});
    }
    std::cout << ordered_json{{"count", ex->count}, {"customers", ex->total_customers}, {"ms", ex->ms},
                              {"clauses", clauses}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::printf("%llu customers in all\n", static_cast<unsigned long long>(ex->total_customers));
  std::printf("  %10s %10s %8s  %s\n", "matches", "remaining", "ms", "clause");
  for (const auto& c : ex->clauses) {
    std::printf("  %10llu %10llu %8.2f  %s\n", static_cast<unsigned long long>(c.matched),
                static_cast<unsigned long long>(c.remaining), c.ms, c.text.c_str());
  }
  std::printf("= %llu customers (%.2f ms)\n", static_cast<unsigned long long>(ex->count), ex->ms);
  return 0;
}

int RunExport(const GlobalOptions& g, const SegmentArgs& a) {
  if (a.format != "csv" && a.format != "jsonl") return Fail(InvalidArgument("--format is csv or jsonl"));
  auto l = Load(g, a);
  if (!l.ok()) return Fail(l.status());
  auto members = segment::Evaluate(*l->snapshot, l->node, l->options);
  if (!members.ok()) return Fail(members.status());
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!a.out.empty()) {
    file.open(a.out + ".partial", std::ios::binary | std::ios::trunc);
    if (!file) return Fail(IoError("cannot write '" + a.out + "'"));
    out = &file;
  }
  auto csv = [](const std::string& v) {
    if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
    std::string q = "\"";
    for (char ch : v) {
      if (ch == '"') q.push_back('"');
      q.push_back(ch);
    }
    return q + "\"";
  };
  if (a.format == "csv") *out << "customer_id,name,city,country,language,lifecycle_stage\n";
  for (uint32_t c : *members) {
    ordered_json j = CustomerJson(*l->snapshot, c);
    if (a.format == "jsonl") {
      *out << j.dump() << "\n";
    } else {
      *out << j["customer_id"].get<int64_t>();
      for (const char* f : {"name", "city", "country", "language", "lifecycle_stage"}) {
        *out << "," << csv(j[f].get<std::string>());
      }
      *out << "\n";
    }
  }
  if (!a.out.empty()) {
    file.close();
    if (!file || std::rename((a.out + ".partial").c_str(), a.out.c_str()) != 0) {
      return Fail(IoError("cannot write '" + a.out + "'"));
    }
    std::fprintf(stderr, "wrote %llu customers to %s\n", static_cast<unsigned long long>(members->cardinality()),
                 a.out.c_str());
  }
  return 0;
}

int RunSql(const GlobalOptions& g, const SegmentArgs& a) {
  auto l = Load(g, a, false);
  if (!l.ok()) return Fail(l.status());
  segment::Vocabulary vocabulary = segment::LoadVocabulary(*l->db, nullptr);
  l->options.vocabulary = &vocabulary;
  segment::Dialect dialect = a.dialect == "postgres" ? segment::Dialect::kPostgres
                             : a.dialect == "duckdb"  ? segment::Dialect::kDuckDb
                                                      : segment::Dialect::kSqlite;
  auto sql = segment::EmitSql(l->node, dialect, l->options);
  if (!sql.ok()) return Fail(sql.status());
  std::printf("%s;\n", sql->c_str());
  return 0;
}

// Evaluates saved segments on one snapshot and records their members.
class MembershipRecorder {
 public:
  static Result<MembershipRecorder> Open(Database& db, const SegmentArgs& a) {
    MembershipRecorder r(db);
    ASSIGN_OR_RETURN(r.snapshot_, engine::OpenSnapshot(db, SystemClock::Get()));
    ASSIGN_OR_RETURN(r.options_.now, EvaluationTime(a));
    r.options_.resolve = segment::StoreResolver(db);
    r.vocabulary_ = segment::LoadVocabulary(db, r.snapshot_.get());
    return r;
  }
  // Checks a definition against what the snapshot knows, before it is saved.
  Status Check(std::string_view definition) const { return segment::Parse(definition, vocabulary_).status(); }
  Result<segment::MembershipChange> Record(const segment::SavedSegment& saved) {
    ASSIGN_OR_RETURN(segment::Node node, segment::Parse(saved.definition, vocabulary_));
    ASSIGN_OR_RETURN(Roaring members, segment::Evaluate(*snapshot_, node, options_));
    return segment::RecordMembership(*db_, saved, CustomerIds(*snapshot_, members), SystemClock::Get());
  }

 private:
  explicit MembershipRecorder(Database& db) : db_(&db) {}
  Database* db_;
  std::shared_ptr<const engine::Snapshot> snapshot_;
  segment::EvalOptions options_;
  segment::Vocabulary vocabulary_;
};

int RunSave(const GlobalOptions& g, const SegmentArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto text = DefinitionText(a);
  if (!text.ok()) return Fail(text.status());
  std::string definition = *text;
  std::string_view trimmed = TrimAscii(definition);
  if (!trimmed.empty() && trimmed.front() == '{') {
    auto node = segment::FromJson(trimmed, segment::LoadVocabulary(**db, nullptr));
    if (!node.ok()) return Fail(node.status());
    definition = segment::ToText(*node);
  }
  auto recorder = MembershipRecorder::Open(**db, a);
  if (!recorder.ok()) return Fail(recorder.status());
  if (Status s = recorder->Check(definition); !s.ok()) return Fail(s);
  auto saved = segment::SaveSegment(**db, a.name, definition, a.description, SystemClock::Get());
  if (!saved.ok()) return Fail(saved.status());
  // Record today's members so that the history starts now.
  auto change = recorder->Record(*saved);
  if (!change.ok()) return Fail(change.status());
  if (g.json) {
    std::cout << ordered_json{{"name", saved->name}, {"definition", saved->definition}, {"count", change->count},
                              {"entered", change->entered}, {"left", change->left}}
                     .dump()
              << "\n";
  } else {
    std::printf("saved segment \"%s\": %lld customers (%lld entered, %lld left)\n", saved->name.c_str(),
                static_cast<long long>(change->count), static_cast<long long>(change->entered),
                static_cast<long long>(change->left));
  }
  return 0;
}

int RunRefresh(const GlobalOptions& g, const SegmentArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto list = segment::ListSegments(**db);
  if (!list.ok()) return Fail(list.status());
  auto recorder = MembershipRecorder::Open(**db, a);
  if (!recorder.ok()) return Fail(recorder.status());
  ordered_json out = ordered_json::array();
  int failures = 0;
  for (const auto& saved : *list) {
    auto change = recorder->Record(saved);
    if (!change.ok()) {
      std::fprintf(stderr, "patron: segment \"%s\": %s\n", saved.name.c_str(), change.status().ToString().c_str());
      failures++;
      continue;
    }
    out.push_back({{"name", saved.name}, {"count", change->count}, {"entered", change->entered}, {"left", change->left}});
    if (!g.json) {
      std::printf("%-30s %8lld  (+%lld −%lld)\n", saved.name.c_str(), static_cast<long long>(change->count),
                  static_cast<long long>(change->entered), static_cast<long long>(change->left));
    }
  }
  if (g.json) std::cout << out.dump(2) << "\n";
  return failures ? 1 : 0;
}

int RunList(const GlobalOptions& g) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto list = segment::ListSegments(**db);
  if (!list.ok()) return Fail(list.status());
  if (g.json) {
    ordered_json out = ordered_json::array();
    for (const auto& s : *list) {
      out.push_back({{"name", s.name}, {"definition", s.definition}, {"description", s.description},
                     {"last_count", s.last_count}, {"updated_at", FormatInstant(s.updated_at)}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (list->empty()) std::printf("no saved segments yet: patron segment save NAME 'DEFINITION'\n");
  for (const auto& s : *list) {
    std::printf("%-30s %8s  %s\n", s.name.c_str(), s.last_count < 0 ? "-" : std::to_string(s.last_count).c_str(),
                s.definition.c_str());
  }
  return 0;
}

int RunHistory(const GlobalOptions& g, const SegmentArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  auto saved = segment::LoadSegment(**db, a.name);
  if (!saved.ok()) return Fail(saved.status());
  Statement& q = (*db)->Query("segment-history");
  q.Bind(":segment_id", saved->id);
  ordered_json out = ordered_json::array();
  while (true) {
    auto row = q.Step();
    if (!row.ok()) return Fail(row.status());
    if (!*row) break;
    out.push_back({{"day", q.String(0)}, {"members", q.Int(1)}, {"entered", q.Int(2)}, {"left", q.Int(3)}});
  }
  q.Reset();
  if (g.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-12s %10s %10s %10s\n", "day", "members", "entered", "left");
  for (const auto& r : out) {
    std::printf("%-12s %10lld %10lld %10lld\n", r["day"].get<std::string>().c_str(), r["members"].get<long long>(),
                r["entered"].get<long long>(), r["left"].get<long long>());
  }
  return 0;
}

int RunDelete(const GlobalOptions& g, const SegmentArgs& a) {
  auto db = OpenDb(g.db_path);
  if (!db.ok()) return Fail(db.status());
  Status s = segment::DeleteSegment(**db, a.name);
  if (!s.ok()) return Fail(s);
  if (!g.json) std::printf("deleted segment \"%s\"\n", a.name.c_str());
  return 0;
}

}  // namespace

void AddSegmentCommands(CLI::App& app, const GlobalOptions& globals, Action& action) {
  static SegmentArgs args;
  auto* seg = app.add_subcommand("segment", "Segments: count, preview, explain, export, save, list (docs/segments.md)");
  seg->require_subcommand(1);
  auto definition_options = [](CLI::App* sub) {
    sub->add_option("definition", args.definition, "The segment, e.g. 'city = \"Tehran\" and reachable(sms)'");
    sub->add_option("--file", args.file, "Read the segment (text or JSON form) from a file");
    sub->add_option("--saved", args.saved, "Use a saved segment");
    sub->add_option("--now", args.now, "Evaluate as of this time (default: now), e.g. 2026-01-01T00:00:00Z");
    sub->add_option("--freshness-days", args.freshness_days, "reachable(): contact verified within this many days")
        ->check(CLI::Range(int64_t{1}, int64_t{36500}));
  };
  auto bind = [&action, &globals](CLI::App* sub, int (*run)(const GlobalOptions&, const SegmentArgs&)) {
    sub->callback([&action, &globals, run] { action = [&globals, run] { return run(globals, args); }; });
  };

  auto* count = seg->add_subcommand("count", "How many customers match (--json: {\"count\": N, \"ms\": T})");
  definition_options(count);
  bind(count, RunCount);

  auto* preview = seg->add_subcommand("preview", "The first customers who match");
  definition_options(preview);
  preview->add_option("--limit", args.limit, "How many to show (default 20)")->check(CLI::Range(1, 100000));
  bind(preview, RunPreview);

  auto* explain = seg->add_subcommand("explain", "Each clause's count and time, and how it narrows the audience");
  definition_options(explain);
  bind(explain, RunExplain);

  auto* exp = seg->add_subcommand("export", "Write the matching customers as CSV or JSON Lines");
  definition_options(exp);
  exp->add_option("--format", args.format, "csv (default) or jsonl")->check(CLI::IsMember({"csv", "jsonl"}));
  exp->add_option("--out", args.out, "File to write (default: standard output)");
  bind(exp, RunExport);

  auto* sql = seg->add_subcommand("sql", "The segment as SQL for SQLite or PostgreSQL");
  definition_options(sql);
  sql->add_option("--dialect", args.dialect, "sqlite (default), postgres or duckdb")
      ->check(CLI::IsMember({"sqlite", "postgres", "duckdb"}));
  bind(sql, RunSql);

  auto* save = seg->add_subcommand("save", "Save a named segment and record today's members");
  save->add_option("name", args.name, "Segment name")->required();
  save->add_option("definition", args.definition, "The segment (text or JSON form)");
  save->add_option("--file", args.file, "Read the segment from a file");
  save->add_option("--description", args.description, "What the segment is for");
  save->add_option("--now", args.now, "Evaluate as of this time (default: now)");
  bind(save, RunSave);

  auto* list = seg->add_subcommand("list", "Saved segments with their latest counts");
  list->callback([&action, &globals] { action = [&globals] { return RunList(globals); }; });

  auto* refresh = seg->add_subcommand("refresh", "Record today's members of every saved segment (run daily)");
  refresh->add_option("--now", args.now, "Evaluate as of this time (default: now)");
  bind(refresh, RunRefresh);

  auto* history = seg->add_subcommand("history", "Members, entries and exits of a saved segment per day");
  history->add_option("name", args.name, "Segment name")->required();
  bind(history, RunHistory);

  auto* del = seg->add_subcommand("delete", "Delete a saved segment and its history");
  del->add_option("name", args.name, "Segment name")->required();
  bind(del, RunDelete);
}

}  // namespace patron::cli
