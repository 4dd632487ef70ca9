#include "support/spoken_audio.hpp"

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

namespace mediaflow::test {

namespace {

std::mutex cache_mutex;
std::map<std::string, std::vector<std::uint8_t>> cache;

bool run(const std::vector<std::string>& args) {
  std::vector<gchar*> argv;
  for (const auto& a : args) argv.push_back(const_cast<gchar*>(a.c_str()));
  argv.push_back(nullptr);
  gint status = 0;
  GError* err = nullptr;
  const bool ok = g_spawn_sync(nullptr, argv.data(), nullptr,
                               GSpawnFlags(G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                                           G_SPAWN_STDERR_TO_DEV_NULL),
                               nullptr, nullptr, nullptr, nullptr, &status, &err) &&
                  g_spawn_check_wait_status(status, nullptr);
  if (err) g_error_free(err);
  return ok;
}

std::vector<std::uint8_t> synthesize(const std::string& text) {
  // GLib initialises its temp dir once, behind atomics ThreadSanitizer cannot see (tests speak
  // from several threads); a C++ static makes the first call's order visible to the others.
  [[maybe_unused]] static const gchar* const tmp_dir = g_get_tmp_dir();
  gchar* dir = g_dir_make_tmp("mediaflow-speech-XXXXXX", nullptr);
  if (!dir) return {};
  const std::string wav = std::string(dir) + "/speech.wav", raw = std::string(dir) + "/speech.raw";
  std::vector<std::uint8_t> pcm;
  // sox trims espeak's leading and trailing silence so placements are where the speech is.
  if (run({"espeak-ng", "-w", wav, text}) &&
      run({"sox", "-q", wav, "-t", "raw", "-r", "16000", "-b", "16", "-e", "signed-integer", "-c", "1", raw,
           "silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse"})) {
    std::ifstream in(raw, std::ios::binary);
    pcm.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  g_remove(wav.c_str());
  g_remove(raw.c_str());
  g_rmdir(dir);
  g_free(dir);
  return pcm;
}

}  // namespace

std::vector<std::uint8_t> spoken_s16(const std::string& text) {
  {
    std::lock_guard lock(cache_mutex);
    if (auto it = cache.find(text); it != cache.end()) return it->second;
  }
  auto pcm = synthesize(text);
  if (pcm.empty()) {
    ADD_FAILURE() << "espeak-ng/sox could not speak \"" << text << "\" (scripts/install-deps.sh installs them)";
    return pcm;
  }
  std::lock_guard lock(cache_mutex);
  cache.emplace(text, pcm);
  return pcm;
}

std::vector<std::uint8_t> speech_at(const std::vector<std::pair<double, std::string>>& placements,
                                    double total_seconds) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(total_seconds * 16000) * 2, 0);
  for (const auto& [at, text] : placements) {
    const auto words = spoken_s16(text);
    const std::size_t offset = static_cast<std::size_t>(at * 16000) * 2;
    if (offset >= out.size()) continue;
    std::copy_n(words.begin(), std::min(words.size(), out.size() - offset), out.begin() + static_cast<long>(offset));
  }
  return out;
}

double seconds_of_s16(const std::vector<std::uint8_t>& s16) { return static_cast<double>(s16.size()) / 32000.0; }

}  // namespace mediaflow::test
