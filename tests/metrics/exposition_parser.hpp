// A strict-enough reader of the Prometheus text exposition format 0.0.4 for tests: fails the
// test on any line that is not HELP, TYPE or a well-formed sample, and on a sample whose
// family has no TYPE line before it.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace mediaflow::test {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram
  std::map<std::string, std::string> help;
  std::vector<Sample> samples;

  // The value of the first sample with this name and these labels (NaN if absent).
  double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples)
      if (s.name == name && s.labels == labels) return s.value;
    return std::nan("");
  }
};

inline std::string unescape_label(const std::string& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      char n = v[++i];
      out += n == 'n' ? '\n' : n;
    } else {
      out += v[i];
    }
  }
  return out;
}

inline std::string family_of(const std::string& sample_name, const std::map<std::string, std::string>& types) {
  if (types.count(sample_name)) return sample_name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (sample_name.size() > s.size() && sample_name.compare(sample_name.size() - s.size(), s.size(), s) == 0) {
      std::string base = sample_name.substr(0, sample_name.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && it->second == "histogram") return base;
    }
  }
  return {};
}

inline Exposition parse_exposition(const std::string& text) {
  static const std::regex help_re(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
  static const std::regex type_re(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex sample_re(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? ([-+]?(?:[0-9.eE+-]+|Inf|NaN))$)");
  static const std::regex label_re(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)\")");
  Exposition out;
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "exposition must end with a newline";
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help_re)) {
      out.help[m[1]] = m[2];
    } else if (std::regex_match(line, m, type_re)) {
      EXPECT_EQ(out.types.count(m[1]), 0u) << "duplicate TYPE for " << m[1];
      out.types[m[1]] = m[2];
    } else if (std::regex_match(line, m, sample_re)) {
      Sample s;
      s.name = m[1];
      std::string labels = m[3];
      for (std::sregex_iterator it(labels.begin(), labels.end(), label_re), end; it != end; ++it)
        s.labels[(*it)[1]] = unescape_label((*it)[2]);
      std::string v = m[4];
      s.value = v == "+Inf" ? INFINITY : std::strtod(v.c_str(), nullptr);
      EXPECT_FALSE(family_of(s.name, out.types).empty()) << "sample without TYPE: " << line;
      out.samples.push_back(std::move(s));
    } else {
      ADD_FAILURE() << "not exposition format: [" << line << "]";
    }
  }
  return out;
}

}  // namespace mediaflow::test
