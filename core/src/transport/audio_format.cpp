#include <mediaflow/transport/audio_format.hpp>

namespace mediaflow::transport {

std::string AudioFormat::caps() const {
  const std::string tail = ", rate=(int)" + std::to_string(rate) + ", channels=(int)" + std::to_string(channels);
  if (encoding == Encoding::kMulaw) return "audio/x-mulaw" + tail;
  return "audio/x-raw, format=(string)S16LE, layout=(string)interleaved" + tail;
}

}  // namespace mediaflow::transport
