// Saved segments: definitions in the store and their membership over time.
#include <algorithm>
#include <functional>
#include <set>

#include "engine/engine.h"
#include "segment/segment.h"
#include "store/store.h"

namespace patron::segment {

namespace {

SavedSegment ReadSaved(const Statement& q) {
  SavedSegment s;
  s.id = q.Int(0);
  s.name = q.String(1);
  s.definition = q.String(2);
  s.description = q.OptionalString(3).value_or("");
  s.created_at = Instant{q.Int(4)};
  s.updated_at = Instant{q.Int(5)};
  s.last_count = q.IsNull(6) ? -1 : q.Int(6);
  return s;
}

void CollectReferences(const Node& n, std::vector<std::string>& out) {
  if (n.kind == Node::Kind::kSegmentRef) out.push_back(n.name);
  for (const Node& c : n.children) CollectReferences(c, out);
}

}  // namespace

Vocabulary LoadVocabulary(Database& db, const engine::Snapshot* snapshot) {
  Vocabulary v;
  Statement& defs = db.Query("engine-attribute-definitions");
  while (true) {
    auto row = defs.Step();
    if (!row.ok() || !*row) break;
    v.attributes[defs.String(0)] = defs.String(1);
  }
  defs.Reset();
  if (snapshot) {
    for (const auto& [name, column] : snapshot->attributes) {
      v.attributes.emplace(name, std::string(engine::ValueTypeName(column.type)));
    }
    for (size_t i = 1; i < snapshot->events.types.size(); ++i) v.event_types.push_back(snapshot->events.types.values[i]);
  }
  Statement& list = db.Query("segment-list");
  while (true) {
    auto row = list.Step();
    if (!row.ok() || !*row) break;
    v.saved_segments.push_back(list.String(1));
  }
  list.Reset();
  return v;
}

Result<SavedSegment> LoadSegment(Database& db, std::string_view name) {
  Statement& q = db.Query("segment-by-name");
  q.Bind(":name", name);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    q.Reset();
    return NotFound("no saved segment is called \"" + std::string(name) + "\"");
  }
  SavedSegment s = ReadSaved(q);
  q.Reset();
  return s;
}

Result<std::vector<SavedSegment>> ListSegments(Database& db) {
  std::vector<SavedSegment> out;
  Statement& q = db.Query("segment-list");
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(ReadSaved(q));
  }
  q.Reset();
  return out;
}

SegmentResolver StoreResolver(Database& db) {
  return [&db](std::string_view name) -> Result<Node> {
    ASSIGN_OR_RETURN(SavedSegment saved, LoadSegment(db, name));
    auto node = Parse(saved.definition, LoadVocabulary(db, nullptr));
    if (!node.ok()) return node.status().WithContext("saved segment \"" + saved.name + "\"");
    return node;
  };
}

Result<SavedSegment> SaveSegment(Database& db, std::string_view name, std::string_view definition,
                                 std::string_view description, const Clock& clock) {
  if (name.empty() || name.size() > 200 || !IsValidUtf8(name)) {
    return InvalidArgument("a segment name is 1 to 200 characters of text");
  }
  Vocabulary vocabulary = LoadVocabulary(db, nullptr);
  ASSIGN_OR_RETURN(Node node, Parse(definition, vocabulary));
  // Refuse a definition that would refer back to itself.
  std::vector<std::string> pending;
  CollectReferences(node, pending);
  std::set<std::string> seen;
  SegmentResolver resolve = StoreResolver(db);
  while (!pending.empty()) {
    std::string ref = pending.back();
    pending.pop_back();
    if (ref == name) return InvalidArgument("segment \"" + std::string(name) + "\" would refer to itself");
    if (!seen.insert(ref).second) continue;
    ASSIGN_OR_RETURN(Node referenced, resolve(ref));
    CollectReferences(referenced, pending);
  }
  Statement& q = db.Query("segment-upsert");
  q.Bind(":name", name).Bind(":definition", ToText(node)).BindOptional(":description", description);
  q.Bind(":now", clock.Now().micros);
  RETURN_IF_ERROR(q.Run());
  return LoadSegment(db, name);
}

Status DeleteSegment(Database& db, std::string_view name) {
  ASSIGN_OR_RETURN(SavedSegment s, LoadSegment(db, name));
  Statement& q = db.Query("segment-delete");
  q.Bind(":name", name);
  return q.Run();
}

Result<MembershipChange> RecordMembership(Database& db, const SavedSegment& segment,
                                          const std::vector<int64_t>& customer_ids, const Clock& clock) {
  MembershipChange change;
  Instant now = clock.Now();
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  std::vector<int64_t> before;
  Statement& open = db.Query("segment-open-members");
  open.Bind(":segment_id", segment.id);
  while (true) {
    ASSIGN_OR_RETURN(bool row, open.Step());
    if (!row) break;
    before.push_back(open.Int(0));
  }
  open.Reset();
  std::vector<int64_t> now_members = customer_ids;
  std::sort(now_members.begin(), now_members.end());
  now_members.erase(std::unique(now_members.begin(), now_members.end()), now_members.end());
  std::vector<int64_t> entered, left;
  std::set_difference(now_members.begin(), now_members.end(), before.begin(), before.end(), std::back_inserter(entered));
  std::set_difference(before.begin(), before.end(), now_members.begin(), now_members.end(), std::back_inserter(left));
  Statement& enter = db.Query("segment-enter");
  for (int64_t id : entered) {
    enter.Bind(":segment_id", segment.id).Bind(":customer_id", id).Bind(":now", now.micros);
    RETURN_IF_ERROR(enter.Run());
  }
  Statement& leave = db.Query("segment-leave");
  for (int64_t id : left) {
    leave.Bind(":segment_id", segment.id).Bind(":customer_id", id).Bind(":now", now.micros);
    RETURN_IF_ERROR(leave.Run());
  }
  change.count = static_cast<int64_t>(now_members.size());
  change.entered = static_cast<int64_t>(entered.size());
  change.left = static_cast<int64_t>(left.size());
  Statement& count = db.Query("segment-record-count");
  std::string day = FormatInstant(now).substr(0, 10);
  count.Bind(":segment_id", segment.id).Bind(":day", day).Bind(":members", change.count);
  count.Bind(":entered", change.entered).Bind(":left", change.left).Bind(":now", now.micros);
  RETURN_IF_ERROR(count.Run());
  RETURN_IF_ERROR(tx.Commit());
  return change;
}

}  // namespace patron::segment
