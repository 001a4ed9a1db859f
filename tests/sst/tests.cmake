# tests/sst/tests.cmake — the 80286 real-mode conformance run (pcjit-sst on ../shared/conformance/sst-80286).
# pcjit-sst is defined in the root CMakeLists.txt (tests/sst/*.c + zlib); it also uses the shared test harness.
# Exit 77 (folder absent) makes CTest report the test as skipped.
if(TARGET pcjit-sst)
  target_link_libraries(pcjit-sst pcjit_testkit)
  add_test(NAME sst_80286 COMMAND pcjit-sst ${PCJIT_CONFORMANCE_DIR}/sst-80286)
  set_tests_properties(sst_80286 PROPERTIES TIMEOUT ${PCJIT_LONG_TIMEOUT} SKIP_RETURN_CODE 77 LABELS conformance)
  if(PCJIT_HOST_JIT)
    add_test(NAME sst_80286_jit COMMAND pcjit-sst -accel jit ${PCJIT_CONFORMANCE_DIR}/sst-80286)
    set_tests_properties(sst_80286_jit PROPERTIES TIMEOUT ${PCJIT_LONG_TIMEOUT} SKIP_RETURN_CODE 77 LABELS "conformance;jit")
  endif()
endif()
