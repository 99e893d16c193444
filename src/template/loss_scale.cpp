// Loss-scale modifiers as ms-swift's swift/loss_scale/config/*.json define them. Two kinds:
// pattern rules with one weight (the matching piece gets it, the rest 1.0), and literal
// delimiters with two weights (the delimiter, then the text up to the next delimiter).
// The patterns are few and fixed, so each is a small hand-written matcher (std::regex recurses
// once per character and overflows the stack on long answers); each stands for the Python
// regex in its comment, with re.DOTALL.
#include "template/loss_scale.h"

#include "core/error.h"

namespace swift::tmpl {
namespace {

using std::string_view;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::size_t skip_spaces(string_view s, std::size_t p) {
  while (p < s.size() && is_space(s[p])) ++p;
  return p;
}

bool has_at(string_view s, std::size_t p, string_view lit) {
  return s.size() >= p && s.size() - p >= lit.size() && s.compare(p, lit.size(), lit) == 0;
}

// Length of the match of a rule starting exactly at `p` (0: none). Rules marked `anchored`
// (Python "^...") only match at the start of the text.
struct Pattern {
  bool anchored;
  std::size_t (*match)(string_view s, std::size_t p);
};

// ^<think>\s*</think>\s*
std::size_t empty_think(string_view s, std::size_t p) {
  if (!has_at(s, p, "<think>")) return 0;
  std::size_t q = skip_spaces(s, p + 7);
  if (!has_at(s, q, "</think>")) return 0;
  return skip_spaces(s, q + 8) - p;
}

// ^<seed:think><seed:cot_budget_reflect>The current thinking budget is 0, so I will directly
// start answering the question.</seed:cot_budget_reflect>\n</seed:think>\s*   ('.' any char)
std::size_t seed_empty_think(string_view s, std::size_t p) {
  static constexpr string_view head =
      "<seed:think><seed:cot_budget_reflect>The current thinking budget is 0, so I will "
      "directly start answering the question";
  static constexpr string_view tail = "</seed:cot_budget_reflect>\n</seed:think>";
  if (!has_at(s, p, head)) return 0;
  std::size_t q = p + head.size();
  if (q >= s.size()) return 0;
  q += 1;  // '.': one character (the text has an ASCII '.' there)
  if (!has_at(s, q, tail)) return 0;
  return skip_spaces(s, q + tail.size()) - p;
}

// ^</think>\s*
std::size_t close_think(string_view s, std::size_t p) {
  return has_at(s, p, "</think>") ? skip_spaces(s, p + 8) - p : 0;
}

// ^<\|channel>thought\n<channel\|>
std::size_t empty_channel(string_view s, std::size_t p) {
  static constexpr string_view lit = "<|channel>thought\n<channel|>";
  return has_at(s, p, lit) ? lit.size() : 0;
}

// ^</mm:think>\s*
std::size_t close_mm_think(string_view s, std::size_t p) {
  return has_at(s, p, "</mm:think>") ? skip_spaces(s, p + 11) - p : 0;
}

// ^<think>\n?
std::size_t think_prefix(string_view s, std::size_t p) {
  if (!has_at(s, p, "<think>")) return 0;
  return has_at(s, p + 7, "\n") ? 8 : 7;
}

// <tool_call>.+?</tool_call>
std::size_t tool_call(string_view s, std::size_t p) {
  if (!has_at(s, p, "<tool_call>")) return 0;
  const std::size_t body = p + 11;
  if (body >= s.size()) return 0;
  const std::size_t close = s.find("</tool_call>", body + 1);  // at least one character
  return close == string_view::npos ? 0 : close + 12 - p;
}

struct Rule {
  Pattern pattern{};    // pattern kind
  string_view literal;  // delimiter kind
  float w1 = 1.f, w2 = 1.f;
};
struct Modifier {
  const char* name;
  bool delimiters;  // literal delimiters with two weights
  std::vector<Rule> rules;
};

const std::vector<Modifier>& modifiers() {
  static const std::vector<Modifier> m = {
      {"ignore_empty_think",
       false,
       {{{true, empty_think}, {}, 0.f},
        {{true, seed_empty_think}, {}, 0.f},
        {{true, close_think}, {}, 0.f},
        {{true, empty_channel}, {}, 0.f},
        {{true, close_mm_think}, {}, 0.f}}},
      {"ignore_think_prefix", false, {{{true, think_prefix}, {}, 0.f}}},
      {"hermes", false, {{{false, tool_call}, {}, 2.f}}},
      {"react",
       true,
       {{{}, "Action:", 2.f, 2.f},
        {{}, "Action Input:", 2.f, 2.f},
        {{}, "Thought:", 1.f, 1.f},
        {{}, "Final Answer:", 1.f, 1.f},
        {{}, "Observation:", 2.f, 0.f}}},
      {"qwen",
       true,
       {{{}, "✿FUNCTION✿:", 2.f, 2.f},
        {{}, "✿ARGS✿:", 2.f, 2.f},
        {{}, "✿RETURN✿:", 1.f, 1.f},
        {{}, "✿RESULT✿:", 2.f, 0.f}}},
  };
  return m;
}

// The first rule (in order) matching at `p`, with its length; {nullptr, 0} when none. This is
// how Python's alternation picks at one position.
std::pair<const Rule*, std::size_t> match_at(const Modifier& m, string_view s, std::size_t p) {
  for (const auto& r : m.rules) {
    if (m.delimiters) {
      if (has_at(s, p, r.literal)) return {&r, r.literal.size()};
    } else if ((!r.pattern.anchored || p == 0)) {
      if (std::size_t n = r.pattern.match(s, p)) return {&r, n};
    }
  }
  return {nullptr, 0};
}

// Text and matches in order, as re.split with a capturing group gives them (matches flagged
// with their rule); empty pieces dropped.
std::vector<std::pair<string_view, const Rule*>> split(const Modifier& m, string_view s) {
  std::vector<std::pair<string_view, const Rule*>> parts;
  std::size_t last = 0;
  for (std::size_t p = 0; p < s.size();) {
    auto [rule, n] = match_at(m, s, p);
    if (rule == nullptr) {
      ++p;
      continue;
    }
    if (p > last) parts.emplace_back(s.substr(last, p - last), nullptr);
    parts.emplace_back(s.substr(p, n), rule);
    p = last = p + n;
  }
  if (last < s.size()) parts.emplace_back(s.substr(last), nullptr);
  return parts;
}

std::vector<std::pair<std::string, float>> apply_one(const Modifier& m, const std::string& text) {
  std::vector<std::pair<std::string, float>> out;
  const auto parts = split(m, text);
  if (m.delimiters) {
    // (delimiter, text up to the next one) pairs; text before the first delimiter weighs 1.
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const Rule* rule = parts[i].second;
      if (rule == nullptr) {
        out.emplace_back(std::string(parts[i].first), 1.f);
        continue;
      }
      out.emplace_back(std::string(parts[i].first), rule->w1);
      std::string content;
      if (i + 1 < parts.size() && parts[i + 1].second == nullptr)
        content = std::string(parts[++i].first);
      out.emplace_back(std::move(content), rule->w2);
    }
    return out;
  }
  // Pattern kind: each piece takes the weight of the first rule matching at its start
  // (re.match on the piece, so "^" rules look at every piece's start here).
  for (const auto& [piece, matched] : parts) {
    (void)matched;
    float w = 1.f;
    for (const auto& r : m.rules) {
      if (!piece.empty() && r.pattern.match(piece, 0) > 0) {
        w = r.w1;
        break;
      }
    }
    out.emplace_back(std::string(piece), w);
  }
  return out;
}

}  // namespace

LossScaleSpec parse_loss_scale(const std::string& loss_scale) {
  LossScaleSpec s;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t p = loss_scale.find('+', start);
    parts.push_back(loss_scale.substr(start, p == std::string::npos ? p : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  std::size_t first = 0;
  if (parts[0] == "default" || parts[0] == "last_round" || parts[0] == "all") {
    s.base = parts[0];
    first = 1;
  }
  for (std::size_t i = first; i < parts.size(); ++i) {
    const Modifier* found = nullptr;
    for (const auto& m : modifiers())
      if (parts[i] == m.name) found = &m;
    SWIFT_CHECK(parts[i] != "agentflan" && parts[i] != "alpha_umi",
                "[template] loss_scale '{}' is not built yet; use hermes, react, qwen, "
                "ignore_empty_think or ignore_think_prefix",
                parts[i]);
    SWIFT_CHECK(found != nullptr,
                "[template] unknown loss_scale '{}' in '{}'; use default, last_round or all, "
                "optionally followed by +hermes, +react, +qwen, +ignore_empty_think or "
                "+ignore_think_prefix",
                parts[i], loss_scale);
    s.modifiers.push_back(parts[i]);
    for (const auto& r : found->rules)
      s.binary = s.binary && (r.w1 == 0.f || r.w1 == 1.f) && (r.w2 == 0.f || r.w2 == 1.f);
  }
  return s;
}

std::vector<std::pair<std::string, float>> apply_loss_scale(const LossScaleSpec& spec,
                                                            const std::string& text) {
  std::vector<std::pair<std::string, float>> pieces = {{text, 1.f}};
  for (const auto& name : spec.modifiers) {
    const Modifier* m = nullptr;
    for (const auto& x : modifiers())
      if (name == x.name) m = &x;
    SWIFT_CHECK(m != nullptr, "[template] unknown loss_scale modifier '{}'", name);
    std::vector<std::pair<std::string, float>> next;
    for (const auto& [t, w] : pieces)
      for (auto& [sub, sw] : apply_one(*m, t)) next.emplace_back(std::move(sub), w * sw);
    pieces = std::move(next);
  }
  return pieces;
}

}  // namespace swift::tmpl
