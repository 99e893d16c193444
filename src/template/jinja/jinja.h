// Public API of the sandboxed Jinja engine for Hugging Face `chat_template` strings: parse once,
// render many times against JSON data, with transformers' environment (trim_blocks,
// lstrip_blocks, loopcontrols, tojson, raise_exception, strftime_now) and hard resource limits.
//
//   auto t = swift::jinja::Template::parse(src);          // throws swift::Error on syntax errors
//   std::string s = t.render({{"messages", msgs}, {"add_generation_prompt", true}});
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "template/jinja/interp.h"

namespace swift::jinja {

// What `raise_exception(msg)` throws: a swift::Error whose message is exactly the template's
// message, so callers can surface it unchanged (transformers raises TemplateError(msg)).
class TemplateRaised : public swift::Error {
 public:
  explicit TemplateRaised(const std::string& msg) : swift::Error(msg, __FILE__, __LINE__) {}
};

class Template {
 public:
  static Template parse(std::string_view source);

  // Each top-level key of `context` becomes a template variable. Throws swift::Error (or
  // TemplateRaised) on runtime errors and when a limit is exceeded.
  // Pass an ordered_json to keep object key order (tojson prints keys in insertion order, as
  // Python dicts do); a plain nlohmann::json has its keys sorted already.
  std::string render(const nlohmann::json& context, const Limits& limits = Limits()) const;
  std::string render(const nlohmann::ordered_json& context, const Limits& limits = Limits()) const;

 private:
  template <class J>
  std::string render_impl(const J& context, const Limits& limits) const;
  std::shared_ptr<const Body> body_;
};

// One-shot parse + render.
std::string render(std::string_view source,
                   const nlohmann::json& context,
                   const Limits& limits = Limits());
std::string render(std::string_view source,
                   const nlohmann::ordered_json& context,
                   const Limits& limits = Limits());

}  // namespace swift::jinja
