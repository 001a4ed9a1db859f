# tests/native/tests.cmake — the native differential test (native_diff): pcjit vs the host CPU on generated
# cases (x86-64 hosts), and pcjit vs the committed reference file (every host; the aarch64 build relies on it).
find_package(ZLIB REQUIRED)
file(GLOB NATIVE_DIFF_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/native/*.c)
add_executable(native_diff ${NATIVE_DIFF_SRC})
target_link_libraries(native_diff pcjit_testkit ZLIB::ZLIB)
if(PCJIT_HOST_X86)
  add_test(NAME native_diff COMMAND native_diff)
  set_tests_properties(native_diff PROPERTIES TIMEOUT 300 LABELS differential)
  add_test(NAME native_diff_jit COMMAND native_diff -accel jit)
  set_tests_properties(native_diff_jit PROPERTIES TIMEOUT 300 LABELS "differential;jit")
endif()
add_test(NAME native_diff_ref COMMAND native_diff --check ${CMAKE_SOURCE_DIR}/tests/native/ref_cases.txt.gz)
set_tests_properties(native_diff_ref PROPERTIES TIMEOUT 300 LABELS differential)
if(PCJIT_HOST_JIT AND NOT PCJIT_HOST_X86)   # x86 hosts compare the JIT with the host CPU itself (native_diff_jit)
  add_test(NAME native_diff_ref_jit
    COMMAND native_diff --check ${CMAKE_SOURCE_DIR}/tests/native/ref_cases.txt.gz -accel jit)
  set_tests_properties(native_diff_ref_jit PROPERTIES TIMEOUT 300 LABELS "differential;jit")
endif()
