#include "core/error.h"

namespace swift::detail {

void throw_error(const char* file, int line, std::string message) {
  throw Error(std::move(message), file, line);
}

}  // namespace swift::detail
