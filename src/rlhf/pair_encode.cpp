// Preference rows through the template (pair_encode.h).
#include "rlhf/pair_encode.h"

#include "core/error.h"

namespace swift::rlhf {

namespace {

using OJson = nlohmann::ordered_json;

// The row's prompt answered with `response` instead (ms-swift's rejected_response handling:
// everything after the last user turn is replaced).
OJson answered_with(const OJson& messages, const OJson& response) {
  std::size_t cut = 0;
  for (std::size_t i = messages.size(); i-- > 0;)
    if (messages[i].value("role", "") == "user") {
      cut = i + 1;
      break;
    }
  OJson out(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(cut));
  out.push_back({{"role", "assistant"}, {"content", response}});
  return out;
}

}  // namespace

train::RowEncoder preference_row_encoder(PreferenceKind kind) {
  return [kind](const OJson& row, const train::DataOptions& o,
                const tmpl::SwiftTemplate& t) -> train::RowEncoding {
    train::RowEncoding r;
    PreferenceRow pr;
    r.reason = to_preference_row(row, kind, &pr);
    if (!r.reason.empty()) {
      r.detail = r.reason;
      return r;
    }
    const OJson tools = row.contains("tools") ? row["tools"] : OJson();
    OJson second;
    if (kind == PreferenceKind::kKto) {
      SWIFT_CHECK(row.contains("rejected_response") && row["rejected_response"].is_string(),
                  "[rlhf] KTO row without its KL response (add_kto_kl_responses was not run)");
      second = answered_with(pr.chosen, row["rejected_response"]);
      // ms-swift's TemplateInputs asserts rejected_response != response for KTO rows too: a row
      // whose KL completion is its own answer is dropped.
      const OJson& last = pr.chosen.back();
      if (last.value("role", "") == "assistant" && last.contains("content") &&
          last["content"] == row["rejected_response"]) {
        r.reason = "rejected answer equals the chosen one";
        r.detail = "the KL completion (another row's answer) equals this row's answer";
        r.expected = true;
        return r;
      }
    } else {
      second = pr.rejected;
    }
    train::RowEncoding c = train::encode_messages(pr.chosen, tools, o, t);
    if (!c.reason.empty()) return c;
    train::RowEncoding x = train::encode_messages(second, tools, o, t);
    if (!x.reason.empty()) {
      x.detail = (kind == PreferenceKind::kKto ? "KL completion: " : "rejected: ") + x.detail;
      return x;
    }
    SWIFT_CHECK(c.samples.size() == 1 && x.samples.size() == 1,
                "[rlhf] --truncation_strategy split is not supported for preference data");
    for (auto* s : {&c.samples[0], &x.samples[0]}) {
      s->margin = static_cast<float>(pr.margin.value_or(0.0));
      if (pr.label) s->label = *pr.label ? 1 : 0;
    }
    r.reason.clear();
    r.samples = {std::move(c.samples[0]), std::move(x.samples[0])};
    return r;
  };
}

void add_kto_kl_responses(std::vector<OJson>& rows,
                          std::int64_t total_batch_size,
                          std::uint64_t seed) {
  SWIFT_CHECK(total_batch_size > 1,
              "[rlhf] Batch size is 1 (too small). KTO will not work properly because the KL term "
              "will be equivalent to the implied reward: raise --per_device_train_batch_size or "
              "--gradient_accumulation_steps");
  if (rows.empty()) return;
  auto perm = train::np::default_rng_permutation(seed, static_cast<std::int64_t>(rows.size()));
  std::vector<OJson> shuffled;
  shuffled.reserve(rows.size());
  for (auto i : perm) shuffled.push_back(std::move(rows[static_cast<std::size_t>(i)]));
  rows = std::move(shuffled);
  auto last_answer = [](const OJson& row) {
    const OJson& m = row.at("messages");
    SWIFT_CHECK(m.is_array() && !m.empty() && m.back().value("role", "") == "assistant",
                "[rlhf] a KTO row must end with the assistant's answer");
    return m.back().contains("content") ? m.back()["content"] : OJson("");
  };
  const auto b = static_cast<std::size_t>(total_batch_size);
  for (std::size_t start = 0; start < rows.size(); start += b) {
    const std::size_t end = std::min(rows.size(), start + b);
    std::vector<OJson> answers;
    for (std::size_t i = start; i < end; ++i) answers.push_back(last_answer(rows[i]));
    for (std::size_t i = start; i < end; ++i)
      rows[i]["rejected_response"] = answers[(i - start + answers.size() - 1) % answers.size()];
  }
}

}  // namespace swift::rlhf
