// UTF-8 validation for untrusted text (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF; U+0000 is valid). It runs on every WebSocket text message (RFC 6455 §8.1),
// so the check itself is simdjson's SIMD validator; this file only adds the incremental form
// a fragmented message needs.
#pragma once

#include <cstddef>
#include <string_view>

namespace mediaflow::protocol {

bool is_valid_utf8(std::string_view text);

// Bytes at the end of `text` that start a UTF-8 sequence the text does not finish (0–3): what
// an incremental check must hold back until more bytes arrive.
std::size_t incomplete_utf8_tail(std::string_view text);

// Validates a text that arrives in pieces, failing as soon as a piece proves it invalid
// (a sequence cut between pieces is checked once its last byte is there). The caller keeps
// the whole text: `text` is everything received so far, and every call checks what is new.
class Utf8Stream {
 public:
  // False as soon as `text` (everything so far) is known not to be UTF-8.
  bool check(std::string_view text);
  // The text is complete: false unless all of it is valid (no sequence left unfinished).
  bool finish(std::string_view text);
  void reset() { checked_ = 0; }

 private:
  std::size_t checked_ = 0;  // bytes of the text known to be valid
};

}  // namespace mediaflow::protocol
