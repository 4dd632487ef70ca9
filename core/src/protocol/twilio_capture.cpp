#include <mediaflow/protocol/twilio_capture.hpp>

#include <algorithm>

namespace mediaflow::protocol::twilio {

std::string build_capture(std::span<const std::uint8_t> mulaw, const CaptureOptions& o) {
  constexpr std::uint64_t kBytesPerMs = 8;  // mu-law, 8 kHz, mono
  const std::uint32_t frame_ms = std::clamp<std::uint32_t>(o.frame_ms, 1, 1000);
  const std::size_t frame_bytes = frame_ms * kBytesPerMs;

  std::string out = encode_connected();
  out += '\n';
  StartEvent start;
  start.stream_sid = o.stream_sid;
  start.call_sid = o.call_sid;
  start.account_sid = o.account_sid;
  start.tracks = {o.track};
  start.media_format.encoding = "audio/x-mulaw";
  std::uint64_t seq = 1;
  out += encode_start(seq++, start);
  out += '\n';
  std::uint64_t chunk = 1;
  for (std::size_t pos = 0; pos < mulaw.size(); pos += frame_bytes) {
    const std::size_t n = std::min(frame_bytes, mulaw.size() - pos);
    out += encode_inbound_media(seq++, o.stream_sid, o.track, chunk++, pos / kBytesPerMs, mulaw.subspan(pos, n));
    out += '\n';
  }
  out += encode_stop(seq, o.stream_sid, o.account_sid, o.call_sid);
  out += '\n';
  return out;
}

}  // namespace mediaflow::protocol::twilio
