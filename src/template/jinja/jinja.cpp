// Template: parse once, render with a fresh interpreter and scope per call (renders share no
// state, so one Template can be used from several threads).
#include "template/jinja/jinja.h"

#include "template/jinja/parser.h"

namespace swift::jinja {

Template Template::parse(std::string_view source) {
  Template t;
  t.body_ = std::make_shared<const Body>(jinja::parse(source));
  return t;
}

template <class J>
std::string Template::render_impl(const J& context, const Limits& limits) const {
  SWIFT_CHECK(context.is_object() || context.is_null(),
              "[jinja] the render context must be a JSON object");
  auto top = std::make_shared<Scope>();
  add_globals(*top);
  if (context.is_object()) {
    for (auto it = context.begin(); it != context.end(); ++it)
      top->vars[it.key()] = Value::from_json(*it);
  }
  Interp in(limits);
  return in.render(*body_, top);
}

std::string Template::render(const nlohmann::json& context, const Limits& limits) const {
  return render_impl(context, limits);
}

std::string Template::render(const nlohmann::ordered_json& context, const Limits& limits) const {
  return render_impl(context, limits);
}

std::string render(std::string_view source, const nlohmann::json& context, const Limits& limits) {
  return Template::parse(source).render(context, limits);
}

std::string render(std::string_view source,
                   const nlohmann::ordered_json& context,
                   const Limits& limits) {
  return Template::parse(source).render(context, limits);
}

}  // namespace swift::jinja
