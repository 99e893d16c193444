#include "core/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>

#include "core/error.h"

namespace swift::log {

namespace {
std::once_flag g_init_once;

// "%*" prints the level as ms-swift does: INFO, WARNING, ERROR.
class UpperLevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg,
              const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const char* name = "INFO";
    switch (msg.level) {
      case spdlog::level::trace:
        name = "TRACE";
        break;
      case spdlog::level::debug:
        name = "DEBUG";
        break;
      case spdlog::level::info:
        name = "INFO";
        break;
      case spdlog::level::warn:
        name = "WARNING";
        break;
      case spdlog::level::err:
        name = "ERROR";
        break;
      case spdlog::level::critical:
        name = "CRITICAL";
        break;
      default:
        break;
    }
    dest.append(name, name + std::char_traits<char>::length(name));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<UpperLevelFlag>();
  }
};
}  // namespace

void set_level(const std::string& level) {
  std::string l;
  for (char c : level) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "debug") {
    spdlog::set_level(spdlog::level::debug);
  } else if (l == "info") {
    spdlog::set_level(spdlog::level::info);
  } else if (l == "warning" || l == "warn") {
    spdlog::set_level(spdlog::level::warn);
  } else if (l == "error") {
    spdlog::set_level(spdlog::level::err);
  } else if (l == "critical") {
    spdlog::set_level(spdlog::level::critical);
  } else {
    SWIFT_FAIL("[log] unknown log level '{}'; use debug, info, warning or error", level);
  }
}

void init() {
  std::call_once(g_init_once, [] {
    auto logger = spdlog::stderr_color_mt("swift");
    spdlog::set_default_logger(logger);
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<UpperLevelFlag>('*').set_pattern("[%^%*%$:swift] %v");
    logger->set_formatter(std::move(formatter));
    spdlog::set_level(spdlog::level::info);
    for (const char* var : {"SWIFT_LOG_LEVEL", "LOG_LEVEL"}) {
      if (const char* v = std::getenv(var); v && *v) {
        try {
          set_level(v);
        } catch (const Error&) {
          // An unknown level in the environment must not stop the program; keep info.
        }
        break;
      }
    }
  });
}

}  // namespace swift::log
