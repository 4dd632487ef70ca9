// A call's WebSocket after the upgrade: the front end answers the HTTP handshake (auth, 101),
// then hands the socket over, and the one WebSocket engine (net::WebSocketStream, server role)
// speaks RFC 6455 on it from the worker's epoll set: frames parsed in place from the loop's
// read buffer, a frame sent with one vectored write, the close handshake and its deadline, the
// drain after a protocol error. Worker thread only.
//
// Delegate callbacks run from the worker loop's dispatch, never from inside a send: a send
// that fails only marks the connection broken; the loop then reports it closed.
#pragma once

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/net/websocket_stream.hpp>

#include <gio/gio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace mediaflow::server {

using net::EpollDispatcher;

class WebSocketConnection final : public net::WebSocketStream {
 public:
  // Takes over the upgraded `socket`. `early_bytes`: what the client sent right after its
  // upgrade request (a first frame), read before anything else once started. `read_buffer` is
  // the loop's scratch space shared by all its connections: the dispatcher's, which the engine
  // reads into.
  WebSocketConnection(EpollDispatcher& epoll, std::span<std::uint8_t> read_buffer, GSocket* socket,
                      std::string early_bytes, std::size_t max_message_bytes)
      : WebSocketStream(epoll, {.role = Role::kServer, .max_message_bytes = max_message_bytes}, socket) {
    (void)read_buffer;
    open(std::move(early_bytes));
  }

  // The close-handshake and drain deadlines are the engine's dispatcher timers: the session's
  // housekeeping tick has nothing left to do here.
  void tick(gint64 now_us) { (void)now_us; }
};

}  // namespace mediaflow::server
