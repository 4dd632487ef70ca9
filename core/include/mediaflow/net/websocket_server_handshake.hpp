// The server side of the WebSocket opening handshake (RFC 6455 §4.2.1/§4.2.2): whether a
// request is a valid upgrade, and the answer to it — 101 with Sec-WebSocket-Accept, 426 with
// `Sec-WebSocket-Version: 13` for a version we do not speak, 400 for anything else. No
// extension is ever accepted (Twilio negotiates none; deflate would only cost CPU per frame).
//
// A route that speaks a subprotocol (a jambonz transport: `audio.jambonz.org`) checks the
// client's offer itself (request.header_list("Sec-WebSocket-Protocol")) and passes the one it selected; the answer then
// carries it in Sec-WebSocket-Protocol.
#pragma once

#include <mediaflow/protocol/http_response.hpp>

#include <string>
#include <string_view>

namespace mediaflow::net {

struct ServerHandshake {
  bool ok = false;                          // response is the 101
  std::string problem;                      // why not ok (fixed text, for logs)
  protocol::http::Response response;        // the 101, or the refusal
};

ServerHandshake accept_upgrade_request(const protocol::http::Request& request,
                                       std::string_view selected_subprotocol = {});

}  // namespace mediaflow::net
