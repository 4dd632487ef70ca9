// wav2capture IN.wav OUT.jsonl [--stream-sid MZ…] [--call-sid CA…] [--frame-ms 20]
//
// Converts any audio file GStreamer can decode (WAV of any rate/format/channels) into a
// Twilio capture: connected, start, one media message per frame, stop — exactly what Twilio
// would send — for `twiliosrc location=…`, `mediaflow run` and the load generator.
#include <mediaflow/gstutil/audio_file.hpp>
#include <mediaflow/protocol/twilio_capture.hpp>

#include <gst/gst.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "wav2capture: %s\n"
               "usage: wav2capture IN.wav OUT.jsonl [--stream-sid MZ...] [--call-sid CA...] "
               "[--account-sid AC...] [--frame-ms 1..1000]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(nullptr, nullptr);
  mediaflow::protocol::twilio::CaptureOptions options;
  std::string in, out;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--stream-sid" || arg == "--call-sid" || arg == "--account-sid" || arg == "--frame-ms") {
      if (!has_value) return usage("missing value after an option");
      const std::string_view value = argv[++i];
      if (arg == "--stream-sid") options.stream_sid = value;
      else if (arg == "--call-sid") options.call_sid = value;
      else if (arg == "--account-sid") options.account_sid = value;
      else {
        unsigned ms = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
        if (ec != std::errc() || p != value.data() + value.size() || ms < 1 || ms > 1000)
          return usage("--frame-ms must be an integer 1..1000");
        options.frame_ms = ms;
      }
    } else if (arg == "-h" || arg == "--help") {
      usage("convert an audio file into a Twilio Media Streams capture");
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage("unknown option");
    } else if (in.empty()) {
      in = arg;
    } else if (out.empty()) {
      out = arg;
    } else {
      return usage("too many arguments");
    }
  }
  if (in.empty() || out.empty()) return usage("need IN and OUT");

  std::vector<std::uint8_t> mulaw;
  std::string error;
  if (!mediaflow::gstutil::decode_file_to_mulaw(in, mulaw, error)) {
    std::fprintf(stderr, "wav2capture: %s\n", error.c_str());
    return 1;
  }
  const std::string capture = mediaflow::protocol::twilio::build_capture(mulaw, options);
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file.write(capture.data(), static_cast<std::streamsize>(capture.size()));
  file.close();
  if (!file) {
    std::fprintf(stderr, "wav2capture: cannot write %s\n", out.c_str());
    return 1;
  }
  std::fprintf(stderr, "wav2capture: %zu ms of audio, %zu bytes written to %s\n", mulaw.size() / 8, capture.size(),
               out.c_str());
  return 0;
}
