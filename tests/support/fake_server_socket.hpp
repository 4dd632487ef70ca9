// The server side of one WebSocket of a fake vendor (on the LoopbackSoupServer thread): text
// messages and the close go out in the order they were queued, each `delay_ms` after it was
// queued (a slow vendor), and nothing goes out once the close has. Owns a ref on the socket.
#pragma once

#include <glib.h>

#include <cstdint>
#include <deque>
#include <string>

typedef struct _SoupWebsocketConnection SoupWebsocketConnection;

namespace mediaflow::test {

class FakeServerSocket {
 public:
  FakeServerSocket(SoupWebsocketConnection* ws, GMainContext* context, unsigned delay_ms);
  // Drops what is still queued and closes with 1001 when the socket is still open.
  ~FakeServerSocket();
  FakeServerSocket(const FakeServerSocket&) = delete;
  FakeServerSocket& operator=(const FakeServerSocket&) = delete;

  void send(std::string text);
  // After everything queued so far. Later send()/close() calls are ignored.
  void close(std::uint16_t code, std::string reason = {});
  bool closing() const { return closing_; }
  SoupWebsocketConnection* ws() const { return ws_; }

 private:
  struct Item {
    gint64 due_us;
    bool close;
    std::uint16_t code;
    std::string text;  // the message, or the close reason
  };
  void queue(Item item);
  void flush();  // sends what is due, re-arms the timer for the rest
  void put(const Item& item);

  SoupWebsocketConnection* ws_;
  GMainContext* context_;
  unsigned delay_ms_;
  std::deque<Item> queue_;
  GSource* timer_ = nullptr;
  bool closing_ = false;
};

}  // namespace mediaflow::test
