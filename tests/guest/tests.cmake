# tests/guest/tests.cmake — the bare-metal guest test programs (tests/guest/*.asm, docs/guest-tests.md).
# Each program is assembled by nasm into a 128 KiB firmware image and becomes three CTests:
#   guest_<name>       under pcjit (-bios, interpreter), label "guest"
#   guest_<name>_jit   under pcjit with the JIT of the host (-accel jit), labels "guest;jit"
#   guest_<name>_qemu  under qemu-system-i386 (when installed), labels "guest;qemu"
# Where QEMU itself is wrong, GUEST_QEMU_KNOWN_FAIL_<name> lists the checks it fails; that QEMU test is WILL_FAIL
# and run-guest.sh makes it "fail as expected" only if exactly those checks fail (anything else is a real failure).
set(GUEST_DIR ${CMAKE_SOURCE_DIR}/tests/guest)
set(GUEST_OUT ${CMAKE_BINARY_DIR}/guest)
set(GUEST_PROGRAMS pm_basic paging rings v86 tasks exceptions strings_smc pc_board)
# (not in a cross build: QEMU's verdicts do not depend on the build, the native build has them)
if(NOT CMAKE_CROSSCOMPILING)
  find_program(QEMU_SYSTEM_I386 qemu-system-i386)
endif()
# pc_*.asm programs drive the PC devices (docs/devices.md): pcjit needs -machine pc (COM1 on stdout); QEMU's
# -nodefaults leaves COM1 out unless -serial names a backend. GUEST_{PCJIT,QEMU}_ARGS_<name>: extra arguments.
set(GUEST_PCJIT_ARGS_pc_board -machine pc -serial stdio)
set(GUEST_QEMU_ARGS_pc_board -serial null)

# QEMU 7.2 TCG does not check segment limits or segment types on data accesses, nor the CS limit on near jumps,
# nor the 64 KiB limit in real mode (SDM vol 3 3.4.5.1, 5.3, 20.1.1).
set(GUEST_QEMU_KNOWN_FAIL_pm_basic
  limit_dword_over_vec limit_dword_over_err limit_dword_over_eip limit_byte_over_vec limit_byte_over_eip
  limit_store_over_vec limit_store_no_partial_write gran_over_vec gran_over_eip readonly_write_vec
  readonly_write_err readonly_not_written code_write_vec code_write_eip expdown_below_vec expdown_below_err
  expdown_below_eip expdown_above_64k_vec expdown_above_64k_eip cs_limit_jmp_vec cs_limit_jmp_eip
  real_mode_limit_gp_count real_mode_limit_gp_ip)
# SDM vol 3 4.10.2.4 lets a TLB drop entries at any time: QEMU flushes global pages on MOV CR3 (legal, but not
# what the hardware or pcjit does); paging.asm checks that they survive.
# QEMU also reports a reserved-bit #PF with P = 0 (error 8); SDM vol 3 4.7: RSVD is only ever set together with P.
set(GUEST_QEMU_KNOWN_FAIL_paging global_survives_cr3 pae_rsvd_err)
# QEMU: no SS limit check, no #GP for an access through a null DS, no #UD for LOCK MOV, no #AC, no EXT bit in the
# error code of a fault raised while delivering an exception (SDM vol 3 6.13).
set(GUEST_QEMU_KNOWN_FAIL_exceptions
  ss_limit_vec ss_limit_err ss_limit_eip null_ds_write_vec null_ds_write_err null_ds_write_eip
  ud_lock_mov_vec ud_lock_mov_eip ac_vec ac_err ac_eip ud_gate_np_code_err)

set(GUEST_BINS)
foreach(p ${GUEST_PROGRAMS})
  if(NOT EXISTS ${GUEST_DIR}/${p}.asm)
    continue()
  endif()
  set(bin ${GUEST_OUT}/${p}.bin)
  add_custom_command(OUTPUT ${bin}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${GUEST_OUT}
    COMMAND ${NASM} -f bin -I ${GUEST_DIR}/ -o ${bin} ${GUEST_DIR}/${p}.asm
    DEPENDS ${GUEST_DIR}/${p}.asm ${GUEST_DIR}/lib.inc
    COMMENT "nasm ${p}.asm")
  list(APPEND GUEST_BINS ${bin})
  if(TARGET pcjit)
    add_test(NAME guest_${p}
      COMMAND sh ${GUEST_DIR}/run-guest.sh --
              ${PCJIT_RUN} $<TARGET_FILE:pcjit> -bios ${bin} -accel interp -machine none -debugcon stdio -m 32 -no-reboot ${GUEST_PCJIT_ARGS_${p}})
    set_tests_properties(guest_${p} PROPERTIES TIMEOUT 60 LABELS guest)
    add_test(NAME guest_${p}_jit
      COMMAND sh ${GUEST_DIR}/run-guest.sh --
              ${PCJIT_RUN} $<TARGET_FILE:pcjit> -bios ${bin} -accel jit -machine none -debugcon stdio -m 32 -no-reboot ${GUEST_PCJIT_ARGS_${p}})
    set_tests_properties(guest_${p}_jit PROPERTIES TIMEOUT 60 LABELS "guest;jit")
  endif()
  if(QEMU_SYSTEM_I386)
    set(known "${GUEST_QEMU_KNOWN_FAIL_${p}}")
    set(qemu_cmd ${QEMU_SYSTEM_I386} -accel tcg -bios ${bin} -display none -nodefaults
      -device isa-debug-exit,iobase=0xf4,iosize=4 -debugcon stdio -no-reboot -m 32 ${GUEST_QEMU_ARGS_${p}})
    if(known)
      string(REPLACE ";" " " known_str "${known}")
      add_test(NAME guest_${p}_qemu COMMAND sh ${GUEST_DIR}/run-guest.sh --known-fail "${known_str}" -- ${qemu_cmd})
      set_tests_properties(guest_${p}_qemu PROPERTIES WILL_FAIL TRUE)
    else()
      add_test(NAME guest_${p}_qemu COMMAND sh ${GUEST_DIR}/run-guest.sh -- ${qemu_cmd})
    endif()
    set_tests_properties(guest_${p}_qemu PROPERTIES TIMEOUT 60 LABELS "guest;qemu")
  endif()
endforeach()
# -icount: pc_board with device time taken from the instruction count, run twice: both pass and retire exactly the
# same instructions and interrupts (tests/guest/pc_deterministic.sh)
if(TARGET pcjit AND EXISTS ${GUEST_DIR}/pc_board.asm)
  add_test(NAME guest_pc_board_icount
    COMMAND sh ${GUEST_DIR}/pc_deterministic.sh ${PCJIT_RUN} $<TARGET_FILE:pcjit> -bios ${GUEST_OUT}/pc_board.bin
            -accel interp -machine pc -serial stdio -icount 6 -debugcon stdio -m 32 -no-reboot)
  set_tests_properties(guest_pc_board_icount PROPERTIES TIMEOUT 60 LABELS guest)
endif()
add_custom_target(guest_programs ALL DEPENDS ${GUEST_BINS})
