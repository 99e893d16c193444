# Training parity: one ctest per golden run of tests/data/train (the HF Trainer + peft, made by
# tools/reference/make_train_goldens.py), running `swift-parity train <run>` with activation
# checkpointing (the default of swift sft); one more run without it.
file(GLOB SWIFT_TRAIN_GOLDENS LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/tests/data/train/*)
foreach(dir ${SWIFT_TRAIN_GOLDENS})
  if(IS_DIRECTORY ${dir} AND EXISTS ${dir}/steps.jsonl)
    get_filename_component(run ${dir} NAME)
    add_test(NAME parity_train_${run} COMMAND $<TARGET_FILE:swift-parity> train ${dir})
    set_tests_properties(parity_train_${run} PROPERTIES LABELS parity)
  endif()
endforeach()
add_test(NAME parity_train_no_checkpointing
         COMMAND $<TARGET_FILE:swift-parity> train --no-checkpointing
                 ${PROJECT_SOURCE_DIR}/tests/data/train/qwen3_moe_lora
                 ${PROJECT_SOURCE_DIR}/tests/data/train/llama_full)
set_tests_properties(parity_train_no_checkpointing PROPERTIES LABELS parity)
