#include "agent_audio_format.hpp"

#include <gst/audio/audio.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>

namespace mediaflow::elevenlabs {

static_assert(std::endian::native == std::endian::little, "S16LE samples are copied as native int16");

namespace {

constexpr std::int16_t decode_mulaw(std::uint8_t byte) {
  const int u = ~byte & 0xFF;
  int t = ((u & 0x0F) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return static_cast<std::int16_t>((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

constexpr std::array<std::int16_t, 256> kMulawToLinear = [] {
  std::array<std::int16_t, 256> table{};
  for (int i = 0; i < 256; ++i) table[i] = decode_mulaw(static_cast<std::uint8_t>(i));
  return table;
}();

}  // namespace

std::int16_t mulaw_to_linear(std::uint8_t byte) { return kMulawToLinear[byte]; }

std::uint8_t linear_to_mulaw(std::int16_t sample) {
  const int s = sample;
  const int sign = s < 0 ? 0x80 : 0;
  const int mag = std::min(std::abs(s), 32635) + 0x84;
  int exp = 7;
  for (int m = 0x4000; (mag & m) == 0 && exp > 0; m >>= 1) --exp;
  const int mant = (mag >> (exp + 3)) & 0x0F;
  return static_cast<std::uint8_t>(~(sign | (exp << 4) | mant));
}

std::string caps_string(const AudioFormat& f) {
  if (f.encoding == AudioEncoding::kMulaw) return "audio/x-mulaw,rate=8000,channels=1";
  return "audio/x-raw,format=S16LE,rate=" + std::to_string(f.rate) + ",channels=1,layout=interleaved";
}

std::optional<AudioFormat> format_from_caps(const GstCaps* caps) {
  if (!caps || gst_caps_is_empty(caps) || !gst_caps_is_fixed(caps)) return std::nullopt;
  const GstStructure* st = gst_caps_get_structure(caps, 0);
  int rate = 0, channels = 1;
  if (!gst_structure_get_int(st, "rate", &rate) || rate <= 0) return std::nullopt;
  gst_structure_get_int(st, "channels", &channels);
  if (channels != 1) return std::nullopt;
  if (gst_structure_has_name(st, "audio/x-mulaw"))
    return rate == 8000 ? std::optional(AudioFormat{AudioEncoding::kMulaw, 8000}) : std::nullopt;
  if (gst_structure_has_name(st, "audio/x-raw") && g_strcmp0(gst_structure_get_string(st, "format"), "S16LE") == 0)
    return AudioFormat{AudioEncoding::kPcm16, rate};
  return std::nullopt;
}

std::optional<AudioFormat> choose_output_format(const AudioFormat& agent, const GstCaps* allowed) {
  if (!allowed) return agent;
  const AudioFormat preferred[] = {agent, AudioFormat{AudioEncoding::kMulaw, 8000}, AudioFormat{AudioEncoding::kPcm16, agent.rate}};
  for (const auto& f : preferred) {
    GstCaps* caps = gst_caps_from_string(caps_string(f).c_str());
    const bool ok = gst_caps_can_intersect(caps, allowed);
    gst_caps_unref(caps);
    if (ok) return f;
  }
  // Anything else downstream offers (e.g. S16LE at another rate): its first fixed form.
  GstCaps* ours = gst_caps_from_string(
      "audio/x-raw,format=S16LE,rate=[ 8000, 48000 ],channels=1,layout=interleaved");
  GstCaps* both = gst_caps_intersect_full(const_cast<GstCaps*>(allowed), ours, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref(ours);
  std::optional<AudioFormat> out;
  if (!gst_caps_is_empty(both)) {
    both = gst_caps_fixate(both);
    out = format_from_caps(both);
  }
  gst_caps_unref(both);
  return out;
}

AudioFormatConverter::~AudioFormatConverter() { release(); }

void AudioFormatConverter::release() {
  if (resampler_) gst_audio_resampler_free(resampler_);
  resampler_ = nullptr;
}

bool AudioFormatConverter::configure(const AudioFormat& from, const AudioFormat& to) {
  release();
  carry_.reset();
  from_ = from;
  to_ = to;
  configured_ = false;
  if (from.rate != to.rate) {
    GstStructure* options = gst_structure_new_empty("resampler");
    gst_audio_resampler_options_set_quality(GST_AUDIO_RESAMPLER_METHOD_KAISER, GST_AUDIO_RESAMPLER_QUALITY_DEFAULT,
                                            from.rate, to.rate, options);
    resampler_ = gst_audio_resampler_new(GST_AUDIO_RESAMPLER_METHOD_KAISER, GST_AUDIO_RESAMPLER_FLAG_NONE,
                                         GST_AUDIO_FORMAT_S16, 1, from.rate, to.rate, options);
    gst_structure_free(options);
    if (!resampler_) return false;
  }
  configured_ = true;
  return true;
}

void AudioFormatConverter::reset() {
  carry_.reset();
  if (resampler_) gst_audio_resampler_reset(resampler_);
}

std::span<const std::uint8_t> AudioFormatConverter::convert(std::span<const std::uint8_t> in) {
  if (!configured_) return {};
  if (from_ == to_) return in;

  // 1. Decode to linear samples.
  std::size_t n = 0;
  if (from_.encoding == AudioEncoding::kMulaw) {
    in_samples_.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) in_samples_[i] = kMulawToLinear[in[i]];
    n = in.size();
  } else {
    const std::size_t total = in.size() + (carry_ ? 1 : 0);
    in_samples_.resize(total / 2);
    std::size_t pos = 0;
    if (carry_ && !in.empty()) {
      in_samples_[n++] = static_cast<std::int16_t>(*carry_ | (in[0] << 8));
      carry_.reset();
      pos = 1;
    }
    const std::size_t pairs = (in.size() - pos) / 2;
    if (pairs) std::memcpy(in_samples_.data() + n, in.data() + pos, pairs * 2);
    n += pairs;
    pos += pairs * 2;
    if (pos < in.size()) carry_ = in[pos];
  }

  // 2. Resample (stateful), or not.
  const std::int16_t* samples = in_samples_.data();
  std::size_t m = n;
  if (resampler_ && n) {
    m = gst_audio_resampler_get_out_frames(resampler_, n);
    out_samples_.resize(m);
    gpointer in_planes[1] = {in_samples_.data()};
    gpointer out_planes[1] = {out_samples_.data()};
    gst_audio_resampler_resample(resampler_, in_planes, n, out_planes, m);
    samples = out_samples_.data();
  }

  // 3. Encode.
  if (to_.encoding == AudioEncoding::kMulaw) {
    out_bytes_.resize(m);
    for (std::size_t i = 0; i < m; ++i) out_bytes_[i] = linear_to_mulaw(samples[i]);
  } else {
    out_bytes_.resize(m * 2);
    if (m) std::memcpy(out_bytes_.data(), samples, m * 2);
  }
  return {out_bytes_.data(), out_bytes_.size()};
}

}  // namespace mediaflow::elevenlabs
