// DKIM signatures verified by an independent implementation: Debian's dkimpy
// (python3-dkim), given the DNS record DkimSigner publishes.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "deliver/deliver.h"
#include "test_util.h"

namespace patron::deliver {
namespace {

using testing::RunPython;
using testing::TempDir;
using testing::WriteFile;

std::string NewRsaPem(int bits) {
  EVP_PKEY* key = EVP_RSA_gen(bits);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, len);
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

// Verifies with dkimpy, answering its DNS query with `record`; prints the
// verdict and the DNS name it asked for.
constexpr const char* kVerify = R"PY(
import sys, dkim
message = open(sys.argv[1], 'rb').read()
record = open(sys.argv[2], 'rb').read()
asked = []
def dnsfunc(name, timeout=5):
    asked.append(name.decode())
    return record
ok = dkim.verify(message, dnsfunc=dnsfunc)
print('verified' if ok else 'failed', ' '.join(asked))
)PY";

std::string Verify(const std::string& message, const std::string& record) {
  TempDir dir;
  WriteFile(dir.path() / "m.eml", message);
  WriteFile(dir.path() / "record", record);
  auto r = RunPython(dir.path(), kVerify,
                     {(dir.path() / "m.eml").string(), (dir.path() / "record").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return r.out;
}

EmailMessage Campaign() {
  EmailMessage m;
  m.from = {"news@shop.example.com", "فروشگاه نمونه"};
  m.to = {"sara@example.org", "Sara Rezaei"};
  m.subject =
      "تخفیف ویژهٔ نوروز — ۲۰٪ روی همهٔ گوشی‌ها و لوازم جانبی، فقط تا "
      "پایان "
      "هفته";
  m.text_body = "سلام سارا،\n\n  Two  spaces   and trailing tabs\t\t\n\n\n";
  m.html_body = "<html dir=\"rtl\"><body><p>سلام</p></body></html>";
  m.list_unsubscribe_url = "https://shop.example.com/u/abc";
  m.list_unsubscribe_mailto = "unsub@shop.example.com";
  m.extra_headers = {{"X-Patron-Campaign", "7"}};
  return m;
}

TEST(Dkim, RsaSha256SignatureVerifiesWithDkimpy) {
  auto signer = DkimSigner::Create(
      {DkimAlgorithm::kRsaSha256, "shop.example.com", "patron2026", NewRsaPem(2048)});
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  ComposeOptions options;
  options.dkim = &*signer;
  auto composed = ComposeEmail(Campaign(), options);
  ASSERT_TRUE(composed.ok()) << composed.status().ToString();
  ASSERT_EQ(composed->data.rfind(
                "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=shop.example.com;", 0),
            0u);
  std::string record = signer->DnsRecord();
  EXPECT_EQ(record.rfind("v=DKIM1; k=rsa; p=MII", 0), 0u) << record;
  EXPECT_EQ(Verify(composed->data, record), "verified patron2026._domainkey.shop.example.com.\n");
  // Every header RFC 8058 needs signed is in h=.
  std::string sig = composed->data.substr(0, composed->data.find("\r\nDate:"));
  EXPECT_NE(sig.find("h=from:to:subject:date:message-id:mime-version:content-type:list-unsubscribe:"
                     "list-unsubscribe-post;"),
            std::string::npos)
      << sig;

  // A changed body or header no longer verifies.
  std::string tampered = composed->data;
  tampered += "one more line\r\n";
  EXPECT_EQ(Verify(tampered, record).substr(0, 6), "failed");
  tampered = composed->data;
  size_t at = tampered.find("List-Unsubscribe: <https://shop.example.com/u/abc>");
  tampered.replace(at + 44, 3, "xyz");
  EXPECT_EQ(Verify(tampered, record).substr(0, 6), "failed");
}

TEST(Dkim, Ed25519Sha256SignatureVerifiesWithDkimpy) {
  std::string seed = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=";  // base64 of 32 bytes
  auto signer =
      DkimSigner::Create({DkimAlgorithm::kEd25519Sha256, "shop.example.com", "ed1", seed});
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  ComposeOptions options;
  options.dkim = &*signer;
  auto composed = ComposeEmail(Campaign(), options);
  ASSERT_TRUE(composed.ok()) << composed.status().ToString();
  std::string record = signer->DnsRecord();
  EXPECT_EQ(record.rfind("v=DKIM1; k=ed25519; p=", 0), 0u) << record;
  EXPECT_EQ(Verify(composed->data, record), "verified ed1._domainkey.shop.example.com.\n");
  std::string tampered = composed->data;
  tampered.replace(tampered.find("X-Patron-Campaign: 7"), 20, "X-Patron-Campaign: 8");
  // X-Patron-Campaign is not signed, so this still verifies; the subject is.
  EXPECT_EQ(Verify(tampered, record).substr(0, 8), "verified");
  size_t subject = tampered.find("Subject: =?UTF-8?B?") + 19;
  tampered[subject] = tampered[subject] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Verify(tampered, record).substr(0, 6), "failed");
}

TEST(Dkim, RefusesUnusableKeysWithAReason) {
  auto bad_pem =
      DkimSigner::Create({DkimAlgorithm::kRsaSha256, "shop.example.com", "s", "not a key"});
  ASSERT_FALSE(bad_pem.ok());
  EXPECT_NE(bad_pem.status().message().find("not a PEM private key"), std::string::npos);
  auto short_key =
      DkimSigner::Create({DkimAlgorithm::kRsaSha256, "shop.example.com", "s", NewRsaPem(512)});
  ASSERT_FALSE(short_key.ok());
  EXPECT_NE(short_key.status().message().find("at least 1024"), std::string::npos);
  auto bad_ed =
      DkimSigner::Create({DkimAlgorithm::kEd25519Sha256, "shop.example.com", "s", "AAAA"});
  ASSERT_FALSE(bad_ed.ok());
  EXPECT_NE(bad_ed.status().message().find("32-byte seed"), std::string::npos);
  auto bad_domain = DkimSigner::Create({DkimAlgorithm::kEd25519Sha256, "shop example", "s",
                                        "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="});
  ASSERT_FALSE(bad_domain.ok());
  EXPECT_NE(bad_domain.status().message().find("not a DNS name"), std::string::npos);
}

}  // namespace
}  // namespace patron::deliver
