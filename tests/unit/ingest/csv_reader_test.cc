#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "ingest/ingest.h"

namespace patron::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// What one Next() call produced, copied out of the reader's views.
struct Outcome {
  bool ok = false;
  int64_t line = 0;
  std::vector<std::string> fields;
  std::string raw;
  std::string error;

  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{line " << o.line << (o.ok ? " ok [" : " error [");
  for (const auto& f : o.fields) os << '"' << f << "\" ";
  return os << "] raw=\"" << o.raw << "\" " << o.error << "}";
}

std::vector<Outcome> ReadAll(CsvReader& reader) {
  std::vector<Outcome> out;
  RawRecord record;
  for (int guard = 0; guard < 100000; ++guard) {
    Result<bool> next = reader.Next(&record);
    Outcome o;
    o.line = record.line;
    o.raw = std::string(record.raw);
    if (!next.ok()) {
      o.error = next.status().message();
      EXPECT_EQ(next.status().code(), StatusCode::kInvalidArgument) << o.error;
    } else if (!*next) {
      return out;
    } else {
      o.ok = true;
      for (std::string_view f : record.fields) o.fields.emplace_back(f);
    }
    out.push_back(std::move(o));
  }
  ADD_FAILURE() << "reader did not terminate";
  return out;
}

std::vector<Outcome> ReadString(std::string_view data, const ReaderOptions& options = {}) {
  auto reader = CsvReader::FromString(data, options);
  return ReadAll(*reader);
}

Outcome Ok(int64_t line, std::vector<std::string> fields, std::string raw) {
  return {true, line, std::move(fields), std::move(raw), ""};
}

class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    static int counter = 0;
    path_ = testing::TempDir() + "/csv_reader_test_" + std::to_string(getpid()) + "_" +
            std::to_string(counter++);
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<Outcome> ReadFile(std::string_view data, const ReaderOptions& options) {
  TempFile file(data);
  auto reader = CsvReader::Open(file.path(), options);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return {};
  EXPECT_EQ((*reader)->total_bytes(), data.size());
  auto out = ReadAll(**reader);
  EXPECT_EQ((*reader)->bytes_read(), data.size());
  return out;
}

TEST(CsvReaderTest, ReadsSimpleRecords) {
  auto reader = CsvReader::FromString("name,email\nAli,ali@example.com\nSara,sara@example.se\n");
  EXPECT_EQ(reader->delimiter(), ',');
  EXPECT_THAT(ReadAll(*reader),
              ElementsAre(Ok(1, {"name", "email"}, "name,email"),
                          Ok(2, {"Ali", "ali@example.com"}, "Ali,ali@example.com"),
                          Ok(3, {"Sara", "sara@example.se"}, "Sara,sara@example.se")));
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) {
  EXPECT_TRUE(ReadString("").empty());
  EXPECT_TRUE(ReadString("\xEF\xBB\xBF").empty());
  EXPECT_TRUE(ReadString("\n\r\n\r").empty());
}

TEST(CsvReaderTest, NextKeepsReturningFalseAtEnd) {
  auto reader = CsvReader::FromString("a\n");
  RawRecord record;
  ASSERT_TRUE(*reader->Next(&record));
  for (int i = 0; i < 3; ++i) {
    Result<bool> next = reader->Next(&record);
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(*next);
  }
}

TEST(CsvReaderTest, QuotedFieldWithEmbeddedCrlfKeepsLineNumbers) {
  EXPECT_THAT(ReadString("id,note\r\n1,\"hello\r\nworld\"\r\n2,\"a\nb\rc\"\r\n3,x\r\n"),
              ElementsAre(Ok(1, {"id", "note"}, "id,note"),
                          Ok(2, {"1", "hello\r\nworld"}, "1,\"hello\r\nworld\""),
                          Ok(4, {"2", "a\nb\rc"}, "2,\"a\nb\rc\""),  // LF, then CR: two breaks
                          Ok(7, {"3", "x"}, "3,x")));
}

TEST(CsvReaderTest, LineFeedThenCarriageReturnInQuotesCountsTwoLines) {
  EXPECT_THAT(ReadString("\"a\n\rb\"\nnext\n"),
              ElementsAre(Ok(1, {"a\n\rb"}, "\"a\n\rb\""), Ok(4, {"next"}, "next")));
}

TEST(CsvReaderTest, DoubledQuotesAreUnescaped) {
  EXPECT_THAT(ReadString("\"say \"\"hi\"\"\",\"\"\"\",\"\",plain\n"),
              ElementsAre(Ok(1, {"say \"hi\"", "\"", "", "plain"},
                             "\"say \"\"hi\"\"\",\"\"\"\",\"\",plain")));
}

TEST(CsvReaderTest, QuotedDelimitersStayInTheField) {
  EXPECT_THAT(ReadString("\"Smith, John\",\"a;b\"\n"),
              ElementsAre(Ok(1, {"Smith, John", "a;b"}, "\"Smith, John\",\"a;b\"")));
}

TEST(CsvReaderTest, DetectsSemicolon) {
  auto reader = CsvReader::FromString("namn;e-post;belopp\nÅsa;asa@example.se;1,50\n");
  EXPECT_EQ(reader->delimiter(), ';');
  EXPECT_THAT(ReadAll(*reader),
              ElementsAre(Ok(1, {"namn", "e-post", "belopp"}, "namn;e-post;belopp"),
                          Ok(2, {"Åsa", "asa@example.se", "1,50"}, "Åsa;asa@example.se;1,50")));
}

TEST(CsvReaderTest, DetectsTab) {
  auto reader = CsvReader::FromString("a,1\tb\tc\nx\ty\tz\n");
  EXPECT_EQ(reader->delimiter(), '\t');
  EXPECT_THAT(ReadAll(*reader), ElementsAre(Ok(1, {"a,1", "b", "c"}, "a,1\tb\tc"),
                                            Ok(2, {"x", "y", "z"}, "x\ty\tz")));
}

TEST(CsvReaderTest, DetectsPipe) { EXPECT_EQ(CsvReader::FromString("a|b|c\n")->delimiter(), '|'); }

TEST(CsvReaderTest, DetectionIgnoresDelimitersInsideQuotes) {
  EXPECT_EQ(CsvReader::FromString("\"a,b,c,d\";x;y\n1;2;3\n")->delimiter(), ';');
  EXPECT_EQ(CsvReader::FromString("\"a\"\",,,\"\"b\";x\n")->delimiter(), ';');
}

TEST(CsvReaderTest, DetectionDefaultsToCommaAndBreaksTiesInOrder) {
  EXPECT_EQ(CsvReader::FromString("single\n1\n")->delimiter(), ',');
  EXPECT_EQ(CsvReader::FromString("")->delimiter(), ',');
  EXPECT_EQ(CsvReader::FromString("a;b,c\n")->delimiter(), ',');
  EXPECT_EQ(CsvReader::FromString("a\tb;c\n")->delimiter(), ';');
}

TEST(CsvReaderTest, DetectionSkipsLeadingBlankLinesAndBom) {
  EXPECT_EQ(CsvReader::FromString("\xEF\xBB\xBF\r\n\na;b\n")->delimiter(), ';');
}

TEST(CsvReaderTest, ExplicitDelimiterIsUsed) {
  ReaderOptions options;
  options.delimiter = ';';
  auto reader = CsvReader::FromString("a,b;c\n", options);
  EXPECT_EQ(reader->delimiter(), ';');
  EXPECT_THAT(ReadAll(*reader), ElementsAre(Ok(1, {"a,b", "c"}, "a,b;c")));
}

TEST(CsvReaderTest, OpenRejectsQuoteAsDelimiter) {
  TempFile file("a\n");
  ReaderOptions options;
  options.delimiter = '"';
  auto reader = CsvReader::Open(file.path(), options);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kInvalidArgument);
}

TEST(CsvReaderTest, SkipsByteOrderMark) {
  EXPECT_THAT(
      ReadString("\xEF\xBB\xBFname,email\nAli,a@b.c\n"),
      ElementsAre(Ok(1, {"name", "email"}, "name,email"), Ok(2, {"Ali", "a@b.c"}, "Ali,a@b.c")));
  // Only at the very start: elsewhere it is data.
  EXPECT_THAT(ReadString("a\n\xEF\xBB\xBF"
                         "b\n"),
              ElementsAre(Ok(1, {"a"}, "a"), Ok(2,
                                                {"\xEF\xBB\xBF"
                                                 "b"},
                                                "\xEF\xBB\xBF"
                                                "b")));
}

TEST(CsvReaderTest, TrailingDelimiterGivesEmptyLastField) {
  EXPECT_THAT(ReadString("a,b,\n,\n"),
              ElementsAre(Ok(1, {"a", "b", ""}, "a,b,"), Ok(2, {"", ""}, ",")));
  EXPECT_THAT(ReadString("a,b,"), ElementsAre(Ok(1, {"a", "b", ""}, "a,b,")));
}

TEST(CsvReaderTest, LastRecordWithoutFinalNewline) {
  EXPECT_THAT(ReadString("a,b\nc,d"),
              ElementsAre(Ok(1, {"a", "b"}, "a,b"), Ok(2, {"c", "d"}, "c,d")));
  EXPECT_THAT(ReadString("a,\"b\""), ElementsAre(Ok(1, {"a", "b"}, "a,\"b\"")));
  EXPECT_THAT(ReadString("a,\"b\"\"\""), ElementsAre(Ok(1, {"a", "b\""}, "a,\"b\"\"\"")));
}

TEST(CsvReaderTest, CrLfLineEnds) {
  EXPECT_THAT(ReadString("a,b\r\nc,d\r\n"),
              ElementsAre(Ok(1, {"a", "b"}, "a,b"), Ok(2, {"c", "d"}, "c,d")));
}

TEST(CsvReaderTest, CarriageReturnOnlyLineEnds) {
  EXPECT_THAT(ReadString("a,b\rc,\"d\re\"\rf,g\r"),
              ElementsAre(Ok(1, {"a", "b"}, "a,b"), Ok(2, {"c", "d\re"}, "c,\"d\re\""),
                          Ok(4, {"f", "g"}, "f,g")));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButCounted) {
  EXPECT_THAT(ReadString("a\n\n\r\n\rb\r\n\r\nc\n"),
              ElementsAre(Ok(1, {"a"}, "a"), Ok(5, {"b"}, "b"), Ok(7, {"c"}, "c")));
}

TEST(CsvReaderTest, WhitespaceLineIsARecord) {
  EXPECT_THAT(ReadString("a\n \nb\n"),
              ElementsAre(Ok(1, {"a"}, "a"), Ok(2, {" "}, " "), Ok(3, {"b"}, "b")));
}

TEST(CsvReaderTest, BareQuoteInUnquotedFieldIsKept) {
  EXPECT_THAT(ReadString("tv,5\" screen,x\"y\"\n"),
              ElementsAre(Ok(1, {"tv", "5\" screen", "x\"y\""}, "tv,5\" screen,x\"y\"")));
}

TEST(CsvReaderTest, RaggedRowsAreNotAnErrorHere) {
  EXPECT_THAT(
      ReadString("a,b\n1,2,3\n4\n"),
      ElementsAre(Ok(1, {"a", "b"}, "a,b"), Ok(2, {"1", "2", "3"}, "1,2,3"), Ok(3, {"4"}, "4")));
}

TEST(CsvReaderTest, PersianArabicAndSwedishRoundTripByteExactly) {
  const std::string persian = "\u0639\u0644\u06cc \u0631\u0636\u0627\u06cc\u06cc";  // علی رضایی
  const std::string zwnj = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645";  // می‌خواهم
  const std::string arabic = "\u0645\u062d\u0645\u062f \u0627\u0644\u0639\u0644\u064a";
  const std::string swedish = "Åsa Öberg, Malmö";
  const std::string digits = "\u06f0\u06f9\u06f1\u06f2";  // ۰۹۱۲
  const std::string line = persian + "," + zwnj + "," + arabic + ",\"" + swedish + "\"," + digits;
  EXPECT_THAT(ReadString(line + "\n"),
              ElementsAre(Ok(1, {persian, zwnj, arabic, swedish, digits}, line)));
}

TEST(CsvReaderTest, InvalidUtf8FailsOnlyThatRecord) {
  auto out = ReadString("a,b\nx,\xC3\x28\nc,d\n");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], Ok(1, {"a", "b"}, "a,b"));
  EXPECT_FALSE(out[1].ok);
  EXPECT_EQ(out[1].line, 2);
  EXPECT_EQ(out[1].raw, "x,\xC3\x28");
  EXPECT_EQ(out[1].error, "line 2: invalid UTF-8 at byte offset 2 of the record");
  EXPECT_EQ(out[2], Ok(3, {"c", "d"}, "c,d"));
}

TEST(CsvReaderTest, InvalidUtf8InsideQuotesIsCaughtToo) {
  auto out = ReadString("\"ok\n\xFF\"\nnext\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].error, "line 1: invalid UTF-8 at byte offset 4 of the record");
  EXPECT_EQ(out[1], Ok(3, {"next"}, "next"));
}

TEST(CsvReaderTest, UnterminatedQuoteAtEndOfInput) {
  auto out = ReadString("a,b\n1,\"oops\n2,3\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], Ok(1, {"a", "b"}, "a,b"));
  EXPECT_FALSE(out[1].ok);
  EXPECT_EQ(out[1].line, 2);
  EXPECT_EQ(out[1].raw, "1,\"oops\n2,3\n");
  EXPECT_EQ(out[1].error, "line 2: unterminated quoted field (opened on line 2)");
}

TEST(CsvReaderTest, UnterminatedQuoteNamesTheLineWhereItOpened) {
  auto out = ReadString("1,\"a\nb\",\"c\nd");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].error, "line 1: unterminated quoted field (opened on line 2)");
}

TEST(CsvReaderTest, CharacterAfterClosingQuoteResynchronisesAtNextLine) {
  auto out = ReadString("1,\"ab\"c,3\n4,5\n6,\"x\" \n7,\"\u0645\"\u0645\n8\n");
  ASSERT_EQ(out.size(), 5u);
  EXPECT_FALSE(out[0].ok);
  EXPECT_EQ(out[0].error, "line 1: unexpected character 'c' after closing quote in field 2");
  EXPECT_EQ(out[0].raw, "1,\"ab\"c,3");
  EXPECT_EQ(out[1], Ok(2, {"4", "5"}, "4,5"));
  EXPECT_EQ(out[2].error, "line 3: unexpected character ' ' after closing quote in field 2");
  EXPECT_EQ(out[3].error, "line 4: unexpected character '\u0645' after closing quote in field 2");
  EXPECT_EQ(out[4], Ok(5, {"8"}, "8"));
}

TEST(CsvReaderTest, StrayTextAfterQuoteThatOpensAnotherQuoteStaysInRecord) {
  // After the error the rest of the field is unquoted, so its quote is literal;
  // the next field's quote does open a quoted field spanning the line end.
  auto out = ReadString("\"a\"b\"c,\"d\ne\"\nnext\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].line, 1);
  EXPECT_EQ(out[0].raw, "\"a\"b\"c,\"d\ne\"");
  EXPECT_THAT(out[0].error, StartsWith("line 1: unexpected character 'b'"));
  EXPECT_EQ(out[1], Ok(3, {"next"}, "next"));
}

TEST(CsvReaderTest, FieldOverTheLimitFailsThatRecord) {
  ReaderOptions options;
  options.max_field_bytes = 8;
  auto out =
      ReadString("a,12345678\nb,123456789\nc,\"1234\"\"567\"\nd,\"1234\"\"5678\"\ne,f\n", options);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0], Ok(1, {"a", "12345678"}, "a,12345678"));
  EXPECT_EQ(out[1].error, "line 2: field 2 is larger than the 8-byte limit");
  EXPECT_EQ(out[1].raw, "b,123456789");
  EXPECT_EQ(out[2], Ok(3, {"c", "1234\"567"}, "c,\"1234\"\"567\""));  // 8 bytes once unquoted
  EXPECT_EQ(out[3].error, "line 4: field 2 is larger than the 8-byte limit");
  EXPECT_EQ(out[4], Ok(5, {"e", "f"}, "e,f"));
}

TEST(CsvReaderTest, DefaultFieldLimitIsOneMebibyte) {
  std::string big(ReaderOptions().max_field_bytes + 1, 'x');
  auto out = ReadString("id,blob\n1," + big + "\n2,small\n");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].error, "line 2: field 2 is larger than the 1048576-byte limit");
  EXPECT_EQ(out[2], Ok(3, {"2", "small"}, "2,small"));
}

TEST(CsvReaderTest, OversizedRecordIsSkippedToItsEnd) {
  ReaderOptions options;
  options.max_record_bytes = 16;
  const std::string data =
      "a,b\n"
      "1,\"a long quoted field\nthat spans lines, with, commas\",x\n"
      "2,ok\n"
      "0123456789abcdef\n"   // exactly 16 bytes: fine
      "0123456789abcdefg\n"  // 17 bytes
      "3,last";
  const std::vector<Outcome> from_string = ReadString(data, options);
  ASSERT_EQ(from_string.size(), 6u);
  EXPECT_EQ(from_string[0], Ok(1, {"a", "b"}, "a,b"));
  EXPECT_EQ(from_string[1].error, "line 2: record is larger than the 16-byte limit");
  EXPECT_EQ(from_string[1].raw, "1,\"a long quoted");
  EXPECT_EQ(from_string[2], Ok(4, {"2", "ok"}, "2,ok"));
  EXPECT_EQ(from_string[3], Ok(5, {"0123456789abcdef"}, "0123456789abcdef"));
  EXPECT_EQ(from_string[4].error, "line 6: record is larger than the 16-byte limit");
  EXPECT_EQ(from_string[5], Ok(7, {"3", "last"}, "3,last"));
  for (size_t chunk : {1, 2, 3, 5, 16, 17, 18, 64}) {
    options.chunk_bytes = chunk;
    EXPECT_EQ(ReadFile(data, options), from_string) << "chunk " << chunk;
  }
}

TEST(CsvReaderTest, OversizedRecordWithCrLfEndingExactlyAtTheLimit) {
  ReaderOptions options;
  options.max_record_bytes = 4;
  options.chunk_bytes = 2;
  const std::string data = "abcd\r\nabcde\r\nab\r\n";
  auto out = ReadFile(data, options);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], Ok(1, {"abcd"}, "abcd"));
  EXPECT_EQ(out[1].error, "line 2: record is larger than the 4-byte limit");
  EXPECT_EQ(out[2], Ok(3, {"ab"}, "ab"));
  EXPECT_EQ(ReadString(data, options), out);
}

TEST(CsvReaderTest, UnterminatedOversizedRecordReportsSize) {
  ReaderOptions options;
  options.max_record_bytes = 8;
  auto out = ReadString("a\n\"open and never closed\nmore\n", options);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].error, "line 2: record is larger than the 8-byte limit");
}

// A mix of everything, for comparing file reads in many chunk sizes with FromString.
std::string MixedCsv(int rows) {
  std::string data = "\xEF\xBB\xBFid;name;note;amount\r\n";
  for (int i = 0; i < rows; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 6) {
      case 0:
        data += n + ";\u0639\u0644\u06cc;\"multi\r\nline \"\"quoted\"\"\";1,50\r\n";
        break;
      case 1:
        data += n + ";Åsa;plain;2\n";
        break;
      case 2:
        data += n + ";\"bad\"x;z;3\n";
        break;
      case 3:
        data += "\n" + n + ";" + std::string(i % 50, 'w') + ";;\r";
        break;
      case 4:
        data += n + ";\xE2\x82;broken utf8;4\n";
        break;
      case 5:
        data += n + ";\"semi;colon\";5\" tv;\r\n";
        break;
    }
  }
  return data + "end;\"no newline\"";
}

TEST(CsvReaderTest, OpenReadsInChunksLikeFromString) {
  const std::string data = MixedCsv(200);
  const std::vector<Outcome> expected = ReadString(data);
  ASSERT_GT(expected.size(), 200u);
  EXPECT_EQ(CsvReader::FromString(data)->delimiter(), ';');
  for (size_t chunk : {1, 2, 3, 7, 64, 1000, 0}) {
    ReaderOptions options;
    options.chunk_bytes = chunk;
    EXPECT_EQ(ReadFile(data, options), expected) << "chunk " << chunk;
  }
}

TEST(CsvReaderTest, OpenReadsFileLargerThanOneBuffer) {
  std::string data = "id,name,email\n";
  while (data.size() < (3u << 20)) {
    const std::string n = std::to_string(data.size());
    data += n + ",\"Name " + n + "\",user" + n + "@example.com\n";
  }
  TempFile file(data);
  auto reader = CsvReader::Open(file.path());
  ASSERT_TRUE(reader.ok());
  auto memory = CsvReader::FromString(data);
  RawRecord from_file, from_memory;
  int64_t records = 0;
  for (;;) {
    Result<bool> a = (*reader)->Next(&from_file);
    Result<bool> b = memory->Next(&from_memory);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(*a, *b);
    if (!*a) break;
    ++records;
    ASSERT_EQ(from_file.line, from_memory.line);
    ASSERT_EQ(from_file.raw, from_memory.raw);
    ASSERT_EQ(from_file.fields, from_memory.fields);
    EXPECT_LE((*reader)->bytes_read(), data.size());
  }
  EXPECT_GT(records, 50000);
  EXPECT_EQ((*reader)->bytes_read(), data.size());
  EXPECT_EQ((*reader)->total_bytes(), data.size());
}

TEST(CsvReaderTest, ProgressFromString) {
  const std::string data = "a,b\nc,d\n";
  auto reader = CsvReader::FromString(data);
  EXPECT_EQ(reader->total_bytes(), data.size());
  EXPECT_EQ(reader->bytes_read(), 0u);
  RawRecord record;
  ASSERT_TRUE(*reader->Next(&record));
  EXPECT_EQ(reader->bytes_read(), 4u);
  ASSERT_TRUE(*reader->Next(&record));
  EXPECT_EQ(reader->bytes_read(), data.size());
}

TEST(CsvReaderTest, OpenMissingFileIsNotFound) {
  auto reader = CsvReader::Open(testing::TempDir() + "/does-not-exist.csv");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(reader.status().message(), HasSubstr("does-not-exist.csv"));
}

TEST(CsvReaderTest, OpenDirectoryIsAnError) {
  auto reader = CsvReader::Open(testing::TempDir());
  ASSERT_FALSE(reader.ok());
}

}  // namespace
}  // namespace patron::ingest
