// Python string operations on UTF-8 text (strip/split with Python's whitespace set, title,
// capitalize, replace, str.format, printf-style %), shared by methods and filters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "template/jinja/value.h"

namespace swift::jinja {

class Interp;

bool py_is_space(char32_t c);
std::string py_strip(const std::string& s, const std::string* chars, bool left, bool right);
std::vector<std::string> py_split(const std::string& s,
                                  const std::string* sep,
                                  std::int64_t maxsplit,
                                  bool from_right);
std::string ascii_upper(std::string s);
std::string ascii_lower(std::string s);
std::string py_title(const std::string& s);  // str.title()
std::string jinja_title(
    const std::string& s);  // the `title` filter (word starts after -,space,([{<)
std::string py_capitalize(const std::string& s);  // str.capitalize()
std::string py_replace(Interp& in,
                       const std::string& s,
                       const std::string& old_s,
                       const std::string& new_s,
                       std::int64_t count);
bool py_is(const std::string& s, const std::string& method);
std::string py_format(Interp& in, const std::string& fmt, const CallArgs& args);
std::string html_escape(const std::string& s);

}  // namespace swift::jinja
