// Subcommand entry points. Each gets the arguments after the subcommand name and returns
// the exit code: 0 success, 1 failure of the work itself, 2 bad usage.
#pragma once

#include <string>
#include <vector>

namespace mediaflow::cli {

using Args = std::vector<std::string>;

int cmd_serve(const Args& args);
int cmd_run(const Args& args);
int cmd_validate(const Args& args);
int cmd_launch_line(const Args& args);
int cmd_graph(const Args& args);
int cmd_plugins(const Args& args);
int cmd_inspect(const Args& args);
int cmd_dial(const Args& args);
int cmd_recover(const Args& args);

// True when args hold -h or --help.
bool wants_help(const Args& args);

// GStreamer init + plugin loading from PLUGIN_DIR; load errors are printed to stderr, one
// line each, and counted in *plugin_errors when given. False if GStreamer cannot start.
bool init_media(int* plugin_errors = nullptr);

}  // namespace mediaflow::cli
