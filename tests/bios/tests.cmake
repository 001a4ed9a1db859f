# tests/bios/tests.cmake — tests of our firmware (bios/, build/bios/bios.bin):
#   test_bios              Check suite (tests/test_bios.c): POST in-process, IVT/BDA/ACPI/$PIR/PIRQ results
#   bios_disk_test_*       tests/bios/disk_test.asm, a boot-sector program on a 1 MiB raw disk: INT 13h/15h/1Ah/
#                          10h/16h services (ok/FAIL lines on port 0xE9, verdict on isa-debug-exit), under pcjit
#                          (interp, jit; needs the IDE disk: -hda) and qemu-system-i386 with our BIOS; _big: on a
#                          sparse 128 GiB disk (LBA48 above and across 2^28, CHS translated to 1024/255/63)
#   bios_reset_test*       tests/bios/reset_test.asm: a warm reset (port 92h) runs POST again and boots again
#   bios_disk_mbr*         tests/disk/mbr.asm (INT 13h read/write/CHS read-back, ACPI soft off) on our firmware
#   bios_multiboot_*       tests/bios/mb_test.asm, a multiboot kernel (ELF, and a.out kludge) with a module and a
#                          command line through fw_cfg (-kernel/-initrd/-append), under pcjit interp and jit
#   bios_syslinux_jit      SYSLINUX boots guestkit's disk through our INT 13h; the whole guestkit run, S5 off
#   bios_linux_*           Debian's 6.1 kernel booted by our BIOS through fw_cfg (when the guestkit cache with
#                          out/vmlinuz-686 exists) to BOOT-OK and the ACPI S5 power-off: under QEMU, and under pcjit
#                          once the board has the PIIX4 PM function (devices/piix4_pm.c) that S5 needs; pcjit runs
#                          with -icount 3: under host time a loaded host sometimes leaves Linux idle in HLT with no
#                          timer armed ("CPU halted ... nothing that can wake it", 3 of 8 runs on 2026-12-08, the
#                          8254's late-timer skip is the suspect), which is not what these tests are about
find_program(QEMU_SYSTEM_I386 qemu-system-i386)   # (tests/guest finds it too, but is included after this file)
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
# the same test on a sparse disk of 2^28 + 2048 sectors (128 GiB; about 128 KiB on disk): LBA48, 255-head CHS
set(BIOS_BIG_IMG ${BIOS_TEST_OUT}/disk_test_big.img)
add_custom_command(OUTPUT ${BIOS_BIG_IMG}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${BIOS_TEST_OUT}
  COMMAND ${NASM} -f bin -DBIG -o ${BIOS_BIG_IMG} ${BIOS_TEST_DIR}/disk_test.asm
  COMMAND truncate -s 137440002048 ${BIOS_BIG_IMG}
  DEPENDS ${BIOS_TEST_DIR}/disk_test.asm
  COMMENT "nasm tests/bios/disk_test.asm -DBIG (sparse 128 GiB image)")
set(BIOS_RESET_IMG ${BIOS_TEST_OUT}/reset_test.img)
add_custom_command(OUTPUT ${BIOS_RESET_IMG}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${BIOS_TEST_OUT}
  COMMAND ${NASM} -f bin -o ${BIOS_RESET_IMG} ${BIOS_TEST_DIR}/reset_test.asm
  DEPENDS ${BIOS_TEST_DIR}/reset_test.asm
  COMMENT "nasm tests/bios/reset_test.asm")
set(BIOS_MB_ELF ${BIOS_TEST_OUT}/mb_test.elf)
set(BIOS_MB_AOUT ${BIOS_TEST_OUT}/mb_test_aout.elf)
set(BIOS_MB_MOD ${BIOS_TEST_OUT}/mb_module.bin)
set(BIOS_MB_BAD ${BIOS_TEST_OUT}/mb_test_bad.elf)
add_custom_command(OUTPUT ${BIOS_MB_ELF} ${BIOS_MB_AOUT} ${BIOS_MB_MOD} ${BIOS_MB_BAD}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${BIOS_TEST_OUT}
  COMMAND ${NASM} -f bin -o ${BIOS_MB_ELF} ${BIOS_TEST_DIR}/mb_test.asm
  COMMAND ${NASM} -f bin -DAOUT_KLUDGE -o ${BIOS_MB_AOUT} ${BIOS_TEST_DIR}/mb_test.asm
  COMMAND ${NASM} -f bin -DBAD_LOAD -o ${BIOS_MB_BAD} ${BIOS_TEST_DIR}/mb_test.asm
  COMMAND ${NASM} -f bin -o ${BIOS_MB_MOD} ${BIOS_TEST_DIR}/mb_module.asm
  DEPENDS ${BIOS_TEST_DIR}/mb_test.asm ${BIOS_TEST_DIR}/mb_module.asm
  COMMENT "nasm tests/bios/mb_test.asm, mb_module.asm")
add_custom_target(bios_test_images ALL DEPENDS ${BIOS_DISK_IMG} ${BIOS_BIG_IMG} ${BIOS_RESET_IMG} ${BIOS_MB_ELF} ${BIOS_MB_AOUT} ${BIOS_MB_MOD} ${BIOS_MB_BAD})

set(BIOS_LINUX_APPEND "console=ttyS0,115200 panic=-1 mitigations=off cryptomgr.notests=1 noisapnp gk.only=none")
if(TARGET pcjit)
  foreach(accel interp jit)
    set(sfx "")
    if(accel STREQUAL "jit")
      set(sfx "_jit")
    endif()
    set(pcjit_bios ${PCJIT_EXE} -machine pc -accel ${accel} -bios ${BIOS_BIN} -serial stdio -debugcon stdio
                   -no-reboot -m 32)
    add_test(NAME bios_disk_test${sfx}
      COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh -- ${pcjit_bios}
              -drive file=${BIOS_DISK_IMG},format=raw,snapshot=on)
    add_test(NAME bios_disk_test_big${sfx}
      COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh -- ${pcjit_bios}
              -drive file=${BIOS_BIG_IMG},format=raw,snapshot=on)
    set_tests_properties(bios_disk_test_big${sfx} PROPERTIES TIMEOUT 60 LABELS "bios;guest")
    add_test(NAME bios_reset_test${sfx}        # (no -no-reboot: the guest resets the machine once)
      COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh -- ${PCJIT_EXE} -machine pc -accel ${accel}
              -bios ${BIOS_BIN} -serial stdio -debugcon stdio -m 32 -drive file=${BIOS_RESET_IMG},format=raw,snapshot=on)
    set_tests_properties(bios_reset_test${sfx} PROPERTIES TIMEOUT 60 LABELS "bios;guest")
    add_test(NAME bios_multiboot_elf${sfx}
      COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh -- ${pcjit_bios}
              -kernel ${BIOS_MB_ELF} -initrd ${BIOS_MB_MOD} -append "mbtest arg=42")
    add_test(NAME bios_multiboot_aout${sfx}
      COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh -- ${pcjit_bios}
              -kernel ${BIOS_MB_AOUT} -initrd ${BIOS_MB_MOD} -append "mbtest arg=42")
    # a multiboot segment aimed at 0x400 is refused with a message; nothing of the kernel runs (no "ok" line)
    add_test(NAME bios_multiboot_refused${sfx}
      COMMAND sh ${BIOS_TEST_DIR}/expect-output.sh "+cannot boot the fw_cfg kernel: multiboot kernel segments outside"
              "+no bootable device, halted" "-^ok " "-^FAIL" -- ${pcjit_bios} -kernel ${BIOS_MB_BAD} -initrd ${BIOS_MB_MOD})
    set_tests_properties(bios_disk_test${sfx} bios_multiboot_elf${sfx} bios_multiboot_aout${sfx}
                         bios_multiboot_refused${sfx}
                         PROPERTIES TIMEOUT 60 LABELS "bios;guest")
    # the disk tests' MBR program (tests/disk/mbr.asm, built by tests/disk/tests.cmake) booted by our firmware
    if(EXISTS ${CMAKE_SOURCE_DIR}/tests/disk/mbr.asm)
      add_test(NAME bios_disk_mbr${sfx}
        COMMAND sh ${BIOS_TEST_DIR}/mbr.sh ${PCJIT_EXE} ${BIOS_BIN} ${CMAKE_BINARY_DIR}/disk/mbr.bin
                -accel ${accel})
      set_tests_properties(bios_disk_mbr${sfx} PROPERTIES TIMEOUT 60 LABELS "bios;disk")
    endif()
    if(GUESTKIT_FOUND AND NOT CMAKE_CROSSCOMPILING)
      add_test(NAME bios_linux${sfx}
        COMMAND sh ${BIOS_TEST_DIR}/linux-boot.sh ${PCJIT_EXE} -machine pc -accel ${accel} -icount 3 -m 256
                -bios ${BIOS_BIN} -serial stdio -no-reboot
                -kernel ${GUESTKIT_OUT}/vmlinuz-686 -initrd ${GUESTKIT_OUT}/initrd.gz -append "${BIOS_LINUX_APPEND}")
      set_tests_properties(bios_linux${sfx} PROPERTIES TIMEOUT 600 LABELS "bios;linux" FIXTURES_REQUIRED guestkit)
    endif()
  endforeach()
endif()

if(QEMU_SYSTEM_I386)
  add_test(NAME bios_disk_test_qemu
    COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh -- ${QEMU_SYSTEM_I386} -accel tcg -bios ${BIOS_BIN}
            -display none -nodefaults -serial null -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4
            -no-reboot -m 32 -drive file=${BIOS_DISK_IMG},format=raw,if=ide,snapshot=on)
  add_test(NAME bios_disk_test_big_qemu
    COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh -- ${QEMU_SYSTEM_I386} -accel tcg -bios ${BIOS_BIN}
            -display none -nodefaults -serial null -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4
            -no-reboot -m 32 -drive file=${BIOS_BIG_IMG},format=raw,if=ide,snapshot=on)
  add_test(NAME bios_reset_test_qemu
    COMMAND sh ${CMAKE_SOURCE_DIR}/tests/guest/run-guest.sh -- ${QEMU_SYSTEM_I386} -accel tcg -bios ${BIOS_BIN}
            -display none -nodefaults -serial null -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4
            -m 32 -drive file=${BIOS_RESET_IMG},format=raw,if=ide,snapshot=on)
  set_tests_properties(bios_disk_test_qemu bios_disk_test_big_qemu bios_reset_test_qemu
                       PROPERTIES TIMEOUT 60 LABELS "bios;qemu")
  if(GUESTKIT_FOUND AND NOT CMAKE_CROSSCOMPILING)
    add_test(NAME bios_linux_qemu
      COMMAND sh ${BIOS_TEST_DIR}/linux-boot.sh ${QEMU_SYSTEM_I386} -accel tcg -cpu pentium3 -m 256
              -bios ${BIOS_BIN} -display none -nodefaults -serial stdio -no-reboot
              -kernel ${GUESTKIT_OUT}/vmlinuz-686 -initrd ${GUESTKIT_OUT}/initrd.gz
              -append "${BIOS_LINUX_APPEND}")
    set_tests_properties(bios_linux_qemu PROPERTIES TIMEOUT 300 LABELS "bios;qemu;linux" FIXTURES_REQUIRED guestkit)
  endif()
endif()
