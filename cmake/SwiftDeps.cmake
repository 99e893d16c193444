# Third-party dependencies, all from Debian packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CURL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

# yaml-cpp's exported target name differs between versions.
if(TARGET yaml-cpp::yaml-cpp)
  set(SWIFT_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(SWIFT_YAML_TARGET yaml-cpp)
endif()

find_package(Torch REQUIRED)
# Debian's TorchConfig puts -D_GLIBCXX_USE_CXX11_ABI into TORCH_CXX_FLAGS; apply it everywhere so
# that std::string crosses library boundaries safely.
if(TORCH_CXX_FLAGS)
  string(REGEX MATCH "-D_GLIBCXX_USE_CXX11_ABI=[01]" SWIFT_ABI_FLAG "${TORCH_CXX_FLAGS}")
  if(SWIFT_ABI_FLAG)
    add_compile_options(${SWIFT_ABI_FLAG})
  endif()
endif()

# libtorch >= 2.10 is written for C++20; with C++17 its headers only use bit-field default
# initializers, which GCC and Clang accept as an extension (with a warning on every file).
if(Torch_VERSION VERSION_GREATER_EQUAL 2.10)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-Wno-c++20-extensions>)
endif()

# The libtorch inside a pip torch ships its own {fmt} headers (a newer major version) in its
# include folder, which comes before the system's on the command line; Debian's spdlog is built
# against Debian's fmt. Put the system fmt first through a folder holding only a link to it.
foreach(dir ${TORCH_INCLUDE_DIRS})
  if(EXISTS "${dir}/fmt/core.h" AND NOT dir MATCHES "^/usr/include/?$")
    get_target_property(SWIFT_FMT_INCLUDES fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
    if(NOT SWIFT_FMT_INCLUDES)
      set(SWIFT_FMT_INCLUDES /usr/include)
    endif()
    foreach(fdir ${SWIFT_FMT_INCLUDES})
      if(EXISTS "${fdir}/fmt/core.h")
        set(SWIFT_FMT_SHIM ${CMAKE_BINARY_DIR}/system-fmt)
        file(MAKE_DIRECTORY ${SWIFT_FMT_SHIM})
        file(CREATE_LINK "${fdir}/fmt" "${SWIFT_FMT_SHIM}/fmt" SYMBOLIC)
        include_directories(BEFORE SYSTEM ${SWIFT_FMT_SHIM})
        message(STATUS "swift.cpp: libtorch's bundled fmt in ${dir} shadowed by ${fdir}/fmt")
        break()
      endif()
    endforeach()
    break()
  endif()
endforeach()

set(SWIFT_HAS_CUDA OFF)
if(SWIFT_CUDA STREQUAL "ON" OR (SWIFT_CUDA STREQUAL "AUTO" AND TORCH_CUDA_LIBRARIES))
  set(SWIFT_HAS_CUDA ON)
endif()
message(STATUS "swift.cpp: libtorch ${Torch_VERSION} at ${TORCH_INSTALL_PREFIX}; CUDA kernels: ${SWIFT_HAS_CUDA}")

find_package(GTest REQUIRED)
