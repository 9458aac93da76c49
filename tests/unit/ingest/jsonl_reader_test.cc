#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "ingest/ingest.h"

namespace patron::ingest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;

using Fields = std::vector<std::pair<std::string, std::string>>;

struct JsonOutcome {
  bool ok = false;
  int64_t line = 0;
  Fields fields;
  std::string raw;
  std::string error;

  bool operator==(const JsonOutcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const JsonOutcome& o) {
  os << "{line " << o.line << (o.ok ? " ok {" : " error {");
  for (const auto& [k, v] : o.fields) os << k << "=" << v << " ";
  return os << "} raw=" << o.raw << " " << o.error << "}";
}

std::vector<JsonOutcome> ReadAllJson(JsonlReader& reader) {
  std::vector<JsonOutcome> out;
  JsonRecord record;
  for (int guard = 0; guard < 100000; ++guard) {
    Result<bool> next = reader.Next(&record);
    JsonOutcome o;
    o.line = record.line;
    o.raw = std::string(record.raw);
    if (!next.ok()) {
      o.error = next.status().message();
      EXPECT_EQ(next.status().code(), StatusCode::kInvalidArgument) << o.error;
    } else if (!*next) {
      return out;
    } else {
      o.ok = true;
      o.fields = record.fields;
    }
    out.push_back(std::move(o));
  }
  ADD_FAILURE() << "reader did not terminate";
  return out;
}

std::vector<JsonOutcome> ReadJson(std::string_view data, const ReaderOptions& options = {}) {
  auto reader = JsonlReader::FromString(data, options);
  return ReadAllJson(*reader);
}

JsonOutcome JsonOk(int64_t line, Fields fields, std::string raw) {
  return {true, line, std::move(fields), std::move(raw), ""};
}

std::vector<JsonOutcome> ReadJsonFile(std::string_view data, const ReaderOptions& options) {
  static int counter = 0;
  const std::string path = testing::TempDir() + "/jsonl_reader_test_" + std::to_string(getpid()) +
                           "_" + std::to_string(counter++);
  std::ofstream(path, std::ios::binary) << data;
  auto reader = JsonlReader::Open(path, options);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  std::vector<JsonOutcome> out;
  if (reader.ok()) {
    EXPECT_EQ((*reader)->total_bytes(), data.size());
    out = ReadAllJson(**reader);
    EXPECT_EQ((*reader)->bytes_read(), data.size());
  }
  std::remove(path.c_str());
  return out;
}

TEST(JsonlReaderTest, FlattensTopLevelMembers) {
  const std::string line =
      R"({"name":"Ali","age":30,"score":1.5,"vip":true,"churned":false,"gone":null,)"
      R"("tags":[ "a", 1, null ],"address":{ "city" : "Tehran", "zip": null }})";
  EXPECT_THAT(ReadJson(line + "\n"),
              ElementsAre(JsonOk(1,
                                 {{"name", "Ali"},
                                  {"age", "30"},
                                  {"score", "1.5"},
                                  {"vip", "true"},
                                  {"churned", "false"},
                                  {"tags", R"(["a",1,null])"},
                                  {"address", R"({"city":"Tehran","zip":null})"}},
                                 line)));
}

TEST(JsonlReaderTest, NumbersKeepTheirValue) {
  auto out = ReadJson(R"({"a":9007199254740993,"b":-9223372036854775808,"c":18446744073709551615,)"
                      R"("d":0.1,"e":1e2,"f":-0.0,"g":1.50,"h":123456789.125,"i":1e300,"j":0})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].fields,
              ElementsAre(Pair("a", "9007199254740993"), Pair("b", "-9223372036854775808"),
                          Pair("c", "18446744073709551615"), Pair("d", "0.1"), Pair("e", "100"),
                          Pair("f", "-0"), Pair("g", "1.5"), Pair("h", "123456789.125"),
                          Pair("i", "1e+300"), Pair("j", "0")));
}

TEST(JsonlReaderTest, StringsAreUnescaped) {
  auto out = ReadJson(R"({"q":"say \"hi\"\\\n","u":"\u00e9\u0639\ud83d\ude00","s":"a/b\/c"})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].fields, ElementsAre(Pair("q", "say \"hi\"\\\n"),
                                         Pair("u", "\u00e9\u0639\U0001F600"), Pair("s", "a/b/c")));
}

TEST(JsonlReaderTest, PersianArabicAndSwedishRoundTripByteExactly) {
  const std::string persian = "\u0639\u0644\u06cc \u0631\u0636\u0627\u06cc\u06cc\u200c\u0647\u0627";
  const std::string arabic = "\u0645\u062d\u0645\u062f \u0627\u0644\u0639\u0644\u064a";
  const std::string swedish = "Åsa Öberg, Malmö";
  const std::string line = "{\"" + persian + "\":\"" + arabic + "\",\"namn\":\"" + swedish + "\"}";
  EXPECT_THAT(ReadJson(line), ElementsAre(JsonOk(1, {{persian, arabic}, {"namn", swedish}}, line)));
}

TEST(JsonlReaderTest, DuplicateKeysAreKeptInOrder) {
  auto out = ReadJson(R"({"a":"1","a":"2"})");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].fields, ElementsAre(Pair("a", "1"), Pair("a", "2")));
}

TEST(JsonlReaderTest, EmptyObjectHasNoFields) {
  EXPECT_THAT(ReadJson("{}\n{ }\n"), ElementsAre(JsonOk(1, {}, "{}"), JsonOk(2, {}, "{ }")));
}

TEST(JsonlReaderTest, SkipsBlankLinesAndCountsThem) {
  EXPECT_THAT(
      ReadJson("\n{\"a\":1}\n\n  \t\r\n\r\n{\"b\":2}\n\n"),
      ElementsAre(JsonOk(2, {{"a", "1"}}, "{\"a\":1}"), JsonOk(6, {{"b", "2"}}, "{\"b\":2}")));
  EXPECT_THAT(ReadJson(""), IsEmpty());
  EXPECT_THAT(ReadJson("\n\n"), IsEmpty());
}

TEST(JsonlReaderTest, AcceptsCrLfAndMissingFinalNewline) {
  EXPECT_THAT(
      ReadJson("{\"a\":1}\r\n{\"b\":2}"),
      ElementsAre(JsonOk(1, {{"a", "1"}}, "{\"a\":1}"), JsonOk(2, {{"b", "2"}}, "{\"b\":2}")));
  EXPECT_THAT(ReadJson("{\"a\":1}\r"), ElementsAre(JsonOk(1, {{"a", "1"}}, "{\"a\":1}")));
}

TEST(JsonlReaderTest, SkipsByteOrderMark) {
  EXPECT_THAT(ReadJson("\xEF\xBB\xBF{\"a\":1}\n"),
              ElementsAre(JsonOk(1, {{"a", "1"}}, "{\"a\":1}")));
}

TEST(JsonlReaderTest, NonObjectLinesAreErrors) {
  auto out = ReadJson("[1,2]\n\"text\"\n42\ntrue\nnull\n{\"ok\":1}\n");
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].error, "line 1: expected a JSON object, found an array");
  EXPECT_EQ(out[0].raw, "[1,2]");
  EXPECT_EQ(out[1].error, "line 2: expected a JSON object, found a string");
  EXPECT_EQ(out[2].error, "line 3: expected a JSON object, found a number");
  EXPECT_EQ(out[3].error, "line 4: expected a JSON object, found a boolean");
  EXPECT_EQ(out[4].error, "line 5: expected a JSON object, found null");
  EXPECT_EQ(out[5], JsonOk(6, {{"ok", "1"}}, "{\"ok\":1}"));
}

TEST(JsonlReaderTest, SyntaxErrorFailsOnlyThatLine) {
  auto out = ReadJson("{\"a\":1}\n{\"a\":}\n{\"a\":1} {\"b\":2}\n{\"c\":3}\n");
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].ok);
  EXPECT_FALSE(out[1].ok);
  EXPECT_EQ(out[1].line, 2);
  EXPECT_EQ(out[1].raw, "{\"a\":}");
  EXPECT_THAT(out[1].error, StartsWith("line 2: invalid JSON: "));
  EXPECT_THAT(out[2].error, StartsWith("line 3: invalid JSON: "));
  EXPECT_EQ(out[3], JsonOk(4, {{"c", "3"}}, "{\"c\":3}"));
}

TEST(JsonlReaderTest, InvalidUtf8IsNamed) {
  auto out = ReadJson("{\"a\":\"ok\"}\n{\"a\":\"\xC3\x28\"}\n{\"b\":\"\xD8\xB9\"}\n");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].ok);
  EXPECT_EQ(out[1].error, "line 2: invalid UTF-8 at byte offset 6 of the line");
  EXPECT_EQ(out[2], JsonOk(3, {{"b", "\xD8\xB9"}}, "{\"b\":\"\xD8\xB9\"}"));
}

TEST(JsonlReaderTest, OversizedLineIsSkipped) {
  ReaderOptions options;
  options.max_record_bytes = 16;
  const std::string data =
      "{\"a\":\"0123456789\"}\n"  // 18 bytes
      "{\"a\":\"01234567\"}\r\n"  // 16 bytes + CRLF: fine
      "{\"b\":\"" +
      std::string(100, 'x') +
      "\"}\n"  // far over
      "{\"c\":1}";
  const auto expected = ReadJson(data, options);
  ASSERT_EQ(expected.size(), 4u);
  EXPECT_EQ(expected[0].error, "line 1: record is larger than the 16-byte limit");
  EXPECT_EQ(expected[0].raw, "{\"a\":\"0123456789");
  EXPECT_EQ(expected[1], JsonOk(2, {{"a", "01234567"}}, "{\"a\":\"01234567\"}"));
  EXPECT_EQ(expected[2].error, "line 3: record is larger than the 16-byte limit");
  EXPECT_EQ(expected[2].raw, "{\"b\":\"xxxxxxxxxx");
  EXPECT_EQ(expected[3], JsonOk(4, {{"c", "1"}}, "{\"c\":1}"));
  for (size_t chunk : {1, 2, 5, 17, 18, 19, 4096}) {
    options.chunk_bytes = chunk;
    EXPECT_EQ(ReadJsonFile(data, options), expected) << "chunk " << chunk;
  }
}

TEST(JsonlReaderTest, FieldOverTheLimitFailsThatLine) {
  ReaderOptions options;
  options.max_field_bytes = 5;
  auto out =
      ReadJson("{\"a\":\"12345\",\"n\":[1,2]}\n{\"a\":\"123456\"}\n{\"n\":[1,2,3]}\n", options);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].ok);
  EXPECT_EQ(out[1].error, "line 2: field \"a\" is larger than the 5-byte limit");
  EXPECT_EQ(out[2].error, "line 3: field \"n\" is larger than the 5-byte limit");
}

TEST(JsonlReaderTest, OpenReadsInChunksLikeFromString) {
  std::string data = "\xEF\xBB\xBF";
  for (int i = 0; i < 300; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 5) {
      case 0:
        data += "{\"id\":" + n + ",\"name\":\"\u0639\u0644\u06cc\"}\r\n";
        break;
      case 1:
        data += "{\"id\":" + n + ",\"tags\":[\"x\",{\"y\":null}]}\n\n";
        break;
      case 2:
        data += "{\"id\":" + n + ",\"broken\":}\n";
        break;
      case 3:
        data += "  {\"id\":\"" + n + "\", \"v\": 1.25e1 }\n";
        break;
      case 4:
        data += "[" + n + "]\n";
        break;
    }
  }
  data += "{\"last\":true}";
  const auto expected = ReadJson(data);
  ASSERT_EQ(expected.size(), 301u);
  for (size_t chunk : {1, 3, 7, 100, 0}) {
    ReaderOptions options;
    options.chunk_bytes = chunk;
    EXPECT_EQ(ReadJsonFile(data, options), expected) << "chunk " << chunk;
  }
}

TEST(JsonlReaderTest, ProgressAndMissingFile) {
  const std::string data = "{\"a\":1}\n{\"b\":2}\n";
  auto reader = JsonlReader::FromString(data);
  EXPECT_EQ(reader->total_bytes(), data.size());
  JsonRecord record;
  ASSERT_TRUE(*reader->Next(&record));
  EXPECT_EQ(reader->bytes_read(), 8u);
  auto missing = JsonlReader::Open(testing::TempDir() + "/missing.jsonl");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("missing.jsonl"));
}

}  // namespace
}  // namespace patron::ingest
