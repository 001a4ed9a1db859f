# cmake/aarch64-linux-gnu.cmake — cross build of pcjit for 64-bit Arm Linux on a Debian 12 x86-64 host
# (docs/jit.md, "aarch64 cross build"):
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install qemu-user gcc-aarch64-linux-gnu libcapstone-dev:arm64 libffi-dev:arm64 check:arm64 zlib1g-dev:arm64
#   cmake -S . -B build-a64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake && cmake --build build-a64 -j2
#   ctest --test-dir build-a64      # every test binary runs under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR)
# Libraries come from the arm64 multiarch packages (pkg-config is pointed at their .pc files); nasm, which assembles
# the guest programs, is the build host's (programs are searched on the host, libraries and headers never).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# qemu-aarch64 without -L: the cross libraries are installed in the multiarch paths the binaries already use
# (with -L, forked Check tests hang)
find_program(PCJIT_QEMU_AARCH64 qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${PCJIT_QEMU_AARCH64})
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
