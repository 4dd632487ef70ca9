// The spool folder: jobs survive as files, torn temp files from a crash are dropped, jobs
// that do not decode are set aside, dead jobs keep their reason, sequence numbers continue.
#include <mediaflow/evidence/spool.hpp>

#include "support/test_files.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace mediaflow::evidence {
namespace {

EventJob event(std::uint64_t seq) {
  EventJob j;
  j.seq = seq;
  j.id = "evt_" + std::to_string(seq);
  j.call_key = "call_1";
  j.type = "call.started";
  j.body = "{}";
  return j;
}

TEST(Spool, SavedJobsLoadBackInOrderAndRemovedOnesAreGone) {
  test::TempDir dir;
  Spool spool(dir.path / "spool");
  std::string error;
  ASSERT_TRUE(spool.open(&error)) << error;
  for (std::uint64_t s : {3u, 1u, 2u}) ASSERT_TRUE(spool.save(event(s), &error)) << error;
  UploadJob u;
  u.seq = 4;
  u.id = "upl_4";
  u.bucket = "evidence";
  ASSERT_TRUE(spool.save(u, &error));
  spool.remove(JobKind::kEvent, 2);

  Spool again(dir.path / "spool");
  ASSERT_TRUE(again.open(&error));
  auto loaded = again.load();
  ASSERT_EQ(loaded.events.size(), 2u);
  EXPECT_EQ(loaded.events[0].seq, 1u);
  EXPECT_EQ(loaded.events[1].seq, 3u);
  ASSERT_EQ(loaded.uploads.size(), 1u);
  EXPECT_EQ(loaded.uploads[0].id, "upl_4");
  EXPECT_EQ(loaded.max_seq, 4u);
}

TEST(Spool, TempFilesOfAnInterruptedWriteAreRemovedAndTornJobsSetAside) {
  test::TempDir dir;
  Spool spool(dir.path);
  std::string error;
  ASSERT_TRUE(spool.open(&error));
  ASSERT_TRUE(spool.save(event(1), &error));
  std::ofstream(dir.path / "events" / "0000000000000001.json.tmp") << "{\"kind\":\"ev";
  std::ofstream(dir.path / "events" / "0000000000000002.json") << "{\"kind\":\"ev";  // not via save: torn
  Spool again(dir.path);
  ASSERT_TRUE(again.open(&error));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "events" / "0000000000000001.json.tmp"));
  auto loaded = again.load();
  ASSERT_EQ(loaded.events.size(), 1u);
  EXPECT_EQ(loaded.events[0].seq, 1u);
  ASSERT_EQ(loaded.unreadable.size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir.path / "dead" / "events" / "0000000000000002.json"));
  EXPECT_EQ(loaded.max_seq, 2u);  // a new job never reuses its number
}

TEST(Spool, BuriedJobsMoveToDeadWithTheirReason) {
  test::TempDir dir;
  Spool spool(dir.path);
  std::string error;
  ASSERT_TRUE(spool.open(&error));
  ASSERT_TRUE(spool.save(event(7), &error));
  spool.bury(event(7), "HTTP 410 \"gone\"");
  EXPECT_FALSE(std::filesystem::exists(dir.path / "events" / "0000000000000007.json"));
  const std::string dead = test::slurp(dir.path / "dead" / "events" / "0000000000000007.json");
  EXPECT_NE(dead.find(R"("error":"HTTP 410 \"gone\"")"), std::string::npos) << dead;
  EXPECT_EQ(spool.dead_count(), 1u);
  EXPECT_TRUE(spool.load().events.empty());
}

TEST(Spool, AFolderThatCannotBeCreatedIsAClearError) {
  test::TempDir dir;
  const auto file = dir.write("plain-file", "x");
  Spool spool(file / "spool");
  std::string error;
  EXPECT_FALSE(spool.open(&error));
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
}

}  // namespace
}  // namespace mediaflow::evidence
