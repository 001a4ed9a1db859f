# tests/disk/tests.cmake — the disk path through the pcjit program (docs/devices.md, IDE):
#   disk_cli_errors       every bad disk option / image → exit status 2 with a message naming it; good spellings run
#   disk_pc_ide[_jit]     tests/disk/pc_ide.asm: PIO and bus-master DMA on a fresh image, ACPI soft off (exit 0),
#                         the writes in the image file afterwards
#   disk_pc_ide_snapshot  the same with -snapshot: the image file unchanged
#   disk_pc_ide_qemu      the same program under qemu-system-i386 (the reference PIIX3/PIIX4), when installed
#   disk_seabios          SeaBIOS (Debian's seabios package) probes the disk, boots mbr.asm from it (INT 13h)
#   disk_linux_ide        SeaBIOS + SYSLINUX + Debian Linux 6.1 with ata_piix read the guestkit disk (when the
#                         guestkit files are in PCJIT_GUESTKIT_DIR and mkfs.fat/syslinux/mcopy are installed)
set(DISK_DIR ${CMAKE_SOURCE_DIR}/tests/disk)
set(DISK_OUT ${CMAKE_BINARY_DIR}/disk)
set(DISK_BIN ${DISK_OUT}/pc_ide.bin)
set(DISK_MBR ${DISK_OUT}/mbr.bin)
find_program(QEMU_SYSTEM_I386 qemu-system-i386)
add_custom_command(OUTPUT ${DISK_BIN}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${DISK_OUT}
  COMMAND ${NASM} -f bin -I ${CMAKE_SOURCE_DIR}/tests/guest/ -o ${DISK_BIN} ${DISK_DIR}/pc_ide.asm
  DEPENDS ${DISK_DIR}/pc_ide.asm ${CMAKE_SOURCE_DIR}/tests/guest/lib.inc
  COMMENT "nasm pc_ide.asm")
add_custom_command(OUTPUT ${DISK_MBR}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${DISK_OUT}
  COMMAND ${NASM} -f bin -o ${DISK_MBR} ${DISK_DIR}/mbr.asm
  DEPENDS ${DISK_DIR}/mbr.asm
  COMMENT "nasm mbr.asm")
add_custom_target(disk_images ALL DEPENDS ${DISK_BIN} ${DISK_MBR})
if(TARGET pcjit)
  add_test(NAME disk_cli_errors COMMAND sh ${DISK_DIR}/cli-errors.sh ${PCJIT_EXE})
  set_tests_properties(disk_cli_errors PROPERTIES TIMEOUT 60 LABELS disk)
  set(PCJIT_DISK_CMD ${PCJIT_EXE} -bios ${DISK_BIN} -machine pc -serial none -debugcon stdio -m 32 -no-reboot)
  add_test(NAME disk_pc_ide COMMAND sh ${DISK_DIR}/run-disk.sh write -- ${PCJIT_DISK_CMD} -accel interp)
  add_test(NAME disk_pc_ide_jit COMMAND sh ${DISK_DIR}/run-disk.sh write -- ${PCJIT_DISK_CMD} -accel jit)
  add_test(NAME disk_pc_ide_snapshot COMMAND sh ${DISK_DIR}/run-disk.sh snapshot -- ${PCJIT_DISK_CMD})
  set_tests_properties(disk_pc_ide disk_pc_ide_jit disk_pc_ide_snapshot PROPERTIES TIMEOUT 60 LABELS disk)
  if(EXISTS /usr/share/seabios/bios-256k.bin)
    add_test(NAME disk_seabios COMMAND sh ${DISK_DIR}/seabios.sh ${PCJIT_EXE} /usr/share/seabios/bios-256k.bin
             ${DISK_MBR})
    set_tests_properties(disk_seabios PROPERTIES TIMEOUT 120 LABELS disk)
  endif()
  # the guestkit guest built by the "guestkit" fixture (tests/tests.cmake)
  if(GUESTKIT_FOUND AND NOT CMAKE_CROSSCOMPILING AND EXISTS /usr/share/seabios/bios-256k.bin)
    add_test(NAME disk_linux_ide COMMAND sh ${DISK_DIR}/linux-ide.sh ${PCJIT_EXE}
             /usr/share/seabios/bios-256k.bin ${GUESTKIT_OUT}/vmlinuz-686 ${GUESTKIT_OUT}/initrd.gz
             ${GUESTKIT_OUT}/disk64.img)
    set_tests_properties(disk_linux_ide PROPERTIES TIMEOUT 300 LABELS "disk;linux" FIXTURES_REQUIRED guestkit)
  endif()
endif()
if(QEMU_SYSTEM_I386)
  add_test(NAME disk_pc_ide_qemu COMMAND sh ${DISK_DIR}/run-disk.sh write --
           ${QEMU_SYSTEM_I386} -accel tcg -bios ${DISK_BIN} -machine pc -display none -nodefaults
           -device isa-debug-exit,iobase=0xf4,iosize=4 -debugcon stdio -no-reboot -m 32)
  set_tests_properties(disk_pc_ide_qemu PROPERTIES TIMEOUT 60 LABELS "disk;qemu")
endif()
