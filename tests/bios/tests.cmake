# tests/bios/tests.cmake — tests of our firmware (bios/, build/bios/bios.bin):
#   test_bios              Check suite (tests/test_bios.c): POST in-process, IVT/BDA/ACPI/$PIR/PIRQ results
#   bios_disk_test_*       tests/bios/disk_test.asm, a boot-sector program on a 1 MiB raw disk: INT 13h/15h/1Ah/
#                          10h/16h services (ok/FAIL lines on port 0xE9, verdict on isa-debug-exit), under pcjit
#                          (interp, jit; needs the IDE disk: -hda) and qemu-system-i386 with our BIOS
#   bios_linux_qemu        Debian's 6.1 kernel booted by our BIOS through QEMU's fw_cfg (when the guestkit cache
#                          with out/vmlinuz-686 exists), to BOOT-OK and the ACPI S5 power-off
set(BIOS_TEST_DIR ${CMAKE_SOURCE_DIR}/tests/bios)
set(BIOS_TEST_OUT ${CMAKE_BINARY_DIR}/bios)
if(TARGET test_bios)
  target_compile_definitions(test_bios PRIVATE PCJIT_BIOS_BIN="${BIOS_BIN}")
  add_dependencies(test_bios bios)
endif()

set(BIOS_DISK_IMG ${BIOS_TEST_OUT}/disk_test.img)
add_custom_command(OUTPUT ${BIOS_DISK_IMG}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${BIOS_TEST_OUT}
  COMMAND ${NASM} -f bin -o ${BIOS_DISK_IMG} ${BIOS_TEST_DIR}/disk_test.asm
  DEPENDS ${BIOS_TEST_DIR}/disk_test.asm
  COMMENT "nasm tests/bios/disk_test.asm")
add_custom_target(bios_test_images ALL DEPENDS ${BIOS_DISK_IMG})

if(QEMU_SYSTEM_I386)
  add_test(NAME bios_disk_test_qemu
    COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh -- ${QEMU_SYSTEM_I386} -accel tcg -bios ${BIOS_BIN}
            -display none -nodefaults -serial null -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4
            -no-reboot -m 32 -drive file=${BIOS_DISK_IMG},format=raw,if=ide,snapshot=on)
  set_tests_properties(bios_disk_test_qemu PROPERTIES TIMEOUT 60 LABELS "bios;qemu")
  set(GUESTKIT_OUT "/root/gk/out" CACHE PATH "guestkit output (vmlinuz-686, initrd.gz) for the Linux boot tests")
  if(EXISTS ${GUESTKIT_OUT}/vmlinuz-686)
    add_test(NAME bios_linux_qemu
      COMMAND sh ${BIOS_TEST_DIR}/linux-boot.sh ${QEMU_SYSTEM_I386} -accel tcg -cpu pentium3 -m 256
              -bios ${BIOS_BIN} -display none -nodefaults -serial stdio -no-reboot
              -kernel ${GUESTKIT_OUT}/vmlinuz-686 -initrd ${GUESTKIT_OUT}/initrd.gz
              -append "console=ttyS0,115200 panic=-1 mitigations=off cryptomgr.notests=1 noisapnp gk.only=none")
    set_tests_properties(bios_linux_qemu PROPERTIES TIMEOUT 300 LABELS "bios;qemu;linux")
  endif()
endif()
