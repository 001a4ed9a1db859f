# bios/bios.cmake — the pcjit firmware: nasm assembles bios/bios.asm (and what it includes) into
# build/bios/bios.bin, a 128 KiB image (mapped at 0xE0000 and at 4 GiB - 128 KiB; reset vector F000:FFF0).
set(BIOS_DIR ${CMAKE_SOURCE_DIR}/bios)
set(BIOS_OUT ${CMAKE_BINARY_DIR}/bios)
file(GLOB BIOS_SOURCES CONFIGURE_DEPENDS ${BIOS_DIR}/*.asm ${BIOS_DIR}/*.inc)
set(BIOS_BIN ${BIOS_OUT}/bios.bin)
add_custom_command(OUTPUT ${BIOS_BIN}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${BIOS_OUT}
  COMMAND ${NASM} -f bin -w+all -w-reloc-abs-word -I ${BIOS_DIR}/ -o ${BIOS_BIN} -l ${BIOS_OUT}/bios.lst ${BIOS_DIR}/bios.asm
  DEPENDS ${BIOS_SOURCES}
  COMMENT "nasm bios/bios.asm")
add_custom_target(bios ALL DEPENDS ${BIOS_BIN})
# pcjit finds it beside itself (build/bios/bios.bin) or installed (share/pcjit/bios.bin): app/main.c default_bios
if(TARGET pcjit)
  add_dependencies(pcjit bios)
endif()
install(FILES ${BIOS_BIN} DESTINATION share/pcjit)
