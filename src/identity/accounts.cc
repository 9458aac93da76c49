// B2B accounts: linking the records of one company that arrive from several
// sources, by company domain and by name without its legal form.
#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "identity/identity.h"
#include "store/store.h"

namespace patron::identity {
namespace {

bool FreeMailDomain(std::string_view domain) {
  static constexpr std::string_view kExact[] = {
      "gmail.com", "googlemail.com", "icloud.com", "me.com",         "mac.com",
      "aol.com",   "msn.com",        "gmx.com",    "gmx.net",        "gmx.de",
      "proton.me", "protonmail.com", "mail.ru",    "yandex.ru",      "yandex.com",
      "chmail.ir", "bredband.net",   "telia.com",  "btinternet.com", "comcast.net",
      "zoho.com",  "mail.com"};
  for (std::string_view d : kExact) {
    if (domain == d) return true;
  }
  // yahoo.*, hotmail.*, outlook.*, live.* in every country.
  for (std::string_view provider : {"yahoo.", "hotmail.", "outlook.", "live.", "ymail."}) {
    if (domain.starts_with(provider)) return true;
  }
  return false;
}

class UnionFind {
 public:
  explicit UnionFind(int n) : parent_(static_cast<size_t>(n)) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  int Find(int x) {
    while (parent_[static_cast<size_t>(x)] != x) {
      parent_[static_cast<size_t>(x)] =
          parent_[static_cast<size_t>(parent_[static_cast<size_t>(x)])];
      x = parent_[static_cast<size_t>(x)];
    }
    return x;
  }
  void Join(int a, int b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
  }

 private:
  std::vector<int> parent_;
};

std::string Folded(std::string_view text) { return AsciiLower(std::string(TrimAscii(text))); }

}  // namespace

std::string CompanyDomain(std::string_view text) {
  std::string d = AsciiLower(std::string(TrimAscii(text)));
  if (size_t at = d.rfind('@'); at != std::string::npos) d.erase(0, at + 1);
  if (size_t scheme = d.find("://"); scheme != std::string::npos) d.erase(0, scheme + 3);
  if (size_t end = d.find_first_of("/?#:"); end != std::string::npos) d.erase(end);
  if (d.starts_with("www.")) d.erase(0, 4);
  while (!d.empty() && d.back() == '.') d.pop_back();
  if (d.find('.') == std::string::npos || FreeMailDomain(d)) return "";
  return d;
}

AccountLinkResult LinkAccounts(const std::vector<AccountRecord>& records,
                               const AccountLinkOptions& options,
                               const std::vector<std::pair<int, int>>& forced_apart,
                               const std::vector<std::pair<int, int>>& forced_together) {
  const int n = static_cast<int>(records.size());
  struct Prepared {
    std::string name, domain, industry, country, city;
  };
  std::vector<Prepared> prepared;
  prepared.reserve(records.size());
  for (const auto& r : records) {
    prepared.push_back({NormalizeCompanyName(r.name), CompanyDomain(r.domain), Folded(r.industry),
                        Folded(r.country), NormalizeName(r.city)});
  }
  std::set<std::pair<int, int>> apart;
  for (auto [a, b] : forced_apart) apart.insert({std::min(a, b), std::max(a, b)});

  // Candidate pairs: the same domain, the same normalised name, or the same
  // first word of the name (for similar names).
  std::map<std::string, std::vector<int>> blocks;
  for (int i = 0; i < n; ++i) {
    const Prepared& p = prepared[static_cast<size_t>(i)];
    if (!p.domain.empty()) blocks["d|" + p.domain].push_back(i);
    if (!p.name.empty()) {
      blocks["n|" + p.name].push_back(i);
      blocks["w|" + p.name.substr(0, p.name.find(' '))].push_back(i);
    }
  }
  std::set<std::pair<int, int>> candidates;
  for (const auto& [key, members] : blocks) {
    if (members.size() > 200) continue;  // a word shared by hundreds of companies says nothing
    for (size_t x = 0; x < members.size(); ++x) {
      for (size_t y = x + 1; y < members.size(); ++y) candidates.insert({members[x], members[y]});
    }
  }

  AccountLinkResult result;
  for (auto [a, b] : forced_together) {
    result.merges.push_back({std::min(a, b), std::max(a, b), 0, 1.0, "review"});
  }
  for (auto [a, b] : candidates) {
    if (apart.count({a, b})) continue;
    const Prepared& x = prepared[static_cast<size_t>(a)];
    const Prepared& y = prepared[static_cast<size_t>(b)];
    auto differ = [](const std::string& u, const std::string& v) {
      return !u.empty() && !v.empty() && u != v;
    };
    if (!x.domain.empty() && x.domain == y.domain) {
      result.merges.push_back({a, b, 0, 1.0, "domain"});
      continue;
    }
    const bool contradicted = differ(x.domain, y.domain) || differ(x.country, y.country) ||
                              differ(x.industry, y.industry);
    if (!x.name.empty() && x.name == y.name) {
      (contradicted ? result.reviews : result.merges)
          .push_back({a, b, 0, contradicted ? 0.5 : 1.0, "name"});
      continue;
    }
    if (x.name.empty() || y.name.empty() || differ(x.country, y.country)) continue;
    if (TokenSetSimilarity(x.name, y.name, options.similar_word) >= 0.999) {
      result.reviews.push_back({a, b, 0, 0.5, "similar_name"});
    }
  }

  UnionFind clusters(n);
  for (const auto& m : result.merges) clusters.Join(m.a, m.b);
  result.cluster.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) result.cluster[static_cast<size_t>(i)] = clusters.Find(i);
  // A merge may not join records kept apart through a third one: such a
  // cluster is split back to the pairs' own links by dropping the merges
  // that connect the two sides (checked pair by pair, strongest rule first).
  if (!apart.empty()) {
    UnionFind guarded(n);
    std::vector<ScoredPair> kept;
    std::stable_sort(result.merges.begin(), result.merges.end(),
                     [](const ScoredPair& p, const ScoredPair& q) {
                       auto rank = [](const std::string& rule) {
                         return rule == "review" ? 0 : rule == "domain" ? 1 : 2;
                       };
                       return rank(p.rule) < rank(q.rule);
                     });
    for (const auto& m : result.merges) {
      const int ra = guarded.Find(m.a), rb = guarded.Find(m.b);
      bool blocked = false;
      for (auto [u, v] : apart) {
        const int ru = guarded.Find(u), rv = guarded.Find(v);
        if ((ru == ra && rv == rb) || (ru == rb && rv == ra)) blocked = true;
      }
      if (blocked) continue;
      guarded.Join(m.a, m.b);
      kept.push_back(m);
    }
    result.merges = std::move(kept);
    for (int i = 0; i < n; ++i) result.cluster[static_cast<size_t>(i)] = guarded.Find(i);
  }
  std::erase_if(result.reviews, [&](const ScoredPair& p) {
    return result.cluster[static_cast<size_t>(p.a)] == result.cluster[static_cast<size_t>(p.b)];
  });
  return result;
}

}  // namespace patron::identity

// ---------------------------------------------------------------------------
// Accounts in the store
// ---------------------------------------------------------------------------

namespace patron::identity {
namespace {

Status CheckAccount(Database& db, int64_t id) {
  Statement& q = db.Query("identity-account-exists");
  q.Bind(":id", id);
  ASSIGN_OR_RETURN(bool found, q.Step());
  q.Reset();
  if (!found) return NotFound("no account " + std::to_string(id));
  return Status::Ok();
}

Status UpsertAccountDecision(Database& db, int64_t a, int64_t b, std::string_view decision,
                             std::string_view rule, Instant now) {
  Statement& q = db.Query("identity-upsert-account-decision");
  q.Bind(":left_id", std::min(a, b))
      .Bind(":right_id", std::max(a, b))
      .Bind(":decision", decision)
      .Bind(":rule", rule)
      .Bind(":now", now.micros);
  return q.Run();
}

}  // namespace

Result<AccountResolveSummary> ResolveAccounts(Database& db, const Clock& clock) {
  const Instant now = clock.Now();
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  std::vector<int64_t> ids;
  std::vector<AccountRecord> records;
  {
    Statement& q = db.Query("identity-accounts");
    q.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      ids.push_back(q.Int(0));
      records.push_back({std::to_string(q.Int(0)), q.String(1), q.String(2), q.String(3),
                         q.String(4), q.String(5)});
    }
  }
  std::unordered_map<int64_t, int> index;
  for (size_t i = 0; i < ids.size(); ++i) index[ids[i]] = static_cast<int>(i);
  std::vector<std::pair<int, int>> apart, together;
  {
    Statement& q = db.Query("identity-account-decisions");
    q.Reset();
    while (true) {
      ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      auto a = index.find(q.Int(0)), b = index.find(q.Int(1));
      if (a == index.end() || b == index.end()) continue;
      (q.Text(2) == "apart" ? apart : together).emplace_back(a->second, b->second);
    }
  }
  const AccountLinkResult linked = LinkAccounts(records, {}, apart, together);

  RETURN_IF_ERROR(db.Query("identity-clear-account-run").Run());
  RETURN_IF_ERROR(db.Query("identity-clear-account-clusters").Run());
  AccountResolveSummary summary;
  summary.accounts = static_cast<int64_t>(ids.size());
  Statement& cluster = db.Query("identity-insert-account-cluster");
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t resolved = ids[static_cast<size_t>(linked.cluster[i])];
    if (resolved == ids[i]) ++summary.resolved_accounts;
    cluster.Bind(":account_id", ids[i]).Bind(":resolved_id", resolved).Bind(":now", now.micros);
    RETURN_IF_ERROR(cluster.Run());
  }
  Statement& pair = db.Query("identity-insert-account-pair");
  auto record = [&](const ScoredPair& p, std::string_view decision) {
    return pair.Bind(":left_id", ids[static_cast<size_t>(p.a)])
        .Bind(":right_id", ids[static_cast<size_t>(p.b)])
        .Bind(":decision", decision)
        .Bind(":rule", p.rule)
        .Bind(":now", now.micros)
        .Run();
  };
  for (const auto& m : linked.merges) {
    ++(m.rule == "domain" ? summary.domain_merges
       : m.rule == "name" ? summary.name_merges
                          : summary.decided_merges);
    if (m.rule != "review") RETURN_IF_ERROR(record(m, "merge"));
  }
  for (const auto& r : linked.reviews) RETURN_IF_ERROR(record(r, "review"));
  summary.reviews = static_cast<int64_t>(linked.reviews.size());
  RETURN_IF_ERROR(tx.Commit());
  return summary;
}

Result<std::vector<AccountMembership>> ListAccountMemberships(Database& db) {
  std::vector<AccountMembership> out;
  Statement& q = db.Query("identity-account-memberships");
  q.Reset();
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    out.push_back({q.Int(0), q.Int(4), q.String(1), q.String(2), q.String(3)});
  }
  return out;
}

Result<std::vector<AccountReview>> ListAccountReviews(Database& db) {
  std::vector<AccountReview> out;
  Statement& q = db.Query("identity-account-reviews");
  q.Reset();
  while (true) {
    ASSIGN_OR_RETURN(bool more, q.Step());
    if (!more) break;
    out.push_back({q.Int(0), q.Int(1), q.String(2)});
  }
  return out;
}

Status DecideAccounts(Database& db, int64_t left_account, int64_t right_account, bool together,
                      const Clock& clock) {
  RETURN_IF_ERROR(CheckAccount(db, left_account));
  RETURN_IF_ERROR(CheckAccount(db, right_account));
  if (left_account == right_account) return InvalidArgument("an account is always itself");
  RETURN_IF_ERROR(UpsertAccountDecision(db, left_account, right_account,
                                        together ? "together" : "apart", "review", clock.Now()));
  return ResolveAccounts(db, clock).status();
}

Status UnmergeAccount(Database& db, int64_t account_id, const Clock& clock) {
  RETURN_IF_ERROR(CheckAccount(db, account_id));
  ASSIGN_OR_RETURN(std::vector<AccountMembership> all, ListAccountMemberships(db));
  int64_t resolved = account_id;
  for (const auto& m : all) {
    if (m.account_id == account_id) resolved = m.resolved_id;
  }
  std::vector<int64_t> others;
  for (const auto& m : all) {
    if (m.resolved_id == resolved && m.account_id != account_id) others.push_back(m.account_id);
  }
  if (others.empty()) {
    return FailedPrecondition("account " + std::to_string(account_id) +
                              " is not linked with any other account");
  }
  for (int64_t other : others) {
    RETURN_IF_ERROR(UpsertAccountDecision(db, account_id, other, "apart", "unmerge", clock.Now()));
  }
  return ResolveAccounts(db, clock).status();
}

}  // namespace patron::identity
