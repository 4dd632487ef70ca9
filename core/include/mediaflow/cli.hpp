// The `mediaflow` command line: one function per subcommand; app/main.cpp only calls run_cli.
#pragma once

namespace mediaflow::cli {

// Dispatches argv[1] to a subcommand; returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace mediaflow::cli
