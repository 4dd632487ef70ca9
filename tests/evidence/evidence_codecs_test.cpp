// The plain-C++ parts of evidence: bucket URL and key layout, Standard Webhooks signing (the
// specification's example), retry classification and backoff, spool job encoding, the
// manifest with its objects.
#include <mediaflow/evidence/event_json.hpp>
#include <mediaflow/evidence/object_layout.hpp>
#include <mediaflow/evidence/retry_policy.hpp>
#include <mediaflow/evidence/s3_client.hpp>
#include <mediaflow/evidence/spool_job.hpp>
#include <mediaflow/evidence/standard_webhooks.hpp>

#include "support/test_files.hpp"

#include <gtest/gtest.h>

#include <json-glib/json-glib.h>

namespace mediaflow::evidence {
namespace {

TEST(BucketUrl, BucketAndPrefixAreSplitAndTrimmed) {
  auto a = parse_bucket_url("s3://evidence");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->bucket, "evidence");
  EXPECT_EQ(a->prefix, "");
  auto b = parse_bucket_url("s3://evidence/prod/calls/");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->bucket, "evidence");
  EXPECT_EQ(b->prefix, "prod/calls");
}

TEST(BucketUrl, OtherSchemesBadNamesAndDotSegmentsAreRefusedWithAReason) {
  for (const char* bad : {"https://evidence", "evidence", "s3://", "s3://EV", "s3://ab", "s3://-evidence",
                          "s3://evidence/a//b", "s3://evidence/../x", "s3://evi_dence"}) {
    std::string error;
    EXPECT_FALSE(parse_bucket_url(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(ObjectKey, MirrorsTheDiskLayoutUnderThePrefix) {
  test::TempDir root;
  const auto file = root.path / "org" / "acme" / "recordings" / "CA1" / "rec-1.wav";
  EXPECT_EQ(object_key({"evidence", "prod"}, root.path, file), "prod/org/acme/recordings/CA1/rec-1.wav");
  EXPECT_EQ(object_key({"evidence", ""}, root.path, file), "org/acme/recordings/CA1/rec-1.wav");
}

TEST(ObjectKey, AFileOutsideTheRootHasNoKey) {
  test::TempDir root;
  EXPECT_FALSE(object_key({"evidence", "p"}, root.path, root.path / ".." / "elsewhere.wav"));
  EXPECT_FALSE(object_key({"evidence", "p"}, root.path, "/etc/passwd"));
}

TEST(ObjectKey, PathEncodingKeepsSlashesAndUnreservedAndEncodesTheRest) {
  EXPECT_EQ(encode_key_for_path("a/b-c_d.e~f/g h+$"), "a/b-c_d.e~f/g%20h%2B%24");
  EXPECT_EQ(encode_query_value("2~a/b=c"), "2~a%2Fb%3Dc");
}

// standardwebhooks.com, "Signature scheme" example (also the reference libraries' test).
TEST(StandardWebhooks, SignsTheSpecificationExample) {
  auto key = decode_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key);
  EXPECT_EQ(sign_webhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(StandardWebhooks, TheSignatureCoversIdTimestampAndBody) {
  auto key = *decode_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  const std::string base = sign_webhook(key, "msg_1", 1700000000, "{}");
  EXPECT_NE(base, sign_webhook(key, "msg_2", 1700000000, "{}"));
  EXPECT_NE(base, sign_webhook(key, "msg_1", 1700000001, "{}"));
  EXPECT_NE(base, sign_webhook(key, "msg_1", 1700000000, "{ }"));
}

TEST(StandardWebhooks, ASecretThatIsNotBase64IsRefused) {
  std::string error;
  EXPECT_FALSE(decode_webhook_secret("whsec_not base64!", &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(decode_webhook_secret("whsec_"));
  EXPECT_FALSE(decode_webhook_secret("abc"));  // length not a multiple of 4
  EXPECT_TRUE(decode_webhook_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));  // bare base64 accepted
}

TEST(RetryPolicy, NetworkErrors5xx408And429AreRetriedOther4xxArePermanent) {
  EXPECT_EQ(classify(false, 0), Outcome::kRetry);
  EXPECT_EQ(classify(true, 200), Outcome::kSuccess);
  EXPECT_EQ(classify(true, 204), Outcome::kSuccess);
  for (long s : {500L, 502L, 503L, 504L, 408L, 429L}) EXPECT_EQ(classify(true, s), Outcome::kRetry) << s;
  for (long s : {400L, 401L, 403L, 404L, 409L, 410L, 413L, 301L}) EXPECT_EQ(classify(true, s), Outcome::kPermanent) << s;
}

TEST(RetryPolicy, BackoffDoublesWithJitterUpToTheCap) {
  Backoff b{1.0, 8.0};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    const double d1 = b.delay_seconds(1, rng), d3 = b.delay_seconds(3, rng), d10 = b.delay_seconds(10, rng);
    EXPECT_GE(d1, 0.5); EXPECT_LE(d1, 1.0);
    EXPECT_GE(d3, 2.0); EXPECT_LE(d3, 4.0);
    EXPECT_GE(d10, 4.0); EXPECT_LE(d10, 8.0);
  }
  EXPECT_LE(b.delay_seconds(1000000, rng), 8.0);  // no overflow far out
}

TEST(SpoolJob, EventJobRoundTrips) {
  EventJob j;
  j.seq = 17;
  j.id = "evt_abc";
  j.call_key = "call_1";
  j.type = "call.ended";
  j.body = R"({"type":"call.ended","data":{"q":"\"x\"\n"}})";
  j.created_unix = 1700000000;
  j.attempts = 3;
  auto back = decode_event_job(encode_job(j));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->seq, 17u);
  EXPECT_EQ(back->id, j.id);
  EXPECT_EQ(back->call_key, j.call_key);
  EXPECT_EQ(back->type, j.type);
  EXPECT_EQ(back->body, j.body);  // byte for byte: it is what gets signed
  EXPECT_EQ(back->created_unix, j.created_unix);
  EXPECT_EQ(back->attempts, 3u);
}

TEST(SpoolJob, UploadJobRoundTripsWithItsMultipartProgress) {
  UploadJob j;
  j.seq = 5;
  j.id = "upl_1";
  j.call_key = "call_1";
  j.call_sid = "CA1";
  j.bucket = "evidence";
  j.call_open = true;
  j.recording_ids = {"r1", "r2"};
  UploadObject wav;
  wav.path = "/rec/a.wav";
  wav.key = "p/a.wav";
  wav.bytes = 12 << 20;
  wav.upload_id = "up-XYZ";
  wav.part_bytes = 5 << 20;
  wav.part_etags = {"\"e1\"", "\"e2\""};
  UploadObject manifest;
  manifest.path = "/rec/a.json";
  manifest.key = "p/a.json";
  manifest.role = ObjectRole::kManifest;
  manifest.done = true;
  manifest.etag = "\"m\"";
  j.objects = {wav, manifest};
  auto back = decode_upload_job(encode_job(j));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->seq, 5u);
  EXPECT_TRUE(back->call_open);
  EXPECT_EQ(back->recording_ids, j.recording_ids);
  ASSERT_EQ(back->objects.size(), 2u);
  EXPECT_EQ(back->objects[0].upload_id, "up-XYZ");
  EXPECT_EQ(back->objects[0].part_bytes, 5u << 20);
  EXPECT_EQ(back->objects[0].part_etags, wav.part_etags);
  EXPECT_EQ(back->objects[0].bytes, 12u << 20);
  EXPECT_FALSE(back->objects[0].done);
  EXPECT_EQ(back->objects[1].role, ObjectRole::kManifest);
  EXPECT_TRUE(back->objects[1].done);
  EXPECT_EQ(back->objects[1].etag, "\"m\"");
}

TEST(SpoolJob, CorruptOrForeignDocumentsAreRefusedWithAReason) {
  std::string error;
  EXPECT_FALSE(decode_event_job("{\"kind\":\"event\",\"seq\":1", &error));  // torn
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(decode_event_job(R"({"kind":"upload","seq":1,"id":"x","bucket":"b"})"));
  EXPECT_FALSE(decode_event_job(R"({"kind":"event","seq":1,"id":"x","type":"t"})"));  // no body
  EXPECT_FALSE(decode_upload_job(R"([1,2])"));
  EXPECT_FALSE(decode_upload_job(
      R"({"kind":"upload","seq":1,"id":"x","bucket":"b","objects":[{"path":"/a","key":"k","role":"video"}]})"));
}

TEST(EventJson, BodyHasTypeTimestampAndData) {
  const std::string body = event_body("call.started", 1700000000123456, JsonFields().add("call_sid", "CA1").add("n", std::int64_t(2)).str());
  EXPECT_EQ(body, R"({"type":"call.started","timestamp":"2023-11-14T22:13:20.123Z","data":{"call_sid":"CA1","n":2}})");
}

TEST(EventJson, ManifestGainsTheObjectOfEachFileAndOfTheTranscript) {
  const std::string manifest = R"({"recording_id":"r1","files":[{"file":"r1.wav","bytes":10},{"file":"other.wav"}]})";
  auto out = manifest_with_objects(manifest, "evidence", {{"r1.wav", {"p/r1.wav", "\"e1\""}}},
                                   StoredObject{"p/transcript.jsonl", "\"e2\""});
  ASSERT_TRUE(out);
  JsonParser* p = json_parser_new();
  ASSERT_TRUE(json_parser_load_from_data(p, out->c_str(), -1, nullptr));
  JsonObject* m = json_node_get_object(json_parser_get_root(p));
  JsonArray* files = json_object_get_array_member(m, "files");
  JsonObject* o = json_object_get_object_member(json_array_get_object_element(files, 0), "object");
  EXPECT_STREQ(json_object_get_string_member(o, "bucket"), "evidence");
  EXPECT_STREQ(json_object_get_string_member(o, "key"), "p/r1.wav");
  EXPECT_STREQ(json_object_get_string_member(o, "etag"), "\"e1\"");
  EXPECT_FALSE(json_object_has_member(json_array_get_object_element(files, 1), "object"));
  JsonObject* t = json_object_get_object_member(json_object_get_object_member(m, "transcript"), "object");
  EXPECT_STREQ(json_object_get_string_member(t, "key"), "p/transcript.jsonl");
  EXPECT_EQ(json_object_get_int_member(json_array_get_object_element(files, 0), "bytes"), 10);  // kept
  g_object_unref(p);
  EXPECT_FALSE(manifest_with_objects("not json", "b", {}, std::nullopt));
}

TEST(S3Xml, ErrorCodeMessageAndUploadIdAreRead) {
  const std::string xml = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>";
  EXPECT_EQ(xml_element(xml, "Code"), "NoSuchBucket");
  EXPECT_EQ(xml_element(xml, "Message"), "The specified bucket does not exist");
  EXPECT_EQ(xml_element("<InitiateMultipartUploadResult><UploadId>abc</UploadId></InitiateMultipartUploadResult>", "UploadId"), "abc");
  EXPECT_EQ(xml_element("<a>", "UploadId"), "");
}

}  // namespace
}  // namespace mediaflow::evidence
