#include <mediaflow/cli.hpp>

int main(int argc, char** argv) { return mediaflow::cli::run_cli(argc, argv); }
