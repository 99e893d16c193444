// ms-swift's native template encoding: messages -> context segments (prefix/system, prompts,
// responses, separators, suffix) -> per-segment loss weights (loss_scale default / last_round /
// all, + modifiers, per-message loss / loss_scale) -> input_ids and labels (-100 where untrained,
// labels[0] = -100), dynamic EOS on history turns, truncation, and the inference prompt with its
// response prefix.
//
//   SwiftTemplate t(get_template_meta("qwen3"), tokenizer);
//   Encoded e = t.encode(messages, opts);          // opts.mode = kTrain
//   std::string prompt = t.render(messages, opts); // opts.mode = kInfer: text to generate from
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "template/template_meta.h"
#include "tokenizer/tokenizer.h"

namespace swift::tmpl {

enum class Mode { kTrain, kInfer };
enum class ContextType { kOther, kResponse, kSuffix };

struct EncodeOptions {
  Mode mode = Mode::kTrain;
  // Base strategy default | last_round | all, optionally chained with "+ignore_empty_think".
  std::string loss_scale = "default";
  std::optional<std::string> system;  // --system: used when the row has no system message
  std::optional<bool> enable_thinking;
  std::optional<std::string> response_prefix;
  bool add_non_thinking_prefix = true;
  bool preserve_thinking = false;
  std::int64_t max_length = 0;                 // 0: no limit
  std::string truncation_strategy = "delete";  // delete | left | right
  // The row's tool schemas (a list, or a JSON string of one; null: none) and the agent template
  // that writes tools, tool calls and tool results (unset: the template's own, e.g. hermes).
  nlohmann::ordered_json tools;
  std::optional<std::string> agent_template;
  // Unset: binary unless a --loss_scale modifier gives other weights (hermes, react, qwen);
  // binary encodings carry the mask in labels only (Encoded::loss_scale stays empty).
  std::optional<bool> is_binary_loss_scale;
};

// One piece of the rendered sequence: text (or token ids for BOS/EOS given as ids) + weight.
struct Segment {
  std::string text;
  std::vector<std::int32_t> ids;
  bool is_ids = false;
  ContextType type = ContextType::kOther;
  float weight = 0.f;
  std::size_t round = 0;           // the query/response round it belongs to
  std::optional<bool> loss;        // the message's own "loss" (assistant answers)
  std::optional<float> msg_scale;  // the message's own "loss_scale"
};

struct Encoded {
  std::vector<std::int32_t> input_ids;
  std::vector<std::int32_t> labels;  // empty in inference mode
  std::vector<float> loss_scale;     // empty when every weight is 0 or 1 (binary)
};

class SwiftTemplate {
 public:
  // `tok` may be null for text-only use (render/segments); encode() needs it.
  SwiftTemplate(TemplateMeta meta,
                std::shared_ptr<const tok::Tokenizer> tok,
                tok::TokenizerConfig cfg = {});

  const TemplateMeta& meta() const { return meta_; }

  // messages: [{role: system|user|assistant|tool|tool_call|tool_response, content}, ...];
  // assistant messages may carry OpenAI `tool_calls`.
  std::vector<Segment> segments(const nlohmann::ordered_json& messages,
                                const EncodeOptions& opts) const;
  std::string render(const nlohmann::ordered_json& messages, const EncodeOptions& opts) const;
  Encoded encode(const nlohmann::ordered_json& messages, const EncodeOptions& opts) const;

  // What generation stops at: the suffix, the template's stop words and the EOS token.
  std::vector<std::string> stop_words() const;

 private:
  std::string expand(const std::string& s,
                     const std::string& system,
                     const std::string& query,
                     bool* has_bos_marker = nullptr) const;
  std::vector<std::int32_t> tokenize(const std::string& s) const;
  std::vector<std::int32_t> suffix_ids() const;

  TemplateMeta meta_;
  std::shared_ptr<const tok::Tokenizer> tok_;
  tok::TokenizerConfig cfg_;
};

// --loss_scale as ms-swift's TemplateArguments resolves it: hybrid thinking templates (qwen3)
// get "+ignore_empty_think" appended unless --disable_ignore_empty_think.
std::string resolve_loss_scale(const TemplateMeta& meta,
                               const std::string& loss_scale,
                               bool disable_ignore_empty_think = false);

// Thrown by encode() with truncation_strategy "delete" when the row is too long.
class MaxLengthError : public swift::Error {
 public:
  using swift::Error::Error;
};

}  // namespace swift::tmpl
