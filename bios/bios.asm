; bios.asm — the pcjit PC firmware, one 128 KiB image (nasm -f bin), mapped at 0xE0000-0xFFFFF and at
; 4 GiB - 128 KiB; the CPU starts at F000:FFF0.
; Layout: .text32 (file 0x00000, linear 0xE0000-0xEFFFF): 32-bit flat POST work (shadowing, memory sizing, PCI,
; ACPI, E820, fw_cfg kernel loading, multiboot); .text16 (file 0x10000, CS = 0xF000): the variables, the reset
; entry, real-mode services (INT 10h-1Ah, IRQ handlers), INT 13h over ATA PIO, the boot path, fixed tables.
; Invariants: the F segment's variables are only written after POST made 0xE0000-0xFFFFF RAM (PAM, post32);
; services never write outside what their caller named; every unsupported function returns its documented
; error and is logged once on port 0xE9.
; Left out: floppy, CD (El Torito), VGA/VBE, APM, SMP/MP tables/MADT, PnP BIOS, BIOS32, option ROMs.
        cpu     686
%include "defs.inc"

        section .text32 start=0 vstart=0xE0000
        bits    32
%include "post32.asm"
%include "pci.asm"
%include "acpi.asm"
%include "boot32.asm"
text32_end:
        times   0x10000 - ($ - $$) db 0 ; (fails to assemble if .text32 outgrew 64 KiB)

        section .text16 start=0x10000 vstart=0
        bits    16
%include "vars.asm"
%include "rm16.asm"
%include "services.asm"
%include "int13.asm"
%include "int15.asm"
%include "tables16.asm"
text16_end:
        times   0xFFF0 - ($ - $$) db 0
reset_vector:                           ; F000:FFF0 (first fetched at 0xFFFFFFF0 with CS base 0xFFFF0000)
        jmp     BIOS_SEG:post_entry
        db      '12/08/26'              ; BIOS date at F000:FFF5 (Ralf Brown, memory map)
        db      0
        db      0xFC                    ; F000:FFFE model byte: AT
        db      0
