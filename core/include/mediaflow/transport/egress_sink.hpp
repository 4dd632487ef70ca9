// MediaflowEgressSink: the base class of a transport's egress element (twiliosink, jambonzsink).
// It takes audio in the call's format and hands the transport's wire messages to the host:
// - audio leaves in 20 ms frames (160 bytes of 8 kHz mu-law), as fast as it arrives (the far
//   end buffers; nothing here paces in real time): a frame leaves as soon as it is complete,
//   however the upstream chunks were cut, byte-exact;
// - the serialized downstream event `mediaflow-mark` (gstutil/custom_events.hpp) becomes the
//   transport's mark on a frame boundary: with nothing pending, at once; inside a partial frame
//   it is held and sent right after the frame that contains its position, once the audio after
//   it completes that frame (several held marks keep their order). Whoever counts what the
//   caller heard from mark echoes is then late by less than one frame (20 ms) of audio;
// - the last partial frame of a response (and the marks held in it) leaves when no audio has
//   come for `partial-flush-ms` (default 100; measured from the last audio, on a timer on the
//   context the streaming runs on: the host's call loop, else a private thread), and at EOS.
//   `partial-flush-ms=0`: no timer, a mark flushes the partial frame before it (short frames
//   wherever a producer puts marks). A producer that delivers in real time with gaps longer
//   than the quiet time gets a short frame per gap;
// - the out-of-band event `mediaflow-interruption` drops what is not yet sent (whole frames)
//   and becomes the transport's clear; marks held in the dropped partial frame follow the
//   clear, so the far end echoes them at once and the agent's heard accounting completes.
// Render, events and the timer are serialised by one lock held through delivery: a Sender or
// deliver_offline is called from one thread at a time, in order, and must not call back into
// the element.
// A subclass encodes: encode_audio(), encode_mark(), encode_clear() append wire messages to an
// Outbox. The host installs a Sender (egress_set_sender) and names the call (set_call);
// without a sender (gst-launch, `mediaflow run`) messages go to the subclass's deliver_offline.
#pragma once

#include <mediaflow/transport/audio_format.hpp>
#include <mediaflow/transport/codec.hpp>

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::transport {

// One wire message to the far end.
struct OutboundMessage {
  std::string_view bytes;
  bool binary = false;  // a binary frame (jambonz audio); else text
  bool audio = false;   // audio may be dropped under backpressure; marks and clears never
};

// Collects what one buffer or event turns into; reused, so steady state allocates nothing.
class Outbox {
 public:
  // A message to fill in (its string is cleared, its capacity kept).
  std::string& add(bool binary, bool audio);
  std::size_t size() const { return count_; }
  OutboundMessage at(std::size_t i) const { return {items_[i].bytes, items_[i].binary, items_[i].audio}; }
  void clear() { count_ = 0; }

 private:
  struct Item {
    std::string bytes;
    bool binary = false, audio = false;
  };
  std::vector<Item> items_;
  std::size_t count_ = 0;
};

// The host's end: called on the call's loop (streaming, the flush timer) or an agent's thread
// (an interruption), one call at a time; must not block nor call back into the element.
class Sender {
 public:
  virtual ~Sender() = default;
  virtual void send(const OutboundMessage& message) = 0;
};

}  // namespace mediaflow::transport

G_BEGIN_DECLS

#define MEDIAFLOW_TYPE_EGRESS_SINK (mediaflow_egress_sink_get_type())
G_DECLARE_DERIVABLE_TYPE(MediaflowEgressSink, mediaflow_egress_sink, MEDIAFLOW, EGRESS_SINK, GstBaseSink)

struct _MediaflowEgressSinkClass {
  GstBaseSinkClass parent_class;
  // Append the wire messages for one 20 ms frame (or the flushed tail), a mark, a clear.
  void (*encode_audio)(MediaflowEgressSink* self, std::span<const std::uint8_t> frame, mediaflow::transport::Outbox& out);
  void (*encode_mark)(MediaflowEgressSink* self, const std::string& name, mediaflow::transport::Outbox& out);
  void (*encode_clear)(MediaflowEgressSink* self, mediaflow::transport::Outbox& out);
  // Optional: the call this sink answers (Twilio's streamSid); set in NULL/READY.
  void (*set_call)(MediaflowEgressSink* self, const mediaflow::transport::CallStart& call);
  // Optional: where messages go without a host (a file, a signal).
  void (*deliver_offline)(MediaflowEgressSink* self, const mediaflow::transport::OutboundMessage& message);
  gpointer padding[8];
};

G_END_DECLS

namespace mediaflow::transport {

// The host's side, before PLAYING. The format restricts the sink's caps to the call's.
void egress_set_format(MediaflowEgressSink* sink, const AudioFormat& format);
void egress_set_call(MediaflowEgressSink* sink, const CallStart& call);
void egress_set_sender(MediaflowEgressSink* sink, std::shared_ptr<Sender> sender);

}  // namespace mediaflow::transport
