# The Hugging Face stack reads what swift.cpp's training writes (tools/reference/
# check_trained_run.py: PEFT loads our adapters, transformers our full checkpoints, TensorBoard's
# reader our event files). Registered only where the reference environment exists
# (bash scripts/reference-setup.sh, or -DSWIFT_REF_PYTHON=<python>); label reference.
set(SWIFT_REF_PYTHON "${PROJECT_SOURCE_DIR}/.venv-ref/bin/python" CACHE FILEPATH
    "Python of the reference environment (transformers, peft, tensorboard)")
if(EXISTS "${SWIFT_REF_PYTHON}")
  add_test(NAME reference_trained_run
           COMMAND ${SWIFT_REF_PYTHON} ${PROJECT_SOURCE_DIR}/tools/reference/check_trained_run.py
                   --bin $<TARGET_FILE_DIR:swift>
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(reference_trained_run PROPERTIES LABELS reference TIMEOUT 1200)
endif()
