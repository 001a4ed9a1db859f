; memcpy.asm — a memory-copy workload for measuring guest MIPS (bench/, not a test): 32-bit flat protected mode,
; a plain MOV loop (16 bytes per iteration through registers) copying a 64 KiB buffer back and forth between two
; RAM buffers, 5,000 rounds, each round perturbing one dword so the final buffer depends on every round
; (≈ 245 M guest instructions, 320 MiB copied). Checks a checksum of the final buffer against the value
; qemu-system-i386 computes; exits through isa-debug-exit.
; Left out: REP MOVS (strings.asm), unaligned copies.
%include "lib.inc"

ROUNDS  equ 5000
SIZE    equ 0x10000
BUF_A   equ 0x200000
BUF_B   equ 0x280000                ; TLB index 0x80: B does not alias A in the 256-entry direct-mapped TLB

test_main:
        mov     edi, BUF_A              ; fill A with a linear congruential sequence
        mov     ecx, SIZE / 4
        mov     eax, 12345
.fill:  imul    eax, eax, 1103515245
        add     eax, 12345
        mov     [edi], eax
        add     edi, 4
        dec     ecx
        jnz     .fill
        mov     dword [test_tmp], BUF_A
        mov     dword [test_tmp + 4], BUF_B
        mov     ebp, ROUNDS
.round: mov     esi, [test_tmp]
        mov     edi, [test_tmp + 4]
        mov     ecx, SIZE / 16
.copy:  mov     eax, [esi]
        mov     ebx, [esi + 4]
        mov     edx, [esi + 8]
        mov     [edi], eax
        mov     [edi + 4], ebx
        mov     [edi + 8], edx
        mov     eax, [esi + 12]
        mov     [edi + 12], eax
        add     esi, 16
        add     edi, 16
        dec     ecx
        jnz     .copy
        mov     edi, [test_tmp + 4]     ; perturb the copy, then swap source and destination
        mov     eax, ebp
        imul    eax, eax, 2654435761
        shr     eax, 16
        and     eax, SIZE - 4
        add     [edi + eax], ebp
        mov     eax, [test_tmp]
        mov     [test_tmp + 4], eax
        mov     [test_tmp], edi
        dec     ebp
        jnz     .round
        mov     esi, [test_tmp]         ; checksum of the last copy
        mov     ecx, SIZE / 4
        xor     eax, eax
.sum:   rol     eax, 3
        xor     eax, [esi]
        add     esi, 4
        dec     ecx
        jnz     .sum
        CHECK   "memcpy_checksum", eax, 0x3FED7BDE   ; the value qemu-system-i386 computes
        ret

IMAGE_END
