; callret.asm — a call/return-heavy workload for measuring guest MIPS (bench/, not a test): 32-bit flat
; protected mode, 10,000,000 iterations of a direct call that nests two deep, an indirect call through a table in
; memory, and an indirect call through a register (≈ 220 M guest instructions, a third of them CALL or RET).
; Checks the final EAX against the value qemu-system-i386 computes; exits through isa-debug-exit.
; Left out: far calls, RET imm16, calls that cross pages on purpose.
%include "lib.inc"

ITER    equ 10000000

test_main:
        mov     ecx, ITER
        xor     eax, eax
        mov     esi, 0x9E3779B9
.loop:  call    f_outer                 ; direct, nested
        mov     edx, ecx                ; indirect through memory
        and     edx, 3
        call    [ftab + edx * 4]
        mov     edx, eax                ; indirect through a register
        shr     edx, 7
        and     edx, 3
        mov     ebx, [ftab + edx * 4]
        call    ebx
        dec     ecx
        jnz     .loop
        CHECK   "callret_checksum", eax, 0x8F309F60   ; the value qemu-system-i386 computes
        ret

f_outer:
        add     eax, ecx
        call    f_inner
        xor     eax, esi
        ret
f_inner:
        rol     eax, 3
        ret
f0:     add     eax, 0x1234567
        ret
f1:     xor     eax, 0x55AA55AA
        ret
f2:     rol     eax, 11
        sub     eax, ecx
        ret
f3:     imul    eax, eax, 5
        inc     eax
        ret
        align   4
ftab:   dd      f0, f1, f2, f3

IMAGE_END
