// Preference rows as ms-swift reads them for `swift rlhf`: a normalised dataset row (see
// dataset/dataset.h: messages, query/response, alpaca, ... with `--columns` mapping e.g.
// chosen -> response, rejected -> rejected_response) turned into the chosen and rejected
// conversations that share the prompt (ms-swift's TemplateInputs._compat_rejected_response), or
// a KTO row (one conversation and a boolean `label`). RM rows may carry a `margin`.
//
// Bad rows: a reason per row (no rejected answer, rejected equal to chosen, a user turn inside
// rejected_response, a label that is not a boolean); load_preference_rows counts them or, with
// strict, fails on the first naming file:line.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace swift::rlhf {

enum class PreferenceKind {
  kPair,  // dpo, cpo, simpo, orpo, rm
  kKto,   // kto: unpaired, labelled desirable or not
};

struct PreferenceRow {
  nlohmann::ordered_json chosen;    // messages (for kKto: the one conversation)
  nlohmann::ordered_json rejected;  // messages sharing chosen's prompt (kPair only)
  std::optional<bool> label;        // kKto
  std::optional<double> margin;     // RM's optional margin column
};

// From one row already normalised by dataset::normalize_row. Returns the reason when the row
// cannot be used (empty: ok).
std::string to_preference_row(const nlohmann::ordered_json& row,
                              PreferenceKind kind,
                              PreferenceRow* out);

struct PreferenceStats {
  std::size_t total = 0;
  std::size_t kept = 0;
  std::map<std::string, std::size_t> dropped;  // reason -> rows
};

// Reads one local dataset file (any format dataset::read_rows reads), normalises each row and
// converts it. strict: the first bad row throws "[rlhf] <file>:<line>: <reason>" (the line of a
// .jsonl file, the row number of other formats); else bad rows are dropped and counted, and
// more than max_drop_ratio of them dropped is an error.
std::vector<PreferenceRow> load_preference_rows(const std::string& path,
                                                PreferenceKind kind,
                                                bool strict,
                                                const nlohmann::ordered_json& columns = {},
                                                PreferenceStats* stats = nullptr,
                                                double max_drop_ratio = 0.01);

}  // namespace swift::rlhf
