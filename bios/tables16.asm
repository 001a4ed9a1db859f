; tables16.asm — fixed data in the F segment: the IVT assignments, the INT 15h C0h configuration table, the
; diskette and fixed disk parameter tables (INT 1Eh, 41h, 46h), the $PIR routing table, the RSDP, the keyboard
; maps and the messages.

ivt_list:                               ; vector, handler offset (F000:); 0FFh ends the list
        db 0x08
        dw irq0
        db 0x09
        dw irq1
%assign v 0x0A
%rep 6
        db v
        dw irq_master
%assign v v + 1
%endrep
        db 0x10
        dw int10
        db 0x11
        dw int11
        db 0x12
        dw int12
        db 0x13
        dw int13
        db 0x15
        dw int15
        db 0x16
        dw int16
        db 0x18
        dw int18
        db 0x19
        dw int19
        db 0x1A
        dw int1a
        db 0x1C
        dw iret_stub
        db 0x1E
        dw diskette_params
        db 0x4A
        dw iret_stub
        db 0x70
        dw irq8
%assign v 0x71
%rep 7
        db v
        dw irq_slave
%assign v v + 1
%endrep
        db 0xFF
        dw 0

config_table:                           ; INT 15h AH=C0h (Ralf Brown table 00509)
        dw      8                       ; bytes that follow
        db      0xFC, 0x01, 0x00        ; model (AT), submodel, BIOS revision
        db      0x70                    ; feature 1: second 8259, RTC, INT 09h calls INT 15h AH=4Fh
        db      0x40                    ; feature 2: INT 16h AH=09h... (extended keyboard functions 10h-12h)
        db      0, 0, 0

diskette_params:                        ; INT 1Eh: 1.44 MB (there is no floppy; programs copy this table)
        db      0xAF, 0x02, 0x25, 0x02, 0x12, 0x1B, 0xFF, 0x6C, 0xF6, 0x0F, 0x08

fdpt0:  times 16 db 0                   ; INT 41h/46h fixed disk parameter tables (filled at POST)
fdpt1:  times 16 db 0

; $PIR (Microsoft "PCI IRQ Routing Table Specification" 1.0): the PIIX3 at 00:01.0 routes PIRQA-D (link values
; 60h-63h, its PIRQRC registers); slot s pin p uses PIRQ (s - 1 + p) mod 4. Checksum computed at POST.
        align   16
pir_table:
        db      '$PIR'
        dw      0x0100                  ; version 1.0
        dw      pir_end - pir_table     ; table size
        db      0, 0x08                 ; router: bus 0, devfn 00:01.0
        dw      0                       ; PCI-exclusive IRQs: none
        dw      0x8086, 0x7000          ; compatible router: PIIX3
        dd      0                       ; miniport data
        times   11 db 0
        db      0                       ; checksum
%assign slot 1
%rep 31
        db      0, slot << 3            ; bus, device
%assign pin 0
%rep 4
        db      0x60 + ((slot - 1 + pin) % 4)
        dw      0x0E20                  ; IRQs the link can take: 5, 9, 10, 11
%assign pin pin + 1
%endrep
        db      slot                    ; slot number
        db      0
%assign slot slot + 1
%endrep
pir_end:

        align   16
rsdp:                                   ; ACPI 2.0 5.2.4.3 (addresses and checksums filled at POST)
        db      'RSD PTR '
        db      0                       ; checksum of the first 20 bytes
        db      'PCJIT '
        db      2                       ; revision: ACPI 2.0 (XSDT present)
        dd      0                       ; RSDT
        dd      36                      ; length
        dq      0                       ; XSDT
        db      0                       ; extended checksum
        db      0, 0, 0

; scan code set 1 → ASCII, keys 00h-39h (US layout)
kbd_normal:
        db      0, 0x1B, '1234567890-=', 0x08, 0x09
        db      'qwertyuiop[]', 0x0D, 0
        db      "asdfghjkl;'`", 0, '\'
        db      'zxcvbnm,./', 0, '*', 0, ' '
KBD_TABLE_LEN   equ $ - kbd_normal
kbd_shift:
        db      0, 0x1B, '!@#$%^&*()_+', 0x08, 0
        db      'QWERTYUIOP{}', 0x0D, 0
        db      'ASDFGHJKL:"~', 0, '|'
        db      'ZXCVBNM<>?', 0, '*', 0, ' '
%if $ - kbd_shift != KBD_TABLE_LEN
%error "keyboard tables differ in length"
%endif

msg_post:       db 'pcjit BIOS: ', 0
msg_post_ram:   db ' MiB RAM, ', 0
msg_post_disk:  db ' disk', 0
msg_post_pci:   db ', ', 0
msg_post_acpi:  db ' PCI functions, ACPI', 0
msg_post_fw:    db ', fw_cfg', 0
msg_nl:         db 10, 0
msg_boot_fail:  db 'pcjit BIOS: cannot boot the fw_cfg kernel: ', 0
msg_boot_linux: db 'pcjit BIOS: booting Linux (fw_cfg)', 10, 0
msg_boot_mb:    db 'pcjit BIOS: booting multiboot kernel (fw_cfg)', 10, 0
msg_boot_hd:    db 'pcjit BIOS: booting from hard disk 80h', 10, 0
msg_boot_nodisk: db 'pcjit BIOS: no hard disk', 10, 0
msg_boot_readerr: db 'pcjit BIOS: cannot read the boot sector of disk 80h', 10, 0
msg_boot_nosig: db 'pcjit BIOS: disk 80h has no boot signature (55AAh)', 10, 0
msg_no_boot:    db 'pcjit BIOS: no bootable device, halted', 10, 0
msg_disk_nolba: db 'pcjit BIOS: ATA disk without LBA ignored', 10, 0
msg_unhandled:  db 'pcjit BIOS: unhandled INT ', 0
msg_unhandled_end: db 'h', 10, 0
msg_fatal:      db 'pcjit BIOS: CPU exception ', 0
msg_fatal_at:   db 'h in real mode at ', 0
msg_halted:     db ', halted', 10, 0
