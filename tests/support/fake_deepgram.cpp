#include "support/fake_deepgram.hpp"

#include "support/loopback_soup_server.hpp"
#include "support/wait_until.hpp"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <mutex>
#include <optional>
#include <string_view>

namespace mediaflow::test {

namespace {

struct LiveConnection {
  FakeDeepgram::Impl* impl = nullptr;
  std::size_t index = 0;  // into Impl::records
  SoupWebsocketConnection* ws = nullptr;
  std::size_t bytes_per_second = 32000;
  std::size_t bytes = 0;
  std::size_t halves_answered = 0;  // half seconds of audio already answered
  std::size_t final_bytes = 0;      // audio covered by final results
  bool vad_events = false;
  bool utterance_end = false;
  bool dropped = false;
  std::optional<std::int64_t> bench_t0_ns;  // from the tag bench_t0_ns=…
};

// Every value of `name` in a query string, unescaped, in order (g_uri_parse_params keeps only
// the last of a repeated name; Deepgram's `tag` repeats).
std::vector<std::string> query_values(const char* query, const std::string& name) {
  std::vector<std::string> out;
  gchar** pairs = g_strsplit(query, "&", -1);
  for (gchar** p = pairs; *p; ++p) {
    const std::string pair = *p;
    if (pair.compare(0, name.size() + 1, name + "=") != 0) continue;
    if (gchar* v = g_uri_unescape_string(pair.c_str() + name.size() + 1, nullptr)) {
      out.emplace_back(v);
      g_free(v);
    }
  }
  g_strfreev(pairs);
  return out;
}

std::optional<std::int64_t> bench_t0_of(const std::vector<std::string>& tags) {
  constexpr std::string_view kKey = "bench_t0_ns=";
  for (const auto& tag : tags) {
    if (tag.compare(0, kKey.size(), kKey) != 0) continue;
    gint64 v = 0;
    if (g_ascii_string_to_signed(tag.c_str() + kKey.size(), 10, 0, G_MAXINT64, &v, nullptr)) return v;
  }
  return std::nullopt;
}

std::string fmt_double(double v) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_formatd(buf, sizeof buf, "%.3f", v);
}

std::string word_json(const std::string& word, const std::string& punctuated, double start, double end) {
  return R"({"word":")" + word + R"(","start":)" + fmt_double(start) + R"(,"end":)" + fmt_double(end) +
         R"(,"confidence":0.9,"punctuated_word":")" + punctuated + R"("})";
}

std::string results_json(const std::string& transcript, const std::string& words, double start, double duration,
                         bool is_final, bool speech_final, bool from_finalize) {
  return R"({"type":"Results","channel_index":[0,1],"duration":)" + fmt_double(duration) + R"(,"start":)" +
         fmt_double(start) + R"(,"is_final":)" + (is_final ? "true" : "false") + R"(,"speech_final":)" +
         (speech_final ? "true" : "false") + R"(,"from_finalize":)" + (from_finalize ? "true" : "false") +
         R"(,"channel":{"alternatives":[{"transcript":")" + transcript + R"(","confidence":0.9,"words":[)" + words +
         R"(]}]},"metadata":{"request_id":"fake"}})";
}

}  // namespace

struct FakeDeepgram::Impl {
  std::string api_key;
  LoopbackSoupServer soup;

  mutable std::mutex mutex;  // guards records, counters and hooks below
  std::vector<Connection> records;
  int handshakes = 0;
  std::size_t drop_after = 0;
  unsigned refuse_status = 0;
  bool garbage = false;
  bool stalled = false;
  bool keep_audio = true;
  std::size_t bench_connections = 0;
  bench::LatencyHistogram ingest_latency;

  std::vector<LiveConnection*> live;  // server thread only

  void send(LiveConnection* c, const std::string& text) {
    if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_send_text(c->ws, text.c_str());
  }

  void answer_audio(LiveConnection* c, bool garbage_on) {
    const std::size_t half = c->bytes_per_second / 2;
    while (half && c->bytes >= (c->halves_answered + 1) * half) {
      const std::size_t k = ++c->halves_answered;
      const std::size_t n = (k - 1) / 2;
      const double N = static_cast<double>(n);
      const std::string text = "second " + std::to_string(n);
      if (k % 2 == 1) {
        if (c->vad_events && n % 2 == 0)
          send(c, R"({"type":"SpeechStarted","channel":[0,1],"timestamp":)" + fmt_double(N + 0.1) + "}");
        send(c, results_json(text, word_json("second", "Second", N + 0.1, N + 0.4), N, 0.5, false, false, false));
      } else {
        const bool speech_final = n % 2 == 1;
        const std::string words = word_json("second", "Second", N + 0.1, N + 0.4) + "," +
                                  word_json(std::to_string(n), std::to_string(n) + ".", N + 0.5, N + 0.9);
        send(c, results_json(text, words, N, 1.0, true, speech_final, false));
        c->final_bytes = k * half;
        if (speech_final && c->utterance_end)
          send(c, R"({"type":"UtteranceEnd","channel":[0,1],"last_word_end":)" + fmt_double(N + 0.9) + "}");
        if (garbage_on) {
          send(c, "this is not json {");
          send(c, R"({"type":"Mystery","value":1})");
        }
      }
    }
  }

  // Final result for audio not yet covered by one (Finalize / CloseStream).
  void flush_partial(LiveConnection* c, bool from_finalize) {
    if (c->bytes <= c->final_bytes) return;
    const double start = static_cast<double>(c->final_bytes) / static_cast<double>(c->bytes_per_second);
    const double duration = static_cast<double>(c->bytes - c->final_bytes) / static_cast<double>(c->bytes_per_second);
    send(c, results_json("partial", word_json("partial", "Partial.", start, start + duration), start, duration, true,
                         true, from_finalize));
    c->final_bytes = c->bytes;
    const std::size_t half = c->bytes_per_second / 2;
    c->halves_answered = half ? (c->bytes + half - 1) / half : 0;
  }

  static void on_request(SoupServer*, SoupServerMessage* msg, const char*, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    const char* auth = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
    std::lock_guard lock(self->mutex);
    ++self->handshakes;
    unsigned refuse = self->refuse_status;
    if (!refuse && (!auth || std::string(auth) != "Token " + self->api_key)) refuse = SOUP_STATUS_UNAUTHORIZED;
    if (refuse) {
      soup_server_message_set_status(msg, refuse, nullptr);
      soup_message_headers_replace(soup_server_message_get_response_headers(msg), "dg-error",
                                   refuse == 401 ? "Invalid credentials." : "Refused by test hook.");
      soup_message_headers_replace(soup_server_message_get_response_headers(msg), "dg-request-id", "fake");
    }
  }

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char*, SoupWebsocketConnection* ws,
                           gpointer data) {
    auto* self = static_cast<Impl*>(data);
    auto* c = new LiveConnection;
    c->impl = self;
    c->ws = SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws));
    soup_websocket_connection_set_max_incoming_payload_size(ws, 0);
    Connection record;
    record.query = query_params(msg);
    if (const char* q = g_uri_get_query(soup_server_message_get_uri(msg))) record.tags = query_values(q, "tag");
    c->bench_t0_ns = bench_t0_of(record.tags);
    if (const char* auth =
            soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization"))
      record.authorization = auth;
    const int rate = record.query.count("sample_rate") ? std::atoi(record.query["sample_rate"].c_str()) : 16000;
    const bool mulaw = record.query.count("encoding") && record.query["encoding"] == "mulaw";
    c->bytes_per_second = static_cast<std::size_t>(rate) * (mulaw ? 1 : 2);
    c->vad_events = record.query.count("vad_events") && record.query["vad_events"] == "true";
    c->utterance_end = record.query.count("utterance_end_ms") > 0;
    {
      std::lock_guard lock(self->mutex);
      c->index = self->records.size();
      self->records.push_back(std::move(record));
      if (c->bench_t0_ns) ++self->bench_connections;
    }
    self->live.push_back(c);
    g_signal_connect(ws, "message", G_CALLBACK(on_message), c);
    g_signal_connect(ws, "closed", G_CALLBACK(on_closed), c);
  }

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    const std::int64_t arrival_ns = bench::monotonic_ns();
    auto* c = static_cast<LiveConnection*>(data);
    Impl* self = c->impl;
    if (c->dropped) return;
    gsize size = 0;
    const auto* bytes = static_cast<const std::uint8_t*>(g_bytes_get_data(message, &size));
    bool stalled, garbage, drop = false;
    std::string control;
    {
      std::lock_guard lock(self->mutex);
      stalled = self->stalled;
      garbage = self->garbage;
      Connection& rec = self->records[c->index];
      if (type == SOUP_WEBSOCKET_DATA_BINARY) {
        if (self->keep_audio) rec.audio.insert(rec.audio.end(), bytes, bytes + size);
        rec.audio_bytes += size;
        ++rec.audio_messages;
        c->bytes += size;
        if (c->bench_t0_ns && size > 0)
          self->ingest_latency.add_ns(bench::ingest_latency_ns(*c->bench_t0_ns, c->bytes, c->bytes_per_second, arrival_ns));
        drop = c->index == 0 && self->drop_after && c->bytes >= self->drop_after;
      } else {
        control.assign(reinterpret_cast<const char*>(bytes), size);
        JsonParser* parser = json_parser_new();
        std::string kind;
        if (json_parser_load_from_data(parser, control.c_str(), -1, nullptr) &&
            JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
          JsonObject* o = json_node_get_object(json_parser_get_root(parser));
          if (json_object_has_member(o, "type")) kind = json_object_get_string_member(o, "type");
        }
        g_object_unref(parser);
        control = kind;
        if (kind == "KeepAlive") ++rec.keepalives;
        if (kind == "Finalize") rec.finalize = true;
        if (kind == "CloseStream") rec.close_stream = true;
      }
    }
    if (stalled) return;
    if (type == SOUP_WEBSOCKET_DATA_BINARY) {
      self->answer_audio(c, garbage);
      if (drop) {
        c->dropped = true;
        soup_websocket_connection_close(c->ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "NET-0001");
      }
    } else if (control == "Finalize") {
      self->flush_partial(c, true);
    } else if (control == "CloseStream") {
      self->flush_partial(c, false);
      const double duration = static_cast<double>(c->bytes) / static_cast<double>(c->bytes_per_second);
      self->send(c, R"({"type":"Metadata","request_id":"fake","sha256":"0","created":"2024-08-29T22:37:55.202Z","duration":)" +
                        fmt_double(duration) + R"(,"channels":1})");
      soup_websocket_connection_close(c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    }
  }

  static void on_closed(SoupWebsocketConnection*, gpointer data) {
    auto* c = static_cast<LiveConnection*>(data);
    std::lock_guard lock(c->impl->mutex);
    c->impl->records[c->index].closed = true;
  }

  void close_all() {
    for (LiveConnection* c : live) {
      g_signal_handlers_disconnect_by_data(c->ws, c);
      if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(c->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
      g_object_unref(c->ws);
      delete c;
    }
    live.clear();
  }
};

FakeDeepgram::FakeDeepgram(std::string api_key) : impl_(std::make_unique<Impl>()) {
  impl_->api_key = std::move(api_key);
}

FakeDeepgram::~FakeDeepgram() { stop(); }

std::uint16_t FakeDeepgram::start(std::uint16_t port) {
  Impl* d = impl_.get();
  std::string error;
  const std::uint16_t bound = d->soup.start(
      port,
      [d](SoupServer* server) {
        soup_server_add_handler(server, "/v1/listen", &Impl::on_request, d, nullptr);
        soup_server_add_websocket_handler(server, "/v1/listen", nullptr, nullptr, &Impl::on_websocket, d, nullptr);
      },
      [d] { d->close_all(); }, &error);
  if (!bound) g_printerr("fake deepgram: cannot listen: %s\n", error.c_str());
  return bound;
}

void FakeDeepgram::stop() { impl_->soup.stop(); }

std::uint16_t FakeDeepgram::port() const { return impl_->soup.port(); }

std::string FakeDeepgram::url() const { return "ws://127.0.0.1:" + std::to_string(impl_->soup.port()) + "/v1/listen"; }

void FakeDeepgram::drop_after_bytes(std::size_t bytes) {
  std::lock_guard lock(impl_->mutex);
  impl_->drop_after = bytes;
}

void FakeDeepgram::refuse_with_status(unsigned status) {
  std::lock_guard lock(impl_->mutex);
  impl_->refuse_status = status;
}

void FakeDeepgram::send_garbage(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->garbage = on;
}

void FakeDeepgram::stall(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->stalled = on;
}

void FakeDeepgram::keep_audio(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->keep_audio = on;
}

FakeDeepgram::IngestLatency FakeDeepgram::ingest_latency() const {
  std::lock_guard lock(impl_->mutex);
  return {impl_->bench_connections, impl_->ingest_latency};
}

int FakeDeepgram::handshakes() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->handshakes;
}

std::vector<FakeDeepgram::Connection> FakeDeepgram::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->records;
}

bool FakeDeepgram::wait_until(const std::function<bool()>& predicate, int timeout_ms) {
  return mediaflow::test::wait_until(predicate, timeout_ms);
}

}  // namespace mediaflow::test
