// The per-protocol part of the simulated caller (mediaflow/dial/caller.hpp): how a call opens,
// how its audio, mark echoes, keys and hang-up are written, and what the host's messages mean.
// Everything else — the WebSocket, pacing, the playback clock, marks and clears, endings,
// latency matching, results — is the caller's own and the same for every protocol.
#pragma once

#include <mediaflow/dial/caller.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace mediaflow::dial {

// Where a protocol writes: the call's open WebSocket.
class MessageSink {
 public:
  virtual void send_text(const std::string& text) = 0;
  virtual void send_binary(std::span<const uint8_t> bytes) = 0;

 protected:
  ~MessageSink() = default;
};

// A message from the host, as the caller acts on it.
struct HostMessage {
  enum class Kind {
    kAudio,       // `audio` is to be played (mono, the host's wire format)
    kMark,        // echo `mark_name` once the audio before it has played
    kClear,       // drop the un-played audio, echo every pending mark as cleared
    kClearMarks,  // forget the pending marks without echoing them (jambonz)
    kDisconnect,  // the host ends the call: close the socket (jambonz)
    kOther,       // understood, nothing to do
    kMalformed,   // not a message of this protocol: counted as unparsable
  };
  Kind kind = Kind::kMalformed;
  std::span<const uint8_t> audio;  // kAudio: valid until the protocol's next read
  std::string_view mark_name;      // kMark: idem
};

class CallerProtocol {
 public:
  virtual ~CallerProtocol() = default;

  // "" when the options describe a call of this protocol, else what is wrong with them.
  virtual std::string check_options() const = 0;
  virtual const char* subprotocol() const = 0;  // offered on the upgrade; nullptr: none
  virtual uint8_t silence_byte() const = 0;     // one byte of silence in the wire format
  virtual size_t bytes_per_sample() const = 0;  // of one channel in the wire format

  virtual void open_call(MessageSink& out) = 0;  // right after the upgrade
  virtual void send_audio(MessageSink& out, uint64_t index, uint64_t timestamp_ms, std::span<const uint8_t> frame) = 0;
  virtual void echo_mark(MessageSink& out, const std::string& name, bool cleared) = 0;
  virtual void send_dtmf(MessageSink& out, const std::string& digit) = 0;
  // Hangs up with a message and returns true, or returns false when this protocol hangs up by
  // closing the socket.
  virtual bool send_hang_up(MessageSink& out) = 0;
  // Marks held for echo at most; further ones are dropped without an echo.
  virtual size_t max_pending_marks() const { return std::numeric_limits<size_t>::max(); }

  virtual HostMessage read_text(std::string_view text) = 0;
  virtual HostMessage read_binary(std::span<const uint8_t> bytes) = 0;
};

// The options are the caller's and outlive the protocol.
std::unique_ptr<CallerProtocol> make_twilio_protocol(const CallerOptions& options);
std::unique_ptr<CallerProtocol> make_jambonz_protocol(const CallerOptions& options);

}  // namespace mediaflow::dial
