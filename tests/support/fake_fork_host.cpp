#include "support/fake_fork_host.hpp"

#include "support/loopback_soup_server.hpp"

#include <mediaflow/protocol/jambonz_messages.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>

#include <libsoup/soup.h>

#include <condition_variable>
#include <mutex>
#include <span>

namespace mediaflow::test {
namespace jz = protocol::jambonz;

struct FakeForkHost::Impl {
  ForkHostScript script;
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<ForkHostCall> calls;  // guarded by mutex

  // One per socket, on the server thread.
  struct Socket {
    Impl* host;
    size_t call;
    SoupWebsocketConnection* ws;
    unsigned channels = 1;  // from the metadata
    uint64_t frames = 0;
  };

  LoopbackSoupServer server;  // last: its thread stops before the state above goes

  explicit Impl(ForkHostScript s) : script(std::move(s)) {}

  template <typename Fn>
  void update(size_t call, Fn&& fn) {
    {
      std::lock_guard lock(mutex);
      fn(calls[call]);
    }
    changed.notify_all();
  }

  static void on_socket(SoupServer*, SoupServerMessage* msg, const char*, SoupWebsocketConnection* ws, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    auto* s = new Socket{self, 0, SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws))};
    {
      std::lock_guard lock(self->mutex);
      s->call = self->calls.size();
      self->calls.emplace_back().offered_subprotocols = request_header(msg, "Sec-WebSocket-Protocol");
    }
    g_signal_connect(ws, "message", G_CALLBACK(&Impl::on_message), s);
    g_signal_connect(ws, "closed", G_CALLBACK(&Impl::on_closed), s);
  }

  static void send_text(Socket* s, const std::string& text) {
    if (soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_send_text(s->ws, text.c_str());
  }

  static void send_audio(Socket* s, const std::vector<uint8_t>& pcm) {
    if (soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_send_binary(s->ws, pcm.data(), pcm.size());
  }

  void on_metadata(Socket* s, std::string_view text) {
    const jz::MetadataReadResult m = jz::read_call_metadata(text);
    if (m.ok()) s->channels = m.metadata.channels;
    update(s->call, [&](ForkHostCall& c) { c.metadata = std::string(text); });
    if (script.greeting_bytes) send_audio(s, std::vector<uint8_t>(script.greeting_bytes, 0x10));
    for (const auto& mark : script.greeting_marks) send_text(s, *jz::encode_mark(mark));
  }

  void on_frame(Socket* s, std::span<const uint8_t> pcm) {
    update(s->call, [&](ForkHostCall& c) {
      c.frame_bytes.push_back(pcm.size());
      c.audio.insert(c.audio.end(), pcm.begin(), pcm.end());
    });
    ++s->frames;
    if (script.echo_audio) {
      std::vector<uint8_t> caller;
      for (size_t i = 0; i + 1 < pcm.size(); i += 2 * s->channels) caller.insert(caller.end(), {pcm[i], pcm[i + 1]});
      send_audio(s, caller);
    }
    if (s->frames == script.kill_audio_after_frames) send_text(s, jz::encode_kill_audio());
    if (s->frames == script.clear_marks_after_frames) send_text(s, jz::encode_clear_marks());
    if (s->frames == script.disconnect_after_frames) send_text(s, jz::encode_disconnect());
  }

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* bytes, gpointer data) {
    auto* s = static_cast<Socket*>(data);
    gsize len = 0;
    const auto* p = static_cast<const uint8_t*>(g_bytes_get_data(bytes, &len));
    if (type == SOUP_WEBSOCKET_DATA_BINARY) return s->host->on_frame(s, {p, len});
    const std::string_view text(reinterpret_cast<const char*>(p), len);
    bool first = false;
    s->host->update(s->call, [&](ForkHostCall& c) {
      first = c.metadata.empty();
      if (!first) c.texts.emplace_back(text);
    });
    if (first) s->host->on_metadata(s, text);
  }

  static void on_closed(SoupWebsocketConnection* ws, gpointer data) {
    auto* s = static_cast<Socket*>(data);
    s->host->update(s->call, [&](ForkHostCall& c) {
      c.closed = true;
      c.close_code = soup_websocket_connection_get_close_code(ws);
    });
    g_signal_handlers_disconnect_by_data(ws, s);
    g_object_unref(s->ws);
    delete s;
  }
};

FakeForkHost::FakeForkHost(ForkHostScript script) : impl_(std::make_unique<Impl>(std::move(script))) {
  Impl* impl = impl_.get();
  impl_->server.start(0, [impl](SoupServer* server) {
    char* protocols[] = {const_cast<char*>(jz::kSubprotocol.data()), nullptr};
    soup_server_add_websocket_handler(server, "/fork", nullptr, impl->script.select_subprotocol ? protocols : nullptr,
                                      &Impl::on_socket, impl, nullptr);
  });
}

FakeForkHost::~FakeForkHost() { impl_->server.stop(); }

std::string FakeForkHost::url() const { return "ws://127.0.0.1:" + std::to_string(impl_->server.port()) + "/fork"; }

std::vector<ForkHostCall> FakeForkHost::calls() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->calls;
}

bool FakeForkHost::wait_closed(size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] {
    size_t closed = 0;
    for (const auto& c : impl_->calls) closed += c.closed;
    return closed >= count;
  });
}

}  // namespace mediaflow::test
