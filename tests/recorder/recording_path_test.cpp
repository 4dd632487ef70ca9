#include <mediaflow/protocol/recording_path.hpp>

#include <gtest/gtest.h>

namespace {
using namespace mediaflow::protocol;
namespace fs = std::filesystem;

bool clean(const std::string& c) {
  if (c.empty() || c.size() > kMaxPathComponentLength || c.front() == '.') return false;
  if (c.find("..") != std::string::npos) return false;
  for (unsigned char ch : c)
    if (!(std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.')) return false;
  return true;
}

TEST(RecorderPath, FillsDefaultTemplate) {
  auto p = recording_path("/rec", kDefaultRecordingPathTemplate, {"org-1", "CA123", "MZ9", "rec-7"});
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, fs::path("/rec/org/org-1/recordings/CA123/rec-7.wav"));
}

TEST(RecorderPath, EmptyValuesGetFallbacks) {
  auto p = recording_path("/rec", kDefaultRecordingPathTemplate, {"", "", "", ""});
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, fs::path("/rec/org/unassigned/recordings/unknown/unknown.wav"));
}

TEST(RecorderPath, HostileComponentsAreCleanedNotRefused) {
  const std::string big(10 * 1024, 'A');
  const std::vector<std::string> hostile = {
      "../../etc", "..", ".", "a/b", "a\\b", std::string("\x01\x02", 2), std::string("x\0y", 3),
      "/etc/passwd", big, "Ünïcödé-☎-😀", ".hidden", "...", "\xff\xfe\xc3", "a..b", "-", " ", "\n"};
  for (const auto& v : hostile) {
    const std::string c = sanitize_path_component(v, "unknown");
    EXPECT_TRUE(clean(c)) << "value of size " << v.size() << " gave '" << c << "'";
    auto p = recording_path("/rec", kDefaultRecordingPathTemplate, {v, v, v, v});
    ASSERT_TRUE(p);
    EXPECT_TRUE(path_is_inside("/rec", *p)) << *p;
    // Exactly the template's depth: no value added or removed a folder.
    EXPECT_EQ(std::distance(p->begin(), p->end()), 7) << *p;
  }
  EXPECT_EQ(sanitize_path_component("../../etc", "x"), "_._etc");
  EXPECT_EQ(sanitize_path_component("a/b", "x"), "a_b");
  EXPECT_EQ(sanitize_path_component("..", "unassigned"), "unassigned");
  EXPECT_EQ(sanitize_path_component("Ünï", "x"), "_n_");  // one '_' per character
  EXPECT_EQ(sanitize_path_component("CA0123456789abcdef", "x"), "CA0123456789abcdef");
}

TEST(RecorderPath, LongValuesStayDistinctAfterCutting) {
  const std::string a(200, 'a');
  std::string b = a;
  b.back() = 'b';
  const auto ca = sanitize_path_component(a, "x"), cb = sanitize_path_component(b, "x");
  EXPECT_EQ(ca.size(), kMaxPathComponentLength);
  EXPECT_NE(ca, cb);
}

TEST(RecorderPath, BadTemplatesAreRefusedWithReason) {
  std::string why;
  EXPECT_FALSE(recording_path("/rec", "/abs/{recording_id}.wav", {}, &why));
  EXPECT_EQ(why, "path template must be relative");
  EXPECT_FALSE(recording_path("/rec", "../{recording_id}.wav", {}, &why));
  EXPECT_EQ(why, "path template must not contain '..'");
  EXPECT_FALSE(recording_path("/rec", "{nope}/{recording_id}.wav", {}, &why));
  EXPECT_EQ(why, "unknown placeholder {nope} in path template");
  EXPECT_FALSE(recording_path("/rec", "{call_sid}.wav", {}, &why));
  EXPECT_EQ(why, "path template must contain {recording_id}");
  EXPECT_FALSE(recording_path("/rec", "{recording_id}.mp3", {}, &why));
  EXPECT_FALSE(recording_path("/rec", "{recording_id.wav", {}, &why));
}

TEST(RecorderPath, InsideCheck) {
  EXPECT_TRUE(path_is_inside("/rec", "/rec/a/b.wav"));
  EXPECT_TRUE(path_is_inside("/rec/", "/rec/a/b.wav"));
  EXPECT_FALSE(path_is_inside("/rec", "/rec/../etc/passwd"));
  EXPECT_FALSE(path_is_inside("/rec", "/recordings/x.wav"));
  EXPECT_FALSE(path_is_inside("/rec", "/etc"));
  EXPECT_TRUE(path_is_inside("relative/root", "relative/root/x.wav"));
}

}  // namespace
