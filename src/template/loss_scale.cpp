// Loss-scale modifiers as ms-swift's swift/loss_scale/config/*.json define them. Two kinds:
// regex patterns with one weight (the matching piece gets it, the rest 1.0), and literal
// delimiters with two weights (the delimiter, then the text up to the next delimiter).
#include "template/loss_scale.h"

#include <regex>

#include "core/error.h"

namespace swift::tmpl {
namespace {

struct Rule {
  std::string pattern;  // ECMAScript regex (regex kind) or literal text (delimiter kind)
  float w1 = 1.f, w2 = 1.f;
};
struct Modifier {
  const char* name;
  bool delimiters;  // two weights per rule
  std::vector<Rule> rules;
  std::regex combined;           // every rule, each as a group, in order
  std::vector<std::regex> each;  // regex kind: each rule alone
};

std::string escape(const std::string& s);

std::vector<Modifier> build() {
  std::vector<Modifier> m = {
      {"ignore_empty_think",
       false,
       {{R"(^<think>\s*</think>\s*)", 0.f},
        {R"(^<seed:think><seed:cot_budget_reflect>The current thinking budget is 0, so I will )"
         R"(directly start answering the question[\s\S]</seed:cot_budget_reflect>\n</seed:think>\s*)",
         0.f},
        {R"(^</think>\s*)", 0.f},
        {R"(^<\|channel>thought\n<channel\|>)", 0.f},
        {R"(^</mm:think>\s*)", 0.f}}},
      {"ignore_think_prefix", false, {{R"(^<think>\n?)", 0.f}}},
      {"hermes", false, {{R"(<tool_call>[\s\S]+?</tool_call>)", 2.f}}},
      {"react",
       true,
       {{"Action:", 2.f, 2.f},
        {"Action Input:", 2.f, 2.f},
        {"Thought:", 1.f, 1.f},
        {"Final Answer:", 1.f, 1.f},
        {"Observation:", 2.f, 0.f}}},
      {"qwen",
       true,
       {{"✿FUNCTION✿:", 2.f, 2.f},
        {"✿ARGS✿:", 2.f, 2.f},
        {"✿RETURN✿:", 1.f, 1.f},
        {"✿RESULT✿:", 2.f, 0.f}}},
  };
  for (auto& x : m) {
    std::string combined;
    for (const auto& r : x.rules) {
      const std::string p = x.delimiters ? escape(r.pattern) : r.pattern;
      combined += (combined.empty() ? "(" : "|(") + p + ")";
      if (!x.delimiters) x.each.emplace_back(p);
    }
    x.combined = std::regex(combined);
  }
  return m;
}

const std::vector<Modifier>& modifiers() {
  static const std::vector<Modifier> m = build();
  return m;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

// Text and matches of `re` in order, as re.split with a capturing group gives them (matches
// flagged true); empty pieces dropped.
std::vector<std::pair<std::string, bool>> split(const std::string& text, const std::regex& re) {
  std::vector<std::pair<std::string, bool>> parts;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    const auto pos = static_cast<std::size_t>(it->position(0));
    const auto len = static_cast<std::size_t>(it->length(0));
    if (len == 0) continue;
    if (pos > last) parts.emplace_back(text.substr(last, pos - last), false);
    parts.emplace_back(text.substr(pos, len), true);
    last = pos + len;
  }
  if (last < text.size()) parts.emplace_back(text.substr(last), false);
  return parts;
}

std::vector<std::pair<std::string, float>> apply_one(const Modifier& m, const std::string& text) {
  std::vector<std::pair<std::string, float>> out;
  const auto parts = split(text, m.combined);
  if (m.delimiters) {
    // (delimiter, text up to the next one) pairs; text before the first delimiter weighs 1.
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (!parts[i].second) {
        out.emplace_back(parts[i].first, 1.f);
        continue;
      }
      const Rule* rule = nullptr;
      for (const auto& r : m.rules)
        if (r.pattern == parts[i].first) rule = &r;
      out.emplace_back(parts[i].first, rule->w1);
      std::string content;
      if (i + 1 < parts.size() && !parts[i + 1].second) content = parts[++i].first;
      out.emplace_back(content, rule->w2);
    }
    return out;
  }
  // Regex kind: each piece takes the weight of the first rule matching at its start.
  for (const auto& [piece, matched] : parts) {
    (void)matched;
    float w = 1.f;
    for (std::size_t k = 0; k < m.rules.size(); ++k) {
      if (std::regex_search(piece, m.each[k], std::regex_constants::match_continuous)) {
        w = m.rules[k].w1;
        break;
      }
    }
    out.emplace_back(piece, w);
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
