// Internal to src/identity: the prepared (normalised) form of a record and the
// pieces of Link() that resolution and explanations reuse.
#pragma once

#include <string>
#include <vector>

#include "identity/identity.h"

namespace patron::identity::internal {

// A PersonRecord normalised once, before blocking and comparison.
struct PreparedRecord {
  std::string given, family;                    // NormalizeName
  std::string given_roman, family_roman;        // Romanize
  std::string given_skeleton, family_skeleton;  // NameSkeleton
  std::string birth_date;                       // YYYYMMDD or empty
  std::string street, street_compact;           // NormalizeName; without spaces
  std::string street_number, address_extra, city, postcode, region;
  std::string national_id;      // digits and letters only, folded
  std::string national_key;     // NationalIdKey or empty
  std::string city_roman;       // Romanize(city)
  std::string city_skeleton;    // NameSkeleton(city)
  std::string email, email_local;
  std::string phone_digits;
  std::string phone_tail;     // last nine digits: the same number in E.164 and national form
  bool phone_is_key = false;  // a validated number, usable by the deterministic rule
  // All emails (the first is `email`) and all validated numbers' digits
  // (the first is `phone_digits` when phone_is_key); more than one only when
  // the record holds several.
  std::vector<std::string> emails, key_phones;
};

PreparedRecord Prepare(const PersonRecord& record);
std::vector<PreparedRecord> PrepareAll(const std::vector<PersonRecord>& records);

ComparisonVector ComparePrepared(const PreparedRecord& a, const PreparedRecord& b);

// The deterministic rule that links two records ("email", "phone",
// "national_id"), or empty.
std::string DeterministicRule(const PreparedRecord& a, const PreparedRecord& b);

// The model used before any data was seen (for explanations without a run).
LinkageModel DefaultModel();

// JSON round trip of a fitted model, for the store.
std::string ModelToJson(const LinkageModel& model);
Result<LinkageModel> ModelFromJson(std::string_view json);

}  // namespace patron::identity::internal
