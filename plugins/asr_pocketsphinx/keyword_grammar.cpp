#include "keyword_grammar.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace mediaflow::sphinx {

std::vector<Phrase> parse_keywords(std::string_view list) {
  std::vector<Phrase> out;
  Phrase current;
  std::string word;
  auto end_word = [&] {
    if (!word.empty()) current.push_back(std::move(word));
    word.clear();
  };
  auto end_phrase = [&] {
    end_word();
    if (!current.empty() && std::find(out.begin(), out.end(), current) == out.end()) out.push_back(current);
    current.clear();
  };
  for (char c : list) {
    if (c == ',' || c == '\n' || c == ';') {
      end_phrase();
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      end_word();
    } else {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  end_phrase();
  return out;
}

std::string fsg_text(const std::vector<Phrase>& phrases, std::string_view name) {
  // State 0 starts, state 1 is final; a phrase of n words goes through n-1 states of its own.
  std::size_t states = 2;
  for (const auto& p : phrases) states += p.size() - 1;
  std::ostringstream out;
  out << "FSG_BEGIN " << name << "\nNUM_STATES " << states << "\nSTART_STATE 0\nFINAL_STATE 1\n";
  const double first = 1.0 / static_cast<double>(phrases.size());
  std::size_t next_state = 2;
  for (const auto& p : phrases) {
    std::size_t from = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      const bool last = i + 1 == p.size();
      const std::size_t to = last ? 1 : next_state++;
      out << "TRANSITION " << from << ' ' << to << ' ' << (i == 0 ? first : 1.0) << ' ' << p[i] << '\n';
      from = to;
    }
  }
  out << "FSG_END\n";
  return out.str();
}

std::set<std::string> words_of(const std::vector<Phrase>& phrases) {
  std::set<std::string> out;
  for (const auto& p : phrases) out.insert(p.begin(), p.end());
  return out;
}

DictionarySubset dictionary_subset(std::istream& dictionary, const std::set<std::string>& words) {
  DictionarySubset out;
  std::set<std::string> found;
  std::string line;
  while (std::getline(dictionary, line)) {
    const auto space = line.find_first_of(" \t");
    if (space == std::string::npos) continue;
    std::string head = line.substr(0, space);
    if (const auto paren = head.find('('); paren != std::string::npos) head.resize(paren);  // word(2)
    if (words.count(head)) {
      out.text += line;
      out.text += '\n';
      found.insert(head);
    }
  }
  for (const auto& w : words)
    if (!found.count(w)) out.missing.push_back(w);
  return out;
}

}  // namespace mediaflow::sphinx
