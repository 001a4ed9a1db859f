; strings.asm — a string-instruction workload for measuring guest speed (bench/, not a test): 32-bit flat
; protected mode, 200,000 rounds of REP STOSD (fill 4 KiB), REP MOVSD (copy it), REPE CMPSB (find the first
; difference) and REPNE SCASB (find a marker byte), each round with different data and positions. A REP
; instruction counts as one guest instruction however many iterations it makes, so MIPS figures are low here: the
; interesting number is the time against QEMU. Checks a checksum of the remaining counts against the value
; qemu-system-i386 computes; exits through isa-debug-exit.
; Left out: DF = 1 (backwards) strings, 16-bit address size, LODS/INS/OUTS.
%include "lib.inc"

ROUNDS  equ 200000
N       equ 4096
BUF_A   equ 0x200000
BUF_B   equ 0x210000

test_main:
        cld
        xor     edx, edx                ; checksum
        mov     ebp, ROUNDS
.round: mov     eax, ebp                ; A = a dword pattern that depends on the round
        imul    eax, eax, 0x9E3779B9
        or      eax, 0x01010101         ; no zero byte, and never the 0x5A marker in every byte
        and     eax, 0xFEFEFEFE
        mov     edi, BUF_A
        mov     ecx, N / 4
        rep     stosd
        mov     ebx, ebp                ; a marker byte somewhere in A
        imul    ebx, ebx, 7
        and     ebx, N - 1
        mov     byte [BUF_A + ebx], 0x5B
        mov     esi, BUF_A              ; B = A
        mov     edi, BUF_B
        mov     ecx, N / 4
        rep     movsd
        mov     ebx, ebp                ; one byte of B differs
        imul    ebx, ebx, 13
        and     ebx, N - 1
        xor     byte [BUF_B + ebx], 0x80
        mov     esi, BUF_A              ; compare: ECX left = N - position of the difference - 1
        mov     edi, BUF_B
        mov     ecx, N
        repe    cmpsb
        rol     edx, 5
        add     edx, ecx
        mov     edi, BUF_B              ; scan for the marker
        mov     ecx, N
        mov     al, 0x5B
        repne   scasb
        rol     edx, 3
        xor     edx, ecx
        dec     ebp
        jnz     .round
        mov     esi, BUF_B              ; fold in the last B
        mov     ecx, N / 4
.sum:   rol     edx, 1
        xor     edx, [esi]
        add     esi, 4
        dec     ecx
        jnz     .sum
        CHECK   "strings_checksum", edx, 0x5BA0458F   ; the value qemu-system-i386 computes
        ret

IMAGE_END
