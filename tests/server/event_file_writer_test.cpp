// EventFileWriter (transcript.jsonl): lines in order per file, and one wake-up of the writer
// for all the lines of a batch window instead of one per line.
#include "server/event_file_writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace mediaflow::test {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct EventFileWriterTest : ::testing::Test {
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("mf-events-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

TEST_F(EventFileWriterTest, LinesOfABatchWindowLeaveTogetherInOrder) {
  server::EventFileWriter writer(16, 200);
  const auto a = (dir / "a" / "transcript.jsonl").string();
  const auto b = (dir / "b" / "transcript.jsonl").string();
  std::string expect_a, expect_b;
  for (int i = 0; i < 100; ++i) {  // two agent calls' mark echoes and heard events
    writer.append(a, "{\"a\":" + std::to_string(i) + "}");
    writer.append(b, "{\"b\":" + std::to_string(i) + "}");
    expect_a += "{\"a\":" + std::to_string(i) + "}\n";
    expect_b += "{\"b\":" + std::to_string(i) + "}\n";
  }
  const auto start = std::chrono::steady_clock::now();
  writer.flush();  // does not wait out the window
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  EXPECT_EQ(read_file(a), expect_a);
  EXPECT_EQ(read_file(b), expect_b);
  // Each file's first line wakes the writer at once, the rest wait for the window: a few
  // wake-ups, where it was one (and a write) per line whenever the writer kept up.
  EXPECT_LE(writer.batches(), 4u);
}

TEST_F(EventFileWriterTest, ALineReachesItsFileWithinTheWindowWithoutAFlush) {
  server::EventFileWriter writer(16, 50);
  const auto path = (dir / "transcript.jsonl").string();
  writer.append(path, "{\"kind\":\"heard\"}");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (read_file(path).empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(read_file(path), "{\"kind\":\"heard\"}\n");
  writer.close(path);
  writer.append(path, "{\"after\":\"close\"}");  // reopened: appended, nothing lost
  writer.flush();
  EXPECT_EQ(read_file(path), "{\"kind\":\"heard\"}\n{\"after\":\"close\"}\n");
}

// The end of a call does not wait out the window: the host closes the transcript when the call
// ends, and whoever reads it then (tests, evidence uploads via run_after) finds it complete.
TEST_F(EventFileWriterTest, ACallsEndIsWrittenAtOnce) {
  server::EventFileWriter writer(16, 10000);
  const auto path = (dir / "transcript.jsonl").string();
  writer.append(path, "{\"last\":1}");
  const auto start = std::chrono::steady_clock::now();
  writer.close(path);
  while (read_file(path).empty() && std::chrono::steady_clock::now() - start < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(read_file(path), "{\"last\":1}\n");
}

// A call's file exists from its first event on (consumers and the host's checks look for it).
TEST_F(EventFileWriterTest, AFilesFirstLineIsWrittenAtOnce) {
  server::EventFileWriter writer(16, 10000);
  const auto path = (dir / "transcript.jsonl").string();
  const auto start = std::chrono::steady_clock::now();
  writer.append(path, "{\"first\":1}");
  while (read_file(path).empty() && std::chrono::steady_clock::now() - start < std::chrono::seconds(5))
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(read_file(path), "{\"first\":1}\n");
  EXPECT_EQ(writer.open_files(), 1u);
}

}  // namespace
}  // namespace mediaflow::test
