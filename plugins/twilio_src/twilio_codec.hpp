// The Twilio Media Streams transport's codec (transport/codec.hpp): a call connection's JSON
// envelopes → the host's events. Plain C++ over protocol/twilio_envelope.
#pragma once

#include <mediaflow/transport/codec.hpp>

namespace mediaflow::twilio_transport {

transport::Codec* create_codec();

}  // namespace mediaflow::twilio_transport
