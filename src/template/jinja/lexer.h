// Splits a template into text and tag tokens with jinja2's whitespace rules as transformers
// configures them: trim_blocks and lstrip_blocks on, `-`/`+` modifiers, comments dropped, raw
// blocks kept verbatim, one trailing newline removed (keep_trailing_newline=False).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace swift::jinja {

enum class Tok {
  kText,
  kVarBegin,
  kVarEnd,
  kBlockBegin,
  kBlockEnd,
  kName,
  kString,
  kInt,
  kFloat,
  kOp,
  kEof
};

struct Token {
  Tok kind;
  std::string text;  // name / operator / decoded string literal / number spelling / raw text
  int line = 1;
};

std::vector<Token> lex(std::string_view src);

}  // namespace swift::jinja
