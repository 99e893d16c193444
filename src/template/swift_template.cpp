// ms-swift's Template._native_encode re-done: message normalisation (system extraction, merging
// consecutive same-role turns, thinking prefixes and history-thinking removal), the context
// list, loss weights per segment, tokenisation of merged segments, dynamic EOS, truncation.
#include "template/swift_template.h"
#include "core/strings.h"

#include <ctime>

#include "template/agent_template.h"
#include "template/loss_scale.h"

namespace swift::tmpl {
namespace {

// Merged assistant messages keep their own loss / loss_scale per piece.
struct Chunk {
  std::string text;
  std::optional<bool> loss;
  std::optional<float> scale;
};

struct Msg {
  std::string role;
  std::optional<std::string> content;
  std::vector<std::string> parts;  // a tool turn: its text pieces (tool results written out)
  nlohmann::ordered_json call;     // a tool_call message: its content
  std::optional<bool> loss;        // per-message controls (assistant turns)
  std::optional<float> scale;
  std::vector<Chunk> chunks;  // non-empty: merged answers with their own controls
};

// The text ms-swift edits for thinking prefixes and removal: the first merged piece.
std::string& first_text(Msg& m) {
  return m.chunks.empty() ? *m.content : m.chunks[0].text;
}
void sync(Msg& m) {
  if (m.chunks.empty()) return;
  std::string all;
  for (const auto& c : m.chunks) all += c.text;
  m.content = all;
}

void read_controls(const nlohmann::ordered_json& m, std::size_t i, Msg& x) {
  if (m.contains("loss") && !m["loss"].is_null()) {
    SWIFT_CHECK(m["loss"].is_boolean(), "[template] message {}: 'loss' must be true or false", i);
    x.loss = m["loss"].get<bool>();
  }
  if (m.contains("loss_scale") && !m["loss_scale"].is_null()) {
    SWIFT_CHECK(m["loss_scale"].is_number() && m["loss_scale"].get<double>() >= 0,
                "[template] message {}: 'loss_scale' must be a number >= 0", i);
    x.scale = m["loss_scale"].get<float>();
  }
}

bool starts_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}

bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

std::string py_strip(const std::string& s) {
  auto ws = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  std::size_t b = 0, e = s.size();
  while (b < e && ws(s[b])) ++b;
  while (e > b && ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

std::string content_text(const nlohmann::ordered_json& c) {
  if (c.is_string()) return c.get<std::string>();
  if (c.is_array()) {
    std::string out;
    for (const auto& part : c) {
      SWIFT_CHECK(part.is_object() && part.value("type", "text") == "text" && part.contains("text"),
                  "[template] only text content parts are supported by native templates");
      out += part["text"].get<std::string>();
    }
    return out;
  }
  SWIFT_FAIL("[template] message content must be a string or a list of text parts");
}

// ms-swift's get_last_user_round: the last user or tool turn.
int last_user_index(const std::vector<Msg>& msgs) {
  for (int i = static_cast<int>(msgs.size()) - 1; i >= 0; --i)
    if (msgs[i].role == "user" || msgs[i].role == "tool") return i;
  return -1;
}

}  // namespace

SwiftTemplate::SwiftTemplate(TemplateMeta meta,
                             std::shared_ptr<const tok::Tokenizer> tok,
                             tok::TokenizerConfig cfg)
    : meta_(std::move(meta)), tok_(std::move(tok)), cfg_(std::move(cfg)) {
  if (tok_ && cfg_.bos_token.empty() && cfg_.eos_token.empty()) cfg_ = tok_->config();
}

std::string SwiftTemplate::expand(const std::string& s,
                                  const std::string& system,
                                  const std::string& query,
                                  bool* has_bos) const {
  std::string out = s;
  if (has_bos) *has_bos = out.find("{{BOS}}") != std::string::npos;
  replace_all(out, "{{BOS}}", cfg_.bos_token);
  replace_all(out, "{{EOS}}", cfg_.eos_token);
  if (out.find("{{DATE}}") != std::string::npos) {
    char buf[32];
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    std::strftime(buf, sizeof(buf), "%d %b %Y", &tm);
    replace_all(out, "{{DATE}}", buf);
  }
  // SYSTEM before QUERY: a query may itself contain the text "{{SYSTEM}}".
  replace_all(out, "{{SYSTEM}}", system);
  replace_all(out, "{{QUERY}}", query);
  return out;
}

std::vector<std::int32_t> SwiftTemplate::tokenize(const std::string& s) const {
  SWIFT_CHECK(tok_ != nullptr, "[template] encoding needs a tokenizer");
  return tok_->encode(s, false);
}

std::vector<std::int32_t> SwiftTemplate::suffix_ids() const {
  std::string s;
  for (const auto& x : meta_.suffix) s += expand(x, "", "");
  return tokenize(s);
}

std::vector<std::string> SwiftTemplate::stop_words() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& w) {
    if (w.empty()) return;
    for (const auto& x : out)
      if (x == w) return;
    out.push_back(w);
  };
  add(cfg_.eos_token);
  std::string suffix;
  for (const auto& x : meta_.suffix) suffix += expand(x, "", "");
  add(py_strip(suffix));  // "<|im_end|>\n" stops at "<|im_end|>"
  for (const auto& w : meta_.stop_words) add(w);
  return out;
}

std::vector<Segment> SwiftTemplate::segments(const nlohmann::ordered_json& messages,
                                             const EncodeOptions& opts) const {
  SWIFT_CHECK(messages.is_array(), "[template] messages must be a JSON array");
  const bool train = opts.mode == Mode::kTrain;
  const LossScaleSpec spec = parse_loss_scale(opts.loss_scale);
  const std::string& base = spec.base;

  // ---- normalise messages --------------------------------------------------------------
  // (1) roles, contents, OpenAI tool_calls -> tool_call messages; (2) consecutive tool calls ->
  // one assistant turn; (3) tool results right after a user turn join that query; (4) tool
  // results after an assistant turn become a tool query turn; consecutive user/assistant turns
  // merge. The order is ms-swift's (_preprocess_tool_call, standalone tools, prepare_inputs).
  std::unique_ptr<AgentTemplate> agent_holder;
  auto agent = [&]() -> const AgentTemplate& {
    if (!agent_holder) {
      std::string name = opts.agent_template.value_or(meta_.agent_template);
      SWIFT_CHECK(!name.empty(),
                  "[template] template '{}' has no default agent template for tools and tool "
                  "calls; pass --agent_template (hermes, react_en, llama3 or glm4)",
                  meta_.name);
      agent_holder = make_agent_template(name);
    }
    return *agent_holder;
  };
  std::vector<Msg> raw;
  std::optional<std::string> system;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    SWIFT_CHECK(m.is_object() && m.contains("role") && m["role"].is_string(),
                "[template] message {} has no role", i);
    std::string role = m["role"].get<std::string>();
    if (role == "tool_response") role = "tool";
    const bool has_content = m.contains("content") && !m["content"].is_null();
    if (role == "tool_call") {
      SWIFT_CHECK(has_content, "[template] tool_call message {} has no content", i);
      raw.push_back({role, std::nullopt, {}, m["content"]});
      read_controls(m, i, raw.back());
      continue;
    }
    std::optional<std::string> content;
    if (role == "tool" && has_content && !m["content"].is_string())
      content = python_json(m["content"]);  // ms-swift json.dumps a non-string tool result
    else if (has_content)
      content = content_text(m["content"]);
    if (role == "system") {
      SWIFT_CHECK(i == 0, "[template] a system message is only allowed first (message {})", i);
      system = content.value_or("");
      continue;
    }
    SWIFT_CHECK(role == "user" || role == "assistant" || role == "tool",
                "[template] unsupported role '{}' in message {}", role, i);
    if (role == "assistant" && m.contains("tool_calls") && !m["tool_calls"].is_null()) {
      const auto& calls = m["tool_calls"];
      SWIFT_CHECK(calls.is_array(), "[template] message {}: tool_calls must be a list", i);
      Msg controls;
      read_controls(m, i, controls);
      if (content && !content->empty()) {
        raw.push_back({role, content, {}, {}});
        raw.back().loss = controls.loss;
        raw.back().scale = controls.scale;
      }
      for (const auto& c : calls) {
        const auto& fn = c.is_object() && c.contains("function") ? c["function"] : c;
        SWIFT_CHECK(fn.is_object() && fn.contains("name"),
                    "[template] message {}: each tool call needs a function name", i);
        nlohmann::ordered_json args = fn.value("arguments", nlohmann::ordered_json::object());
        if (args.is_string() && str::json_nesting_ok(args.get_ref<const std::string&>())) {
          try {
            args = nlohmann::ordered_json::parse(args.get<std::string>());
          } catch (const nlohmann::json::exception&) {  // kept as text, as ms-swift does
          }
        }
        raw.push_back({"tool_call", std::nullopt, {}, {{"name", fn["name"]}, {"arguments", args}}});
        raw.back().loss = controls.loss;
        raw.back().scale = controls.scale;
      }
      if (!calls.empty()) continue;
    }
    raw.push_back({role, content, {}, {}});
    if (role == "assistant") read_controls(m, i, raw.back());
  }
  // (2) tool calls -> assistant text
  std::vector<Msg> step;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i].role != "tool_call") {
      step.push_back(std::move(raw[i]));
      continue;
    }
    std::vector<nlohmann::ordered_json> calls;
    Msg merged{"assistant", std::nullopt, {}, {}};
    for (; i < raw.size() && raw[i].role == "tool_call"; ++i) {
      calls.push_back(parse_tool_call(raw[i].call));
      if (!merged.loss) merged.loss = raw[i].loss;  // the first call's controls, as ms-swift
      if (!merged.scale) merged.scale = raw[i].scale;
    }
    --i;
    merged.content = agent().format_tool_calls(calls);
    step.push_back(std::move(merged));
  }
  // (3) standalone tool results
  raw.clear();
  for (std::size_t i = 0; i < step.size(); ++i) {
    const bool standalone =
        step[i].role == "tool" &&
        (raw.empty() || (raw.back().role != "assistant" && raw.back().role != "tool"));
    if (!standalone) {
      raw.push_back(std::move(step[i]));
      continue;
    }
    SWIFT_CHECK(!raw.empty() && raw.back().role == "user" && raw.back().content,
                "[template] a tool result must follow an assistant tool call or a user message "
                "(message {})",
                i);
    std::vector<std::string> results;
    for (; i < step.size() && step[i].role == "tool"; ++i)
      results.push_back(step[i].content.value_or(""));
    --i;
    *raw.back().content += agent().format_standalone_tool_responses(results, meta_);
  }
  // (4) tool turns after assistant turns; merging
  std::vector<Msg> msgs;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    Msg& r = raw[i];
    if (r.role == "tool") {
      std::vector<std::string> results;
      for (; i < raw.size() && raw[i].role == "tool"; ++i)
        results.push_back(raw[i].content.value_or(""));
      --i;
      // Merged answers are a list in ms-swift, which its ReAct "Action:" check does not find.
      Msg& a = msgs.back();
      std::string assistant = a.chunks.empty() ? a.content.value_or("") : "";
      Msg t{"tool", std::nullopt, agent().format_tool_responses(assistant, results, meta_), {}};
      if (a.chunks.empty()) a.content = assistant;
      msgs.push_back(std::move(t));
      continue;
    }
    if (!msgs.empty() && msgs.back().role == r.role && r.content && msgs.back().content) {
      // Consecutive same-role turns merge, as in ms-swift; answers keep their own controls.
      Msg& b = msgs.back();
      if (r.role == "assistant" && (b.loss || b.scale || !b.chunks.empty() || r.loss || r.scale)) {
        if (b.chunks.empty()) b.chunks.push_back({*b.content, b.loss, b.scale});
        b.chunks.push_back({*r.content, r.loss, r.scale});
      }
      *b.content += *r.content;
      continue;
    }
    msgs.push_back(std::move(r));
  }
  if (!train && (msgs.empty() || msgs.back().role != "assistant"))
    msgs.push_back({"assistant", std::nullopt});
  SWIFT_CHECK(!msgs.empty() && msgs.size() % 2 == 0,
              "[template] messages must alternate user/assistant and end with an assistant turn "
              "for training");
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    bool query_turn = i % 2 == 0;
    SWIFT_CHECK(query_turn ? (msgs[i].role == "user" || msgs[i].role == "tool")
                           : msgs[i].role == "assistant",
                "[template] message {} has role '{}' where a {} turn is expected", i, msgs[i].role,
                query_turn ? "user" : "assistant");
    SWIFT_CHECK(query_turn || msgs[i].content || i + 1 == msgs.size(),
                "[template] assistant message {} has no content", i);
  }
  if (train) SWIFT_CHECK(msgs.back().content, "[template] the last assistant turn has no content");

  if (meta_.strip_answer_newlines) {  // ms-swift's Gemma3Template
    for (auto& m : msgs) {
      if (m.role != "assistant" || !m.content || !m.chunks.empty()) continue;
      std::string& c = *m.content;
      std::size_t b = c.find_first_not_of('\n');
      c = b == std::string::npos ? "" : c.substr(b, c.find_last_not_of('\n') - b + 1);
    }
  }

  // ---- thinking -------------------------------------------------------------------------
  const bool hybrid = !meta_.non_thinking_prefix.empty();
  bool enable_thinking = opts.enable_thinking.value_or(meta_.is_thinking && !hybrid);
  std::string response_prefix;
  if (opts.response_prefix)
    response_prefix = *opts.response_prefix;
  else if (!meta_.response_prefix.empty())
    response_prefix = meta_.response_prefix;
  else
    response_prefix = enable_thinking ? meta_.thinking_prefix : meta_.non_thinking_prefix;
  const int last_user = last_user_index(msgs);
  if (hybrid && opts.add_non_thinking_prefix) {
    int start = (!train || base == "last_round") ? last_user : -1;
    for (int i = std::max(start, 0); i < static_cast<int>(msgs.size()); ++i) {
      auto& m = msgs[i];
      if (m.role == "assistant" && m.content && !starts_with(first_text(m), "<think>") &&
          !starts_with(first_text(m), meta_.non_thinking_prefix)) {
        first_text(m) = meta_.non_thinking_prefix + first_text(m);
        sync(m);
      }
    }
  }
  if ((meta_.is_thinking || enable_thinking) && !opts.preserve_thinking &&
      (!train || base == "last_round")) {
    for (int i = 0; i < last_user; ++i) {
      auto& m = msgs[i];
      if (m.role != "assistant" || !m.content) continue;
      std::string c = first_text(m);
      std::size_t p = c.rfind("</think>");
      if (p != std::string::npos) c = c.substr(p + 8);
      first_text(m) = meta_.history_thinking_prefix + py_strip(c);
      sync(m);
    }
  }

  // ---- system ---------------------------------------------------------------------------
  if (!system) system = opts.system ? opts.system : meta_.default_system;
  const std::vector<nlohmann::ordered_json> tools = parse_tools(opts.tools);
  if (!tools.empty()) {
    std::string* first_user =
        msgs[0].role == "user" && msgs[0].content ? &*msgs[0].content : nullptr;
    system = agent().format_tools(tools, system, first_user);
  }
  std::string sys = system.value_or("");
  const bool post_system = !meta_.system_prompt.empty();
  SWIFT_CHECK(
      sys.empty() || !meta_.system_prefix.empty() || post_system || meta_.system_in_first_query,
      "[template] template '{}' does not support a system prompt", meta_.name);
  if (meta_.system_in_first_query && !sys.empty() && msgs[0].content) {
    msgs[0].content = sys + "\n\n" + *msgs[0].content;
    sys.clear();
  }

  // ---- context list ---------------------------------------------------------------------
  std::vector<Segment> segs;
  std::size_t cur_round = 0;
  auto push_text = [&](std::string text, ContextType type) {
    if (text.empty()) return;
    Segment s;
    s.text = std::move(text);
    s.type = type;
    s.round = cur_round;
    segs.push_back(std::move(s));
  };
  auto push_response = [&](const Msg& r) {
    std::vector<Chunk> pieces = r.chunks;
    if (pieces.empty()) pieces.push_back({*r.content, r.loss, r.scale});
    for (auto& c : pieces) {
      if (c.text.empty()) continue;
      push_text(std::move(c.text), ContextType::kResponse);
      segs.back().loss = c.loss;
      segs.back().msg_scale = c.scale;
    }
  };
  std::vector<std::int32_t> sep_ids;
  if (meta_.auto_add_bos) {
    if (tok_) {
      auto all = tok_->encode("a", true);
      auto single = tok_->encode("a", false);
      SWIFT_CHECK(single.size() == 1, "[template] cannot locate BOS: 'a' is not one token");
      std::size_t idx = 0;
      while (idx < all.size() && all[idx] != single[0]) ++idx;
      SWIFT_CHECK(idx < all.size(), "[template] cannot locate BOS in the tokenizer's output");
      if (idx > 0) {
        Segment s;
        s.ids.assign(all.begin(), all.begin() + idx);
        s.is_ids = true;
        s.text = tok_->decode(s.ids, false);
        segs.push_back(std::move(s));
      }
      sep_ids.assign(all.begin() + idx + 1, all.end());
    } else if (cfg_.add_bos_token.value_or(false)) {
      push_text(cfg_.bos_token, ContextType::kOther);
    }
  }
  const auto& prefix = (post_system || sys.empty()) ? meta_.prefix : meta_.system_prefix;
  for (const auto& p : prefix) push_text(expand(p, sys, ""), ContextType::kOther);

  std::size_t n_round = msgs.size() / 2;
  if (n_round > 1 && !meta_.support_multi_round) {
    msgs.erase(msgs.begin(), msgs.end() - 2);
    n_round = 1;
  }
  for (std::size_t i = 0; i < n_round; ++i) {
    cur_round = i;
    const Msg& q = msgs[2 * i];
    const Msg& r = msgs[2 * i + 1];
    std::vector<std::string> prompt;
    std::string query = q.content.value_or("");
    if (q.role == "tool") {
      prompt = q.parts;
      query.clear();
    } else if (post_system && i + 1 == n_round && !sys.empty()) {
      // (Without a system ms-swift leaves "{{SYSTEM}}" in the text; we use the plain prompt.)
      prompt = meta_.system_prompt;
    } else {
      prompt = meta_.prompt;
    }
    for (const auto& p : prompt) push_text(expand(p, sys, query), ContextType::kOther);
    if (i + 1 < n_round) {
      push_response(r);
      if (msgs[2 * (i + 1)].role != "tool")
        for (const auto& s : meta_.chat_sep) push_text(expand(s, sys, ""), ContextType::kOther);
    } else if (r.content) {
      push_response(r);
      bool stop_end = false;
      for (const auto& w : meta_.stop_words) stop_end = stop_end || ends_with(*r.content, w);
      if (train && sep_ids.empty() && !stop_end)
        for (const auto& s : meta_.suffix) push_text(expand(s, sys, ""), ContextType::kSuffix);
    } else if (!response_prefix.empty()) {
      push_text(response_prefix, ContextType::kOther);
    }
  }
  if (!sep_ids.empty()) {
    Segment s;
    s.ids = sep_ids;
    s.is_ids = true;
    s.type = ContextType::kSuffix;
    segs.push_back(std::move(s));
  }

  // glm4 (ms-swift's GLM4Template): a prompt piece ending "<|assistant|>\n" loses the newline
  // when it ends the text (the generation prompt) or a tool call (<|observation|>) follows.
  if (meta_.strip_prompt_newline) {
    for (std::size_t i = 0; i < segs.size(); ++i) {
      Segment& s = segs[i];
      if (s.is_ids || s.type != ContextType::kOther ||
          !(ends_with(s.text, "<|assistant|>\n") || ends_with(s.text, "<think></think>\n")))
        continue;
      if (i + 1 == segs.size() || segs[i + 1].text.find("<|observation|>") != std::string::npos)
        s.text.pop_back();
    }
  }

  // ---- loss weights (ms-swift LossScale.__call__) -----------------------------------------
  // A message's "loss" decides alone; otherwise the base strategy: all -> everything,
  // default -> answers and the suffix, last_round -> those of the last round. A trained piece
  // weighs its message's "loss_scale" if given, else what the modifiers give it.
  std::vector<Segment> out;
  for (auto& s : segs) {
    const bool assistant = s.type == ContextType::kResponse || s.type == ContextType::kSuffix;
    const bool last = s.type != ContextType::kResponse || s.round + 1 == n_round;
    const bool train = s.loss ? *s.loss
                              : base == "all" || (base == "default" && assistant) ||
                                    (base == "last_round" && assistant && last);
    if (!train || s.msg_scale || s.is_ids || spec.modifiers.empty()) {
      s.weight = !train ? 0.f : s.msg_scale ? *s.msg_scale : 1.f;
      out.push_back(std::move(s));
      continue;
    }
    for (auto& [text, w] : apply_loss_scale(spec, s.text)) {
      if (text.empty()) continue;
      Segment p = s;
      p.text = std::move(text);
      p.weight = w;
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::string resolve_loss_scale(const TemplateMeta& meta,
                               const std::string& loss_scale,
                               bool disable_ignore_empty_think) {
  if (disable_ignore_empty_think || !meta.is_thinking || meta.non_thinking_prefix.empty() ||
      loss_scale.empty() || loss_scale.find("ignore_empty_think") != std::string::npos)
    return loss_scale;
  return loss_scale + "+ignore_empty_think";
}

std::string SwiftTemplate::render(const nlohmann::ordered_json& messages,
                                  const EncodeOptions& opts) const {
  std::string text;
  for (const auto& s : segments(messages, opts)) text += s.text;
  return text;
}

Encoded SwiftTemplate::encode(const nlohmann::ordered_json& messages,
                              const EncodeOptions& opts) const {
  SWIFT_CHECK(tok_ != nullptr, "[template] encode() needs a tokenizer");
  std::vector<Segment> segs = segments(messages, opts);
  // Adjacent text pieces with the same weight are tokenised together, like ms-swift's
  // _simplify_context_list, so token boundaries match its encoding.
  std::vector<Segment> merged;
  for (auto& s : segs) {
    if (!merged.empty() && !s.is_ids && !merged.back().is_ids && merged.back().weight == s.weight) {
      merged.back().text += s.text;
    } else {
      merged.push_back(std::move(s));
    }
  }
  Encoded e;
  std::vector<float> scale;
  const bool binary = opts.is_binary_loss_scale.value_or(parse_loss_scale(opts.loss_scale).binary);
  for (const auto& s : merged) {
    std::vector<std::int32_t> ids = s.is_ids ? s.ids : tokenize(s.text);
    e.input_ids.insert(e.input_ids.end(), ids.begin(), ids.end());
    for (auto id : ids) {
      e.labels.push_back(s.weight > 0 ? id : -100);
      scale.push_back(s.weight);
    }
  }
  // Dynamic EOS: an untrained span that sits between trained spans and starts with the suffix
  // tokens (a history turn's end token) gets those tokens trained.
  const auto suffix = suffix_ids();
  const std::size_t slen = suffix.size();
  std::size_t start = 0;
  for (std::size_t i = 1; i < e.labels.size() && slen > 0; ++i) {
    if (e.labels[i - 1] >= 0 && e.labels[i] == -100) start = i;
    if (start > 0 && e.labels[i - 1] == -100 && e.labels[i] >= 0) {
      if (i - start >= slen &&
          std::equal(suffix.begin(), suffix.end(), e.input_ids.begin() + start)) {
        for (std::size_t k = 0; k < slen; ++k) {
          e.labels[start + k] = suffix[k];
          if (scale[start + k] == 0.f) scale[start + k] = 1.f;
        }
      }
    }
  }
  if (!e.labels.empty()) {
    e.labels[0] = -100;
    scale[0] = 0.f;
  }
  if (!binary) e.loss_scale = std::move(scale);
  if (opts.mode == Mode::kInfer) {
    e.labels.clear();
    e.loss_scale.clear();
  }
  const auto n = static_cast<std::int64_t>(e.input_ids.size());
  if (opts.max_length > 0 && n > opts.max_length) {
    const auto m = static_cast<std::size_t>(opts.max_length);
    auto cut = [&](auto& v) {
      if (v.empty()) return;
      if (opts.truncation_strategy == "left")
        v.erase(v.begin(), v.end() - static_cast<std::ptrdiff_t>(m));
      else
        v.resize(m);
    };
    if (opts.truncation_strategy == "delete")
      throw MaxLengthError(fmt::format("[template] row has {} tokens, more than max_length {}; "
                                       "it is skipped (truncation_strategy delete)",
                                       n, opts.max_length),
                           __FILE__, __LINE__);
    SWIFT_CHECK(opts.truncation_strategy == "left" || opts.truncation_strategy == "right",
                "[template] unknown truncation_strategy '{}'; use delete, left or right",
                opts.truncation_strategy);
    cut(e.input_ids);
    cut(e.labels);
    cut(e.loss_scale);
  }
  return e;
}

}  // namespace swift::tmpl
