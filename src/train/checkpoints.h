// Which checkpoint-N folders --save_total_limit keeps, as transformers' rotate_checkpoints
// decides: oldest first by step, the most recent and the best (--load_best_model_at_end) always
// kept. One deliberate difference: only folders named exactly checkpoint-<digits> count; HF's
// prefix match also deletes e.g. "checkpoint-10-merged" (a merged export a user made), which we
// never touch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace swift::train {

// checkpoint-<digits> folders of `output_dir`, oldest step first.
std::vector<std::pair<std::int64_t, std::string>> list_checkpoints(const std::string& output_dir);

// Deletes the oldest unprotected checkpoints beyond `save_total_limit` (<= 0: keep all); returns
// the folders removed.
std::vector<std::string> rotate_checkpoints(const std::string& output_dir,
                                            std::int64_t save_total_limit,
                                            const std::optional<std::string>& best_checkpoint);

}  // namespace swift::train
