# tests/tests.cmake — every test CTest runs. Check suites: one executable per tests/test_*.c.
set(PCJIT_CONFORMANCE_DIR "${CMAKE_SOURCE_DIR}/../shared/conformance" CACHE PATH "shared conformance data")
# The shared guestkit (a Debian i386 Linux with benchmark workloads, tests/linux/): the Linux boot tests build it
# into the build tree once (CTest fixture "guestkit") and run only where it exists.
set(GUESTKIT_DIR "${CMAKE_SOURCE_DIR}/../shared/guestkit" CACHE PATH "shared guestkit (build.sh, timeline)")
set(GUESTKIT_CACHE "${CMAKE_BINARY_DIR}/guestkit")
set(GUESTKIT_OUT "${GUESTKIT_CACHE}/out")
# (the aarch64 cross build runs one Linux boot under qemu-aarch64: tests/linux/tests.cmake)
if(EXISTS ${GUESTKIT_DIR}/build.sh AND EXISTS ${GUESTKIT_DIR}/timeline)
  set(GUESTKIT_FOUND TRUE)
  add_test(NAME guestkit_build COMMAND sh ${CMAKE_SOURCE_DIR}/tests/linux/guestkit-build.sh ${GUESTKIT_DIR}
           ${GUESTKIT_CACHE})
  set_tests_properties(guestkit_build PROPERTIES TIMEOUT 900 FIXTURES_SETUP guestkit LABELS linux)
else()
  set(GUESTKIT_FOUND FALSE)
endif()

# pcjit_testkit: shared test scaffolding (tests/harness.h: machine setup, real/flat32 mode, run until HLT)
add_library(pcjit_testkit STATIC ${CMAKE_SOURCE_DIR}/tests/harness.c)
target_include_directories(pcjit_testkit PUBLIC ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(pcjit_testkit PUBLIC pcjit_core)

# Under an emulator (the aarch64 cross build runs under qemu-aarch64) the time-bounded random-code fuzzer gets 60 s
# instead of 15 to reach its minimum number of cases, and 6x its per-case watchdog (test_fuzz_code.c).
set(PCJIT_TEST_ENV "SDL_VIDEODRIVER=dummy")
if(CMAKE_CROSSCOMPILING_EMULATOR)
  set(PCJIT_TEST_ENV "SDL_VIDEODRIVER=dummy;PCJIT_FUZZ_SECONDS=60;PCJIT_FUZZ_WATCHDOG_SCALE=6")
endif()

file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} pcjit_app pcjit_core PkgConfig::CHECK)
  target_link_libraries(${name} pcjit_testkit)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600 LABELS unit ENVIRONMENT "${PCJIT_TEST_ENV}")
endforeach()

# Suites whose harness runs default to the interpreter: run them again on the JIT (STYLE.md: every CPU test runs
# under the interpreter and each JIT backend). Suites not listed pick their engines themselves (test_exec,
# test_system, test_xlat_alu run each case under interp, jit and lockstep).
if(PCJIT_HOST_JIT)
  foreach(name test_xlat_ctl test_fpu_soft test_fpu_native test_fuzz_code)
    if(TARGET ${name})
      add_test(NAME ${name}_jit COMMAND ${name})
      set_tests_properties(${name}_jit PROPERTIES TIMEOUT 600 LABELS "unit;jit"
                           ENVIRONMENT "${PCJIT_TEST_ENV};PCJIT_ACCEL=jit")
    endif()
  endforeach()
  # the JIT code buffer's fallback without memfd (mprotect toggling, no self-patching code): docs/jit.md
  if(TARGET test_jit)
    add_test(NAME test_jit_mprotect COMMAND test_jit)
    set_tests_properties(test_jit_mprotect PROPERTIES TIMEOUT 600 LABELS "unit;jit"
                         ENVIRONMENT "PCJIT_JIT_NO_MEMFD=1")
  endif()
endif()

# further test groups add themselves here (guest programs, conformance, differential)
file(GLOB EXTRA_TEST_CMAKE CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*/tests.cmake)
foreach(f ${EXTRA_TEST_CMAKE})
  include(${f})
endforeach()
