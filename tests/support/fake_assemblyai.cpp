#include "support/fake_assemblyai.hpp"

#include "support/fake_server_socket.hpp"
#include "support/loopback_soup_server.hpp"

#include <mediaflow/protocol/json_string.hpp>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <mutex>
#include <set>

namespace mediaflow::test {

namespace {

constexpr const char* kPath = "/v3/ws";
constexpr std::uint64_t kWordSlotMs = 500;  // word k: [k·500, k·500 + 400] ms
constexpr std::uint64_t kWordMs = 400;

std::string fixed1(double v) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_formatd(buf, sizeof buf, "%.1f", v);
}

// Word k as AssemblyAI writes it: lower case, or formatted (capitalised first, full stop last).
std::string word_text(std::uint64_t k, bool formatted, bool first, bool last) {
  std::string w = (formatted && first ? "Word" : "word") + std::to_string(k);
  return formatted && last ? w + "." : w;
}

}  // namespace

struct AaiLive {  // server thread only
  FakeAssemblyAi::Impl* impl = nullptr;
  std::size_t index = 0;
  std::unique_ptr<FakeServerSocket> socket;
  double bytes_per_ms = 32;
  gint64 opened_us = 0;
  std::uint64_t audio_bytes = 0;
  std::size_t messages = 0;
  bool format_turns = false;
  std::uint64_t next_word = 0;       // words are numbered across the session
  std::vector<std::uint64_t> turn;   // words of the current turn
  std::int64_t turn_order = 0;
};

struct FakeAssemblyAi::Impl {
  std::string api_key;
  LoopbackSoupServer soup;

  mutable std::mutex mutex;  // guards everything below except `live`
  std::vector<Session> records;
  int handshakes = 0;
  std::set<std::string> tokens;  // issued, not yet used
  std::uint64_t token_seq = 0;
  bool refuse_all = false;
  unsigned refuse_status = 0;
  std::size_t drop_after = 0;
  unsigned delay_ms = 0, words_per_turn = 4, rate_allowance_ms = 1000;
  bool garbage = false;

  std::vector<AaiLive*> live;  // server thread only

  template <typename Fn>
  void update(AaiLive* c, Fn&& fn) {
    std::lock_guard lock(mutex);
    fn(records[c->index]);
  }

  // The documented error path: an Error frame, then a close with the same code. Long texts get
  // the documented stand-in reason (a close reason holds at most 123 bytes).
  void fail(AaiLive* c, std::uint16_t code, const std::string& error, const std::string& reason) {
    if (c->socket->closing()) return;
    std::string frame = R"({"type":"Error","error_code":)" + std::to_string(code) + R"(,"error":)";
    protocol::append_json_string(frame, error);
    c->socket->send(frame + "}");
    c->socket->close(code, reason.size() <= 123 ? reason : "See Error message for details");
    update(c, [&](Session& s) { s.close_code = code; });
  }

  std::string turn_json(AaiLive* c, bool end_of_turn, bool formatted) {
    std::string words, transcript;
    for (std::size_t i = 0; i < c->turn.size(); ++i) {
      const std::uint64_t k = c->turn[i];
      const bool is_final = end_of_turn || i + 1 < c->turn.size();
      const std::string text = word_text(k, formatted, i == 0, i + 1 == c->turn.size());
      if (is_final) transcript += (transcript.empty() ? "" : " ") + text;
      words += (i ? "," : "") + std::string(R"({"start":)") + std::to_string(k * kWordSlotMs) + R"(,"end":)" +
               std::to_string(k * kWordSlotMs + kWordMs) + R"(,"text":")" + text +
               R"(","confidence":0.9,"word_is_final":)" + (is_final ? "true" : "false") + "}";
    }
    return R"({"turn_order":)" + std::to_string(c->turn_order) + R"(,"turn_is_formatted":)" +
           (formatted ? "true" : "false") + R"(,"end_of_turn":)" + (end_of_turn ? "true" : "false") +
           R"(,"transcript":")" + transcript + R"(","end_of_turn_confidence":)" + (end_of_turn ? "0.9" : "0.1") +
           R"(,"words":[)" + words + R"(],"utterance":"","type":"Turn"})";
  }

  void send_turn(AaiLive* c, bool end_of_turn, bool formatted) {
    c->socket->send(turn_json(c, end_of_turn, formatted));
    update(c, [](Session& s) { ++s.turns_sent; });
  }

  void end_turn(AaiLive* c) {
    if (c->turn.empty()) return;
    send_turn(c, true, false);
    if (c->format_turns) send_turn(c, true, true);
    bool garbage_on;
    {
      std::lock_guard lock(mutex);
      garbage_on = garbage;
    }
    if (garbage_on) {
      c->socket->send("this is not JSON {");
      c->socket->send(R"({"type":"SpeakerRevision","note":"a type this client does not act on"})");
    }
    c->turn.clear();
    ++c->turn_order;
  }

  // Audio of one binary message: the 50–1000 ms rule, real time, then the words it completes.
  void on_audio(AaiLive* c, std::size_t bytes) {
    const double ms = double(bytes) / c->bytes_per_ms;
    update(c, [&](Session& s) { s.message_ms.push_back(ms); });
    if (ms < 50 || ms > 1000) {
      const std::string what = "Input duration violation: " + fixed1(ms) + " ms. Expected between 50 and 1000 ms";
      return fail(c, 3007, "Input Duration Error: " + what, what);
    }
    c->audio_bytes += bytes;
    const double audio_ms = double(c->audio_bytes) / c->bytes_per_ms;
    const double elapsed_ms = double(g_get_monotonic_time() - c->opened_us) / 1000;
    unsigned allowance, per_turn;
    {
      std::lock_guard lock(mutex);
      allowance = rate_allowance_ms;
      per_turn = words_per_turn ? words_per_turn : 1;
    }
    if (audio_ms > elapsed_ms + allowance) {
      const std::string what = "Audio Transmission Rate Exceeded: Received " + fixed1(audio_ms / 1000) +
                               " sec. audio in " + fixed1(elapsed_ms / 1000) + " sec";
      return fail(c, 3007, what, what);
    }
    while (audio_ms >= double((c->next_word + 1) * kWordSlotMs)) {
      if (c->turn.empty())
        c->socket->send(R"({"type":"SpeechStarted","timestamp":)" + std::to_string(c->next_word * kWordSlotMs) + "}");
      c->turn.push_back(c->next_word++);
      send_turn(c, false, false);
      if (c->turn.size() >= per_turn) end_turn(c);
    }
  }

  void on_control(AaiLive* c, const std::string& text) {
    JsonParser* parser = json_parser_new();
    const bool json = json_parser_load_from_data(parser, text.c_str(), gssize(text.size()), nullptr);
    JsonNode* root = json ? json_parser_get_root(parser) : nullptr;
    std::string type;
    if (root && JSON_NODE_HOLDS_OBJECT(root)) {
      JsonNode* t = json_object_get_member(json_node_get_object(root), "type");
      if (t && JSON_NODE_HOLDS_VALUE(t) && json_node_get_value_type(t) == G_TYPE_STRING) type = json_node_get_string(t);
    }
    g_object_unref(parser);
    update(c, [&](Session& s) {
      s.controls.push_back(type);
      if (type == "UpdateConfiguration") s.updates.push_back(text);
    });
    const std::string shown = text.substr(0, 64);
    if (!json) return fail(c, 3006, "Invalid JSON: " + shown, "Invalid JSON: " + shown);
    if (type.empty()) return fail(c, 3006, "Invalid Message: " + shown, "Invalid Message: " + shown);
    if (type == "ForceEndpoint") return end_turn(c);
    if (type == "Terminate") {
      end_turn(c);
      const auto audio_s = std::to_string(std::uint64_t(double(c->audio_bytes) / c->bytes_per_ms / 1000));
      const auto session_s = std::to_string((g_get_monotonic_time() - c->opened_us) / G_USEC_PER_SEC);
      c->socket->send(R"({"type":"Termination","audio_duration_seconds":)" + audio_s +
                      R"(,"session_duration_seconds":)" + session_s + "}");
      c->socket->close(SOUP_WEBSOCKET_CLOSE_NORMAL);
      return update(c, [](Session& s) { s.close_code = SOUP_WEBSOCKET_CLOSE_NORMAL; });
    }
    if (type != "KeepAlive" && type != "UpdateConfiguration")
      fail(c, 3006, "Invalid Message Type: " + type.substr(0, 64), "Invalid Message Type: " + type.substr(0, 64));
  }

  static void on_request(SoupServer*, SoupServerMessage* msg, const char*, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    std::lock_guard lock(self->mutex);
    ++self->handshakes;
    if (self->refuse_status) soup_server_message_set_status(msg, self->refuse_status, nullptr);
  }

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char*, SoupWebsocketConnection* ws,
                           gpointer data) {
    auto* self = static_cast<Impl*>(data);
    auto* c = new AaiLive;
    c->impl = self;
    c->opened_us = g_get_monotonic_time();
    Session record;
    record.query = query_params(msg);
    record.authorization = request_header(msg, "Authorization");
    const std::string token = record.query.count("token") ? record.query["token"] : "";
    bool refuse_all;
    {
      std::lock_guard lock(self->mutex);
      refuse_all = self->refuse_all;
      record.authorized = !refuse_all && !record.authorization.empty() && record.authorization == self->api_key;
      if (!refuse_all && !record.authorized && self->tokens.erase(token)) record.authorized = true;
      c->socket = std::make_unique<FakeServerSocket>(ws, self->soup.context(), self->delay_ms);
      c->index = self->records.size();
      self->records.push_back(record);
    }
    self->live.push_back(c);
    g_signal_connect(ws, "message", G_CALLBACK(on_message), c);
    g_signal_connect(ws, "closed", G_CALLBACK(on_closed), c);

    if (!record.authorized) {
      const char* why = record.authorization.empty() && token.empty()
                            ? "Unauthorized Connection: Missing Authorization header"
                            : "Unauthorized Connection: Invalid API key or token";
      return self->fail(c, 1008, why, why);
    }
    const int rate = std::atoi(record.query["sample_rate"].c_str());
    const std::string encoding = record.query.count("encoding") ? record.query["encoding"] : "pcm_s16le";
    if (rate <= 0 || (encoding != "pcm_s16le" && encoding != "pcm_mulaw")) {
      const char* why = "Input Validation Error: sample_rate must be a positive integer and encoding pcm_s16le or pcm_mulaw";
      return self->fail(c, 3006, why, "Input Validation Error");
    }
    c->bytes_per_ms = rate * (encoding == "pcm_s16le" ? 2 : 1) / 1000.0;
    c->format_turns = record.query["format_turns"] == "true";
    const gint64 expires = g_get_real_time() / G_USEC_PER_SEC + 3 * 3600;  // the 3-hour session limit
    c->socket->send(R"({"type":"Begin","id":"fake-)" + std::to_string(c->index) + R"(","expires_at":)" +
                    std::to_string(expires) + "}");
  }

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* c = static_cast<AaiLive*>(data);
    Impl* self = c->impl;
    if (c->socket->closing()) return;  // the fake has ended this session
    gsize size = 0;
    const auto* bytes = static_cast<const std::uint8_t*>(g_bytes_get_data(message, &size));
    bool drop;
    {
      std::lock_guard lock(self->mutex);
      if (type == SOUP_WEBSOCKET_DATA_BINARY) {
        auto& audio = self->records[c->index].audio;
        audio.insert(audio.end(), bytes, bytes + size);
      }
      drop = c->index == 0 && self->drop_after && ++c->messages >= self->drop_after;
    }
    if (type == SOUP_WEBSOCKET_DATA_BINARY) self->on_audio(c, size);
    else self->on_control(c, std::string(reinterpret_cast<const char*>(bytes), size));
    if (drop) self->fail(c, 3005, "Session Cancelled: An error occurred", "Session Cancelled: An error occurred");
  }

  static void on_closed(SoupWebsocketConnection*, gpointer data) {
    auto* c = static_cast<AaiLive*>(data);
    c->impl->update(c, [](Session& s) { s.closed = true; });
  }

  void close_all() {
    for (AaiLive* c : live) {
      g_signal_handlers_disconnect_by_data(c->socket->ws(), c);
      delete c;
    }
    live.clear();
  }
};

FakeAssemblyAi::FakeAssemblyAi(std::string api_key) : impl_(std::make_unique<Impl>()) {
  impl_->api_key = std::move(api_key);
}

FakeAssemblyAi::~FakeAssemblyAi() { stop(); }

std::uint16_t FakeAssemblyAi::start(std::uint16_t port) {
  Impl* d = impl_.get();
  std::string error;
  const std::uint16_t bound = d->soup.start(
      port,
      [d](SoupServer* server) {
        soup_server_add_handler(server, kPath, &Impl::on_request, d, nullptr);
        soup_server_add_websocket_handler(server, kPath, nullptr, nullptr, &Impl::on_websocket, d, nullptr);
      },
      [d] { d->close_all(); }, &error);
  if (!bound) g_printerr("fake assemblyai: cannot listen: %s\n", error.c_str());
  return bound;
}

void FakeAssemblyAi::stop() { impl_->soup.stop(); }
std::uint16_t FakeAssemblyAi::port() const { return impl_->soup.port(); }
std::string FakeAssemblyAi::url() const { return "ws://127.0.0.1:" + std::to_string(port()) + kPath; }

std::string FakeAssemblyAi::issue_token() {
  std::lock_guard lock(impl_->mutex);
  return *impl_->tokens.insert("tmp-" + std::to_string(++impl_->token_seq)).first;
}

void FakeAssemblyAi::refuse_auth(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->refuse_all = on;
}

void FakeAssemblyAi::refuse_handshake(unsigned status) {
  std::lock_guard lock(impl_->mutex);
  impl_->refuse_status = status;
}

void FakeAssemblyAi::drop_after_messages(std::size_t n) {
  std::lock_guard lock(impl_->mutex);
  impl_->drop_after = n;
}

void FakeAssemblyAi::set_reply_delay_ms(unsigned ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->delay_ms = ms;
}

void FakeAssemblyAi::set_words_per_turn(unsigned n) {
  std::lock_guard lock(impl_->mutex);
  impl_->words_per_turn = n;
}

void FakeAssemblyAi::set_rate_allowance_ms(unsigned ms) {
  std::lock_guard lock(impl_->mutex);
  impl_->rate_allowance_ms = ms;
}

void FakeAssemblyAi::send_garbage(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->garbage = on;
}

int FakeAssemblyAi::handshakes() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->handshakes;
}

std::vector<FakeAssemblyAi::Session> FakeAssemblyAi::sessions() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->records;
}

}  // namespace mediaflow::test
