// Preference rows (see preference_data.h), following ms-swift 4.6's template_inputs.py.
#include "rlhf/preference_data.h"

#include "core/error.h"
#include "dataset/dataset.h"

namespace swift::rlhf {

namespace {

using json = nlohmann::ordered_json;

// Index of the last user turn, -1 without one (ms-swift's get_last_user_round, tools excluded).
std::ptrdiff_t last_user_round(const json& messages) {
  for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(messages.size()) - 1; i >= 0; --i)
    if (messages[static_cast<std::size_t>(i)].value("role", "") == "user") return i;
  return -1;
}

// The contents of a list of turns, for the chosen == rejected check.
json contents(const json& turns) {
  json out = json::array();
  for (const auto& m : turns) out.push_back(m.contains("content") ? m["content"] : json());
  return out;
}

}  // namespace

std::string to_preference_row(const json& row, PreferenceKind kind, PreferenceRow* out) {
  if (!row.is_object() || !row.contains("messages") || !row["messages"].is_array() ||
      row["messages"].empty())
    return "no messages";
  PreferenceRow r;
  r.chosen = row["messages"];
  if (row.contains("margin") && !row["margin"].is_null()) {
    if (!row["margin"].is_number()) return "margin is not a number";
    r.margin = row["margin"].get<double>();
  }
  if (kind == PreferenceKind::kKto) {
    if (!row.contains("label") || row["label"].is_null()) return "KTO row without a label";
    const json& l = row["label"];
    // ms-swift's datasets hold true/false (Python bools); 0/1 pass as bool() would take them
    if (l.is_boolean()) {
      r.label = l.get<bool>();
    } else if (l.is_number_integer() && (l.get<long long>() == 0 || l.get<long long>() == 1)) {
      r.label = l.get<long long>() == 1;
    } else {
      return "KTO label is not true or false";
    }
    *out = std::move(r);
    return "";
  }
  const bool has_messages =
      row.contains("rejected_messages") && !row["rejected_messages"].is_null();
  if (has_messages) {
    if (!row["rejected_messages"].is_array() || row["rejected_messages"].empty())
      return "rejected_messages is not a list of turns";
    r.rejected = row["rejected_messages"];
  } else {
    if (!row.contains("rejected_response") || row["rejected_response"].is_null())
      return "no rejected answer (rejected_response or rejected_messages)";
    const json& rej = row["rejected_response"];
    json turns;
    if (rej.is_string()) {
      turns = json::array({{{"role", "assistant"}, {"content", rej}}});
    } else if (rej.is_array()) {
      for (const auto& m : rej) {
        if (!m.is_object() || !m.contains("role")) return "rejected_response turn without a role";
        if (m["role"] == "user") return "rejected_response holds a user turn";
      }
      turns = rej;
    } else {
      return "rejected_response is not text or a list of turns";
    }
    // The whole answer after the last user turn is replaced (tool calls and results too).
    const auto idx = static_cast<std::size_t>(last_user_round(r.chosen) + 1);
    const json answer(r.chosen.begin() + static_cast<std::ptrdiff_t>(idx), r.chosen.end());
    if (answer.size() == 1 && turns.size() == 1 && contents(answer) == contents(turns))
      return "rejected answer equals the chosen one";
    r.rejected = json(r.chosen.begin(), r.chosen.begin() + static_cast<std::ptrdiff_t>(idx));
    for (const auto& m : turns) r.rejected.push_back(m);
  }
  *out = std::move(r);
  return "";
}

std::vector<PreferenceRow> load_preference_rows(const std::string& path,
                                                PreferenceKind kind,
                                                bool strict,
                                                const json& columns,
                                                PreferenceStats* stats,
                                                double max_drop_ratio) {
  auto raw = dataset::read_rows(path);
  PreferenceStats st;
  std::vector<PreferenceRow> rows;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    ++st.total;
    json& row = raw[i];
    // the reader marks each row with its line, and unreadable lines with the reason
    std::size_t line = i + 1;
    if (row.is_object() && row.contains("__swift_line__") &&
        row["__swift_line__"].is_number_unsigned())
      line = row["__swift_line__"].get<std::size_t>();
    std::string why;
    PreferenceRow r;
    if (row.is_object() && row.contains("__swift_error__")) {
      why = row["__swift_error__"].is_string() ? row["__swift_error__"].get<std::string>()
                                               : "unreadable row";
    } else {
      if (row.is_object()) row.erase("__swift_line__");
      json norm;
      why = dataset::normalize_row(row, columns, &norm);
      if (why.empty()) why = to_preference_row(norm, kind, &r);
    }
    if (!why.empty()) {
      SWIFT_CHECK(!strict, "[rlhf] {}:{}: {} (--strict true stops at the first bad row)", path,
                  line, why);
      ++st.dropped[why];
      continue;
    }
    rows.push_back(std::move(r));
    ++st.kept;
  }
  const std::size_t dropped = st.total - st.kept;
  std::string reasons;
  for (const auto& [why, n] : st.dropped)
    reasons += fmt::format("{}{} x {}", reasons.empty() ? "" : "; ", n, why);
  if (stats) *stats = st;
  SWIFT_CHECK(st.total == 0 || static_cast<double>(dropped) <= max_drop_ratio * st.total,
              "[rlhf] {}: {} of {} preference rows are unusable ({}); fix them, or pass --strict "
              "to stop at the first",
              path, dropped, st.total, reasons);
  return rows;
}

}  // namespace swift::rlhf
