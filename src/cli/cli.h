// Patron CLI: the `patron` command and its sub-commands.
#pragma once

namespace patron::cli {

// Runs the command line; returns the process exit code (0 ok, 1 failure, 2 usage).
int Run(int argc, char** argv);

}  // namespace patron::cli
