// Logging: spdlog with ms-swift's "[INFO:swift] ..." look, on stderr so stdout stays for results
// (--show_args JSON, inspect output, infer responses).
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace swift::log {

// Reads SWIFT_LOG_LEVEL / LOG_LEVEL (debug, info, warning, error) once; safe to call repeatedly.
void init();
void set_level(const std::string& level);

}  // namespace swift::log

#define SWIFT_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define SWIFT_INFO(...) ::spdlog::info(__VA_ARGS__)
#define SWIFT_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define SWIFT_ERROR(...) ::spdlog::error(__VA_ARGS__)
