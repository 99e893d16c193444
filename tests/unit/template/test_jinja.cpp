// Jinja engine behaviour: every case in tests/data/templates/jinja2_cases.jsonl was rendered by
// jinja2 3.1 in transformers' configuration (ImmutableSandboxedEnvironment, trim_blocks,
// lstrip_blocks, loopcontrols, transformers' tojson); we must print the same text, or raise
// where jinja2 raised. Plus semantics the case file cannot express (error types, messages).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "template/jinja/jinja.h"

namespace {

using json = nlohmann::ordered_json;
using swift::jinja::render;

std::string data(const std::string& rel) {
  return std::string(SWIFT_SOURCE_DIR) + "/tests/data/templates/" + rel;
}

TEST(Jinja, MatchesJinja2Cases) {
  std::ifstream f(data("jinja2_cases.jsonl"));
  ASSERT_TRUE(f) << "missing jinja2_cases.jsonl";
  std::string line;
  int n = 0, ok = 0;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    json c = json::parse(line);
    ++n;
    const std::string tpl = c["template"].get<std::string>();
    if (c.contains("error")) {
      bool threw = false;
      try {
        render(tpl, c["context"]);
      } catch (const swift::Error&) {
        threw = true;
      }
      EXPECT_TRUE(threw) << "jinja2 raised (" << c["error"] << ") but we rendered: " << tpl;
      ok += threw;
      continue;
    }
    std::string got;
    try {
      got = render(tpl, c["context"]);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "raised " << e.what() << " on: " << tpl;
      continue;
    }
    EXPECT_EQ(got, c["expected"].get<std::string>()) << "template: " << tpl;
    ok += got == c["expected"].get<std::string>();
  }
  EXPECT_GT(n, 100);
  std::cout << "jinja2 cases exact=" << ok << "/" << n << "\n";
}

TEST(Jinja, RaiseExceptionCarriesTheTemplateMessage) {
  try {
    render("{{ raise_exception('Conversation roles must alternate') }}", json::object());
    FAIL() << "no exception";
  } catch (const swift::jinja::TemplateRaised& e) {
    EXPECT_STREQ(e.what(), "Conversation roles must alternate");
  }
}

TEST(Jinja, MutatingMethodsAreRefusedLikeTheImmutableSandbox) {
  // jinja2's ImmutableSandboxedEnvironment: SecurityError on list.append / dict.update.
  EXPECT_THROW(render("{% set l = [] %}{{ l.append(1) }}", json::object()), swift::Error);
  EXPECT_THROW(render("{% set d = {} %}{{ d.update({'a': 1}) }}", json::object()), swift::Error);
  // ... but looking at them prints nothing, like an undefined.
  EXPECT_EQ(render("{{ [].append }}", json::object()), "");
}

TEST(Jinja, NoHostObjectModel) {
  for (const char* t : {"{{ ''.__class__ }}", "{{ x.__class__.__mro__ }}", "{{ x.__globals__ }}",
                        "{{ range.__init__ }}", "{{ namespace.__init__.__globals__ }}"}) {
    // Either an empty undefined or an error, never data.
    try {
      EXPECT_EQ(render(t, json{{"x", json::object()}}), "") << t;
    } catch (const swift::Error&) {
    }
  }
  EXPECT_THROW(render("{{ ''.__class__.__mro__[1].__subclasses__() }}", json::object()),
               swift::Error);
}

TEST(Jinja, SyntaxErrorsAreSwiftErrors) {
  for (const char* t : {"{% if x %}", "{{ 1 + }}", "{% for x %}{% endfor %}", "{% endif %}",
                        "{{ 'unterminated }}", "{% include 'x' %}", "{% extends 'x' %}",
                        "{% break %}", "{{ a b }}", "{# open", "{% set %}"}) {
    EXPECT_THROW(swift::jinja::Template::parse(t), swift::Error) << t;
  }
}

TEST(Jinja, TemplateIsReusableAcrossRenders) {
  auto t = swift::jinja::Template::parse("{% for m in messages %}{{ m.role }};{% endfor %}");
  EXPECT_EQ(t.render(json{{"messages", json::array({{{"role", "user"}}})}}), "user;");
  EXPECT_EQ(t.render(json{{"messages", json::array()}}), "");
}

}  // namespace
