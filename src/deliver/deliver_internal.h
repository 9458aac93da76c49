// Helpers shared by the deliver sources; not part of the public API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace patron::deliver::internal {

// Calls sodium_init once (thread-safe).
void EnsureSodium();

std::string Base64(std::string_view data);     // standard alphabet, padded, one line
std::string Base64Url(std::string_view data);  // URL-safe alphabet, unpadded
// Decodes either alphabet, padding optional; false on bad input.
bool DecodeBase64(std::string_view text, std::string* out);
std::string RandomHex(size_t bytes);

// "Mon, 23 Nov 2026 11:15:48 +0000"
std::string Rfc5322Date(int64_t unix_seconds);

// Trims ASCII space and tab.
std::string_view TrimWsp(std::string_view s);

}  // namespace patron::deliver::internal
