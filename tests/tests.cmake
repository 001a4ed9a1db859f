# tests/tests.cmake — every test CTest runs. Check suites: one executable per tests/test_*.c.
set(PCJIT_CONFORMANCE_DIR "${CMAKE_SOURCE_DIR}/../shared/conformance" CACHE PATH "shared conformance data")

file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} pcjit_core PkgConfig::CHECK)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600 LABELS unit ENVIRONMENT "SDL_VIDEODRIVER=dummy")
endforeach()

# further test groups add themselves here (guest programs, conformance, differential)
file(GLOB EXTRA_TEST_CMAKE CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*/tests.cmake)
foreach(f ${EXTRA_TEST_CMAKE})
  include(${f})
endforeach()
