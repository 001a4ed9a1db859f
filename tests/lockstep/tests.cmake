# tests/lockstep/tests.cmake — issue 4's acceptance in CI: every guest program, the 80286 vectors and the native
# differential test run with -accel lockstep (each block run by the interpreter and by the JIT from the same state,
# the run stops at the first difference: pcjit exits 4, pcjit-sst / native_diff count a failure). Label "lockstep".
# Needs a JIT backend for the host (x86_64, aarch64); the generated native cases need an x86 host. About 20 s of CPU in all (guest programs ~3 s, sst ~11 s,
# native_diff ~3 s on the development machine).
# Relies on tests/guest/tests.cmake (included before this file: tests.cmake includes tests/*/tests.cmake sorted)
# for GUEST_PROGRAMS, GUEST_OUT and GUEST_PCJIT_ARGS_<name>.
if(NOT PCJIT_HOST_JIT)
  return()
endif()
if(TARGET pcjit AND DEFINED GUEST_PROGRAMS)
  foreach(p ${GUEST_PROGRAMS})
    if(NOT EXISTS ${CMAKE_SOURCE_DIR}/tests/guest/${p}.asm)
      continue()
    endif()
    add_test(NAME guest_${p}_lockstep
      COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh --
              ${PCJIT_RUN} $<TARGET_FILE:pcjit> -bios ${GUEST_OUT}/${p}.bin -accel lockstep -machine none -debugcon stdio -m 32 -no-reboot
              ${GUEST_PCJIT_ARGS_${p}})
    set_tests_properties(guest_${p}_lockstep PROPERTIES TIMEOUT 120 LABELS "guest;lockstep")
  endforeach()
endif()
if(TARGET pcjit-sst)
  add_test(NAME sst_80286_lockstep COMMAND pcjit-sst -accel lockstep ${PCJIT_CONFORMANCE_DIR}/sst-80286)
  set_tests_properties(sst_80286_lockstep PROPERTIES TIMEOUT ${PCJIT_LONG_TIMEOUT} SKIP_RETURN_CODE 77 LABELS "conformance;lockstep")
endif()
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/native/tests.cmake)   # defines native_diff (included after this file)
  if(PCJIT_HOST_X86)
    add_test(NAME native_diff_lockstep COMMAND native_diff -accel lockstep)
    set_tests_properties(native_diff_lockstep PROPERTIES TIMEOUT 300 LABELS "differential;lockstep")
  endif()
  add_test(NAME native_diff_ref_lockstep
    COMMAND native_diff --check ${CMAKE_SOURCE_DIR}/tests/native/ref_cases.txt.gz -accel lockstep)
  set_tests_properties(native_diff_ref_lockstep PROPERTIES TIMEOUT 300 LABELS "differential;lockstep")
endif()
