; reset_test.asm — a 1 MiB disk image whose boot sector checks that the firmware survives a warm reset: on the
; first boot it sets CMOS byte 7Eh (kept across a reset, like every CMOS byte) and pulses the fast reset of port
; 92h (bit 0); the firmware must run POST again from the reset vector and boot this sector a second time, which
; then checks that the BDA, the IVT and the E820 map are as a cold POST leaves them and reports PASS.
; Run without -no-reboot. ok/FAIL lines and PASS on port 0xE9, the verdict on isa-debug-exit (0xF4).
        cpu     686
        bits    16
        org     0x7C00
MARK    equ     0x7E
boot:   cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        mov     al, 0x80 | MARK
        out     0x70, al
        in      al, 0x71
        cmp     al, 0xA5
        je      second
        mov     al, 0x80 | MARK
        out     0x70, al
        mov     al, 0xA5
        out     0x71, al
        mov     si, s_first
        call    puts
        in      al, 0x92                ; fast reset: bit 0 rising
        or      al, 1
        out     0x92, al
        hlt
        mov     si, s_noreset
        call    fail
second: mov     al, 0x80 | MARK         ; clear the mark for the next run
        out     0x70, al
        xor     al, al
        out     0x71, al
        mov     si, s_second
        call    puts
        cmp     word [0x413], 639
        mov     si, s_bda
        jne     fail
        cmp     word [0x40E], 0x9FC0
        jne     fail
        cmp     word [0x13 * 4 + 2], 0xF000
        mov     si, s_ivt
        jne     fail
        mov     si, s_dl
        cmp     dl, 0x80
        jne     fail
        sti
        xor     ebx, ebx                ; the E820 map: the first entry is 0-9FC00h usable
        mov     eax, 0xE820
        mov     ecx, 20
        mov     edx, 0x534D4150
        mov     di, 0x600
        int     0x15
        mov     si, s_e820
        jc      fail
        cmp     dword [0x608], 0x9FC00
        jne     fail
        mov     si, s_pass
        call    puts
        mov     al, 0
        out     0xF4, al
        cli
        hlt
fail:   push    si                      ; SI = the check's name
        mov     si, s_fail
        call    puts
        pop     si
        call    puts
        mov     si, s_got
        call    puts
        mov     al, 1
        out     0xF4, al
        cli
        hlt
puts:   lodsb
        test    al, al
        jz      .d
        out     0xE9, al
        jmp     puts
.d:     ret
s_first:  db 'ok first_boot_resetting', 10, 0
s_noreset: db 'reset_happened', 0
s_second: db 'ok second_boot_after_reset', 10, 0
s_bda:    db 'bda_after_reset', 0
s_ivt:    db 'ivt_after_reset', 0
s_dl:     db 'dl_after_reset', 0
s_e820:   db 'e820_after_reset', 0
s_pass:   db 'PASS', 10, 0
s_fail:   db 'FAIL ', 0
s_got:    db ' got 1 want 0', 10, 0
        times   510 - ($ - $$) db 0
        dw      0xAA55
        times   2047 * 512 db 0
