// Polls a condition that another thread makes true (a fake server's records, a file).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace mediaflow::test {

// Polls `predicate` every 5 ms until it holds or `timeout_ms` passed; returns its last value.
inline bool wait_until(const std::function<bool()>& predicate, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) return predicate();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace mediaflow::test
