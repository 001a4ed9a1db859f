# bench/bench.cmake — assembles the bare-metal benchmark programs (bench/*.asm, on tests/guest/lib.inc) into
# 128 KiB firmware images in build/bench/. They are not tests: bench/run-guest-bench runs them under pcjit
# (interp, jit) and qemu-system-i386 and prints the table of bench/README.md.
set(BENCH_DIR ${CMAKE_SOURCE_DIR}/bench)
set(BENCH_OUT ${CMAKE_BINARY_DIR}/bench)
file(GLOB BENCH_ASM CONFIGURE_DEPENDS ${BENCH_DIR}/*.asm)
set(BENCH_BINS)
foreach(src ${BENCH_ASM})
  get_filename_component(p ${src} NAME_WE)
  set(bin ${BENCH_OUT}/${p}.bin)
  add_custom_command(OUTPUT ${bin}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BENCH_OUT}
    COMMAND ${NASM} -f bin -I ${CMAKE_SOURCE_DIR}/tests/guest/ -o ${bin} ${src}
    DEPENDS ${src} ${CMAKE_SOURCE_DIR}/tests/guest/lib.inc
    COMMENT "nasm bench/${p}.asm")
  list(APPEND BENCH_BINS ${bin})
endforeach()
add_custom_target(bench_programs ALL DEPENDS ${BENCH_BINS})

# bench_linux_tiny: the whole Linux benchmark path once (bench/run-linux-bench: guest build, pcbench for i686 and
# the host, the disk image, one pcjit and one QEMU run at the smallest scale), for correctness only: it fails when
# an answer differs from the native one or a run fails, never because of speed; exit 77 (skipped) when Debian's
# archive cannot be reached to build the guest.
if(TARGET pcjit AND NOT CMAKE_CROSSCOMPILING)   # the bench times the host build of pcjit
  find_program(BENCH_QEMU qemu-system-i386)
  set(bench_noqemu)
  if(NOT BENCH_QEMU)
    set(bench_noqemu --no-qemu)
  endif()
  add_test(NAME bench_linux_tiny
    COMMAND ${BENCH_DIR}/run-linux-bench --test --build ${CMAKE_BINARY_DIR} --out ${CMAKE_BINARY_DIR}/bench-linux-tiny
            --runs 1 --scale 0 ${bench_noqemu})
  set_tests_properties(bench_linux_tiny PROPERTIES TIMEOUT 300 LABELS bench SKIP_RETURN_CODE 77)
endif()
