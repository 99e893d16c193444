# Model parity: one ctest per architecture folder of tests/data/hf (copied from the shared
# Hugging Face fixtures), running `swift-parity model <folder>`.
file(GLOB SWIFT_HF_MODEL_DIRS LIST_DIRECTORIES true ${PROJECT_SOURCE_DIR}/tests/data/hf/*)
foreach(dir ${SWIFT_HF_MODEL_DIRS})
  if(IS_DIRECTORY ${dir} AND EXISTS ${dir}/config.json)
    get_filename_component(arch ${dir} NAME)
    add_test(NAME parity_model_${arch}
             COMMAND $<TARGET_FILE:swift-parity> model ${PROJECT_SOURCE_DIR}/tests/data/hf/${arch})
    set_tests_properties(parity_model_${arch} PROPERTIES LABELS parity)
  endif()
endforeach()
