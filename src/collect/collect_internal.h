// Internal to src/collect: helpers shared by the parser and the writer.
#pragma once

#include <string>
#include <string_view>

namespace patron::collect {

// `s` as a JSON string literal, quotes included. REQUIRES: valid UTF-8.
std::string JsonQuote(std::string_view s);

}  // namespace patron::collect
