// G.711 mu-law encoding as a phone network does it (the reference algorithm), to build caller
// audio in tests independently of the code under test.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace mediaflow::test {

inline std::uint8_t mulaw_encode(int sample) {
  const int sign = sample < 0 ? 0x80 : 0;
  const int mag = std::min(std::abs(sample), 32635) + 0x84;
  int exp = 7;
  for (int m = 0x4000; (mag & m) == 0 && exp > 0; m >>= 1) --exp;
  const int mant = (mag >> (exp + 3)) & 0x0F;
  return std::uint8_t(~(sign | (exp << 4) | mant));
}

// 16 kHz S16LE bytes → 8 kHz mu-law (pairs averaged), as a phone would send it.
inline std::vector<std::uint8_t> s16_16k_to_mulaw_8k(const std::vector<std::uint8_t>& s16) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 3 < s16.size(); i += 4) {
    const int a = std::int16_t(s16[i] | (s16[i + 1] << 8)), b = std::int16_t(s16[i + 2] | (s16[i + 3] << 8));
    out.push_back(mulaw_encode((a + b) / 2));
  }
  return out;
}

}  // namespace mediaflow::test
