// collect::ParseRequest: the Segment Tracking API's rules as a client relies on them.
#include <gtest/gtest.h>

#include <string>

#include "collect/collect.h"

namespace patron::collect {
namespace {

const Instant kReceived = *ParseInstant("2026-11-20T12:00:00Z");

Result<ParsedRequest> Parse(Endpoint e, const std::string& body, const Limits& limits = {}) {
  return ParseRequest(e, body, kReceived, limits);
}

TEST(CollectParse, SingleTrackWithClockSkewCorrection) {
  // The device's clock is 10 minutes fast: it says it sent at 12:10:00 what happened at 12:09:00.
  auto r = Parse(Endpoint::kTrack,
                 R"({"userId":"u1","event":"Signed Up","properties":{"plan":"pro"},"messageId":"m-1",)"
                 R"("timestamp":"2026-11-20T12:09:00Z","sentAt":"2026-11-20T12:10:00Z","writeKey":"wk"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->messages.size(), 1u);
  const Message& m = r->messages[0];
  EXPECT_EQ(m.type, CallType::kTrack);
  EXPECT_EQ(m.event, "Signed Up");
  EXPECT_EQ(m.message_id, "m-1");
  EXPECT_EQ(r->write_key, "wk");
  EXPECT_EQ(m.properties, R"({"plan":"pro"})");
  EXPECT_EQ(FormatInstant(m.timestamp), FormatInstant(*ParseInstant("2026-11-20T11:59:00Z")));
}

TEST(CollectParse, TimestampWithoutSentAtIsKeptButNeverInTheFuture) {
  auto r = Parse(Endpoint::kTrack, R"({"anonymousId":"a","event":"x","timestamp":"2026-11-01T08:00:00Z"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FormatInstant(r->messages[0].timestamp), FormatInstant(*ParseInstant("2026-11-01T08:00:00Z")));
  auto future = Parse(Endpoint::kTrack, R"({"anonymousId":"a","event":"x","timestamp":"2030-01-01T00:00:00Z"})");
  ASSERT_TRUE(future.ok());
  EXPECT_EQ(future->messages[0].timestamp.micros, kReceived.micros);
}

TEST(CollectParse, BatchMergesEnvelopeContextAndDropsTheLibrary) {
  auto r = Parse(Endpoint::kBatch,
                 R"({"batch":[{"type":"page","anonymousId":"a1","name":"Home",)"
                 R"("context":{"locale":"fa-IR","library":{"name":"analytics.js"}}},)"
                 R"({"type":"identify","userId":"u1","traits":{"email":"x@y.se"}}],)"
                 R"("context":{"ip":"10.0.0.1","locale":"sv-SE"},"sentAt":"2026-11-20T12:00:00Z"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->messages.size(), 2u);
  EXPECT_EQ(r->messages[0].type, CallType::kPage);
  EXPECT_EQ(r->messages[0].name, "Home");
  // The message's own locale wins; the envelope's ip is added; library is gone.
  EXPECT_EQ(r->messages[0].context, R"({"locale":"fa-IR","ip":"10.0.0.1"})");
  EXPECT_EQ(r->messages[1].context, R"({"ip":"10.0.0.1","locale":"sv-SE"})");
  EXPECT_EQ(r->messages[1].traits, R"({"email":"x@y.se"})");
}

TEST(CollectParse, BadMessagesInABatchAreRejectedOneByOneWithReasons) {
  auto r = Parse(Endpoint::kBatch,
                 R"({"batch":[{"type":"track","userId":"u","event":"ok"},)"
                 R"({"type":"track","event":"no id"},)"
                 R"({"type":"track","userId":{"nested":1},"event":"x"},)"
                 R"({"type":"launch","userId":"u"},)"
                 R"({"type":"track","userId":"u"},)"
                 R"({"type":"track","userId":"u","event":"x","properties":[1,2]},)"
                 R"("not an object",)"
                 R"({"type":"alias","userId":"u"},)"
                 R"({"type":"track","userId":"u","event":"x","timestamp":"yesterday-ish"}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->messages.size(), 1u);
  ASSERT_EQ(r->rejected.size(), 8u);
  EXPECT_EQ(r->rejected[0].reason, "batch[1]: userId or anonymousId is required");
  EXPECT_EQ(r->rejected[1].reason, "batch[2]: userId must be a string");
  EXPECT_NE(r->rejected[2].reason.find("'launch' is not identify, track"), std::string::npos);
  EXPECT_EQ(r->rejected[3].reason, "batch[4]: event is required for a track call");
  EXPECT_EQ(r->rejected[4].reason, "batch[5]: properties must be an object");
  EXPECT_NE(r->rejected[5].reason.find("must be a JSON object, not a string"), std::string::npos);
  EXPECT_EQ(r->rejected[6].reason, "batch[7]: previousId is required for an alias call");
  EXPECT_NE(r->rejected[7].reason.find("batch[8]: timestamp:"), std::string::npos);
  EXPECT_EQ(r->rejected[1].raw, R"({"type":"track","userId":{"nested":1},"event":"x"})");
}

TEST(CollectParse, WholeBodyErrorsNameTheProblem) {
  auto bad_json = Parse(Endpoint::kBatch, R"({"batch":[{"type":"track",}]})");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_EQ(bad_json.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_json.status().message().find("not valid JSON"), std::string::npos);

  auto bad_utf8 = Parse(Endpoint::kTrack, "{\"userId\":\"\xC3\x28\",\"event\":\"x\"}");
  ASSERT_FALSE(bad_utf8.ok());
  EXPECT_EQ(bad_utf8.status().message(), "request body is not valid UTF-8");

  auto no_batch = Parse(Endpoint::kBatch, R"({"messages":[]})");
  ASSERT_FALSE(no_batch.ok());
  EXPECT_EQ(no_batch.status().message(), "batch is required: an array of messages");

  auto not_object = Parse(Endpoint::kTrack, "[1,2,3]");
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.status().message(), "request body must be a JSON object, not an array");

  auto empty = Parse(Endpoint::kTrack, "  ");
  ASSERT_FALSE(empty.ok());
}

TEST(CollectParse, LimitsOfTheSpec) {
  Limits limits;
  std::string big_property(40 * 1024, 'x');
  auto too_big_message = Parse(Endpoint::kTrack, R"({"userId":"u","event":"x","properties":{"p":")" + big_property + R"("}})");
  ASSERT_FALSE(too_big_message.ok());
  EXPECT_EQ(too_big_message.status().code(), StatusCode::kResourceExhausted);

  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 2501; ++i) batch += std::string(i ? "," : "") + R"({"type":"track","userId":"u","event":"e"})";
  batch += "]}";
  auto too_many = Parse(Endpoint::kBatch, batch);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("2501 messages; the limit is 2500"), std::string::npos);

  std::string body(600 * 1024, ' ');
  auto too_large = Parse(Endpoint::kBatch, body);
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.status().code(), StatusCode::kResourceExhausted);

  // One oversized message inside a batch is a reject; the rest is kept.
  auto mixed = Parse(Endpoint::kBatch, R"({"batch":[{"type":"track","userId":"u","event":"x","properties":{"p":")" +
                                           big_property + R"("}},{"type":"track","userId":"u","event":"y"}]})");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->messages.size(), 1u);
  ASSERT_EQ(mixed->rejected.size(), 1u);
  EXPECT_NE(mixed->rejected[0].reason.find("the limit is 32768"), std::string::npos);
  EXPECT_EQ(mixed->rejected[0].raw.size(), 4096u);
}

TEST(CollectParse, IdsAsNumbersAndMissingMessageIdsGetAStableHash) {
  std::string body = R"({"userId":12345,"event":"x","properties":{"a":1}})";
  auto a = Parse(Endpoint::kTrack, body);
  auto b = Parse(Endpoint::kTrack, body);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->messages[0].user_id, "12345");
  EXPECT_EQ(a->messages[0].message_id.rfind("hash:", 0), 0u);
  EXPECT_EQ(a->messages[0].message_id, b->messages[0].message_id);  // a retry of the same body is the same message
}

TEST(CollectParse, ShortBrowserPaths) {
  Endpoint e;
  ASSERT_TRUE(EndpointForPath("/v1/t", &e));
  EXPECT_EQ(e, Endpoint::kTrack);
  ASSERT_TRUE(EndpointForPath("/v1/b/", &e));
  EXPECT_EQ(e, Endpoint::kBatch);
  ASSERT_TRUE(EndpointForPath("/v1/import", &e));
  EXPECT_EQ(e, Endpoint::kBatch);
  EXPECT_FALSE(EndpointForPath("/v1/other", &e));
}

TEST(CollectParse, IdentifyTraitsFromLegacyContext) {
  auto r = Parse(Endpoint::kIdentify, R"({"userId":"u","context":{"traits":{"email":"a@b.se"}}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->messages[0].traits, R"({"email":"a@b.se"})");
}

}  // namespace
}  // namespace patron::collect
