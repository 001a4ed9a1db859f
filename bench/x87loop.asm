; x87loop.asm — an x87 floating-point workload for measuring guest MIPS (bench/, not a test): 32-bit flat protected
; mode, 1,000,000 iterations of FILD / FMUL m64 / FSQRT / FADD / FLD / FMUL / FDIVR / FADDP on an accumulator kept
; in the register stack (≈ 12 M guest instructions, 8 M of them x87), default control word (64-bit precision,
; round to nearest). Checks the accumulated sum (scaled, FISTP) against the value qemu-system-i386 computes; exits
; through isa-debug-exit.
; Left out: transcendental instructions (FSIN, FPATAN ...), exceptions, MMX.
%include "lib.inc"

ITER    equ 1000000

test_main:
        fninit
        mov     ecx, ITER
        fldz                            ; st0 = sum
.loop:  mov     [test_tmp], ecx
        fild    dword [test_tmp]        ; i
        fmul    qword [k_scale]         ; i / 1024
        fsqrt
        fadd    st1, st0                ; sum += sqrt(i / 1024)
        fld     st0
        fmul    st0, st0                ; i / 1024 again, rounded through the square root
        fdivr   qword [k_one]           ; 1 / that
        faddp   st2, st0                ; sum += 1024 / i (approximately)
        fstp    st0
        dec     ecx
        jnz     .loop
        fmul    qword [k_out]
        fistp   dword [test_tmp + 4]
        fnstsw  ax
        CHECK   "x87_sum", [test_tmp + 4], 0x13E1DD72   ; the value qemu-system-i386 computes
        CHECKM  "x87_stack_empty", eax, 0x3800, 0        ; TOP back to 0: nothing left on the stack
        ret

        align   8
k_scale: dq     0.0009765625            ; 1 / 1024
k_one:   dq     1.0
k_out:   dq     16.0

IMAGE_END
