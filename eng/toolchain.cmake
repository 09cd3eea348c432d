# CMake toolchain for the OpenSSL shim the ILCompiler builds when StaticOpenSslLinking is on.
# The ILCompiler runs that cmake build with only CC set, so on its own it would compile for the
# build machine against the build machine's headers; build.sh hands this file over through the
# CMAKE_TOOLCHAIN_FILE environment variable so the shim targets LEOFLOW_TARGET_TRIPLE against the
# sysroot LEOFLOW_SYSROOT (see eng/sysroot.sh), like the final link does.
if(NOT DEFINED ENV{LEOFLOW_SYSROOT} OR NOT DEFINED ENV{LEOFLOW_TARGET_TRIPLE})
  message(FATAL_ERROR "eng/toolchain.cmake needs LEOFLOW_SYSROOT and LEOFLOW_TARGET_TRIPLE")
endif()
string(REGEX REPLACE "-.*" "" _leoflow_cpu "$ENV{LEOFLOW_TARGET_TRIPLE}")
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${_leoflow_cpu})
set(CMAKE_SYSROOT "$ENV{LEOFLOW_SYSROOT}")
set(CMAKE_C_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET "$ENV{LEOFLOW_TARGET_TRIPLE}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
# pal_ssl.c has two "(void*)x;" statements; MSBuild's -warnaserror turns that compiler warning into
# a build error, and the code is not ours to fix.
set(CMAKE_C_FLAGS_INIT "-Wno-unused-value -Os -ffunction-sections -fdata-sections")
# glibc 2.31 keeps pthread and dlopen in libraries of their own, which static OpenSSL needs; the
# shim's feature probes (ALPN, ChaCha20-Poly1305, ...) link test programs against libssl.a and
# libcrypto.a, and a failed probe would silently compile the feature out.
set(CMAKE_C_STANDARD_LIBRARIES "-pthread -ldl")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# build-local.sh passes -DCLR_CMAKE_TARGET_UNIX=1, which the shim's CMakeLists never reads; cmake's
# "Manually-specified variables were not used" warning would fail the publish under -warnaserror.
if(CLR_CMAKE_TARGET_UNIX)
endif()
