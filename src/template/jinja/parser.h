// Recursive-descent parser for the jinja2 statement and expression grammar used by chat
// templates. Nesting is bounded so hostile input (e.g. 10^5 nested parentheses) fails with an
// error instead of exhausting the stack.
#pragma once

#include <string_view>

#include "template/jinja/ast.h"

namespace swift::jinja {

inline constexpr int kMaxParseDepth = 256;
inline constexpr int kMaxExprDepth = 512;

Body parse(std::string_view src);

}  // namespace swift::jinja
