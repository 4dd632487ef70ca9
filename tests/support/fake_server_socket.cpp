#include "support/fake_server_socket.hpp"

#include <libsoup/soup.h>

namespace mediaflow::test {

FakeServerSocket::FakeServerSocket(SoupWebsocketConnection* ws, GMainContext* context, unsigned delay_ms)
    : ws_(SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws))), context_(context), delay_ms_(delay_ms) {
  soup_websocket_connection_set_max_incoming_payload_size(ws_, 0);
}

FakeServerSocket::~FakeServerSocket() {
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
  }
  if (soup_websocket_connection_get_state(ws_) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close(ws_, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
  g_object_unref(ws_);
}

void FakeServerSocket::send(std::string text) {
  if (!closing_) queue({g_get_monotonic_time() + gint64(delay_ms_) * 1000, false, 0, std::move(text)});
}

void FakeServerSocket::close(std::uint16_t code, std::string reason) {
  if (closing_) return;
  queue({g_get_monotonic_time() + gint64(delay_ms_) * 1000, true, code, std::move(reason)});
  closing_ = true;
}

void FakeServerSocket::queue(Item item) {
  if (delay_ms_ == 0 && queue_.empty()) return put(item);
  queue_.push_back(std::move(item));
  if (!timer_) flush();
}

void FakeServerSocket::flush() {
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
    timer_ = nullptr;
  }
  const gint64 now = g_get_monotonic_time();
  while (!queue_.empty() && queue_.front().due_us <= now) {
    put(queue_.front());
    queue_.pop_front();
  }
  if (queue_.empty()) return;
  timer_ = g_timeout_source_new(static_cast<guint>((queue_.front().due_us - now + 999) / 1000));
  g_source_set_callback(
      timer_,
      [](gpointer self) -> gboolean {
        static_cast<FakeServerSocket*>(self)->flush();
        return G_SOURCE_REMOVE;  // flush() made a new timer when one is needed
      },
      this, nullptr);
  g_source_attach(timer_, context_);
}

void FakeServerSocket::put(const Item& item) {
  if (soup_websocket_connection_get_state(ws_) != SOUP_WEBSOCKET_STATE_OPEN) return;
  if (!item.close) soup_websocket_connection_send_text(ws_, item.text.c_str());
  else soup_websocket_connection_close(ws_, item.code, item.text.empty() ? nullptr : item.text.c_str());
}

}  // namespace mediaflow::test
