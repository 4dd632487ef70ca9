#include "support/fake_twilio_host.hpp"

#include "support/loopback_soup_server.hpp"

#include <libsoup/soup.h>

#include <condition_variable>
#include <stdexcept>

namespace mediaflow::test {
namespace tw = mediaflow::protocol::twilio;

namespace {
constexpr const char* kWsPath = "/rtm/voice";

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(g_ascii_tolower(c));
  return s;
}
}  // namespace

struct FakeTwilioHost::Impl {
  FakeHostBehaviour behaviour;

  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  std::vector<FakeHostCall> calls;  // guarded by mutex
  size_t closed_count = 0;

  // Last member: its thread stops before the state its callbacks touch is destroyed.
  LoopbackSoupServer soup;

  // One per WebSocket; lives on the server thread.
  struct Connection {
    Impl* host;
    size_t index;  // into calls
    SoupWebsocketConnection* ws;
    tw::TwilioEnvelopeParser parser;
    std::string stream_sid;
    uint64_t frames = 0;
    bool cleared = false;
    std::map<std::string, int64_t> mark_sent_us;
    std::vector<uint8_t> payload;
  };

  explicit Impl(FakeHostBehaviour b) : behaviour(std::move(b)) {}

  static bool token_ok(const FakeHostBehaviour& b, SoupServerMessage* msg, const char* path) {
    if (b.required_token.empty()) return true;
    std::string p = path;
    std::string jwt_prefix = std::string(kWsPath) + "/jwt/";
    if (p.rfind(jwt_prefix, 0) == 0 && p.substr(jwt_prefix.size()) == b.required_token) return true;
    const char* h = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "x-media-auth");
    if (h && b.required_token == h) return true;
    GUri* uri = soup_server_message_get_uri(msg);
    if (const char* q = g_uri_get_query(uri)) {
      GHashTable* params = soup_form_decode(q);
      const char* t = static_cast<const char*>(g_hash_table_lookup(params, "token"));
      bool ok = t && b.required_token == t;
      g_hash_table_unref(params);
      if (ok) return true;
    }
    return false;
  }

  static void on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    if (!token_ok(self->behaviour, msg, path)) {
      soup_server_message_set_status(msg, SOUP_STATUS_UNAUTHORIZED, nullptr);
      return;
    }
    // Not an upgrade (or an accepted one, which the WebSocket handler takes over).
    if (!soup_message_headers_header_contains(soup_server_message_get_request_headers(msg), "Upgrade", "websocket"))
      soup_server_message_set_status(msg, SOUP_STATUS_BAD_REQUEST, nullptr);
  }

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char* path,
                           SoupWebsocketConnection* ws, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    FakeHostCall call;
    call.path = path;
    if (const char* q = g_uri_get_query(soup_server_message_get_uri(msg))) call.query = q;
    SoupMessageHeadersIter it;
    soup_message_headers_iter_init(&it, soup_server_message_get_request_headers(msg));
    const char *name, *value;
    while (soup_message_headers_iter_next(&it, &name, &value)) call.headers[lower(name)] = value;
    auto* c = new Connection{self, 0, WEBSOCKET_REF(ws), {}, {}, 0, false, {}, {}};
    {
      std::lock_guard lock(self->mutex);
      c->index = self->calls.size();
      self->calls.push_back(std::move(call));
    }
    g_signal_connect(ws, "message", G_CALLBACK(&Impl::on_message), c);
    g_signal_connect(ws, "closed", G_CALLBACK(&Impl::on_closed), c);
  }

  static SoupWebsocketConnection* WEBSOCKET_REF(SoupWebsocketConnection* ws) {
    return SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws));
  }

  static void send(Connection* c, const std::string& text) {
    if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_send_text(c->ws, text.c_str());
  }

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* bytes, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    Impl* self = c->host;
    if (type != SOUP_WEBSOCKET_DATA_TEXT) return;
    gsize len = 0;
    const char* text = static_cast<const char*>(g_bytes_get_data(bytes, &len));
    tw::InboundMessage m = c->parser.parse(std::string_view(text, len));
    std::unique_lock lock(self->mutex);
    FakeHostCall& call = self->calls[c->index];
    call.events.push_back(m.kind == tw::EventKind::kMalformed ? "malformed" : std::string(m.event));
    if (m.sequence_number && m.kind != tw::EventKind::kStart) call.sequence_numbers.push_back(*m.sequence_number);
    switch (m.kind) {
      case tw::EventKind::kStart: {
        call.start = m.start;
        call.start_sequence = m.sequence_number.value_or(0);
        c->stream_sid = m.start.stream_sid;
        lock.unlock();
        if (self->behaviour.greeting_bytes) {
          std::vector<uint8_t> greeting(self->behaviour.greeting_bytes, 0x55);
          for (size_t off = 0; off < greeting.size(); off += 160) {
            size_t n = std::min<size_t>(160, greeting.size() - off);
            send(c, tw::encode_outbound_media(c->stream_sid, std::span(greeting).subspan(off, n)));
          }
        }
        for (const auto& mark : self->behaviour.greeting_marks) {
          c->mark_sent_us[mark] = g_get_monotonic_time();
          send(c, tw::encode_outbound_mark(c->stream_sid, mark));
        }
        return;
      }
      case tw::EventKind::kMedia: {
        c->payload.resize(tw::base64_decoded_max(m.media.payload_base64.size()));
        auto n = tw::decode_base64(m.media.payload_base64, c->payload);
        if (!n) return;
        c->payload.resize(*n);
        call.chunks.push_back(m.media.chunk);
        call.timestamps_ms.push_back(m.media.timestamp_ms);
        call.audio.insert(call.audio.end(), c->payload.begin(), c->payload.end());
        ++c->frames;
        lock.unlock();
        if (self->behaviour.echo_media) send(c, tw::encode_outbound_media(c->stream_sid, c->payload));
        if (self->behaviour.clear_after_frames && !c->cleared && c->frames >= self->behaviour.clear_after_frames) {
          c->cleared = true;
          send(c, tw::encode_outbound_clear(c->stream_sid));
        }
        return;
      }
      case tw::EventKind::kMark: {
        std::string name(m.mark);
        call.marks_echoed.push_back(name);
        auto sent = c->mark_sent_us.find(name);
        call.mark_echo_delay_ms.push_back(
            sent == c->mark_sent_us.end() ? -1 : (g_get_monotonic_time() - sent->second) / 1000.0);
        return;
      }
      case tw::EventKind::kDtmf:
        call.dtmf.emplace_back(m.dtmf.digit);
        return;
      case tw::EventKind::kStop: {
        call.stop_received = true;
        lock.unlock();
        if (!self->behaviour.close_on_stop) return;
        g_object_ref(c->ws);
        GSource* t = g_timeout_source_new(self->behaviour.close_delay_ms);
        g_source_set_callback(t, [](gpointer ws) -> gboolean {
          auto* conn = static_cast<SoupWebsocketConnection*>(ws);
          if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
          return G_SOURCE_REMOVE;
        }, c->ws, g_object_unref);
        g_source_attach(t, self->soup.context());
        g_source_unref(t);
        return;
      }
      default:
        return;
    }
  }

  static void on_closed(SoupWebsocketConnection* ws, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    Impl* self = c->host;
    {
      std::lock_guard lock(self->mutex);
      FakeHostCall& call = self->calls[c->index];
      call.closed = true;
      call.close_code = soup_websocket_connection_get_close_code(ws);
      if (const char* r = soup_websocket_connection_get_close_data(ws)) call.close_reason = r;
      ++self->closed_count;
    }
    self->cv.notify_all();
    g_signal_handlers_disconnect_by_data(ws, c);
    g_object_unref(c->ws);
    delete c;
  }
};

FakeTwilioHost::FakeTwilioHost(FakeHostBehaviour behaviour)
    : impl_(std::make_unique<Impl>(std::move(behaviour))) {
  Impl* impl = impl_.get();
  std::string error;
  port_ = impl->soup.start(
      0,
      [impl](SoupServer* server) {
        soup_server_add_handler(server, kWsPath, &Impl::on_http, impl, nullptr);
        soup_server_add_websocket_handler(server, kWsPath, nullptr, nullptr, &Impl::on_websocket, impl, nullptr);
      },
      {}, &error);
  if (!port_) throw std::runtime_error("fake Twilio host: cannot listen: " + error);
}

FakeTwilioHost::~FakeTwilioHost() = default;

std::string FakeTwilioHost::url(const std::string& suffix) const {
  return "ws://127.0.0.1:" + std::to_string(port_) + kWsPath + suffix;
}

std::vector<FakeHostCall> FakeTwilioHost::calls() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->calls;
}

bool FakeTwilioHost::wait_closed(size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->closed_count >= count; });
}

}  // namespace mediaflow::test
