#include "cli/commands.hpp"

#include <mediaflow/evidence/evidence_service.hpp>
#include <mediaflow/file_limit.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>
#include <mediaflow/recording_recovery.hpp>
#include <mediaflow/pipeline/catalog.hpp>
#include <mediaflow/server/host.hpp>

#include <glib-unix.h>

#include <csignal>
#include <cstdio>
#include <stdexcept>

namespace mediaflow::cli {
namespace {

struct ServeState {
  server::Host* host;
  pipeline::PipelineCatalog* catalog;
  GMainLoop* loop;
};

void log_reload(const pipeline::ReloadReport& r) {
  for (const auto& d : r.errors) log::warn("pipeline_refused", {{"diagnostic", d.str()}});
  for (const auto& name : r.kept) log::warn("pipeline_kept_previous", {{"pipeline", name}});
  log::info("pipelines_loaded", {{"loaded", r.loaded.size()}, {"refused", r.errors.size()},
                                 {"removed", r.removed.size()}});
}

// A previous host that crashed leaves `.wav.part` files: finalise them before taking calls
// (nothing records under the root yet, so recovery cannot race a live recording).
// Returns their manifests, to be uploaded once the host (and its spool) runs.
std::vector<std::filesystem::path> recover_leftover_recordings(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> manifests;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return manifests;
  RecoveryReport r = recover_recordings(root);
  for (const auto& rec : r.recovered) {
    metrics().recordings("recovered").inc();
    log::info("recording_recovered", {{"call", log::call_id(rec.call_sid)},
                                      {"duration_s", rec.duration_seconds}});
    manifests.push_back(rec.manifest);
  }
  for (const auto& f : r.failures) {
    metrics().recordings("recovery_failed").inc();
    log::warn("recording_recovery_failed", {{"file", f.file.filename().string()}, {"reason", f.reason}});
  }
  return manifests;
}

// A call holds several descriptors (its socket, recording files, transcript, vendor sockets):
// say when even the raised limit looks too small for MAX_CONCURRENT_CALLS.
void raise_file_limit(unsigned max_calls) {
  constexpr std::uint64_t kDescriptorsPerCall = 6;
  const std::uint64_t limit = raise_open_file_limit();
  if (limit != 0 && limit < std::uint64_t(max_calls) * kDescriptorsPerCall + 64)
    log::warn("file_limit_low", {{"open_files", limit}, {"max_concurrent_calls", max_calls}});
}

gboolean on_sigterm(gpointer data) {
  auto* st = static_cast<ServeState*>(data);
  if (st->host->draining()) return G_SOURCE_CONTINUE;
  log::info("draining", {{"active_calls", st->host->active_calls()},
                         {"lame_duck_s", st->host->config().drain_lame_duck_seconds},
                         {"timeout_s", st->host->config().drain_timeout_seconds}});
  GMainContext* main_ctx = g_main_loop_get_context(st->loop);
  st->host->begin_drain([st, main_ctx] {
    g_main_context_invoke(main_ctx, [](gpointer d) -> gboolean {
      g_main_loop_quit(static_cast<ServeState*>(d)->loop);
      return G_SOURCE_REMOVE;
    }, st);
  });
  return G_SOURCE_CONTINUE;
}

gboolean on_sighup(gpointer data) {
  auto* st = static_cast<ServeState*>(data);
  log_reload(st->catalog->reload());
  return G_SOURCE_CONTINUE;
}

}  // namespace

int cmd_serve(const Args& args) {
  if (wants_help(args)) {
    std::printf(
        "usage: mediaflow serve\n\n"
        "Runs the host: HTTP (GET /, /health, /metrics, POST /twilio/voice) and the Twilio Media\n"
        "Streams WebSocket at WS_PATH and WS_PATH/jwt/<token>. Every call gets a GStreamer\n"
        "pipeline from PIPELINES_DIR (customParameters.pipeline, else DEFAULT_PIPELINE; the\n"
        "embedded 'default' is always available). Configuration is by environment variables:\n"
        "PORT, BIND, WS_PATH, MEDIA_AUTH_TOKEN, MEDIA_SHARED_SECRET, PIPELINES_DIR,\n"
        "DEFAULT_PIPELINE, PLUGIN_DIR, RECORDINGS_DIR, MAX_CONCURRENT_CALLS, MAX_MESSAGE_BYTES,\n"
        "IDLE_TIMEOUT_SECONDS, DRAIN_TIMEOUT_SECONDS, TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL,\n"
        "LOG_LEVEL, and for evidence RECORDINGS_BUCKET, AWS_*, EVENTS_WEBHOOK_URL,\n"
        "EVENTS_WEBHOOK_SECRET, SPOOL_DIR (see README.md). SIGTERM drains, SIGHUP reloads pipeline files.\n");
    return 0;
  }
  if (!args.empty()) {
    std::fprintf(stderr, "mediaflow serve: takes no arguments (configuration is by environment)\n");
    return 2;
  }
  server::ServerConfig config;
  try {
    config = server::ServerConfig::from_env();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mediaflow serve: %s\n", e.what());
    return 2;
  }
  log::init_from_env();
  // A file-size limit (RLIMIT_FSIZE) must fail the one write with EFBIG — a recording or spool
  // write that reports it — not kill the host and every call on it.
  std::signal(SIGXFSZ, SIG_IGN);
  raise_file_limit(config.max_concurrent_calls);
  if (!init_media()) return 1;
  auto catalog = std::make_shared<pipeline::PipelineCatalog>(config.pipelines_dir);
  log_reload(catalog->reload());
  if (!catalog->find(config.default_pipeline)) {
    log::error("startup_failed", {{"error", "DEFAULT_PIPELINE '" + config.default_pipeline + "' not found"}});
    return 1;
  }

  const auto recovered = recover_leftover_recordings(config.recordings_dir);

  server::Host host(config, catalog);
  std::string error;
  if (!host.start(&error)) {
    log::error("startup_failed", {{"error", error}});
    return 1;
  }
  for (const auto& manifest : recovered) host.evidence().upload_recovered(manifest);
  // Signal handlers before "listening": whoever waits for that line may signal us at once.
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  ServeState st{&host, catalog.get(), loop};
  g_unix_signal_add(SIGTERM, on_sigterm, &st);
  g_unix_signal_add(SIGINT, on_sigterm, &st);
  g_unix_signal_add(SIGHUP, on_sighup, &st);
  log::info("listening", {{"bind", config.bind}, {"port", host.port()},
                          {"ws_path", config.ws_path}, {"workers", config.workers}});
  g_main_loop_run(loop);
  host.stop();
  g_main_loop_unref(loop);
  log::info("stopped", {});
  return 0;
}

}  // namespace mediaflow::cli
