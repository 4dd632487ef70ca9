#include "support/fake_elevenlabs.hpp"

#include "support/bench_latency.hpp"
#include "support/loopback_soup_server.hpp"
#include "support/wait_until.hpp"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <mutex>
#include <set>
#include <span>

namespace mediaflow::test {

namespace {

constexpr const char* kPath = "/v1/convai/conversation";
constexpr const char* kSignedUrlPath = "/v1/convai/conversation/get-signed-url";

int bytes_per_second(const std::string& format) {
  const auto us = format.find('_');
  const int rate = us == std::string::npos ? 8000 : std::atoi(format.c_str() + us + 1);
  return format.rfind("ulaw", 0) == 0 ? rate : rate * 2;
}

}  // namespace

struct LiveConversation {
  FakeElevenLabs::Impl* impl = nullptr;
  std::size_t index = 0;
  SoupWebsocketConnection* ws = nullptr;
  std::map<std::uint64_t, gint64> ping_sent_us;
  std::uint64_t next_ping_id = 1000;
  GSource* ping_timer = nullptr;
  GSource* bench_timer = nullptr;
  gint64 bench_start_us = 0;
  std::uint64_t bench_sent = 0;
  std::uint64_t next_audio_event = 1;  // event ids of the stamped stream (the greeting uses 1)
  bool dropped = false;
};

namespace {

// A GSource driven only by its ready time (absolute deadlines on the monotonic clock), so the
// stream keeps 50 chunks per second instead of drifting by each dispatch's lateness.
GSourceFuncs deadline_source_funcs = {
    nullptr, nullptr,
    [](GSource*, GSourceFunc callback, gpointer data) -> gboolean { return callback(data); },
    nullptr, nullptr, nullptr};

void destroy_source(GSource** source) {
  if (!*source) return;
  g_source_destroy(*source);
  g_source_unref(*source);
  *source = nullptr;
}

}  // namespace

struct FakeElevenLabs::Impl {
  std::string api_key, agent_id;
  LoopbackSoupServer soup;

  mutable std::mutex mutex;  // guards everything below except `live`
  std::vector<Conversation> records;
  int signed_url_requests = 0, handshakes = 0;
  std::string user_input = "ulaw_8000", agent_output = "ulaw_8000";
  bool private_agent = false;
  unsigned ping_interval_ms = 0;
  bool auto_reply = false;
  unsigned greeting_ms = 1000;
  unsigned refuse_signed = 0, refuse_ws = 0;
  std::size_t drop_after = 0;
  bool stalled = false, garbage = false;
  bool bench_stream = false, keep_audio = true;
  std::set<std::string> tokens;  // issued, not yet used
  std::uint64_t token_seq = 0;
  std::function<void(std::size_t, const std::string&)> client_hook;

  std::vector<LiveConversation*> live;  // server thread only

  void send(LiveConversation* c, const std::string& text) {
    if (c->ws && soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_send_text(c->ws, text.c_str());
  }

  void send_audio(LiveConversation* c, std::span<const std::uint8_t> audio, std::uint64_t event_id) {
    gchar* b64 = g_base64_encode(audio.data(), audio.size());
    send(c, std::string(R"({"type":"audio","audio_event":{"audio_base_64":")") + b64 + R"(","event_id":)" +
                std::to_string(event_id) + "}}");
    g_free(b64);
  }

  void send_ping(LiveConversation* c, std::uint64_t id) {
    c->ping_sent_us[id] = g_get_monotonic_time();
    send(c, R"({"type":"ping","ping_event":{"event_id":)" + std::to_string(id) + R"(,"ping_ms":50}})");
  }

  // Sends every stamped chunk due by now (first one at the start), then sleeps until the next
  // deadline. After a stall of more than a second the schedule restarts instead of bursting.
  void send_bench_chunks(LiveConversation* c) {
    constexpr gint64 kPeriodUs = bench::kFrameNs / 1000;
    const gint64 now = g_get_monotonic_time();
    auto due = std::uint64_t((now - c->bench_start_us) / kPeriodUs) + 1;
    if (due > c->bench_sent + 50) {
      c->bench_start_us = now;
      c->bench_sent = 0;
      due = 1;
    }
    for (; c->bench_sent < due; ++c->bench_sent)
      send_audio(c, bench::stamped_chunk(std::uint64_t(bench::monotonic_ns())), ++c->next_audio_event);
    g_source_set_ready_time(c->bench_timer, c->bench_start_us + gint64(c->bench_sent) * kPeriodUs);
  }

  void start_bench_stream(LiveConversation* c) {
    c->bench_timer = g_source_new(&deadline_source_funcs, sizeof(GSource));
    g_source_set_callback(
        c->bench_timer,
        [](gpointer d) -> gboolean {
          auto* lc = static_cast<LiveConversation*>(d);
          lc->impl->send_bench_chunks(lc);
          return G_SOURCE_CONTINUE;
        },
        c, nullptr);
    c->bench_start_us = g_get_monotonic_time();
    c->bench_sent = 0;
    g_source_set_ready_time(c->bench_timer, c->bench_start_us);
    g_source_attach(c->bench_timer, soup.context());
  }

  LiveConversation* find(std::size_t index) {
    for (auto* c : live)
      if (c->index == index) return c;
    return nullptr;
  }

  // Runs `fn` on the server thread (from any thread).
  void post(std::function<void()> fn) {
    g_main_context_invoke_full(
        soup.context(), G_PRIORITY_DEFAULT,
        [](gpointer d) -> gboolean {
          (*static_cast<std::function<void()>*>(d))();
          return G_SOURCE_REMOVE;
        },
        new std::function<void()>(std::move(fn)), [](gpointer d) { delete static_cast<std::function<void()>*>(d); });
  }

  void send_metadata(LiveConversation* c) {
    std::string in, out;
    bool auto_on, garbage_on, stream_on;
    unsigned greeting, ping_ms;
    {
      std::lock_guard lock(mutex);
      Conversation& rec = records[c->index];
      if (rec.metadata_sent) return;
      rec.metadata_sent = true;
      in = user_input;
      out = agent_output;
      auto_on = auto_reply;
      greeting = greeting_ms;
      garbage_on = garbage;
      ping_ms = ping_interval_ms;
      stream_on = bench_stream;
    }
    send(c, R"({"type":"conversation_initiation_metadata","conversation_initiation_metadata_event":{"conversation_id":"conv_)" +
                std::to_string(c->index) + R"(","agent_output_audio_format":")" + out +
                R"(","user_input_audio_format":")" + in + R"("}})");
    if (garbage_on) send(c, "this is not json {");
    if (auto_on) {
      send(c, R"({"type":"agent_response","agent_response_event":{"agent_response":"Hello! How can I help?"}})");
      const auto audio = agent_audio(out, greeting, 1);
      const std::size_t quarter = (audio.size() + 3) / 4;
      for (std::size_t off = 0; off < audio.size(); off += quarter)
        send_audio(c, std::vector<std::uint8_t>(audio.begin() + long(off),
                                                audio.begin() + long(std::min(audio.size(), off + quarter))),
                   1);
    }
    if (ping_ms) {
      c->ping_timer = g_timeout_source_new(ping_ms);
      g_source_set_callback(
          c->ping_timer,
          [](gpointer d) -> gboolean {
            auto* lc = static_cast<LiveConversation*>(d);
            lc->impl->send_ping(lc, ++lc->next_ping_id);
            return G_SOURCE_CONTINUE;
          },
          c, nullptr);
      g_source_attach(c->ping_timer, soup.context());
    }
    if (stream_on) start_bench_stream(c);
  }

  static void on_signed_url(SoupServer*, SoupServerMessage* msg, const char*, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    const char* key = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "xi-api-key");
    auto query = query_params(msg);
    std::lock_guard lock(self->mutex);
    ++self->signed_url_requests;
    unsigned status = self->refuse_signed;
    if (!status && (!key || key != self->api_key)) status = SOUP_STATUS_UNAUTHORIZED;
    if (!status && query["agent_id"] != self->agent_id) status = SOUP_STATUS_NOT_FOUND;
    if (status) {
      const std::string body = R"({"detail":{"status":"refused","message":"refused by the fake"}})";
      soup_server_message_set_status(msg, status, nullptr);
      soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body.c_str(), body.size());
      return;
    }
    const std::string token = "sig" + std::to_string(++self->token_seq) + "x" + std::to_string(g_random_int());
    self->tokens.insert(token);
    const std::string body = R"({"signed_url":"ws://127.0.0.1:)" + std::to_string(self->soup.port()) + kPath +
                             "?agent_id=" + self->agent_id + "&conversation_signature=" + token + R"("})";
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body.c_str(), body.size());
  }

  // Runs before the upgrade: refusing here is an HTTP status the client sees.
  static void on_request(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    if (std::string(path) != kPath) return;  // get-signed-url has its own handler
    auto query = query_params(msg);
    std::lock_guard lock(self->mutex);
    ++self->handshakes;
    unsigned status = self->refuse_ws;
    if (!status && query["agent_id"] != self->agent_id) status = SOUP_STATUS_FORBIDDEN;
    if (!status && self->private_agent) {
      auto it = self->tokens.find(query["conversation_signature"]);
      if (it == self->tokens.end()) status = SOUP_STATUS_FORBIDDEN;
      else self->tokens.erase(it);  // one-time
    }
    if (status) soup_server_message_set_status(msg, status, nullptr);
  }

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char*, SoupWebsocketConnection* ws,
                           gpointer data) {
    auto* self = static_cast<Impl*>(data);
    auto query = query_params(msg);
    auto* c = new LiveConversation;
    c->impl = self;
    c->ws = SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws));
    soup_websocket_connection_set_max_incoming_payload_size(ws, 0);
    Conversation record;
    record.agent_id = query["agent_id"];
    record.signed_token = query.count("conversation_signature") > 0;
    {
      std::lock_guard lock(self->mutex);
      c->index = self->records.size();
      self->records.push_back(std::move(record));
    }
    self->live.push_back(c);
    g_signal_connect(ws, "message", G_CALLBACK(on_message), c);
    g_signal_connect(ws, "closed", G_CALLBACK(on_closed), c);
  }

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* c = static_cast<LiveConversation*>(data);
    Impl* self = c->impl;
    if (c->dropped || type != SOUP_WEBSOCKET_DATA_TEXT) return;
    gsize size = 0;
    const auto* text = static_cast<const char*>(g_bytes_get_data(message, &size));
    JsonParser* parser = json_parser_new();
    std::string kind;
    bool drop = false, stalled;
    std::function<void(std::size_t, const std::string&)> hook;
    if (json_parser_load_from_data(parser, text, gssize(size), nullptr) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
      JsonObject* o = json_node_get_object(json_parser_get_root(parser));
      std::lock_guard lock(self->mutex);
      Conversation& rec = self->records[c->index];
      stalled = self->stalled;
      hook = self->client_hook;
      if (json_object_has_member(o, "user_audio_chunk")) {
        kind = "user_audio_chunk";
        gsize n = 0;
        guchar* raw = g_base64_decode(json_object_get_string_member(o, "user_audio_chunk"), &n);
        if (self->keep_audio) rec.user_audio.insert(rec.user_audio.end(), raw, raw + n);
        rec.user_audio_bytes += n;
        g_free(raw);
        drop = self->drop_after && rec.user_audio_bytes >= self->drop_after;
      } else if (json_object_has_member(o, "type")) {
        kind = json_object_get_string_member(o, "type");
        if (kind == "pong") {
          const auto id = static_cast<std::uint64_t>(json_object_get_int_member(o, "event_id"));
          rec.pong_ids.push_back(id);
          auto it = c->ping_sent_us.find(id);
          if (it != c->ping_sent_us.end())
            rec.pong_latency_ms.push_back(double(g_get_monotonic_time() - it->second) / 1000.0);
        } else if (kind == "conversation_initiation_client_data") {
          rec.initiation.assign(text, size);
          if (JsonObject* vars = json_object_get_object_member(o, "dynamic_variables")) {
            GList* members = json_object_get_members(vars);
            for (GList* m = members; m; m = m->next) {
              gchar* v = json_to_string(json_object_get_member(vars, static_cast<char*>(m->data)), FALSE);
              rec.dynamic_variables[static_cast<char*>(m->data)] = v;
              g_free(v);
            }
            g_list_free(members);
          }
          if (JsonNode* ov = json_object_get_member(o, "conversation_config_override")) {
            JsonObject* agent = json_object_get_object_member(json_node_get_object(ov), "agent");
            if (agent && json_object_has_member(agent, "first_message"))
              rec.first_message = json_object_get_string_member(agent, "first_message");
            if (agent && json_object_has_member(agent, "language"))
              rec.language = json_object_get_string_member(agent, "language");
          }
        } else {
          rec.other_messages.emplace_back(text, size);
        }
      }
    } else {
      std::lock_guard lock(self->mutex);
      stalled = self->stalled;
      self->records[c->index].other_messages.emplace_back(text, size);
    }
    g_object_unref(parser);
    if (stalled) return;
    if (kind == "conversation_initiation_client_data" || kind == "user_audio_chunk") self->send_metadata(c);
    if (drop) {
      c->dropped = true;
      soup_websocket_connection_close(c->ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "dropped by the fake");
      return;
    }
    if (hook) hook(c->index, kind);
  }

  static void on_closed(SoupWebsocketConnection*, gpointer data) {
    auto* c = static_cast<LiveConversation*>(data);
    destroy_source(&c->ping_timer);
    destroy_source(&c->bench_timer);
    std::lock_guard lock(c->impl->mutex);
    c->impl->records[c->index].closed = true;
  }

  void close_all() {
    for (LiveConversation* c : live) {
      destroy_source(&c->ping_timer);
      destroy_source(&c->bench_timer);
      g_signal_handlers_disconnect_by_data(c->ws, c);
      if (soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(c->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
      g_object_unref(c->ws);
      delete c;
    }
    live.clear();
  }
};

FakeElevenLabs::FakeElevenLabs(std::string api_key, std::string agent_id) : impl_(std::make_unique<Impl>()) {
  impl_->api_key = std::move(api_key);
  impl_->agent_id = std::move(agent_id);
}

FakeElevenLabs::~FakeElevenLabs() { stop(); }

std::uint16_t FakeElevenLabs::start(std::uint16_t port) {
  Impl* d = impl_.get();
  std::string error;
  const std::uint16_t bound = d->soup.start(
      port,
      [d](SoupServer* server) {
        soup_server_add_handler(server, kSignedUrlPath, &Impl::on_signed_url, d, nullptr);
        soup_server_add_handler(server, kPath, &Impl::on_request, d, nullptr);
        soup_server_add_websocket_handler(server, kPath, nullptr, nullptr, &Impl::on_websocket, d, nullptr);
      },
      [d] { d->close_all(); }, &error);
  if (!bound) g_printerr("fake elevenlabs: cannot listen: %s\n", error.c_str());
  return bound;
}

void FakeElevenLabs::stop() { impl_->soup.stop(); }

std::uint16_t FakeElevenLabs::port() const { return impl_->soup.port(); }
std::string FakeElevenLabs::ws_url() const { return "ws://127.0.0.1:" + std::to_string(impl_->soup.port()) + kPath; }
std::string FakeElevenLabs::api_url() const { return "http://127.0.0.1:" + std::to_string(impl_->soup.port()); }

void FakeElevenLabs::set_formats(const std::string& user_input, const std::string& agent_output) {
  std::lock_guard lock(impl_->mutex);
  impl_->user_input = user_input;
  impl_->agent_output = agent_output;
}
void FakeElevenLabs::require_signed_url(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->private_agent = on;
}
void FakeElevenLabs::set_ping_interval_ms(unsigned ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->ping_interval_ms = ms;
}
void FakeElevenLabs::set_auto_reply(bool on, unsigned greeting_ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->auto_reply = on;
  impl_->greeting_ms = greeting_ms;
}
void FakeElevenLabs::refuse_signed_url(unsigned status) {
  std::lock_guard lock(impl_->mutex);
  impl_->refuse_signed = status;
}
void FakeElevenLabs::refuse_handshake(unsigned status) {
  std::lock_guard lock(impl_->mutex);
  impl_->refuse_ws = status;
}
void FakeElevenLabs::drop_after_bytes(std::size_t bytes) {
  std::lock_guard lock(impl_->mutex);
  impl_->drop_after = bytes;
}
void FakeElevenLabs::stall(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->stalled = on;
}
void FakeElevenLabs::send_garbage(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->garbage = on;
}
void FakeElevenLabs::set_bench_stream(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->bench_stream = on;
}
void FakeElevenLabs::keep_audio(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->keep_audio = on;
}
void FakeElevenLabs::on_client_message(std::function<void(std::size_t, const std::string&)> fn) {
  std::lock_guard lock(impl_->mutex);
  impl_->client_hook = std::move(fn);
}

void FakeElevenLabs::send_audio(std::size_t index, const std::vector<std::uint8_t>& audio, std::uint64_t event_id) {
  Impl* d = impl_.get();
  d->post([d, index, audio, event_id] {
    if (auto* c = d->find(index)) d->send_audio(c, audio, event_id);
  });
}
void FakeElevenLabs::send_interruption(std::size_t index, std::uint64_t event_id) {
  send_raw(index, R"({"type":"interruption","interruption_event":{"event_id":)" + std::to_string(event_id) + "}}");
}
void FakeElevenLabs::send_ping(std::size_t index, std::uint64_t event_id) {
  Impl* d = impl_.get();
  d->post([d, index, event_id] {
    if (auto* c = d->find(index)) d->send_ping(c, event_id);
  });
}
void FakeElevenLabs::send_raw(std::size_t index, const std::string& text) {
  Impl* d = impl_.get();
  d->post([d, index, text] {
    if (auto* c = d->find(index)) d->send(c, text);
  });
}
void FakeElevenLabs::close(std::size_t index, unsigned short code) {
  Impl* d = impl_.get();
  d->post([d, index, code] {
    auto* c = d->find(index);
    if (c && soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close(c->ws, code, nullptr);
  });
}

int FakeElevenLabs::signed_url_requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->signed_url_requests;
}
int FakeElevenLabs::handshakes() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->handshakes;
}
std::vector<FakeElevenLabs::Conversation> FakeElevenLabs::conversations() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->records;
}

bool FakeElevenLabs::wait_until(const std::function<bool()>& predicate, int timeout_ms) {
  return mediaflow::test::wait_until(predicate, timeout_ms);
}

std::vector<std::uint8_t> FakeElevenLabs::agent_audio(const std::string& format, unsigned ms, std::uint8_t seed) {
  const std::size_t n = std::size_t(bytes_per_second(format)) * ms / 1000;
  std::vector<std::uint8_t> out(n);
  // Never 0xFF/0x7F runs (mu-law silence) so content checks see real bytes.
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>((seed * 37 + i * 13 + i / 160) % 0xF0 + 1);
  return out;
}

}  // namespace mediaflow::test
