// A client-role WebSocket (RFC 6455) for vendor connections (Deepgram, ElevenLabs) that costs
// nothing per connection on the loop: GIO connects (TCP, TLS for wss:// with the system CA
// database and default validation, proxies as configured), we write the HTTP/1.1 upgrade
// ourselves and check the answer; everything else is the one WebSocket engine
// (WebSocketStream, client role) on the context's epoll set (EpollDispatcher::for_context):
// frames masked out and held to the rules the host holds callers to (no masked frame, close
// codes that may be sent, UTF-8 text, a message size cap — a violation closes the connection
// with 1002/1007/1009), the outbound queue, pings, the close handshake and its deadline. No
// GSource, GObject signal or GBytes per connection or per frame.
//
// Threading: create, use and drop it on the GMainContext that is thread-default when
// connect() is called; every callback runs there, from the loop, never from inside a call
// into this class. Request header values (API keys, tokens) are never logged.
#pragma once

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/net/websocket_stream.hpp>
#include <mediaflow/net/websocket_upgrade.hpp>

#include <gio/gio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <optional>
#include <utility>

namespace mediaflow::net {

// The default cap on one incoming message: far above what Deepgram (Results, a few KB) or
// ElevenLabs (base64 audio chunks, tens of KB) send, far below what would hurt the host.
constexpr std::size_t kDefaultMaxMessageBytes = 1 << 20;

struct WebSocketClientOptions {
  std::string url;  // ws://host[:port]/path?query or wss://…
  // Extra request headers (e.g. {"Authorization", "Token …"}); values are never logged.
  HttpHeaders headers;
  // Offered in Sec-WebSocket-Protocol ("" none). The server may select it or none;
  // subprotocol() says which, and the owner decides whether "none" will do.
  std::string subprotocol;
  // For each step of the opening: the TCP (+TLS) connect, then the upgrade answer (restarted
  // by every byte of it). 0: no limit.
  unsigned connect_timeout_ms = 10000;
  unsigned close_timeout_ms = 2000;     // how long close() waits for the peer's close frame
  unsigned ping_interval_ms = 0;        // 0: no keepalive pings
  // Largest incoming message (reassembled). A vendor endpoint is not trusted with the host's
  // memory: a bigger message closes the connection with 1009 and `closed` reports it (the
  // owner's usual lost-connection path). 0: unlimited (tests only).
  std::size_t max_message_bytes = kDefaultMaxMessageBytes;
  // Tests only: trust these anchors instead of the system's CA database (validation itself
  // stays the default). Referenced by the client; null in production.
  GTlsDatabase* tls_database = nullptr;
};

// Why connecting failed. `message` never contains header values or the URL's query.
struct WebSocketConnectFailure {
  std::string message;
  unsigned http_status = 0;  // the answer's status when the server answered; 0 otherwise
  bool timed_out = false;    // connect_timeout_ms passed in one step of the opening
  HttpHeaders response_headers;  // every header of the answer
  // The first response header of that name (case-insensitive); null when absent.
  const std::string* header(std::string_view name) const;
};

enum class WebSocketMessageType { kText, kBinary };

struct WebSocketClientCallbacks {
  // The upgrade succeeded; sends are accepted from now on.
  std::function<void()> opened;
  // A complete text or binary message (reassembled when fragmented). `data` is valid only
  // during the call.
  std::function<void(WebSocketMessageType type, std::string_view data)> message;
  // Connecting failed (never opened); nothing else follows.
  std::function<void(const WebSocketConnectFailure&)> failed;
  // The open connection ended: close handshake done (either side), peer gone, protocol
  // error or close deadline. Once; see close_code()/close_reason()/error().
  std::function<void()> closed;
};

class WebSocketClient final : public std::enable_shared_from_this<WebSocketClient>,
                              private WebSocketStream::Delegate {
 public:
  enum class State { kConnecting, kOpen, kClosing, kClosed };

  // Starts connecting on the thread-default GMainContext. Null (and *error) when the URL is
  // not a ws:// or wss:// URL with a host, or the context has no dispatcher.
  static std::shared_ptr<WebSocketClient> connect(WebSocketClientOptions options, WebSocketClientCallbacks callbacks,
                                                  std::string* error = nullptr);
  // On the context. Aborts what is in progress without a callback; a client in the close
  // handshake keeps itself alive until the handshake ends, so dropping it after close() is
  // the way to close politely and forget it.
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  State state() const;
  // Open and no write has failed: sends are worth making.
  bool is_open() const { return opened_ && stream_->is_open(); }

  // Dropped unless open. Never call back synchronously; a failed write is reported through
  // `closed` from the loop.
  void send_text(std::string_view text);
  void send_binary(const void* data, std::size_t size);
  void send_ping();
  // Queues a close frame behind everything queued so far; `closed` follows once the peer
  // answers or close_timeout_ms passed. While connecting: aborts, `failed` follows.
  void close(std::uint16_t code, std::string_view reason = {});
  // No callback from now on (the owner is going away).
  void clear_callbacks();

  // The peer's close frame: its code (1005 when it had none; 1006 when no close frame came)
  // and reason.
  std::uint16_t close_code() const;
  const std::string& close_reason() const;
  // The subprotocol the server selected ("" when none, or before the upgrade succeeded).
  const std::string& subprotocol() const { return subprotocol_; }
  // Why the connection ended on our side (protocol error, I/O error, close timeout); empty
  // after a clean close handshake.
  const std::string& error() const { return error_; }
  // Bytes accepted by send_*() that the socket has not taken yet.
  std::size_t buffered_bytes() const { return stream_ ? stream_->backlog_bytes() : 0; }

 private:
  struct ConnectOp;
  WebSocketClient(WebSocketClientOptions options, WebSocketClientCallbacks callbacks,
                  std::shared_ptr<EpollDispatcher> dispatcher);

  void start_connect(const UpgradeTarget& target);
  static void on_socket_event(GSocketClient*, GSocketClientEvent event, GSocketConnectable*, GIOStream* stream,
                              gpointer self);
  static void on_connected(GObject* source, GAsyncResult* result, gpointer op);
  void begin_upgrade(GSocketConnection* connection);
  void arm_connect_deadline(const char* phase);
  void check_upgrade_answer(std::size_t header_end);
  void fail_connect(std::string message, unsigned http_status = 0, bool timed_out = false, HttpHeaders headers = {});
  void finish();
  void deliver(WebSocketMessageType type, std::string_view payload);

  // WebSocketStream::Delegate
  void on_ws_handshake_bytes(std::span<const std::uint8_t> bytes) override;
  void on_ws_text(std::string_view text, gint64 arrival_us) override;
  void on_ws_binary(std::span<const std::uint8_t> bytes, gint64 arrival_us) override;
  void on_ws_protocol_error(std::uint16_t code, const char* reason) override;
  void on_ws_pong() override {}
  void on_ws_closed() override;

  WebSocketClientOptions options_;
  WebSocketClientCallbacks callbacks_;
  bool callbacks_live_ = true;  // false after clear_callbacks()
  int in_callback_ = 0;         // callbacks_ is not destroyed while one of them runs
  std::shared_ptr<EpollDispatcher> dispatcher_;  // before the timers and the stream
  EpollDispatcher::Timer deadline_timer_;        // each step of the opening
  EpollDispatcher::Timer fail_timer_;            // reports close() while connecting from the loop
  bool connecting_ = true;   // until the upgrade answer was accepted, or connecting failed
  bool opened_ = false;      // the upgrade succeeded: the stream speaks WebSocket
  std::shared_ptr<WebSocketClient> lingering_;  // self, during a close the owner may not wait for

  // Connecting.
  GCancellable* cancellable_ = nullptr;
  bool abandoned_ = false;  // close() before the connection was open
  std::string request_;      // the upgrade request, until the connection exists
  std::string expected_accept_;
  std::string subprotocol_;  // selected by the server
  std::string answer_;  // the upgrade answer read so far

  // From the TCP (+TLS) connection on; only abort()ed, never destroyed, before the client is.
  std::optional<WebSocketStream> stream_;
  std::string error_;
};

}  // namespace mediaflow::net
