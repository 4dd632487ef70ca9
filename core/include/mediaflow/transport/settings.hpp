// How a transport reads the host's settings (its webhook's secret, its answer's sample rate):
// by name, from the environment or from what a test configured the host with instead.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::transport {

// The setting's value; nullopt when unset or empty.
using SettingLookup = std::function<std::optional<std::string>(std::string_view name)>;

}  // namespace mediaflow::transport
