// `patron model` commands.
#include <CLI/CLI.hpp>

#include "cli/cli_internal.h"

namespace patron::cli {

void AddModelCommands(CLI::App& /*app*/, const GlobalOptions& /*globals*/, Action& /*action*/) {}

}  // namespace patron::cli
