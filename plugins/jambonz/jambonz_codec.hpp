// The jambonz `listen` transport's codec (transport/codec.hpp): the first text frame is the
// call's metadata, then binary frames of 16-bit little-endian PCM at its sampleRate (stereo:
// two interleaved tracks, caller first), and text control messages (mark events, DTMF).
// Plain C++ over protocol/jambonz_*; docs/jambonz.md has the wire format and its sources.
#pragma once

#include <mediaflow/transport/codec.hpp>

namespace mediaflow::jambonz_transport {

transport::Codec* create_codec();

}  // namespace mediaflow::jambonz_transport
