; mbr.asm — a boot sector for the SeaBIOS end-to-end disk test (tests/disk/seabios.sh): SeaBIOS has found the
; disk through its own ATA driver (IDENTIFY) and loaded this sector with INT 13h; here the BIOS disk services run
; on our IDE model: an extended read (AH=42h) of LBA 1, an extended write (AH=43h) of this sector to LBA 5, a CHS
; read (AH=02h) of LBA 5 compared with this sector; each result is printed on SeaBIOS's debug port (0x402), then
; the machine powers off through ACPI at the PM base SeaBIOS programmed (PCI 00:01.3 register 40h).
        bits    16
        org     0x7C00
start:  cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        mov     [drive], dl
        mov     si, msg_boot
        call    print
        ; AH=42h: LBA 1 → 0000:8000
        mov     si, dap
        mov     word [dap_buf], 0x8000
        mov     dword [dap_lba], 1
        mov     ah, 0x42
        mov     dl, [drive]
        int     0x13
        jc      .e1
        cmp     dword [0x8000], 'SEC1'
        jne     .e1
        mov     si, msg_read
        call    print
.e1:    ; AH=43h: this sector → LBA 5
        mov     si, dap
        mov     word [dap_buf], 0x7C00
        mov     dword [dap_lba], 5
        mov     ax, 0x4300
        mov     dl, [drive]
        int     0x13
        jc      .e2
        mov     si, msg_write
        call    print
.e2:    ; AH=02h: C0 H0 S6 (LBA 5) → 0000:9000, compare
        mov     ax, 0x0201
        mov     cx, 0x0006
        xor     dh, dh
        mov     dl, [drive]
        mov     bx, 0x9000
        int     0x13
        jc      .e3
        mov     si, 0x7C00
        mov     di, 0x9000
        mov     cx, 256
        repe cmpsw
        jne     .e3
        mov     si, msg_chs
        call    print
.e3:    ; ACPI soft off: PM1_CNT = PMBA + 4, SLP_TYP 0 | SLP_EN
        mov     eax, 0x80000B40
        mov     dx, 0xCF8
        out     dx, eax
        mov     dx, 0xCFC
        in      eax, dx
        and     ax, 0xFFC0
        add     ax, 4
        mov     dx, ax
        mov     ax, 0x2000
        out     dx, ax
        mov     si, msg_off
        call    print
.hang:  hlt
        jmp     .hang

print:  mov     dx, 0x402
.l:     lodsb
        test    al, al
        jz      .d
        out     dx, al
        jmp     .l
.d:     ret

drive:  db 0
dap:    db 16, 0
        dw 1
dap_buf: dw 0, 0
dap_lba: dq 0
msg_boot:  db "MBR: booted", 10, 0
msg_read:  db "MBR: INT13 42h read ok", 10, 0
msg_write: db "MBR: INT13 43h write ok", 10, 0
msg_chs:   db "MBR: INT13 02h CHS read-back ok", 10, 0
msg_off:   db "MBR: FAIL still running after ACPI soft off", 10, 0
        times 510 - ($ - $$) db 0
        dw 0xAA55
