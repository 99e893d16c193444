# Build helpers shared by every component.
#
#   swift_add_library(<name> SOURCES ... [DEPS ...] [PARSER] [TORCH])
#     A static library. PARSER marks code that reads untrusted input (safetensors, JSON configs,
#     tokenizer.json, Jinja): its sources are compiled a second time into <name>_san under
#     ASan/UBSan so the tests can run them sanitized. A PARSER library may only depend on other
#     PARSER libraries and third-party targets. TORCH links libtorch and uses the shared
#     precompiled header.
#
#   swift_add_test(<name> SOURCES ... [LIBS ...] [LABELS ...] [SANITIZE] [ARGS ...])
#     A GoogleTest binary in build/bin registered with CTest. SANITIZE also builds <name>_san
#     against the *_san twins of LIBS (labels `unit;asan`); LIBS must then be PARSER libraries.
#
#   swift_add_tool(<name> SOURCES ... [LIBS ...])
#     A test/bench executable in build/bin.

set(SWIFT_SAN_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)

# swift_foo -> swift_foo_san for swift libraries; third-party targets pass through.
function(swift_san_deps out)
  set(result "")
  foreach(dep ${ARGN})
    if(dep MATCHES "^swift_")
      list(APPEND result ${dep}_san)
    else()
      list(APPEND result ${dep})
    endif()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

function(swift_add_library name)
  cmake_parse_arguments(A "PARSER;TORCH" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${A_DEPS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(A_TORCH)
    target_link_libraries(${name} PUBLIC torch)
    swift_use_torch_pch(${name})
    if(SWIFT_HAS_CUDA)
      target_compile_definitions(${name} PUBLIC SWIFT_WITH_CUDA=1)
    endif()
  endif()
  if(A_PARSER AND SWIFT_SANITIZE_PARSERS)
    # The same sources under ASan/UBSan, for the *_san tests. Excluded from `all`: built only
    # when a sanitized test needs it.
    swift_san_deps(san_deps ${A_DEPS})
    add_library(${name}_san STATIC EXCLUDE_FROM_ALL ${A_SOURCES})
    target_include_directories(${name}_san PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_compile_options(${name}_san PUBLIC ${SWIFT_SAN_FLAGS})
    target_link_options(${name}_san PUBLIC ${SWIFT_SAN_FLAGS})
    target_link_libraries(${name}_san PUBLIC ${san_deps})
  endif()
endfunction()

# One precompiled header for every libtorch translation unit: parsing the ATen headers dominates
# compile time on 2 cores. Headers themselves never include <torch/torch.h>.
function(swift_use_torch_pch name)
  if(NOT TARGET swift_torch_pch)
    # CONFIGURE only writes when the content changes, so a reconfigure keeps the PCH.
    file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/swift_torch_pch.cpp
         CONTENT "// precompiled header anchor\n")
    add_library(swift_torch_pch STATIC ${CMAKE_BINARY_DIR}/swift_torch_pch.cpp)
    target_link_libraries(swift_torch_pch PUBLIC torch)
    set_target_properties(swift_torch_pch PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_precompile_headers(swift_torch_pch PRIVATE <torch/torch.h> <nlohmann/json.hpp>
                              <string> <vector> <unordered_map> <memory>)
  endif()
  target_precompile_headers(${name} REUSE_FROM swift_torch_pch)
endfunction()

function(swift_add_tool name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE ${A_LIBS})
endfunction()

function(swift_add_test name)
  cmake_parse_arguments(A "SANITIZE" "" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  add_executable(${name} ${A_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${A_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE SWIFT_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             SWIFT_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name} ${A_ARGS} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}")
  if(A_SANITIZE AND SWIFT_SANITIZE_PARSERS)
    swift_san_deps(san_libs ${A_LIBS})
    add_executable(${name}_san ${A_SOURCES})
    target_include_directories(${name}_san PRIVATE ${PROJECT_SOURCE_DIR}/tests)
    target_compile_options(${name}_san PRIVATE ${SWIFT_SAN_FLAGS})
    target_link_libraries(${name}_san PRIVATE ${san_libs} GTest::gtest GTest::gtest_main)
    target_compile_definitions(${name}_san PRIVATE SWIFT_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                   SWIFT_BINARY_DIR="${CMAKE_BINARY_DIR}")
    add_test(NAME ${name}_san COMMAND ${name}_san ${A_ARGS} WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
    set_tests_properties(${name}_san PROPERTIES LABELS "unit;asan"
                         ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1")
  endif()
endfunction()
