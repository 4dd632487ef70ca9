// Keyword grammars for pocketsphinx, as plain C++: a list of command words/phrases becomes a
// finite-state grammar (pocketsphinx's FSG text format) and the few dictionary entries it
// needs. A small dictionary is what keeps decoder start-up near 20 ms instead of the ~2 s of
// loading the whole 135k-word CMU dictionary with the open-vocabulary language model.
#pragma once

#include <istream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::sphinx {

using Phrase = std::vector<std::string>;  // lower-case words

// "yes, no, thank you" → {{"yes"}, {"no"}, {"thank", "you"}}. Phrases are separated by
// commas or newlines, words by spaces; case is folded; empty phrases and duplicates dropped.
std::vector<Phrase> parse_keywords(std::string_view list);

// The FSG (pocketsphinx `-fsg` file text) accepting exactly one of `phrases` per utterance.
// Requires at least one phrase.
std::string fsg_text(const std::vector<Phrase>& phrases, std::string_view name = "keywords");

// Every distinct word of `phrases`.
std::set<std::string> words_of(const std::vector<Phrase>& phrases);

struct DictionarySubset {
  std::string text;                   // dictionary lines for the words found (with alternates)
  std::vector<std::string> missing;   // words with no pronunciation in the dictionary
};

// Copies the entries (`word PH ON ES`, alternates `word(2) …`) of `words` from a CMU-format
// pronunciation dictionary.
DictionarySubset dictionary_subset(std::istream& dictionary, const std::set<std::string>& words);

}  // namespace mediaflow::sphinx
