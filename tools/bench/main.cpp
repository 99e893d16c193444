// swift-bench: timing harnesses that run real work (tokenizer, decode, train step).
#include "common/subtool.h"

int main(int argc, char** argv) {
  return swift::tools::run_modes("swift-bench", argc, argv);
}
