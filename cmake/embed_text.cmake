# Writes OUT, a C++ file defining `std::string_view patron::embedded::FUNCTION()`
# that returns the text of IN (documents the binary serves, such as openapi.json).
file(READ ${IN} content)
set(body "// Generated from ${IN} by cmake/embed_text.cmake. Do not edit.\n")
string(APPEND body "#include <string_view>\nnamespace patron::embedded {\n")
string(APPEND body "std::string_view ${FUNCTION}() {\n  return R\"patron_text(${content})patron_text\";\n}\n")
string(APPEND body "}  // namespace patron::embedded\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
