// A client-role WebSocket (RFC 6455) for vendor connections (Deepgram, ElevenLabs) that costs
// nothing per connection on the loop: GIO connects (TCP, TLS for wss:// with the system CA
// database and default validation, proxies as configured), we write the HTTP/1.1 upgrade
// ourselves, and from then on the socket sits in the context's one epoll set
// (EpollDispatcher::for_context) and its deadlines (connect, close handshake, pings) on that
// dispatcher's timers: no GSource, GObject signal or GBytes per connection or per frame.
//
// Reads drain the (possibly TLS) stream until it would block: TLS can hold decrypted bytes
// the socket no longer signals. Writes go out at once; what the socket does not take is queued
// and sent when epoll reports it writable. Client frames are masked (RFC 6455 §5.3); what the
// server sends is held to the same rules the host holds callers to (protocol/websocket_frame:
// no masked frame, close codes that may be sent, UTF-8 text, a message size cap), a violation
// closing the connection with 1002/1007/1009.
//
// Threading: create, use and drop it on the GMainContext that is thread-default when
// connect() is called; every callback runs there, from the loop, never from inside a call
// into this class. Request header values (API keys, tokens) are never logged.
#pragma once

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/net/outbound_queue.hpp>
#include <mediaflow/net/websocket_upgrade.hpp>
#include <mediaflow/protocol/websocket_frame.hpp>

#include <gio/gio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mediaflow::net {

// The default cap on one incoming message: far above what Deepgram (Results, a few KB) or
// ElevenLabs (base64 audio chunks, tens of KB) send, far below what would hurt the host.
constexpr std::size_t kDefaultMaxMessageBytes = 1 << 20;

struct WebSocketClientOptions {
  std::string url;  // ws://host[:port]/path?query or wss://…
  // Extra request headers (e.g. {"Authorization", "Token …"}); values are never logged.
  HttpHeaders headers;
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
                              private EpollDispatcher::Handler {
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

  State state() const { return state_; }
  // Open and no write has failed: sends are worth making.
  bool is_open() const { return state_ == State::kOpen && !broken_; }

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
  std::uint16_t close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }
  // Why the connection ended on our side (protocol error, I/O error, close timeout); empty
  // after a clean close handshake.
  const std::string& error() const { return error_; }
  // Bytes accepted by send_*() that the socket has not taken yet.
  std::size_t buffered_bytes() const { return out_.size(); }

 private:
  struct ConnectOp;
  WebSocketClient(WebSocketClientOptions options, WebSocketClientCallbacks callbacks,
                  std::shared_ptr<EpollDispatcher> dispatcher);

  void start_connect(const UpgradeTarget& target);
  static void on_socket_event(GSocketClient*, GSocketClientEvent event, GSocketConnectable*, GIOStream* stream,
                              gpointer self);
  static void on_connected(GObject* source, GAsyncResult* result, gpointer op);
  void begin_upgrade(GSocketConnection* connection);
  void on_io(std::uint32_t events) override;
  void read_upgrade_answer();
  void check_upgrade_answer(std::size_t header_end);
  void read_frames();
  void consume(std::span<std::uint8_t> data);
  bool handle_message(const protocol::websocket::Message& message);
  void send_frame(protocol::websocket::Opcode opcode, std::string_view payload);
  void queue_and_write(std::string_view bytes);
  void flush();
  void update_interest();
  void fail_connect(std::string message, unsigned http_status = 0, bool timed_out = false, HttpHeaders headers = {});
  void finish(std::string error);
  void release_socket();
  void schedule_ping();
  void arm_connect_deadline(const char* phase);
  void deliver(WebSocketMessageType type, std::string_view payload);

  // I/O on the plain socket or the TLS stream. Reads: >0 bytes, 0 end of stream,
  // kWouldBlock, kFailed (error_ set). Writes: bytes taken (0: would block) or kFailed.
  static constexpr long kWouldBlock = -1;
  static constexpr long kFailed = -2;
  long read_some(std::uint8_t* buffer, std::size_t size);
  long write_some(const char* data, std::size_t size);

  WebSocketClientOptions options_;
  WebSocketClientCallbacks callbacks_;
  bool callbacks_live_ = true;  // false after clear_callbacks()
  int in_callback_ = 0;         // callbacks_ is not destroyed while one of them runs
  std::shared_ptr<EpollDispatcher> dispatcher_;  // before the timers
  EpollDispatcher::Timer deadline_timer_;        // connect, then close-handshake deadline
  EpollDispatcher::Timer ping_timer_;
  EpollDispatcher::Timer fail_timer_;            // reports a failed write from the loop
  State state_ = State::kConnecting;
  std::shared_ptr<WebSocketClient> lingering_;  // self, during a close the owner may not wait for

  // Connecting.
  GCancellable* cancellable_ = nullptr;
  bool abandoned_ = false;  // close() before the connection was open
  std::string request_;      // the upgrade request, until the connection exists
  std::string expected_accept_;
  std::string answer_;  // the upgrade answer read so far

  // Connected.
  GIOStream* stream_ = nullptr;  // the connection (TLS-wrapped for wss)
  GSocket* socket_ = nullptr;
  GPollableInputStream* tls_in_ = nullptr;  // set for wss: reads and writes go through TLS
  GPollableOutputStream* tls_out_ = nullptr;
  int fd_ = -1;
  bool registered_ = false;
  bool want_write_ = false;
  bool broken_ = false;          // a write failed: the socket is dead
  bool close_after_flush_ = false;
  bool reader_failed_ = false;
  protocol::websocket::MessageReader reader_;
  std::uint32_t mask_state_;     // xorshift32 for mask keys
  OutboundQueue out_;            // what the socket has not taken yet
  std::string frame_;            // scratch for building one masked frame

  std::uint16_t close_code_ = protocol::websocket::close_code::kNoStatus;
  bool close_received_ = false;
  std::string close_reason_;
  std::string error_;
};

}  // namespace mediaflow::net
