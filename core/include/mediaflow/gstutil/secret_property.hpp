// Which element properties hold secrets (API keys, auth tokens). The rule, for every element
// the host may run (docs/plugin-authoring.md, "Secrets"): a secret property is installed
// G_PARAM_WRITABLE without G_PARAM_READABLE, so nothing can read it back. Every tool that
// shows property values (`mediaflow launch-line`, `inspect`, `validate`, build errors) asks
// this function and never prints such a value.
#pragma once

#include <glib-object.h>

namespace mediaflow::gstutil {

bool is_secret_property(const GParamSpec* pspec);

}  // namespace mediaflow::gstutil
