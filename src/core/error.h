// Errors: one exception type for everything a user can cause (bad arguments, files, configs,
// network), thrown with SWIFT_CHECK and caught only at a subcommand's main or the HTTP layer.
// Messages follow "[component] what happened; what to do".
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace swift {

class Error : public std::runtime_error {
 public:
  Error(std::string message, const char* file, int line)
      : std::runtime_error(std::move(message)), file_(file), line_(line) {}
  const char* file() const { return file_; }
  int line() const { return line_; }

 private:
  const char* file_;
  int line_;
};

// The one line a user sees for any exception: a swift::Error as it is; library exceptions (out
// of memory, nlohmann type/parse errors, libtorch errors with their C++ backtrace, filesystem
// errors) reworded so that no raw library text or stack trace reaches a terminal or an HTTP body.
std::string describe_exception(const std::exception& e);

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, std::string message);
}  // namespace detail

}  // namespace swift

// SWIFT_CHECK(cond, "[io] {} is not a file; pass a model folder", path);
#define SWIFT_CHECK(cond, ...)                                                               \
  do {                                                                                       \
    if (!(cond)) ::swift::detail::throw_error(__FILE__, __LINE__, fmt::format(__VA_ARGS__)); \
  } while (0)

#define SWIFT_FAIL(...) ::swift::detail::throw_error(__FILE__, __LINE__, fmt::format(__VA_ARGS__))

// Programmer invariants (not user errors): the comment at the call site says what broke.
#define SWIFT_ASSERT(cond)                                                                     \
  do {                                                                                         \
    if (!(cond))                                                                               \
      ::swift::detail::throw_error(__FILE__, __LINE__, "[internal] invariant failed: " #cond); \
  } while (0)
