// Fast phone-number validation for bulk imports, with libphonenumber's answers.
//
// Why this exists: CheckPhone must answer exactly as libphonenumber does, but
// Debian's libphonenumber 8.12 evaluates its metadata with ICU regular
// expressions, and Parse + GetNumberType cost 7-15 µs per number, the largest
// CPU cost of a customer import. This fast path evaluates the library's own
// compiled-in metadata (the PhoneMetadataCollection it loads itself) with RE2,
// step by step as libphonenumber parses and classifies a number, and declines
// (std::nullopt) whenever the input or the numbering plan takes a path it does
// not model, so that the caller falls back to libphonenumber. Because the data
// is the library's own, a Debian update of the metadata reaches both paths at
// once; tests/unit/ingest/phone_fast_test.cc compares the two on every
// region's example numbers and on thousands of mutations of them.
//
// Internal to src/ingest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/ingest.h"

namespace patron::ingest {

// `number` is the text CheckPhone hands libphonenumber's Parse: ASCII digits,
// optionally after one leading '+'. `region` is the upper-case ISO 3166
// alpha-2 default region; empty means none (libphonenumber's "ZZ").
//
// Returns exactly the PhoneCheck that CheckPhone derives from libphonenumber
// for Parse(number, region): validity, E.164, type, region, and the reason
// ("not a number", "too short", "too long", "invalid for region SE") when the
// number is invalid. Returns std::nullopt, leaving the number to
// libphonenumber, for anything the fast path does not model: other characters
// (extensions, letters, tel: URIs), a country calling code libphonenumber does
// not know, a national number without a known default region, a national
// prefix that carries a carrier code, and numbering plans whose patterns RE2
// could not compile. Thread-safe; the first call builds the tables.
std::optional<PhoneCheck> FastPhoneCheck(std::string_view number, std::string_view region);

// Regions ("SE"; "001/800" for a non-geographic calling code) whose metadata
// RE2 could not compile: numbers that involve them always go to libphonenumber.
// Empty with Debian 12's libphonenumber 8.12.
std::vector<std::string> FastPhoneUnsupportedRegions();

}  // namespace patron::ingest
