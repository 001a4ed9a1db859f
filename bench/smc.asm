; smc.asm — a self-modifying-code workload for measuring the cost of code invalidation (bench/, not a test):
; 32-bit flat protected mode. Copies two small routines to RAM and runs them:
;  - same_block: each iteration stores the loop counter into the imm32 of an ADD a few instructions ahead in the
;    same block (the store must take effect before that ADD runs: pcjit restarts the storing instruction alone);
;  - other_block: each iteration patches the imm32 of an ADD in a routine it then calls (the routine's block is
;    invalidated and translated again every time).
; 100,000 iterations each. Checks EAX of both against the values qemu-system-i386 computes; exits through
; isa-debug-exit.
; Left out: patching the instruction currently executing, cross-page code, DMA writes to code.
%include "lib.inc"

ITER    equ 100000
CODE    equ 0x20000                     ; RAM copy of the routines (inside lib.inc's free SCRATCH area)

%define AT(x) (CODE + (x) - smc_code)   ; RAM address of a label inside smc_code

test_main:
        mov     esi, smc_code
        mov     edi, CODE
        mov     ecx, smc_code_end - smc_code
        cld
        rep     movsb
        mov     ecx, ITER
        xor     eax, eax
        mov     ebx, AT(same_block)
        call    ebx
        CHECK   "smc_same_block", eax, 0x6DB88D9B   ; the value qemu-system-i386 computes
        mov     ecx, ITER
        xor     eax, eax
        mov     ebx, AT(other_block)
        call    ebx
        CHECK   "smc_other_block", eax, 0x842A911F  ; the value qemu-system-i386 computes
        ret

; position-independent routines, run from CODE (only relative jumps/calls, absolute addresses through AT())
smc_code:
same_block:
.loop:  mov     [AT(.imm)], ecx         ; rewrites the ADD below, in the same block
        db      0x05                    ; add eax, imm32
.imm:   dd      0
        rol     eax, 3
        dec     ecx
        jnz     .loop
        ret
other_block:
.loop:  lea     edx, [ecx * 8 + 1]
        mov     [AT(patched.imm)], edx  ; rewrites the ADD in patched (another block)
        call    patched
        dec     ecx
        jnz     .loop
        ret
patched:
        db      0x05                    ; add eax, imm32
.imm:   dd      0
        rol     eax, 5
        ret
smc_code_end:

IMAGE_END
