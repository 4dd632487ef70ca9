// The keyword grammar builder of sphinxasr (plain C++): keyword lists, FSG text, dictionary subset.
#include "keyword_grammar.hpp"
#include "espeak_synth.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace mediaflow::sphinx {
namespace {

TEST(OfflineGrammar, KeywordListsSplitOnCommasFoldCaseAndDropDuplicates) {
  auto p = parse_keywords(" Yes, no ,,thank  You\nYES;stop ");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], (Phrase{"yes"}));
  EXPECT_EQ(p[1], (Phrase{"no"}));
  EXPECT_EQ(p[2], (Phrase{"thank", "you"}));
  EXPECT_EQ(p[3], (Phrase{"stop"}));
  EXPECT_TRUE(parse_keywords(" , ,").empty());
}

TEST(OfflineGrammar, FsgAcceptsEachPhraseFromStartToFinal) {
  const std::string fsg = fsg_text(parse_keywords("yes, thank you"), "g");
  EXPECT_EQ(fsg,
            "FSG_BEGIN g\nNUM_STATES 3\nSTART_STATE 0\nFINAL_STATE 1\n"
            "TRANSITION 0 1 0.5 yes\nTRANSITION 0 2 0.5 thank\nTRANSITION 2 1 1 you\nFSG_END\n");
}

TEST(OfflineGrammar, DictionarySubsetKeepsAlternatesAndNamesMissingWords) {
  std::istringstream dict("no N OW\nyes Y EH S\nyes(2) Y AE S\nyesterday Y EH S T ER D EY\n");
  auto sub = dictionary_subset(dict, {"yes", "no", "zorp"});
  EXPECT_EQ(sub.text, "no N OW\nyes Y EH S\nyes(2) Y AE S\n");
  EXPECT_EQ(sub.missing, (std::vector<std::string>{"zorp"}));
}

TEST(OfflineAgentReply, TemplateReplacesEveryTextField) {
  using mediaflow::offline_agent::fill_template;
  EXPECT_EQ(fill_template("You said {text}.", "yes"), "You said yes.");
  EXPECT_EQ(fill_template("{text}, {text}!", "no"), "no, no!");
  EXPECT_EQ(fill_template("Thanks.", "yes"), "Thanks.");
}

TEST(OfflineAgentReply, EspeakSynthesisesAudibleSpeechAndRejectsAnUnknownVoice) {
  auto r = mediaflow::offline_agent::synthesize("yes", "en-us", 170);
  ASSERT_TRUE(r.error.empty()) << r.error;
  // About a third of a second of speech, not silence.
  EXPECT_GT(r.samples.size(), std::size_t(mediaflow::offline_agent::kEspeakRate / 10));
  int peak = 0;
  for (auto s : r.samples) peak = std::max(peak, std::abs(int(s)));
  EXPECT_GT(peak, 3000);
  auto bad = mediaflow::offline_agent::synthesize("yes", "no-such-voice-xx", 170);
  EXPECT_FALSE(bad.error.empty());
}

}  // namespace
}  // namespace mediaflow::sphinx
