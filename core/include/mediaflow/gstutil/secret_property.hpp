// Which element properties hold secrets (API keys, auth tokens). The rule, for every element
// the host may run (docs/plugin-authoring.md, "Secrets"): a secret property is installed
// G_PARAM_WRITABLE without G_PARAM_READABLE, so nothing can read it back. Stock elements do
// not follow that rule (souphttpsrc's "user-pw", srtsink's "passphrase"), so a property whose
// name says it is a secret (protocol::is_secret_name) counts as one too. Every tool that
// shows property values (`mediaflow launch-line`, `inspect`, `validate`, build errors) asks
// this function and never prints such a value.
#pragma once

#include <glib-object.h>

namespace mediaflow::gstutil {

bool is_secret_property(const GParamSpec* pspec);

}  // namespace mediaflow::gstutil
