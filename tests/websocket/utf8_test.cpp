#include <mediaflow/protocol/utf8.hpp>

#include <gtest/gtest.h>

#include <string>

using mediaflow::protocol::incomplete_utf8_tail;
using mediaflow::protocol::is_valid_utf8;
using mediaflow::protocol::Utf8Stream;

TEST(Utf8, AcceptsEveryWellFormedSequenceLength) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8(std::string("nul \0 inside", 12)));  // U+0000 is a character
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9"));                       // é
  EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));                      // €
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));                  // 😀
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));                  // U+10FFFF, the last one
}

TEST(Utf8, RefusesOverlongSurrogateOutOfRangeAndCutSequences) {
  const char* bad[] = {
      "\xc0\x80",          // overlong NUL
      "\xe0\x80\xaf",      // overlong '/'
      "\xed\xa0\x80",      // UTF-16 surrogate D800
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "\xf8\x88\x80\x80\x80",
      "\x80",              // continuation without a lead
      "\xe2\x82",          // cut sequence at the end
      ("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited"),  // Autobahn 6.4-like
      "\xff",
  };
  for (const char* text : bad) EXPECT_FALSE(is_valid_utf8(text)) << text;
}

TEST(Utf8, IncompleteTailIsOnlyAnUnfinishedSequence) {
  EXPECT_EQ(incomplete_utf8_tail("abc"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("ab\xe2\x82"), 2u);
  EXPECT_EQ(incomplete_utf8_tail("ab\xe2\x82\xac"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("\xf0\x9f\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("\xc3"), 1u);
}

TEST(Utf8, StreamAcceptsASequenceCutAtEveryByte) {
  const std::string text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    Utf8Stream stream;
    EXPECT_TRUE(stream.check(text.substr(0, cut))) << cut;
    EXPECT_TRUE(stream.finish(text)) << cut;
  }
}

TEST(Utf8, StreamFailsAtThePieceThatProvesTheTextWrong) {
  Utf8Stream stream;
  std::string text = "hello \xce\xba";
  EXPECT_TRUE(stream.check(text));
  text += "\xed\xa0\x80";  // a surrogate: wrong whatever follows
  EXPECT_FALSE(stream.check(text));

  Utf8Stream unfinished;
  EXPECT_TRUE(unfinished.check("ab\xe2\x82"));
  EXPECT_FALSE(unfinished.finish("ab\xe2\x82"));  // the message ended inside a sequence
}
