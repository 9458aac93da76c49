// B2B account linking: company domains, names without legal forms, and the
// review of doubtful pairs.
#include <gtest/gtest.h>

#include <set>

#include "identity/identity.h"

namespace patron::identity {
namespace {

TEST(CompanyDomain, FoldsWebAddressesAndEmails) {
  EXPECT_EQ(CompanyDomain("https://www.Acme.se/kontakt"), "acme.se");
  EXPECT_EQ(CompanyDomain("info@acme.se"), "acme.se");
  EXPECT_EQ(CompanyDomain("ACME.SE."), "acme.se");
  EXPECT_EQ(CompanyDomain("http://sanatertebatat.ir:8080"), "sanatertebatat.ir");
  // A free-mail provider says nothing about the company.
  EXPECT_EQ(CompanyDomain("ali.rezaei@gmail.com"), "");
  EXPECT_EQ(CompanyDomain("yahoo.co.uk"), "");
  EXPECT_EQ(CompanyDomain("chmail.ir"), "");
  EXPECT_EQ(CompanyDomain("localhost"), "");
  EXPECT_EQ(CompanyDomain(""), "");
}

TEST(CompanyName, LegalFormsInEveryLanguageAreDropped) {
  EXPECT_EQ(NormalizeCompanyName("Acme Trading AB"), NormalizeCompanyName("ACME TRADING"));
  EXPECT_EQ(NormalizeCompanyName("Oasis Logistics Co. Ltd"),
            NormalizeCompanyName("Oasis Logistics"));
  EXPECT_EQ(NormalizeCompanyName("Müller GmbH"), NormalizeCompanyName("Müller"));
  EXPECT_EQ(NormalizeCompanyName("شرکت فولاد سهامی خاص"), NormalizeCompanyName("فولاد"));
  EXPECT_EQ(NormalizeCompanyName("الخليج للتجارة ش.م.ع"), NormalizeCompanyName("الخليج للتجارة"));
  EXPECT_EQ(NormalizeCompanyName("شركة الخليج للتجارة ذ.م.م"),
            NormalizeCompanyName("الخليج للتجارة"));
}

TEST(LinkAccounts, SameCompanyFromSeveralSources) {
  const std::vector<AccountRecord> records = {
      {"crm:1", "Nordlund Skolutveckling AB", "nordlundskolutveckling.se", "8559", "Göteborg",
       "SE"},
      {"list:7", "NORDLUND SKOLUTVECKLING", "", "", "Goteborg", "SE"},  // name, nothing contradicts
      {"web:3", "Nordlund Skol", "https://www.nordlundskolutveckling.se/", "", "", "SE"},  // domain
      {"crm:2", "Sanat Ertebatat", "sanatertebatat.ir", "6110", "Tehran", "IR"},
      {"list:9", "شرکت صنعت ارتباطات سهامی خاص", "", "", "تهران",
       "IR"},  // another script: not linked by name
      {"crm:3", "Gulf Trading LLC", "gulftrading.ae", "4690", "Dubai", "AE"},
      {"list:4", "Gulf Trading", "gulf-trading.com", "4690", "Dubai",
       "AE"},                                              // same name, other domain: review
      {"crm:5", "Gulf Tradings", "", "", "Dubai", "AE"},   // similar name: review
      {"list:5", "Gulf Trading", "", "", "Riyadh", "SA"},  // other country: review (name)
  };
  AccountLinkResult r = LinkAccounts(records);
  ASSERT_EQ(r.cluster.size(), records.size());
  EXPECT_EQ(r.cluster[1], r.cluster[0]);
  EXPECT_EQ(r.cluster[2], r.cluster[0]);
  EXPECT_EQ(r.cluster[0], 0);
  EXPECT_EQ(r.cluster[3], 3);
  EXPECT_EQ(r.cluster[4], 4);
  EXPECT_EQ(r.cluster[5], 5);
  EXPECT_EQ(r.cluster[6], 6);
  EXPECT_EQ(r.cluster[7], 7);
  EXPECT_EQ(r.cluster[8], 8);
  std::set<std::pair<int, int>> reviews;
  for (const auto& p : r.reviews) reviews.insert({p.a, p.b});
  EXPECT_TRUE(reviews.count({5, 6}));
  EXPECT_TRUE(reviews.count({5, 7}));
  EXPECT_TRUE(reviews.count({6, 8}));
  EXPECT_FALSE(reviews.count({7, 8}));  // similar names in two countries are not even doubtful

  // Decisions: kept apart, or put together by a reviewer.
  AccountLinkResult apart = LinkAccounts(records, {}, {{0, 1}});
  EXPECT_NE(apart.cluster[1], apart.cluster[0]);
  EXPECT_EQ(apart.cluster[2], apart.cluster[0]);
  AccountLinkResult together = LinkAccounts(records, {}, {}, {{5, 6}});
  EXPECT_EQ(together.cluster[6], 5);
  for (const auto& p : together.reviews) EXPECT_FALSE(p.a == 5 && p.b == 6);
}

}  // namespace
}  // namespace patron::identity
