// Shared by the files of src/access: libsodium helpers. Not a public header.
#pragma once

#include <string>
#include <string_view>

#include "access/access.h"

namespace patron::access {

// Initialises libsodium once per process.
void InitSodium();
// Lower-case hex of `bytes`.
std::string Hex(std::string_view bytes);
// `n` bytes from the operating system's CSPRNG.
std::string RandomBytes(size_t n);
// Hex BLAKE2b-256 of `data`, keyed when `key` is non-empty (16 to 64 bytes).
std::string HashHex(std::string_view data, std::string_view key = {});

}  // namespace patron::access
