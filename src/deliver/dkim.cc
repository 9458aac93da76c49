// DKIM signing (RFC 6376) with relaxed/relaxed canonicalisation: rsa-sha256
// through OpenSSL's EVP interface, ed25519-sha256 (RFC 8463) through libsodium.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "deliver/deliver.h"
#include "deliver/deliver_internal.h"

namespace patron::deliver {

namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

std::string Sha256(std::string_view data) {
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return digest;
}

// Collapses runs of WSP (and removes CRLFs of folded lines) into one space and
// trims both ends: the relaxed treatment of a header value.
std::string RelaxValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool space = false;
  for (char c : value) {
    if (c == '\r' || c == '\n') continue;
    if (IsWsp(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// "name:value\r\n" per RFC 6376 3.4.2 for one raw header field (with its folds,
// without the final CRLF).
std::string RelaxedHeader(std::string_view field) {
  size_t colon = field.find(':');
  std::string name = AsciiLower(internal::TrimWsp(field.substr(0, colon)));
  return name + ":" + RelaxValue(field.substr(colon + 1)) + "\r\n";
}

// RFC 6376 3.4.4.
std::string RelaxedBody(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  size_t pos = 0;
  size_t last_nonempty_end = 0;  // length of `out` after the last non-empty line
  while (pos < body.size()) {
    size_t nl = body.find("\r\n", pos);
    std::string_view line =
        body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? body.size() : nl + 2;
    bool space = false;
    size_t line_start = out.size();
    for (char c : line) {
      if (IsWsp(c)) {
        space = true;
        continue;
      }
      if (space) out += ' ';
      space = false;
      out += c;
    }
    bool empty = out.size() == line_start;
    out += "\r\n";
    if (!empty) last_nonempty_end = out.size();
  }
  out.resize(last_nonempty_end);
  return out;
}

// Splits the header block into raw fields (each keeping its folds).
std::vector<std::string_view> HeaderFields(std::string_view headers) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = pos;
    while (true) {
      size_t nl = headers.find("\r\n", end);
      if (nl == std::string_view::npos) {
        end = headers.size();
        break;
      }
      end = nl + 2;
      if (end >= headers.size() || !IsWsp(headers[end])) {
        end = nl;
        break;
      }
    }
    fields.push_back(headers.substr(pos, end - pos));
    pos = end + 2;
  }
  return fields;
}

Status ValidateDnsName(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 253 ||
      !std::all_of(name.begin(), name.end(),
                   [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
                            c == '_';
                   }) ||
      name.front() == '.' || name.back() == '.') {
    return InvalidArgument("DKIM " + std::string(what) + " '" + std::string(name) +
                           "' is not a DNS name");
  }
  return Status::Ok();
}

}  // namespace

struct DkimSigner::Impl {
  DkimKey key;
  EVP_PKEY* rsa = nullptr;  // kRsaSha256
  unsigned char ed_secret[crypto_sign_SECRETKEYBYTES] = {};
  unsigned char ed_public[crypto_sign_PUBLICKEYBYTES] = {};

  ~Impl() {
    if (rsa) EVP_PKEY_free(rsa);
    sodium_memzero(ed_secret, sizeof ed_secret);
  }
};

DkimSigner::DkimSigner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DkimSigner::DkimSigner(DkimSigner&&) noexcept = default;
DkimSigner& DkimSigner::operator=(DkimSigner&&) noexcept = default;
DkimSigner::~DkimSigner() = default;

const DkimKey& DkimSigner::key() const { return impl_->key; }

Result<DkimSigner> DkimSigner::Create(const DkimKey& key) {
  internal::EnsureSodium();
  RETURN_IF_ERROR(ValidateDnsName(key.domain, "domain"));
  RETURN_IF_ERROR(ValidateDnsName(key.selector, "selector"));
  auto impl = std::make_unique<Impl>();
  impl->key = key;
  if (key.algorithm == DkimAlgorithm::kRsaSha256) {
    BIO* bio = BIO_new_mem_buf(key.private_key.data(), static_cast<int>(key.private_key.size()));
    if (!bio) return Internal("out of memory reading the DKIM key");
    impl->rsa = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!impl->rsa) return InvalidArgument("the DKIM private key is not a PEM private key");
    if (EVP_PKEY_get_base_id(impl->rsa) != EVP_PKEY_RSA) {
      return InvalidArgument("the DKIM private key is not an RSA key (algorithm rsa-sha256)");
    }
    if (EVP_PKEY_get_bits(impl->rsa) < 1024) {
      return InvalidArgument("the DKIM RSA key has " +
                             std::to_string(EVP_PKEY_get_bits(impl->rsa)) +
                             " bits; at least 1024 are required (2048 recommended)");
    }
  } else {
    std::string raw;
    std::string text(key.private_key);
    text.erase(std::remove_if(text.begin(), text.end(),
                              [](char c) { return std::isspace(static_cast<unsigned char>(c)); }),
               text.end());
    if (!internal::DecodeBase64(text, &raw)) {
      return InvalidArgument("the DKIM ed25519 private key is not base64");
    }
    if (raw.size() == crypto_sign_SEEDBYTES) {
      crypto_sign_seed_keypair(impl->ed_public, impl->ed_secret,
                               reinterpret_cast<const unsigned char*>(raw.data()));
    } else if (raw.size() == crypto_sign_SECRETKEYBYTES) {
      std::copy(raw.begin(), raw.end(), impl->ed_secret);
      crypto_sign_ed25519_sk_to_pk(impl->ed_public, impl->ed_secret);
    } else {
      return InvalidArgument("the DKIM ed25519 private key has " + std::to_string(raw.size()) +
                             " bytes; expected a 32-byte seed or a 64-byte secret key");
    }
    sodium_memzero(raw.data(), raw.size());
  }
  return DkimSigner(std::move(impl));
}

std::string DkimSigner::DnsRecord() const {
  if (impl_->key.algorithm == DkimAlgorithm::kEd25519Sha256) {
    return "v=DKIM1; k=ed25519; p=" +
           internal::Base64(std::string_view(reinterpret_cast<const char*>(impl_->ed_public),
                                             sizeof impl_->ed_public));
  }
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(impl_->rsa, &der);
  std::string record =
      "v=DKIM1; k=rsa; p=" + internal::Base64(std::string_view(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  return record;
}

Result<std::string> DkimSigner::Sign(std::string_view message, int64_t now_seconds) const {
  size_t split = message.find("\r\n\r\n");
  if (split == std::string_view::npos) {
    return InvalidArgument("the message has no empty line between headers and body");
  }
  std::string_view headers = message.substr(0, split + 2);
  std::string_view body = message.substr(split + 4);

  // The last instance of each header is the one verifiers take first.
  std::map<std::string, std::string_view> by_name;
  for (std::string_view field : HeaderFields(headers.substr(0, headers.size() - 2))) {
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    by_name[AsciiLower(internal::TrimWsp(field.substr(0, colon)))] = field;
  }
  std::string signed_names;
  std::string canonical;
  for (std::string_view name : kDkimSignedHeaders) {
    auto it = by_name.find(AsciiLower(name));
    if (it == by_name.end()) continue;
    if (!signed_names.empty()) signed_names += ':';
    signed_names += it->first;
    canonical += RelaxedHeader(it->second);
  }
  if (by_name.find("from") == by_name.end())
    return InvalidArgument("the message has no From header");

  const DkimKey& key = impl_->key;
  bool ed = key.algorithm == DkimAlgorithm::kEd25519Sha256;
  std::string body_hash = internal::Base64(Sha256(RelaxedBody(body)));
  std::string header =
      "DKIM-Signature: v=1; a=" + std::string(ed ? "ed25519-sha256" : "rsa-sha256") +
      "; c=relaxed/relaxed; d=" + key.domain + "; s=" + key.selector +
      ";\r\n t=" + std::to_string(now_seconds) + "; h=" + signed_names + ";\r\n bh=" + body_hash +
      ";\r\n b=";
  canonical += RelaxedHeader(header);
  canonical.resize(canonical.size() - 2);  // the signature header is hashed without its CRLF

  std::string signature;
  if (ed) {
    std::string digest = Sha256(canonical);
    signature.assign(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(digest.data()), digest.size(),
                         impl_->ed_secret);
  } else {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (!ctx) return Internal("out of memory signing DKIM");
    size_t len = 0;
    bool ok =
        EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, impl_->rsa) == 1 &&
        EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(canonical.data()),
                       canonical.size()) == 1;
    if (ok) {
      signature.assign(len, '\0');
      ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &len,
                          reinterpret_cast<const unsigned char*>(canonical.data()),
                          canonical.size()) == 1;
      signature.resize(len);
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) return Internal("OpenSSL could not sign with the DKIM key");
  }
  std::string b64 = internal::Base64(signature);
  // Folded in 70-character pieces; verifiers ignore whitespace in b=.
  for (size_t i = 0; i < b64.size(); i += 70) {
    if (i > 0) header += "\r\n  ";
    header.append(b64, i, 70);
  }
  header += "\r\n";
  std::string out;
  out.reserve(header.size() + message.size());
  out += header;
  out += message;
  return out;
}

}  // namespace patron::deliver
