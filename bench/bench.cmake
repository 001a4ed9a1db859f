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
