#include "cli/cli.h"

#include <cstdio>

namespace patron::cli {

int Run(int, char**) {
  std::fprintf(stderr, "patron: not built yet\n");
  return 1;
}

}  // namespace patron::cli
