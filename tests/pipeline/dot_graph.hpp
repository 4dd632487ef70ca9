// Reading a pipeline graph (gst_debug_bin_to_dot_data's DOT text) back in tests: each
// element's label and the pad links, with the object addresses GStreamer puts into its
// identifiers ("caller_0x55d0…_src_0x55d0…") taken out ("caller.src").
#pragma once

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace mediaflow::test {

struct DotGraph {
  // Element (or bin) name → its label as written: "GstTee\nt\nnum-src-pads=2" (\n is the two
  // characters backslash and n, as in the DOT text).
  std::map<std::string, std::string> labels;
  // "from.pad -> to.pad" for every link between pads (not GStreamer's invisible layout edges).
  std::set<std::string> links;

  bool has_link(const std::string& from, const std::string& to) const { return links.count(from + " -> " + to) > 0; }
  // The label of `element` holds this property line ("rate=8000", "greeting=\"Hi\"" with the
  // quotes escaped as in the DOT text).
  bool has_property(const std::string& element, const std::string& line) const {
    auto it = labels.find(element);
    if (it == labels.end()) return false;
    const std::string& l = it->second;
    const std::string needle = "\\n" + line;
    for (size_t at = l.find(needle); at != std::string::npos; at = l.find(needle, at + 1)) {
      const size_t end = at + needle.size();
      if (end == l.size() || l.compare(end, 2, "\\n") == 0) return true;
    }
    return false;
  }
};

inline std::string dot_pad_name(const std::string& id) {
  static const std::regex inner("_0x[0-9a-f]+_");
  static const std::regex tail("_0x[0-9a-f]+$");
  return std::regex_replace(std::regex_replace(id, inner, "."), tail, "");
}

inline DotGraph read_dot(const std::string& dot) {
  static const std::regex label_line(R"re(^\s*label="([^"\\]*(?:\\.[^"\\]*)*)";\s*$)re");
  static const std::regex link_line(R"re(^\s*([A-Za-z0-9_]+) -> ([A-Za-z0-9_]+)(\s*\[.*\])?\s*$)re");
  DotGraph g;
  std::istringstream in(dot);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, label_line)) {
      const std::string label = m[1];
      const size_t first = label.find("\\n");
      if (first == std::string::npos) continue;
      const size_t second = label.find("\\n", first + 2);
      g.labels[label.substr(first + 2, second == std::string::npos ? std::string::npos : second - first - 2)] = label;
    } else if (std::regex_match(line, m, link_line) && m[3].str().find("invis") == std::string::npos) {
      g.links.insert(dot_pad_name(m[1]) + " -> " + dot_pad_name(m[2]));
    }
  }
  return g;
}

// The DOT text without the object addresses, to compare two drawings of one pipeline.
inline std::string without_addresses(const std::string& dot) {
  static const std::regex address("0x[0-9a-f]+");
  return std::regex_replace(dot, address, "0x");
}

}  // namespace mediaflow::test
