#include "cli/cli.h"

int main(int argc, char** argv) { return patron::cli::Run(argc, argv); }
