# tests/tests.cmake — every test CTest runs. Check suites: one executable per tests/test_*.c.
set(PCJIT_CONFORMANCE_DIR "${CMAKE_SOURCE_DIR}/../shared/conformance" CACHE PATH "shared conformance data")

# pcjit_testkit: shared test scaffolding (tests/harness.h: machine setup, real/flat32 mode, run until HLT)
add_library(pcjit_testkit STATIC ${CMAKE_SOURCE_DIR}/tests/harness.c)
target_include_directories(pcjit_testkit PUBLIC ${CMAKE_SOURCE_DIR}/tests)
target_link_libraries(pcjit_testkit PUBLIC pcjit_core)

file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} pcjit_core PkgConfig::CHECK)
  target_link_libraries(${name} pcjit_testkit)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600 LABELS unit ENVIRONMENT "SDL_VIDEODRIVER=dummy")
endforeach()

# further test groups add themselves here (guest programs, conformance, differential)
file(GLOB EXTRA_TEST_CMAKE CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*/tests.cmake)
foreach(f ${EXTRA_TEST_CMAKE})
  include(${f})
endforeach()
