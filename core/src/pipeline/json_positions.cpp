#include "pipeline/json_positions.hpp"

#include <mediaflow/protocol/json_depth.hpp>
#include <mediaflow/protocol/utf8.hpp>

#include <cstring>
#include <set>

namespace mediaflow::pipeline {

SourcePos JsonPositions::value(const std::string& pointer) const {
  auto it = values.find(pointer);
  return it == values.end() ? SourcePos{} : it->second;
}

SourcePos JsonPositions::key(const std::string& pointer) const {
  auto it = keys.find(pointer);
  return it == keys.end() ? value(pointer) : it->second;
}

std::string pointer_segment(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

namespace {

struct Failure {
  SourcePos pos;
  std::string message;
};

class Scanner {
 public:
  Scanner(std::string_view text, JsonPositions* out) : text_(text), out_(out) {}

  void document() {
    skip_space();
    value("");
    skip_space();
    if (i_ < text_.size()) fail("unexpected " + describe_here() + " after the JSON value");
  }

 private:
  [[noreturn]] void fail(std::string message) { throw Failure{pos(), std::move(message)}; }

  SourcePos pos() const { return {line_, col_}; }

  std::string describe_here() const {
    if (i_ >= text_.size()) return "end of file";
    unsigned char c = static_cast<unsigned char>(text_[i_]);
    if (c < 0x20) return "control character";
    if (c >= 0x80) return "character";
    return std::string("'") + static_cast<char>(c) + "'";
  }

  void advance() {
    const auto c = static_cast<unsigned char>(text_[i_]);
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++col_;
    }
    ++i_;
    // The continuation bytes of a multi-byte character do not start a column of their own (a
    // stray one after an ASCII character is left for the UTF-8 check to find).
    if (c >= 0xC0)
      while (i_ < text_.size() && (static_cast<unsigned char>(text_[i_]) & 0xC0) == 0x80) ++i_;
  }

  void skip_space() {
    while (i_ < text_.size() && (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\n' || text_[i_] == '\r'))
      advance();
  }

  char peek() const { return i_ < text_.size() ? text_[i_] : '\0'; }

  void expect(char c, const char* what) {
    if (peek() != c) fail(std::string("expected ") + what + ", found " + describe_here());
    advance();
  }

  void value(const std::string& pointer) {
    out_->values[pointer] = pos();
    switch (peek()) {
      case '{': object(pointer); break;
      case '[': array(pointer); break;
      case '"': string(nullptr); break;
      case 't': literal("true"); break;
      case 'f': literal("false"); break;
      case 'n': literal("null"); break;
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) number();
        else fail("expected a value, found " + describe_here());
    }
  }

  void literal(const char* word) {
    SourcePos start = pos();
    for (const char* p = word; *p; ++p) {
      if (peek() != *p) throw Failure{start, "invalid literal (expected '" + std::string(word) + "')"};
      advance();
    }
  }

  void digits() {
    if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit, found " + describe_here());
    while (peek() >= '0' && peek() <= '9') advance();
  }

  void number() {
    if (peek() == '-') advance();
    if (peek() == '0') advance();
    else digits();
    if (peek() == '.') {
      advance();
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      advance();
      if (peek() == '+' || peek() == '-') advance();
      digits();
    }
  }

  static void append_utf8(std::string* s, unsigned cp) {
    if (cp < 0x80) {
      *s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *s += static_cast<char>(0xC0 | (cp >> 6));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *s += static_cast<char>(0xE0 | (cp >> 12));
      *s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *s += static_cast<char>(0xF0 | (cp >> 18));
      *s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  unsigned hex4() {
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = peek();
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else fail("invalid \\u escape");
      advance();
    }
    return v;
  }

  // Scans a string; stores its decoded text in *decoded when given.
  void string(std::string* decoded) {
    expect('"', "'\"'");
    for (;;) {
      if (i_ >= text_.size()) fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(text_[i_]);
      if (c == '"') {
        advance();
        return;
      }
      if (c < 0x20) fail("control character in string (escape it)");
      if (c == '\\') {
        advance();
        char e = peek();
        const char* simple = "\"\\/bfnrt";
        const char* repl = "\"\\/\b\f\n\r\t";
        if (e == 'u') {
          advance();
          SourcePos escape_pos = pos();
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && peek() == '\\') {
            advance();
            expect('u', "'u'");
            unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) throw Failure{escape_pos, "invalid \\u surrogate pair"};
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            throw Failure{escape_pos, "invalid \\u surrogate pair"};
          }
          if (decoded) append_utf8(decoded, cp);
          continue;
        }
        const char* f = e ? std::strchr(simple, e) : nullptr;
        if (!f) fail("invalid escape in string");
        if (decoded) *decoded += repl[f - simple];
        advance();
        continue;
      }
      if (c >= 0x80) check_utf8_character();
      size_t start = i_;
      advance();
      if (decoded) decoded->append(text_.substr(start, i_ - start));
    }
  }

  // The multi-byte character at i_ must be well-formed UTF-8; else the error is at its first byte.
  void check_utf8_character() {
    const auto lead = static_cast<unsigned char>(text_[i_]);
    const size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (!protocol::is_valid_utf8(text_.substr(i_, length))) fail("invalid UTF-8 in string");
  }

  // json-glib (and this scanner) recurse per level: the depth is bounded before either runs out
  // of stack.
  void enter_level() {
    if (++depth_ > protocol::kMaxPipelineJsonDepth)
      fail("nesting deeper than " + std::to_string(protocol::kMaxPipelineJsonDepth));
  }

  void object(const std::string& pointer) {
    enter_level();
    expect('{', "'{'");
    skip_space();
    if (peek() == '}') {
      advance();
      --depth_;
      return;
    }
    std::set<std::string> seen;
    for (;;) {
      skip_space();
      SourcePos key_pos = pos();
      if (peek() != '"') fail("expected a quoted member name, found " + describe_here());
      std::string key;
      string(&key);
      if (!seen.insert(key).second) throw Failure{key_pos, "duplicate key '" + key + "'"};
      std::string child = pointer + "/" + pointer_segment(key);
      out_->keys[child] = key_pos;
      skip_space();
      expect(':', "':'");
      skip_space();
      value(child);
      skip_space();
      if (peek() == ',') {
        advance();
        continue;
      }
      if (peek() == '}') {
        advance();
        --depth_;
        return;
      }
      fail("expected ',' or '}', found " + describe_here());
    }
  }

  void array(const std::string& pointer) {
    enter_level();
    expect('[', "'['");
    skip_space();
    if (peek() == ']') {
      advance();
      --depth_;
      return;
    }
    for (size_t index = 0;; ++index) {
      skip_space();
      value(pointer + "/" + std::to_string(index));
      skip_space();
      if (peek() == ',') {
        advance();
        continue;
      }
      if (peek() == ']') {
        advance();
        --depth_;
        return;
      }
      fail("expected ',' or ']', found " + describe_here());
    }
  }

  std::string_view text_;
  JsonPositions* out_;
  size_t i_ = 0;
  int line_ = 1;
  int col_ = 1;
  unsigned depth_ = 0;  // arrays and objects open at i_
};

}  // namespace

bool scan_json(std::string_view text, JsonPositions* out, JsonSyntaxError* error) {
  try {
    Scanner(text, out).document();
    return true;
  } catch (const Failure& f) {
    if (error) *error = {f.pos, f.message};
    return false;
  }
}

}  // namespace mediaflow::pipeline
