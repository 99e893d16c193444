// swift-parity: compares swift.cpp against reference outputs computed by Hugging Face
// (../shared/fixtures). Modes: `model DIR...`, `tokenizer TOKDIR TOKENS.jsonl [CHAT.jsonl]`.
#include "common/subtool.h"

int main(int argc, char** argv) {
  return swift::tools::run_modes("swift-parity", argc, argv);
}
