// `mediaflow dial URL`: one simulated Twilio Media Streams or jambonz listen call against a
// running host.
#include "cli/commands.hpp"

#include <mediaflow/dial/dial_audio.hpp>
#include <mediaflow/dial/caller.hpp>
#include <mediaflow/gstutil/audio_file.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>

#include <gst/gst.h>

#include <charconv>
#include <cstdio>
#include <optional>

namespace mediaflow::cli {
namespace {

constexpr const char* kUsage =
    "usage: mediaflow dial URL [options]\n\n"
    "Simulates the telephony side of a media WebSocket call against a host, then plays back\n"
    "what the host sends in real time (marks echoed once their audio has played, a clear drops\n"
    "buffered audio).\n"
    "  twilio (default): a Twilio Media Streams call (bidirectional <Connect><Stream>):\n"
    "    connected, start, the audio as 20 ms mu-law media frames in real time, then stop.\n"
    "    URL: ws://HOST:PORT/rtm/voice (add ?token=T for the query form).\n"
    "  jambonz: a jambonz listen call (mod_audio_fork, subprotocol audio.jambonz.org): the\n"
    "    metadata frame, the audio as 20 ms binary PCM frames, then close 1000 once what came\n"
    "    back has played; marks are answered playout/cleared. URL: ws://HOST:PORT/fork.\n"
    "Exit status 0 when the call was closed normally (1000), 1 otherwise.\n\n"
    "options:\n"
    "  --protocol P        twilio (default) | jambonz\n"
    "  --rate HZ           jambonz sampleRate: 8000 (default), 16000, 24000, 48000, 64000\n"
    "  --stereo            jambonz mixType stereo: the caller on channel 0, a silent callee on 1\n"
    "  --wav FILE          audio to send (any format GStreamer decodes; converted to the call's)\n"
    "  --tone-hz HZ        send a sine tone instead (default 440 when no --wav)\n"
    "  --seconds S         length of the tone (default 3)\n"
    "  --param K=V         Twilio start.customParameters / jambonz metadata entry (repeatable),\n"
    "                      e.g. --param pipeline=echo\n"
    "  --track T           Twilio: inbound (default) | outbound | both\n"
    "  --fast              send as fast as possible instead of in real time\n"
    "  --token T           token in the path form: URL/jwt/T\n"
    "  --header K=V        extra header on the upgrade request (repeatable), e.g. x-media-auth=T\n"
    "  --hold S            after the audio, keep sending silence for S seconds before hanging up\n"
    "  --end MODE          stop (default: hang up) | hold-open (never hang up) | vanish (drop the socket)\n"
    "  --timeout S         wait this long for the host to close after hanging up (default 10)\n"
    "  --out FILE.wav      write the audio that came back (PCM16 mono WAV at the call's rate)\n"
    "  --call-sid SID      callSid (default: random CA… for Twilio, a random UUID for jambonz)\n"
    "  --stream-sid SID    Twilio start.streamSid (default: random MZ…)\n";

std::optional<double> parse_number(const std::string& s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::pair<std::string, std::string>> parse_pair(const std::string& s) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0) return std::nullopt;
  return std::make_pair(s.substr(0, eq), s.substr(eq + 1));
}

std::string random_sid(const char* prefix) {
  std::string sid = prefix;
  for (int i = 0; i < 32; ++i) sid += "0123456789abcdef"[g_random_int_range(0, 16)];
  return sid;
}

// jambonz's callSid is a UUID.
std::string random_uuid() {
  gchar* uuid = g_uuid_string_random();
  std::string out = uuid;
  g_free(uuid);
  return out;
}

// Inserts /jwt/<token> at the end of the URL's path (before any query).
std::string with_path_token(const std::string& url, const std::string& token) {
  auto q = url.find('?');
  std::string base = url.substr(0, q), query = q == std::string::npos ? "" : url.substr(q);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/jwt/" + token + query;
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "mediaflow dial: %s\n(see 'mediaflow dial --help')\n", message.c_str());
  return 2;
}

void print_summary(const dial::CallResult& r) {
  if (!r.connected) {
    std::printf("not connected: %s", r.error.c_str());
    if (r.http_status) std::printf(" (HTTP %u)", r.http_status);
    std::printf("\n");
    return;
  }
  std::printf("connected in %.1f ms\n", r.connect_ms);
  std::printf("frames sent %llu, received %llu (%llu bytes)\n",
              static_cast<unsigned long long>(r.frames_sent),
              static_cast<unsigned long long>(r.frames_received),
              static_cast<unsigned long long>(r.bytes_received));
  std::printf("marks received %zu, echoed %zu (%zu cleared); clears %u\n", r.marks_received.size(),
              r.marks_echoed.size(), r.marks_cleared.size(), r.clears_received);
  if (!r.latency_ms.empty()) {
    std::printf("round trip (%llu frames matched): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                static_cast<unsigned long long>(r.frames_matched), dial::percentile(r.latency_ms, 0.5),
                dial::percentile(r.latency_ms, 0.99), dial::percentile(r.latency_ms, 1.0));
  }
  std::printf("closed %u%s%s%s\n", r.close_code, r.close_reason.empty() ? "" : " (",
              r.close_reason.c_str(), r.close_reason.empty() ? "" : ")");
  if (r.timed_out) std::printf("the host did not close the call in time\n");
  if (!r.error.empty()) std::printf("error: %s\n", r.error.c_str());
}

}  // namespace

int cmd_dial(const Args& args) {
  if (wants_help(args)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  dial::CallerOptions opt;
  std::string url, wav, out, token, track = "inbound";
  double tone_hz = 440, seconds = 3, rate = 8000;
  bool jambonz_only = false;  // an option only a jambonz call has was given
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    auto number = [&](double& into) {
      std::string s;
      if (!value(s)) return false;
      auto v = parse_number(s);
      if (!v || *v < 0) return false;
      into = *v;
      return true;
    };
    std::string v;
    if (a == "--protocol") {
      if (!value(v) || (v != "twilio" && v != "jambonz")) return usage_error("--protocol must be twilio or jambonz");
      opt.protocol = v == "jambonz" ? dial::CallProtocol::kJambonz : dial::CallProtocol::kTwilio;
    } else if (a == "--rate") {
      if (!number(rate)) return usage_error("--rate needs a number");
      jambonz_only = true;
    } else if (a == "--stereo") {
      opt.channels = 2;
      jambonz_only = true;
    } else if (a == "--wav") {
      if (!value(wav)) return usage_error("--wav needs a file");
    } else if (a == "--tone-hz") {
      if (!number(tone_hz)) return usage_error("--tone-hz needs a number");
    } else if (a == "--seconds") {
      if (!number(seconds)) return usage_error("--seconds needs a number");
    } else if (a == "--param" || a == "--header") {
      std::optional<std::pair<std::string, std::string>> kv;
      if (value(v)) kv = parse_pair(v);
      if (!kv) return usage_error(a + " needs K=V");
      if (a == "--param") opt.custom_parameters[kv->first] = kv->second;
      else opt.headers.push_back(*kv);
    } else if (a == "--track") {
      if (!value(track) || (track != "inbound" && track != "outbound" && track != "both"))
        return usage_error("--track must be inbound, outbound or both");
    } else if (a == "--fast") {
      opt.realtime = false;
    } else if (a == "--token") {
      if (!value(token) || token.empty()) return usage_error("--token needs a value");
    } else if (a == "--hold") {
      if (!number(opt.hold_seconds)) return usage_error("--hold needs seconds");
    } else if (a == "--end") {
      if (!value(v)) return usage_error("--end needs stop, hold-open or vanish");
      if (v == "stop") opt.ending = dial::CallEnding::kStop;
      else if (v == "hold-open") opt.ending = dial::CallEnding::kHoldOpen;
      else if (v == "vanish") opt.ending = dial::CallEnding::kVanish;
      else return usage_error("--end must be stop, hold-open or vanish");
    } else if (a == "--timeout") {
      if (!number(opt.close_timeout_seconds)) return usage_error("--timeout needs seconds");
    } else if (a == "--out") {
      if (!value(out)) return usage_error("--out needs a file");
    } else if (a == "--call-sid") {
      if (!value(opt.call_sid)) return usage_error("--call-sid needs a value");
    } else if (a == "--stream-sid") {
      if (!value(opt.stream_sid)) return usage_error("--stream-sid needs a value");
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option " + a);
    } else if (url.empty()) {
      url = a;
    } else {
      return usage_error("more than one URL");
    }
  }
  if (url.empty()) return usage_error("missing URL");
  const bool jambonz = opt.protocol == dial::CallProtocol::kJambonz;
  if (jambonz_only && !jambonz) return usage_error("--rate and --stereo are for --protocol jambonz");
  if (jambonz && !protocol::jambonz::is_supported_sample_rate(static_cast<uint64_t>(rate)))
    return usage_error("--rate must be 8000, 16000, 24000, 48000 or 64000");
  opt.sample_rate = static_cast<unsigned>(rate);
  if (url.rfind("ws://", 0) != 0 && url.rfind("wss://", 0) != 0)
    return usage_error("URL must start with ws:// or wss://");
  opt.url = token.empty() ? url : with_path_token(url, token);
  if (track == "both") opt.tracks = {"inbound", "outbound"};
  else opt.tracks = {track};
  if (opt.call_sid == dial::CallerOptions{}.call_sid) opt.call_sid = jambonz ? random_uuid() : random_sid("CA");
  if (opt.stream_sid == dial::CallerOptions{}.stream_sid) opt.stream_sid = random_sid("MZ");

  GError* err = nullptr;
  if (!gst_init_check(nullptr, nullptr, &err)) {
    std::fprintf(stderr, "mediaflow dial: cannot initialise GStreamer: %s\n", err ? err->message : "?");
    g_clear_error(&err);
    return 1;
  }
  // One track of the call's wire format: the caller's; a stereo call adds the silent callee.
  const transport::AudioFormat caller_format{jambonz ? transport::AudioFormat::Encoding::kS16le
                                             : transport::AudioFormat::Encoding::kMulaw,
                                     static_cast<int>(opt.sample_rate), 1};
  std::string error;
  bool have_audio = wav.empty() ? dial::make_tone(tone_hz, seconds, caller_format, opt.audio, error)
                                : gstutil::decode_file(wav, caller_format, opt.audio, error);
  if (!have_audio) {
    std::fprintf(stderr, "mediaflow dial: %s\n", error.c_str());
    return wav.empty() ? 2 : 1;
  }
  if (opt.channels == 2) opt.audio = dial::caller_on_left(opt.audio, std::size_t(caller_format.bytes_per_sample()));
  opt.keep_events = false;
  dial::CallResult result = dial::run_call(std::move(opt));
  print_summary(result);
  if (!out.empty() && result.connected) {
    if (!dial::write_as_wav(out, result.received_audio, caller_format, error)) {
      std::fprintf(stderr, "mediaflow dial: %s\n", error.c_str());
      return 1;
    }
    std::printf("wrote %s (%.2f s)\n", out.c_str(), caller_format.duration_us(result.received_audio.size()) / 1e6);
  }
  return result.connected && result.close_code == 1000 && !result.timed_out ? 0 : 1;
}

}  // namespace mediaflow::cli
