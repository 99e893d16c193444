// Hostile templates (reliability.md check 20): each must fail with a swift::Error inside the
// limits — no crash, no hang, no unbounded memory — and the sanitized build runs them too.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "template/jinja/jinja.h"

namespace {

using json = nlohmann::ordered_json;
using swift::jinja::Limits;
using swift::jinja::render;

// Renders and returns the error message; fails the test if it rendered or took too long.
std::string must_fail(const std::string& tpl, const Limits& lim = Limits()) {
  auto t0 = std::chrono::steady_clock::now();
  std::string msg;
  try {
    render(tpl, json::object(), lim);
    ADD_FAILURE() << "rendered without error: " << tpl.substr(0, 120);
  } catch (const swift::Error& e) {
    msg = e.what();
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(s, lim.max_seconds * 6 + 2) << tpl.substr(0, 120);  // generous: sanitizer builds
  return msg;
}

TEST(JinjaHostile, SelfRecursiveMacro) {
  auto m = must_fail("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}");
  EXPECT_NE(m.find("nested deeper"), std::string::npos) << m;
}

TEST(JinjaHostile, ExponentialMacroFanOut) {
  must_fail(
      "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}");
}

TEST(JinjaHostile, HundredThousandNestedParentheses) {
  std::string t = "{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}";
  auto m = must_fail(t);
  EXPECT_NE(m.find("nested deeper"), std::string::npos) << m;
}

TEST(JinjaHostile, LongFlatChainsAreBounded) {
  std::string plus = "{{ 1";
  for (int i = 0; i < 100000; ++i) plus += "+1";
  must_fail(plus + " }}");
  std::string attrs = "{{ x";
  for (int i = 0; i < 100000; ++i) attrs += ".a";
  must_fail(attrs + " }}");
  std::string nested = std::string(50000, '[') + std::string(50000, ']');
  must_fail("{{ " + nested + " }}");
  std::string blocks;
  for (int i = 0; i < 5000; ++i) blocks += "{% if true %}";
  must_fail(blocks);
}

TEST(JinjaHostile, HugeRange) {
  auto m = must_fail("{% for i in range(10**9) %}{% endfor %}");
  EXPECT_NE(m.find("range"), std::string::npos) << m;
  must_fail("{{ range(100001)|length }}");
  EXPECT_EQ(render("{{ range(100000)|length }}", json::object()), "100000");
}

TEST(JinjaHostile, StringTimesTenToTheTen) {
  must_fail("{{ 'a' * 10**10 }}");
  must_fail("{{ ['a'] * 10**10 }}");
  must_fail(
      "{% set s = 'x' * 1000000 %}{{ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s "
      "~ s }}");
}

TEST(JinjaHostile, NestedLoopsExplodingOutput) {
  auto m = must_fail(
      "{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endfor %}{% endfor %}");
  EXPECT_TRUE(m.find("byte limit") != std::string::npos || m.find("exceeded") != std::string::npos)
      << m;
  Limits small;
  small.max_output_bytes = 1000;
  must_fail("{% for i in range(2000) %}x{% endfor %}", small);
}

TEST(JinjaHostile, NeverTerminatingLoops) {
  // No while loops in Jinja: the closest are huge silent nested loops; time/iteration caps end
  // them.
  auto m = must_fail(
      "{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}"
      "{% endfor %}{% endfor %}{% endfor %}");
  EXPECT_TRUE(m.find("exceeded") != std::string::npos) << m;
  Limits quick;
  quick.max_seconds = 0.05;
  quick.max_iterations = 1LL << 40;
  must_fail("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
            quick);
}

TEST(JinjaHostile, RaiseException) {
  try {
    render("{{ raise_exception('nope') }}", json::object());
    FAIL();
  } catch (const swift::jinja::TemplateRaised& e) {
    EXPECT_STREQ(e.what(), "nope");
  }
}

TEST(JinjaHostile, CyclicNamespaceIsNotACrash) {
  must_fail("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}");
  EXPECT_EQ(render("{% set ns = namespace() %}{% set ns.me = ns %}ok", json::object()), "ok");
}

TEST(JinjaHostile, AttributeEscapesAreUndefined) {
  for (const char* t :
       {"{{ cycler.__init__.__globals__ }}", "{{ ''.__class__.__base__ }}", "{{ self.__dict__ }}",
        "{{ lipsum.__globals__.os }}", "{{ namespace.__class__ }}"}) {
    try {
      EXPECT_EQ(render(t, json::object()), "") << t;
    } catch (const swift::Error&) {
    }
  }
}

TEST(JinjaHostile, DeepJsonData) {
  json deep = 1;
  for (int i = 0; i < 1000; ++i) deep = json::array({deep});
  EXPECT_THROW(render("{{ x|tojson }}", json{{"x", deep}}), swift::Error);
  EXPECT_THROW(render("{{ x }}", json{{"x", deep}}), swift::Error);
}

TEST(JinjaHostile, IntegerOverflowIsAnError) {
  must_fail("{{ 9223372036854775807 + 1 }}");
  must_fail("{{ 2 ** 64 }}");
  must_fail("{{ 99999999999999999999 }}");
  must_fail("{{ 1 // 0 }}");
  must_fail("{{ 1 % 0 }}");
}

}  // namespace

namespace {

// Random token soup (deterministic seed): every input must either render or raise swift::Error —
// no crash, hang or sanitizer report. A cheap stand-in for the libFuzzer target of check 20.
TEST(JinjaHostile, RandomTokenSoupNeverCrashes) {
  const char* pieces[] = {
      "{{",       "}}",         "{%",      "%}",        "{#",     "#}",       "{%-",     "-%}",
      " if ",     " else ",     " endif ", " for ",     " in ",   " endfor ", " set ",   " = ",
      " macro ",  " endmacro ", "(",       ")",         "[",      "]",        "{",       "}",
      ",",        ":",          ".",       "|",         "~",      "+",        "-",       "*",
      "**",       "//",         "%",       " is ",      " not ",  " and ",    " or ",    "x",
      "messages", "loop",       "range",   "'s'",       "\"t\"",  "1",        "0",       "-1",
      "1.5",      " none ",     " true ",  "namespace", "ns.a",   "tojson",   "join",    "items()",
      "raw",      "endraw",     "\n",      " ",         "caller", "call",     "endcall", "length"};
  const std::size_t n = sizeof(pieces) / sizeof(pieces[0]);
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  Limits lim;
  lim.max_seconds = 0.2;
  json ctx = {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}, {"x", 3}};
  int rendered = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string t;
    int len = 1 + static_cast<int>(next() % 40);
    for (int k = 0; k < len; ++k) t += pieces[next() % n];
    try {
      render(t, ctx, lim);
      ++rendered;
    } catch (const swift::Error&) {
    }
  }
  EXPECT_GT(rendered, 0);
}

}  // namespace
