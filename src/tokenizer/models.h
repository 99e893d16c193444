// The non-BPE models of tokenizer.json: Unigram (Viterbi over the piece lattice, as
// SentencePiece/HF do), WordPiece (greedy longest match with "##" continuations) and WordLevel.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>

#include "tokenizer/components.h"

namespace swift::tok {

std::unique_ptr<Model> make_unigram(const nlohmann::json& model);
std::unique_ptr<Model> make_wordpiece(const nlohmann::json& model);
std::unique_ptr<Model> make_wordlevel(const nlohmann::json& model);

}  // namespace swift::tok
