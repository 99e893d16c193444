// Typed reads of request fields with OpenAI-style 400s (fields.h).
#include "serve/fields.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace swift::serve::detail {

std::string json_kind(const ojson& v) {
  switch (v.type()) {
    case ojson::value_t::null:
      return "null";
    case ojson::value_t::boolean:
      return "a boolean";
    case ojson::value_t::string:
      return "a string";
    case ojson::value_t::array:
      return "an array";
    case ojson::value_t::object:
      return "an object";
    case ojson::value_t::number_integer:
    case ojson::value_t::number_unsigned:
      return "an integer";
    case ojson::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

void fail(const std::string& param, std::string message, std::string code) {
  SWIFT_REQUEST_FAIL(bad_request(param, std::move(message), std::move(code)));
}

void wrong_type(const std::string& param, std::string_view expected, const ojson& got) {
  fail(param, fmt::format("Invalid type for '{}': expected {}, but got {}; send {} or leave the "
                          "field out",
                          param, expected, json_kind(got), expected));
}

void require_object_body(const ojson& body) {
  if (!body.is_object())
    fail("", fmt::format("The request body must be a JSON object, but it is {}; send {{...}} with "
                         "the request's fields",
                         json_kind(body)));
}

std::string path_of(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return fmt::format("{}.{}", prefix, key);
}

const ojson* field(const ojson& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<bool> get_bool(const ojson& obj, std::string_view key, const std::string& param) {
  const ojson* v = field(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) wrong_type(param, "a boolean", *v);
  return v->get<bool>();
}

std::optional<std::string> get_string(const ojson& obj,
                                      std::string_view key,
                                      const std::string& param) {
  const ojson* v = field(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) wrong_type(param, "a string", *v);
  return v->get<std::string>();
}

std::optional<double> get_number(const ojson& obj, std::string_view key, const std::string& param) {
  const ojson* v = field(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) wrong_type(param, "a number", *v);
  const double d = v->get<double>();
  if (!std::isfinite(d))
    fail(param, fmt::format("'{}' is out of range (the number does not fit a double); send a "
                            "finite number",
                            param));
  return d;
}

std::int64_t as_int(const ojson& v, const std::string& param) {
  if (v.is_number_unsigned()) {
    const std::uint64_t u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(param, fmt::format("'{}' is too large ({}); send an integer below 2^63", param, u));
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    constexpr double kExact = 9007199254740992.0;  // 2^53: every integer below is a double
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= kExact)
      return static_cast<std::int64_t>(d);
    if (std::isfinite(d) && d == std::floor(d))
      fail(param, fmt::format("'{}' is too large ({}); send a smaller integer", param, show(d)));
    fail(param, fmt::format("Invalid type for '{}': expected an integer, but got {}; send a whole "
                            "number",
                            param, show(d)));
  }
  wrong_type(param, "an integer", v);
}

std::optional<std::int64_t> get_int(const ojson& obj,
                                    std::string_view key,
                                    const std::string& param) {
  const ojson* v = field(obj, key);
  if (!v) return std::nullopt;
  return as_int(*v, param);
}

std::string clip(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string show(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "a number too large for a double" : "a number too small";
  return fmt::format("{:g}", v);
}

}  // namespace swift::serve::detail
