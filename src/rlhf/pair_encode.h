// The template side of `swift rlhf` data: a dataset row becomes the samples its trainer
// forwards, as ms-swift 4.6's template modes encode them (template/base.py _rlhf_encode,
// _kto_encode). Pairs (dpo, cpo, simpo, orpo, rm): [chosen, rejected], each its own conversation
// through the template, sharing the prompt; a row is dropped when either side is (too long
// under truncation "delete", nothing to train). KTO: [completion, KL completion] with the row's
// label; the KL completion is the row's prompt answered with another row's response
// (add_kto_kl_responses).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "rlhf/preference_data.h"
#include "train/data.h"

namespace swift::rlhf {

// A train::RowEncoder for prepare_data (train/data.h): two samples per kept row. RM margins go
// on both samples; KTO labels (1 desirable / 0 undesirable) likewise.
train::RowEncoder preference_row_encoder(PreferenceKind kind);

// ms-swift's prepare_kto_dataset for loss types other than apo_zero_unpaired: the rows are
// shuffled (Hugging Face datasets' shuffle(seed)) and, in consecutive batches of
// `total_batch_size` rows, each row's `rejected_response` becomes the previous row's last
// assistant answer (the first row takes the batch's last). Throws when total_batch_size <= 1,
// as ms-swift does (the KL term would equal the implied reward).
void add_kto_kl_responses(std::vector<nlohmann::ordered_json>& rows,
                          std::int64_t total_batch_size,
                          std::uint64_t seed);

}  // namespace swift::rlhf
