#include "support/fake_elevenlabs_tts.hpp"

#include "support/fake_server_socket.hpp"
#include "support/loopback_soup_server.hpp"
#include "support/mulaw.hpp"

#include <mediaflow/protocol/json_string.hpp>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <cmath>
#include <cstring>
#include <mutex>

namespace mediaflow::test {

namespace {

constexpr const char* kPathPrefix = "/v1/text-to-speech/";
constexpr const char* kPathSuffix = "/stream-input";
constexpr std::size_t kTriggerChars = 50;  // try_trigger_generation's minimum (undocumented)
constexpr unsigned kMaxMessageMs = 500;

// "ulaw_8000" → {true, 8000}; "pcm_16000" → {false, 16000}; rate 0: not a format we speak.
struct Format {
  bool mulaw = true;
  int rate = 0;
};
Format format_of(const std::string& name) {
  const auto us = name.find('_');
  const std::string kind = name.substr(0, us);
  const int rate = us == std::string::npos ? 0 : std::atoi(name.c_str() + us + 1);
  if ((kind == "ulaw" && rate == 8000) || (kind == "pcm" && rate >= 8000 && rate <= 48000)) return {kind == "ulaw", rate};
  return {};
}

std::int16_t tone_sample(std::uint64_t n, int rate) {
  return static_cast<std::int16_t>(std::lround(8000 * std::sin(2 * G_PI * 440 * double(n) / rate)));
}

void append_tone(std::vector<std::uint8_t>& out, Format f, std::uint64_t first, std::uint64_t samples) {
  for (std::uint64_t n = first; n < first + samples; ++n) {
    const std::int16_t s = tone_sample(n, f.rate);
    if (f.mulaw) {
      out.push_back(mulaw_encode(s));
    } else {
      out.push_back(static_cast<std::uint8_t>(s & 0xff));
      out.push_back(static_cast<std::uint8_t>((s >> 8) & 0xff));
    }
  }
}

std::string alignment_json(const std::vector<std::string>& chars, unsigned ms_per_char) {
  std::string c, starts, durations;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const char* sep = i ? "," : "";
    c += sep;
    protocol::append_json_string(c, chars[i]);
    (starts += sep) += std::to_string(i * ms_per_char);
    (durations += sep) += std::to_string(ms_per_char);
  }
  return R"({"chars":[)" + c + R"(],"charStartTimesMs":[)" + starts + R"(],"charDurationsMs":[)" + durations + "]}";
}

std::string error_json(const std::string& message, const char* error) {
  std::string out = R"({"message":)";
  protocol::append_json_string(out, message);
  return out + R"(,"error":")" + error + R"(","code":1008})";
}

}  // namespace

struct TtsLive {  // server thread only
  FakeElevenLabsTts::Impl* impl = nullptr;
  std::size_t index = 0;
  std::unique_ptr<FakeServerSocket> socket;
  Format format;
  std::string header_key;
  bool auto_mode = false;
  bool started = false;  // the first message came
  std::string buffer;    // text not spoken yet
  std::vector<int> schedule = {120, 160, 250, 290};
  std::size_t schedule_pos = 0;
  std::uint64_t samples_sent = 0;
  unsigned inactivity_s = 20;
  GSource* inactivity = nullptr;
  std::size_t messages = 0;
};

struct FakeElevenLabsTts::Impl {
  std::string api_key;
  LoopbackSoupServer soup;

  mutable std::mutex mutex;  // guards everything below except `live`
  std::vector<Stream> records;
  int handshakes = 0;
  bool refuse_all = false;
  unsigned refuse_status = 0;
  std::size_t drop_after = 0;
  unsigned delay_ms = 0, ms_per_char = 20;

  std::vector<TtsLive*> live;  // server thread only

  template <typename Fn>
  void update(TtsLive* c, Fn&& fn) {
    std::lock_guard lock(mutex);
    fn(records[c->index]);
  }

  void fail(TtsLive* c, const std::string& message, const char* error) {
    if (c->socket->closing()) return;
    c->socket->send(error_json(message, error));
    c->socket->close(1008, message.size() <= 123 ? message : std::string(error));
    update(c, [](Stream& s) { s.close_code = 1008; });
  }

  // Speaks the whole buffer: audio messages of at most kMaxMessageMs, whole characters each.
  void speak(TtsLive* c) {
    unsigned ms_per_char;
    {
      std::lock_guard lock(mutex);
      ms_per_char = this->ms_per_char ? this->ms_per_char : 1;
    }
    std::vector<std::string> chars;
    for (const char* p = c->buffer.c_str(); *p; p = g_utf8_next_char(p))
      chars.emplace_back(p, g_utf8_next_char(p) - p);
    c->buffer.clear();
    const std::size_t per_message = std::max<std::size_t>(1, kMaxMessageMs / ms_per_char);
    for (std::size_t i = 0; i < chars.size(); i += per_message) {
      const std::vector<std::string> part(chars.begin() + long(i), chars.begin() + long(std::min(chars.size(), i + per_message)));
      const std::uint64_t samples = std::uint64_t(c->format.rate) * part.size() * ms_per_char / 1000;
      std::vector<std::uint8_t> audio;
      append_tone(audio, c->format, c->samples_sent, samples);
      c->samples_sent += samples;
      gchar* b64 = g_base64_encode(audio.data(), audio.size());
      const std::string alignment = alignment_json(part, ms_per_char);
      c->socket->send(std::string(R"({"audio":")") + b64 + R"(","isFinal":null,"normalizedAlignment":)" + alignment +
                      R"(,"alignment":)" + alignment + "}");
      g_free(b64);
      update(c, [&](Stream& s) {
        ++s.audio_messages;
        s.audio_bytes += audio.size();
      });
    }
  }

  void restart_inactivity(TtsLive* c) {
    if (c->inactivity) {
      g_source_destroy(c->inactivity);
      g_source_unref(c->inactivity);
    }
    c->inactivity = g_timeout_source_new_seconds(c->inactivity_s);
    g_source_set_callback(
        c->inactivity,
        [](gpointer data) -> gboolean {
          auto* lc = static_cast<TtsLive*>(data);
          lc->impl->fail(lc,
                         "Have not received a new text input within the timeout of " +
                             std::to_string(lc->inactivity_s) +
                             " seconds. Streaming input terminated. Please make sure to either feed the input in "
                             "the timely manner, or to send the end of input text (empty string \"\") when done.",
                         "input_timeout_exceeded");
          return G_SOURCE_CONTINUE;  // destroyed with the stream
        },
        c, nullptr);
    g_source_attach(c->inactivity, soup.context());
  }

  void on_text(TtsLive* c, const std::string& raw) {
    restart_inactivity(c);
    JsonParser* parser = json_parser_new();
    JsonObject* o = nullptr;
    if (json_parser_load_from_data(parser, raw.c_str(), gssize(raw.size()), nullptr) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
      o = json_node_get_object(json_parser_get_root(parser));
    JsonNode* text_node = o ? json_object_get_member(o, "text") : nullptr;
    const bool ok = text_node && JSON_NODE_HOLDS_VALUE(text_node) && json_node_get_value_type(text_node) == G_TYPE_STRING;
    const std::string text = ok ? json_node_get_string(text_node) : "";
    const auto value = [o](const char* name, GType type) {
      JsonNode* n = o ? json_object_get_member(o, name) : nullptr;
      return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == type ? n : nullptr;
    };
    JsonNode* flush_node = value("flush", G_TYPE_BOOLEAN);
    JsonNode* trigger_node = value("try_trigger_generation", G_TYPE_BOOLEAN);
    const bool flush = ok && flush_node && json_node_get_boolean(flush_node);
    const bool trigger = ok && trigger_node && json_node_get_boolean(trigger_node);
    std::string body_key;
    for (const char* name : {"xi-api-key", "xi_api_key"})
      if (JsonNode* k = value(name, G_TYPE_STRING)) body_key = json_node_get_string(k);
    JsonNode* schedule = nullptr;
    if (o && json_object_has_member(o, "generation_config")) {
      JsonNode* gc = json_object_get_member(o, "generation_config");
      if (JSON_NODE_HOLDS_OBJECT(gc)) schedule = json_object_get_member(json_node_get_object(gc), "chunk_length_schedule");
    }
    if (schedule && JSON_NODE_HOLDS_ARRAY(schedule) && json_array_get_length(json_node_get_array(schedule)) > 0) {
      c->schedule.clear();
      JsonArray* a = json_node_get_array(schedule);
      for (guint i = 0; i < json_array_get_length(a); ++i) c->schedule.push_back(int(json_array_get_int_element(a, i)));
    }
    g_object_unref(parser);

    const bool first = !c->started;
    c->started = true;
    bool refuse_all;
    {
      std::lock_guard lock(mutex);
      refuse_all = this->refuse_all;
      Stream& s = records[c->index];
      if (first) s.initial = raw;
      else s.messages.push_back(raw);
      s.text += text;
      s.flushes += flush;
      s.triggers += trigger;
      s.end_of_input = s.end_of_input || (ok && !first && text.empty());
    }
    if (!ok)
      return fail(c, "Could not parse input message, make sure it is a json and follows the schema outlined in protocol.",
                  "invalid_input_message");
    if (first) {
      const std::string& key = body_key.empty() ? c->header_key : body_key;
      if (refuse_all || key != api_key) return fail(c, "Invalid API key", "invalid_api_key");
      if (text != " ") return fail(c, "The first message must have a single space as its text.", "invalid_input_message");
      return;
    }
    if (text.empty()) {  // end of input
      speak(c);
      c->socket->send(R"({"audio":null,"isFinal":true,"normalizedAlignment":null,"alignment":null})");
      c->socket->close(SOUP_WEBSOCKET_CLOSE_NORMAL);
      return update(c, [](Stream& s) {
        s.final_sent = true;
        s.close_code = SOUP_WEBSOCKET_CLOSE_NORMAL;
      });
    }
    c->buffer += text;
    const std::size_t threshold = std::size_t(c->schedule[std::min(c->schedule_pos, c->schedule.size() - 1)]);
    if (flush || c->auto_mode || (trigger && c->buffer.size() >= kTriggerChars) || c->buffer.size() >= threshold) {
      if (!flush && !c->auto_mode && c->buffer.size() >= threshold) ++c->schedule_pos;
      speak(c);
    }
  }

  static void on_request(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    const std::string p = path;
    std::lock_guard lock(self->mutex);
    ++self->handshakes;
    const bool shape = p.size() > strlen(kPathPrefix) + strlen(kPathSuffix) && g_str_has_suffix(p.c_str(), kPathSuffix);
    if (self->refuse_status) soup_server_message_set_status(msg, self->refuse_status, nullptr);
    else if (!shape || !format_of(query_params(msg)["output_format"]).rate)
      soup_server_message_set_status(msg, SOUP_STATUS_BAD_REQUEST, nullptr);  // our fake speaks pcm/ulaw only
  }

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char* path, SoupWebsocketConnection* ws,
                           gpointer data) {
    auto* self = static_cast<Impl*>(data);
    auto* c = new TtsLive;
    c->impl = self;
    Stream record;
    const std::string p = path;
    record.voice_id = p.substr(strlen(kPathPrefix), p.size() - strlen(kPathPrefix) - strlen(kPathSuffix));
    record.query = query_params(msg);
    record.api_key = c->header_key = request_header(msg, "xi-api-key");
    c->format = format_of(record.query["output_format"]);
    c->auto_mode = record.query["auto_mode"] == "true";
    if (const int t = std::atoi(record.query["inactivity_timeout"].c_str()); t > 0) c->inactivity_s = unsigned(t);
    {
      std::lock_guard lock(self->mutex);
      c->socket = std::make_unique<FakeServerSocket>(ws, self->soup.context(), self->delay_ms);
      c->index = self->records.size();
      self->records.push_back(record);
    }
    self->live.push_back(c);
    self->restart_inactivity(c);
    g_signal_connect(ws, "message", G_CALLBACK(on_message), c);
    g_signal_connect(ws, "closed", G_CALLBACK(on_closed), c);
  }

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* c = static_cast<TtsLive*>(data);
    Impl* self = c->impl;
    if (c->socket->closing()) return;
    gsize size = 0;
    const auto* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
    bool drop;
    {
      std::lock_guard lock(self->mutex);
      drop = c->index == 0 && self->drop_after && ++c->messages >= self->drop_after;
    }
    if (type == SOUP_WEBSOCKET_DATA_TEXT) self->on_text(c, std::string(bytes, size));
    else self->fail(c, "Binary messages are not part of the protocol.", "invalid_input_message");
    if (drop && !c->socket->closing()) {
      c->socket->close(SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "dropped by the fake");
      self->update(c, [](Stream& s) { s.close_code = SOUP_WEBSOCKET_CLOSE_SERVER_ERROR; });
    }
  }

  static void on_closed(SoupWebsocketConnection*, gpointer data) {
    auto* c = static_cast<TtsLive*>(data);
    c->impl->update(c, [](Stream& s) { s.closed = true; });
    if (c->inactivity) {
      g_source_destroy(c->inactivity);
      g_source_unref(c->inactivity);
      c->inactivity = nullptr;
    }
  }

  void close_all() {
    for (TtsLive* c : live) {
      g_signal_handlers_disconnect_by_data(c->socket->ws(), c);
      if (c->inactivity) {
        g_source_destroy(c->inactivity);
        g_source_unref(c->inactivity);
      }
      delete c;
    }
    live.clear();
  }
};

FakeElevenLabsTts::FakeElevenLabsTts(std::string api_key) : impl_(std::make_unique<Impl>()) {
  impl_->api_key = std::move(api_key);
}

FakeElevenLabsTts::~FakeElevenLabsTts() { stop(); }

std::uint16_t FakeElevenLabsTts::start(std::uint16_t port) {
  Impl* d = impl_.get();
  std::string error;
  const std::uint16_t bound = d->soup.start(
      port,
      [d](SoupServer* server) {
        // Handlers match by prefix: the voice id is part of the path.
        soup_server_add_handler(server, "/v1/text-to-speech", &Impl::on_request, d, nullptr);
        soup_server_add_websocket_handler(server, "/v1/text-to-speech", nullptr, nullptr, &Impl::on_websocket, d,
                                          nullptr);
      },
      [d] { d->close_all(); }, &error);
  if (!bound) g_printerr("fake elevenlabs tts: cannot listen: %s\n", error.c_str());
  return bound;
}

void FakeElevenLabsTts::stop() { impl_->soup.stop(); }
std::uint16_t FakeElevenLabsTts::port() const { return impl_->soup.port(); }
std::string FakeElevenLabsTts::url() const { return "ws://127.0.0.1:" + std::to_string(port()); }

void FakeElevenLabsTts::refuse_auth(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->refuse_all = on;
}

void FakeElevenLabsTts::refuse_handshake(unsigned status) {
  std::lock_guard lock(impl_->mutex);
  impl_->refuse_status = status;
}

void FakeElevenLabsTts::drop_after_messages(std::size_t n) {
  std::lock_guard lock(impl_->mutex);
  impl_->drop_after = n;
}

void FakeElevenLabsTts::set_reply_delay_ms(unsigned ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->delay_ms = ms;
}

void FakeElevenLabsTts::set_ms_per_char(unsigned ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->ms_per_char = ms;
}

int FakeElevenLabsTts::handshakes() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->handshakes;
}

std::vector<FakeElevenLabsTts::Stream> FakeElevenLabsTts::streams() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->records;
}

std::vector<std::uint8_t> FakeElevenLabsTts::tone(const std::string& format, std::size_t bytes) {
  const Format f = format_of(format);
  std::vector<std::uint8_t> out;
  if (!f.rate) return out;
  append_tone(out, f, 0, bytes / (f.mulaw ? 1 : 2));
  return out;
}

}  // namespace mediaflow::test
