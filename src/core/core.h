// Patron core: errors, time, civil dates and calendars, money, and Unicode text
// normalisation. Every other subsystem depends on this header; it pulls in no
// third-party headers so that it stays cheap to include.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace patron {

// ---------------------------------------------------------------------------
// Status / Result
// ---------------------------------------------------------------------------

// A small set of codes that map one-to-one to HTTP statuses (see HttpStatus).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // 400: the caller's input is wrong; the message says where
  kNotFound,            // 404
  kAlreadyExists,       // 409
  kFailedPrecondition,  // 409: the state does not allow the operation
  kPermissionDenied,    // 403
  kUnauthenticated,     // 401
  kResourceExhausted,   // 429 / 413
  kUnavailable,         // 503: try again later (busy database, overload)
  kDataLoss,            // 500: corrupt file or database
  kIoError,             // 500: the operating system refused
  kInternal,            // 500: a bug in Patron
};

std::string_view StatusCodeName(StatusCode code);
int HttpStatus(StatusCode code);

// The outcome of an operation that can fail for reasons a caller handles.
// Messages are written for the person who will read them: they say what was
// wrong and, where it helps, where (file, line, field) and what to do.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid argument: <message>"
  std::string ToString() const;

  // Returns a copy whose message is prefixed by `context` ("importing x.csv: ...").
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }

// Either a value or a non-ok Status.
// REQUIRES: value() only when ok(); status() is Ok when a value is held.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

#define PATRON_CONCAT_INNER(a, b) a##b
#define PATRON_CONCAT(a, b) PATRON_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not ok.
#define RETURN_IF_ERROR(expr)            \
  do {                                   \
    ::patron::Status _st = (expr);       \
    if (!_st.ok()) return _st;           \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MakeX());`
#define ASSIGN_OR_RETURN(lhs, expr)                                        \
  auto PATRON_CONCAT(_res_, __LINE__) = (expr);                            \
  if (!PATRON_CONCAT(_res_, __LINE__).ok())                                \
    return PATRON_CONCAT(_res_, __LINE__).status();                        \
  lhs = std::move(PATRON_CONCAT(_res_, __LINE__)).value()

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

// A point in time: microseconds since the Unix epoch, UTC.
struct Instant {
  int64_t micros = 0;

  static Instant FromSeconds(int64_t s) { return {s * 1'000'000}; }
  int64_t seconds() const { return micros >= 0 ? micros / 1'000'000 : -((-micros + 999'999) / 1'000'000); }
  auto operator<=>(const Instant&) const = default;
};

// "2024-03-05T10:15:30Z" (microseconds shown only when non-zero).
std::string FormatInstant(Instant t);
// Parses ISO 8601 / RFC 3339 date-times ("2024-03-05T10:15:30Z", "+03:30" offsets,
// fractional seconds, a space instead of 'T'); a bare date is midnight UTC.
Result<Instant> ParseInstant(std::string_view text);

// Source of the current time. Injected everywhere time matters, so that tests
// can run weeks of simulated time in milliseconds.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

// The wall clock of the machine.
class SystemClock final : public Clock {
 public:
  Instant Now() const override;
  static const SystemClock& Get();
};

// A clock that only moves when told to. Not thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start) : now_(start) {}
  Instant Now() const override { return now_; }
  void Set(Instant t) { now_ = t; }
  void Advance(std::chrono::microseconds d) { now_.micros += d.count(); }

 private:
  Instant now_;
};

// ---------------------------------------------------------------------------
// Civil dates and calendars
// ---------------------------------------------------------------------------

// A proleptic Gregorian calendar date without time zone.
struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31

  auto operator<=>(const CivilDate&) const = default;

  // Days since 1970-01-01 (negative before).
  int64_t ToDays() const;
  static CivilDate FromDays(int64_t days);
  bool IsValid() const;
  // "YYYY-MM-DD"
  std::string ToString() const;
};

enum class Calendar { kGregorian, kPersian, kIslamicCivil };

// Converts a date written in `calendar` (year, month 1-based, day) to Gregorian.
// Persian (Solar Hijri) and Hijri conversions use ICU's calendars ("persian" and
// "islamic-civil", the arithmetic tabular Hijri calendar).
Result<CivilDate> ToGregorian(Calendar calendar, int year, int month, int day);
// The inverse: a Gregorian date expressed in `calendar`.
Result<CivilDate> FromGregorian(Calendar calendar, CivilDate date);

// Money in integer minor units of an ISO 4217 currency.
struct Money {
  int64_t minor = 0;
  std::string currency;  // "EUR", "SEK", "IRR"; empty when unknown
};

// Digits after the decimal point in amounts of `currency` as people write them:
// 0 for IRR (rials are written whole), JPY, KRW, ...; 3 for KWD, BHD, OMR, JOD; else 2.
int CurrencyMinorDigits(std::string_view currency);

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or values
// beyond U+10FFFF). `error_offset` receives the byte offset of the first bad byte.
bool IsValidUtf8(std::string_view text, size_t* error_offset = nullptr);

// The longest prefix of `text` of at most `max_bytes` that does not cut a
// UTF-8 sequence in two: for storing a bounded excerpt of someone else's text
// (a provider's error, a bounce reason) that stays valid UTF-8 if it was.
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes);

// Normalises text for storage: NFC; Arabic Yeh/Kaf (ي/ك) to the Persian forms
// (ی/ک) when the text is otherwise Persian-looking; strips leading and trailing
// whitespace (Unicode aware), collapses inner whitespace runs to one space, and
// removes zero-width characters except ZWNJ between letters (meaningful in Persian).
// REQUIRES: IsValidUtf8(text).
std::string NormalizeText(std::string_view text);

// Folds text for comparison and look-up: NormalizeText, then case-folded,
// diacritics and tatweel removed, Arabic/Persian letter variants unified and ZWNJ
// dropped. Not for display.
std::string FoldForMatching(std::string_view text);

// Replaces Persian (۰-۹) and Arabic-Indic (٠-٩) digits with ASCII digits and the
// Arabic decimal/thousands separators with '.' and ','. For fields that mean a number.
std::string AsciiDigits(std::string_view text);

// ASCII lower-casing (for identifiers, domains after IDNA, enum values).
std::string AsciiLower(std::string_view text);
std::string_view TrimAscii(std::string_view text);

}  // namespace patron
