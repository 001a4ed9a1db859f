; intloop.asm — a fixed integer workload for measuring guest MIPS (bench/, not a test): 32-bit flat protected mode,
; a loop of ALU ops, a load, a store, a compare-and-branch and a call/ret, 20,000,000 iterations
; (≈ 240 M guest instructions). Checks the final EAX against the value qemu-system-i386 computes; exits through isa-debug-exit.
; Run: pcjit -bios intloop.bin -debugcon stdio -stats   (and the same image under qemu-system-i386 -bios)
%include "lib.inc"

ITER    equ 20000000
BUF     equ 0x200000

test_main:
        mov     ecx, ITER
        xor     eax, eax
        mov     ebx, 0x12345678
        mov     esi, BUF
        xor     edx, edx
.loop:
        add     eax, ebx
        xor     ebx, eax
        rol     ebx, 5
        mov     edi, eax
        and     edi, 0xffc
        mov     edx, [esi + edi]
        add     edx, ecx
        mov     [esi + edi], edx
        call    .leaf
        dec     ecx
        jnz     .loop
        CHECK   "intloop_checksum", eax, 0x0BEEE3A2   ; the value qemu-system-i386 computes for this loop
        ret
.leaf:  inc     eax
        ret

IMAGE_END
