// swift::Error plumbing and the user-facing wording of every other exception (see error.h).
#include "core/error.h"

#include <filesystem>
#include <new>
#include <string_view>

namespace swift {

namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}

// libtorch appends "Exception raised from <fn> at <file>:<line> ..." and a frame list.
std::string without_backtrace(std::string_view what) {
  for (const char* marker : {"\nException raised from", "Exception raised from"}) {
    const std::size_t at = what.find(marker);
    if (at != std::string_view::npos) what = what.substr(0, at);
  }
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.remove_suffix(1);
  std::string out(what);
  for (char& c : out)
    if (c == '\n') c = ' ';
  return out;
}

}  // namespace

std::string describe_exception(const std::exception& e) {
  if (dynamic_cast<const Error*>(&e)) return e.what();
  if (dynamic_cast<const std::bad_alloc*>(&e))
    return "[memory] out of memory: the model, the input or a size argument needs more memory "
           "than this machine has; use a smaller model, batch, --max_model_len or size";
  if (const auto* fe = dynamic_cast<const std::filesystem::filesystem_error*>(&e))
    return "[fs] " + fe->code().message() + ": " + fe->path1().string() +
           (fe->path2().empty() ? "" : " -> " + fe->path2().string()) +
           "; check the path, its permissions and free disk space";
  std::string_view what = e.what();
  if (starts_with(what, "[json.exception.")) {
    const std::size_t close = what.find("] ");
    if (close != std::string_view::npos) what.remove_prefix(close + 2);
    return "[json] a JSON value has the wrong type or shape (" + std::string(what) +
           "); check the file or request named in the arguments";
  }
  const std::string text = without_backtrace(what);
  if (text.size() != what.size()) return "[torch] " + text;  // a libtorch error
  return "[error] " + text;
}

namespace detail {

void throw_error(const char* file, int line, std::string message) {
  throw Error(std::move(message), file, line);
}

}  // namespace detail

}  // namespace swift
