; disk_test.asm — a raw hard-disk image (nasm -f bin, 1 MiB) whose boot sector tests the BIOS services a boot
; loader uses, under pcjit (-machine pc -hda) and qemu-system-i386 (-bios build/bios/bios.bin): INT 13h (AH=08h
; geometry, CHS reads/writes across a head boundary, EDD 41h/42h/43h/48h, bad parameters → errors with nothing
; written), INT 15h (E820 map, E801h, 88h, A20 2400h-2403h, 87h block move, C0h, 86h wait, APM → unsupported),
; INT 1Ah (ticks advance, RTC in BCD, PCI BIOS B101h/B102h/B10Ah/B109h), INT 10h (teletype, mode 3),
; INT 11h/12h and the BDA, INT 16h with no key.
; Reports "ok <check>" / "FAIL <check> got X want Y" and PASS on port 0xE9, the verdict on isa-debug-exit (0xF4),
; as tests/guest/run-guest.sh expects. Expected values that depend on RAM assume -m 32.
; Layout: sector 0 boot sector, sectors 1-15 the test (loaded at 0x8000 by the boot sector with INT 13h AH=02h),
; sectors 16-255 hold their own LBA in every dword, the rest is zero. Built with -DBIG the same test runs on a
; disk of 2^28 + 2048 sectors (CHS translated to 1024/255/63, EDD reads and writes above and across LBA 2^28).
        cpu     686
        bits    16
        org     0x7C00
%ifdef BIG                              ; -DBIG: a sparse 128 GiB + 1 MiB image (the file is extended by the build)
IMAGE_SECTORS   equ 0x10000800          ; past 2^28 sectors: LBA48 commands, 255-head translation
%else
IMAGE_SECTORS   equ 2048
%endif
RAM_MB          equ 32
PROG            equ 0x8000
PROG_SECTORS    equ 15
BUF_SEG         equ 0x1000          ; 0x10000: read buffers
V_FAILS         equ 0x600           ; variables
V_DRIVE         equ 0x604
V_SPT           equ 0x608
V_HEADS         equ 0x60C
V_CYLS          equ 0x610
V_FLAGS         equ 0x614
V_TMP           equ 0x618
V_E820N         equ 0x61C
V_USABLE_HI     equ 0x620           ; end of the usable E820 range that starts at 1 MiB
V_ACPI          equ 0x624
V_TICKS         equ 0x628
PACKET          equ 0x700           ; EDD disk address packet
EDDBUF          equ 0x740           ; AH=48h result
E820BUF         equ 0x7A0

boot:
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        sti
        mov     [V_DRIVE], dl
        mov     ax, 0x0200 + PROG_SECTORS
        mov     cx, 0x0002              ; cylinder 0, sector 2
        xor     dh, dh
        mov     bx, PROG
        int     0x13
        jc      .fail
        cmp     al, PROG_SECTORS
        jne     .fail
        jmp     0:PROG
.fail:  mov     si, boot_msg
.p:     lodsb
        test    al, al
        jz      .x
        out     0xE9, al
        jmp     .p
.x:     mov     al, 1
        out     0xF4, al
        cli
        hlt
boot_msg: db 'FAIL boot_load got 1 want 0', 10, 0
        times   510 - ($ - $$) db 0
        dw      0xAA55

; ======================================================================== the test (LBA 1-15 at 0x8000)
        section prog vstart=PROG
%macro CHECK 3                          ; name, actual, expected (32-bit operands)
        push    dword %3
        push    dword %2
        push    word %%n
        call    check_eq
        jmp     %%s
%%n:    db      %1, 0
%%s:
%endmacro
%macro SAVEFLAGS 0
        pushf
        pop     word [V_FLAGS]
%endmacro
%macro CHECK_CF 2                       ; name, expected CF
        push    eax
        movzx   eax, word [V_FLAGS]
        and     eax, 1
        CHECK   %1, eax, %2
        pop     eax
%endmacro
%macro CHECK_AH 2
        push    ebx
        movzx   ebx, ah
        CHECK   %1, ebx, %2
        pop     ebx
%endmacro

main:
        mov     dword [V_FAILS], 0
        movzx   eax, byte [V_DRIVE]
        CHECK   "boot_dl_is_80h", eax, 0x80
        call    t_geometry
        call    t_chs
        call    t_edd
        call    t_bad
        call    t_e820
        call    t_mem
        call    t_time
        call    t_pci
        call    t_misc
        call    t_a20_move
%ifdef BIG
        call    t_lba48
%endif
        cmp     dword [V_FAILS], 0
        jne     .failed
        mov     si, s_pass
        call    puts
        mov     al, 0
        out     0xF4, al
        jmp     .halt
.failed:
        mov     si, s_failed
        call    puts
        mov     al, 1
        out     0xF4, al
.halt:  cli
        hlt
        jmp     .halt
s_pass: db 'PASS', 10, 0
s_failed: db 'FAILED checks', 10, 0

; ---- INT 13h AH=08h, 15h, 41h, 48h ----
t_geometry:
        mov     ah, 0x08
        mov     dl, 0x80
        int     0x13
        SAVEFLAGS
        CHECK_CF "int13_08_cf", 0
        CHECK_AH "int13_08_ah", 0
        movzx   eax, dl
        CHECK   "int13_08_drives_ge1", eax, eax     ; reported below as a range check
        cmp     dl, 1
        jae     .d
        CHECK   "int13_08_drives_nonzero", 0, 1
.d:     movzx   eax, cl
        and     al, 0x3F
        mov     [V_SPT], eax
        movzx   eax, dh
        inc     eax
        mov     [V_HEADS], eax
        movzx   eax, ch
        movzx   ebx, cl
        shr     ebx, 6
        shl     ebx, 8
        or      eax, ebx
        inc     eax
        mov     [V_CYLS], eax
%ifdef BIG
        CHECK   "int13_08_big_spt", [V_SPT], 63
        CHECK   "int13_08_big_heads", [V_HEADS], 255
        CHECK   "int13_08_big_cyls", [V_CYLS], 1024
%else
        ; the CHS geometry must fit in the disk and leave less than one cylinder unused
        mov     eax, [V_SPT]
        imul    eax, [V_HEADS]
        mov     ebx, eax
        imul    eax, [V_CYLS]
        mov     ecx, 0
        cmp     eax, IMAGE_SECTORS
        jbe     .fits
        mov     ecx, 1
.fits:  CHECK   "int13_08_chs_within_disk", ecx, 0
        add     eax, ebx
        mov     ecx, 0
        cmp     eax, IMAGE_SECTORS
        ja      .full
        mov     ecx, 1
.full:  CHECK   "int13_08_chs_uses_disk", ecx, 0
%endif
        mov     ah, 0x15
        mov     dl, 0x80
        int     0x13
        SAVEFLAGS
        CHECK_CF "int13_15_cf", 0
        CHECK_AH "int13_15_type_fixed", 3
        mov     ax, 0x4100
        mov     bx, 0x55AA
        mov     dl, 0x80
        int     0x13
        SAVEFLAGS
        CHECK_CF "int13_41_cf", 0
        CHECK_AH "int13_41_version", 0x30
        movzx   eax, bx
        CHECK   "int13_41_bx", eax, 0xAA55
        movzx   eax, cx
        and     eax, 1
        CHECK   "int13_41_ext_access", eax, 1
        mov     word [EDDBUF], 0x4A
        mov     ah, 0x48
        mov     dl, 0x80
        mov     si, EDDBUF
        int     0x13
        SAVEFLAGS
        CHECK_CF "int13_48_cf", 0
        movzx   eax, word [EDDBUF]
        CHECK   "int13_48_size", eax, 0x4A
        CHECK   "int13_48_sectors_lo", [EDDBUF + 16], IMAGE_SECTORS
        CHECK   "int13_48_sectors_hi", [EDDBUF + 20], 0
        movzx   eax, word [EDDBUF + 24]
        CHECK   "int13_48_bps", eax, 512
        movzx   eax, word [EDDBUF + 0x1E]
        CHECK   "int13_48_key", eax, 0xBEDD
        mov     bx, 0x1E                ; EDD 3.0: bytes 1Eh-49h sum to 0
        xor     al, al
.sum:   add     al, [EDDBUF + bx]
        inc     bx
        cmp     bx, 0x4A
        jb      .sum
        movzx   eax, al
        CHECK   "int13_48_devpath_checksum", eax, 0
        ; the DPTE (16 bytes) checksum
        les     bx, [EDDBUF + 26]
        xor     al, al
        mov     cx, 16
.ds:    add     al, [es:bx]
        inc     bx
        loop    .ds
        push    ds
        pop     es
        movzx   eax, al
        CHECK   "int13_48_dpte_checksum", eax, 0
        ret

; lba_to_chs: EAX = LBA → CX, DH for AH=02h/03h (using the AH=08h geometry)
lba_to_chs:
        xor     edx, edx
        div     dword [V_SPT]
        inc     dl
        mov     cl, dl                  ; sector
        xor     edx, edx
        div     dword [V_HEADS]
        mov     dh, dl                  ; head
        mov     ch, al                  ; cylinder 7:0
        shl     ah, 6
        or      cl, ah
        ret

; pattern_check: ES:0 holds sectors starting at LBA EAX, CX of them; EBX := 0 if every dword is its LBA
pattern_check:
        push    di
        push    cx
        push    eax
        xor     ebx, ebx
        xor     di, di
.sec:   push    cx
        mov     cx, 128
.dw:    cmp     [es:di], eax
        je      .ok
        inc     ebx
.ok:    add     di, 4
        loop    .dw
        pop     cx
        inc     eax
        loop    .sec
        pop     eax
        pop     cx
        pop     di
        ret

fill_buf:                               ; ES:0, CX sectors, every dword = EAX
        push    di
        push    cx
        xor     di, di
        shl     cx, 7
        cld
        rep     stosd
        pop     cx
        pop     di
        ret

; ---- CHS ----
t_chs:
        mov     ax, BUF_SEG
        mov     es, ax
        mov     eax, 0xEEEEEEEE
        mov     cx, 4
        call    fill_buf
        mov     eax, 16
        call    lba_to_chs
        mov     ax, 0x0201
        mov     dl, 0x80
        xor     bx, bx
        int     0x13
        SAVEFLAGS
        CHECK_CF "chs_read_cf", 0
        movzx   eax, al
        CHECK   "chs_read_al", eax, 1
        mov     eax, 16
        mov     cx, 1
        call    pattern_check
        CHECK   "chs_read_data", ebx, 0
        ; two sectors across a head boundary: the last sector of head 0 and the first of head 1
        mov     eax, [V_SPT]
        dec     eax
        push    eax
        call    lba_to_chs
        mov     ax, 0x0202
        mov     dl, 0x80
        xor     bx, bx
        int     0x13
        SAVEFLAGS
        CHECK_CF "chs_read_head_boundary_cf", 0
        pop     eax
        mov     cx, 2
        call    pattern_check
        CHECK   "chs_read_head_boundary_data", ebx, 0
        ; CHS write then read back (LBA 300)
        mov     eax, 0xC5C50000
        mov     cx, 1
        call    fill_buf
        mov     eax, 300
        call    lba_to_chs
        mov     ax, 0x0301
        mov     dl, 0x80
        xor     bx, bx
        int     0x13
        SAVEFLAGS
        CHECK_CF "chs_write_cf", 0
        mov     eax, 0
        mov     cx, 1
        call    fill_buf
        mov     eax, 300
        call    lba_to_chs
        mov     ax, 0x0201
        mov     dl, 0x80
        xor     bx, bx
        int     0x13
        mov     eax, [es:508]
        CHECK   "chs_write_readback", eax, 0xC5C50000
        push    ds
        pop     es
        ret

; ---- EDD ----
edd_packet:                             ; EAX = LBA, CX = count, buffer BUF_SEG:0
        mov     byte [PACKET], 0x10
        mov     byte [PACKET + 1], 0
        mov     [PACKET + 2], cx
        mov     word [PACKET + 4], 0
        mov     word [PACKET + 6], BUF_SEG
        mov     [PACKET + 8], eax
        mov     dword [PACKET + 12], 0
        ret
t_edd:
        mov     ax, BUF_SEG
        mov     es, ax
        mov     eax, 0xEEEEEEEE
        mov     cx, 3
        call    fill_buf
        mov     eax, 100
        mov     cx, 3
        call    edd_packet
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "edd_read_cf", 0
        movzx   eax, word [PACKET + 2]
        CHECK   "edd_read_count", eax, 3
        mov     eax, 100
        mov     cx, 3
        call    pattern_check
        CHECK   "edd_read_data", ebx, 0
        ; 127 sectors (the EDD maximum) into a buffer at BUF_SEG:0 (crosses 64 KiB: normalized per sector)
        mov     eax, 0
        mov     cx, 127
        call    edd_packet
        mov     word [PACKET + 4], 0x8000
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "edd_read_127_cf", 0
        push    es
        mov     ax, BUF_SEG + 0x800 + 16 * 32   ; LBA 16 is the 17th sector of the transfer
        mov     es, ax
        mov     eax, 16
        mov     cx, 100
        call    pattern_check
        pop     es
        CHECK   "edd_read_127_data", ebx, 0
        ; write 2 sectors at LBA 400, read back
        mov     eax, 0xD1D10000
        mov     cx, 2
        call    fill_buf
        mov     eax, 400
        mov     cx, 2
        call    edd_packet
        mov     ax, 0x4300
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "edd_write_cf", 0
        xor     eax, eax
        mov     cx, 2
        call    fill_buf
        mov     eax, 400
        mov     cx, 2
        call    edd_packet
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        mov     eax, [es:1020]
        CHECK   "edd_write_readback", eax, 0xD1D10000
        push    ds
        pop     es
        ret

; ---- bad parameters: errors, and nothing moved ----
t_bad:
        mov     ax, BUF_SEG
        mov     es, ax
        mov     eax, 0x5A5A5A5A
        mov     cx, 2
        call    fill_buf
        mov     ax, 0x0201              ; sector 0
        mov     cx, 0x0000
        mov     dx, 0x0080
        xor     bx, bx
        int     0x13
        SAVEFLAGS
        CHECK_CF "bad_chs_sector0_cf", 1
        CHECK_AH "bad_chs_sector0_ah", 0x01
        mov     ah, 0x01                ; last status
        mov     dl, 0x80
        int     0x13
        CHECK_AH "int13_01_last_status", 0x01
        mov     ax, 0x0200              ; count 0
        mov     cx, 0x0001
        mov     dx, 0x0080
        xor     bx, bx
        int     0x13
        SAVEFLAGS
        CHECK_CF "bad_chs_count0_cf", 1
        mov     eax, [V_HEADS]          ; head = heads: out of the geometry
        mov     dh, al
        mov     ax, 0x0201
        mov     cx, 0x0001
        mov     dl, 0x80
        int     0x13
        SAVEFLAGS
        CHECK_CF "bad_chs_head_cf", 1
        CHECK_AH "bad_chs_head_ah", 0x04
        mov     eax, IMAGE_SECTORS      ; EDD read at the first LBA past the end
        mov     cx, 1
        call    edd_packet
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "bad_edd_past_end_cf", 1
        CHECK_AH "bad_edd_past_end_ah", 0x04
        mov     eax, IMAGE_SECTORS - 1  ; straddling the end
        mov     cx, 2
        call    edd_packet
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "bad_edd_straddle_cf", 1
        mov     eax, 0x5A5A5A5A
        mov     cx, 2
        call    pattern_check
        push    ebx
        xor     eax, eax                ; (pattern_check compares with EAX, EAX+1: use a direct check)
        mov     eax, [es:0]
        mov     ebx, [es:1020]
        CHECK   "bad_edd_straddle_buffer_untouched", eax, 0x5A5A5A5A
        CHECK   "bad_edd_straddle_buffer_untouched2", ebx, 0x5A5A5A5A
        pop     ebx
        mov     eax, 0                  ; count 128 > 127
        mov     cx, 128
        call    edd_packet
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "bad_edd_count128_cf", 1
        CHECK_AH "bad_edd_count128_ah", 0x01
        mov     eax, 0                  ; LBA above 2^32
        mov     cx, 1
        call    edd_packet
        mov     dword [PACKET + 12], 1
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "bad_edd_lba_high_cf", 1
        mov     eax, IMAGE_SECTORS      ; EDD write past the end
        mov     cx, 1
        call    edd_packet
        mov     ax, 0x4300
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "bad_edd_write_past_end_cf", 1
        mov     ax, 0x0201              ; a drive that is not there
        mov     cx, 0x0001
        mov     dx, 0x0083
        xor     bx, bx
        int     0x13
        SAVEFLAGS
        CHECK_CF "bad_drive_83h_cf", 1
        mov     ah, 0x50                ; an undefined function
        mov     dl, 0x80
        int     0x13
        SAVEFLAGS
        CHECK_CF "int13_undefined_cf", 1
        CHECK_AH "int13_undefined_ah", 0x01
        push    ds
        pop     es
        ret

; ---- INT 15h E820 ----
t_e820:
        xor     ebx, ebx
        mov     dword [V_E820N], 0
        mov     dword [V_USABLE_HI], 0
        mov     dword [V_ACPI], 0
        mov     dword [V_TMP], 0        ; end of the previous entry (ascending, no overlap)
.next:  mov     eax, 0xE820
        mov     ecx, 24
        mov     edx, 0x534D4150
        mov     di, E820BUF
        int     0x15
        jc      .cf
        CHECK   "e820_eax_smap", eax, 0x534D4150
        CHECK   "e820_ecx_20", ecx, 20
        inc     dword [V_E820N]
        mov     eax, [E820BUF]
        mov     ecx, 0
        cmp     eax, [V_TMP]
        jae     .asc
        mov     ecx, 1
.asc:   CHECK   "e820_ascending", ecx, 0
        mov     edx, eax
        add     edx, [E820BUF + 8]
        mov     [V_TMP], edx
        cmp     dword [E820BUF + 16], 1
        jne     .t3
        test    eax, eax
        jnz     .u1
        CHECK   "e820_low_ram_len", [E820BUF + 8], 0x9FC00
.u1:    cmp     eax, 0x100000
        jne     .t3
        mov     [V_USABLE_HI], edx
.t3:    cmp     dword [E820BUF + 16], 3
        jne     .cont
        mov     [V_ACPI], eax
.cont:  test    ebx, ebx
        jnz     .next
        jmp     .done
.cf:    CHECK   "e820_no_cf_before_end", 1, 0
.done:  mov     eax, [V_E820N]
        mov     ecx, 0
        cmp     eax, 4
        jae     .n
        mov     ecx, 1
.n:     CHECK   "e820_entries_ge4", ecx, 0
        CHECK   "e820_usable_to_acpi", [V_USABLE_HI], [V_ACPI]
        CHECK   "e820_acpi_region", [V_ACPI], RAM_MB * 0x100000 - 0x10000
        mov     eax, 0xE820             ; bad signature
        mov     ecx, 20
        mov     edx, 0x12345678
        xor     ebx, ebx
        mov     di, E820BUF
        int     0x15
        SAVEFLAGS
        CHECK_CF "e820_bad_signature_cf", 1
        ret

; ---- E801h, 88h, 12h, 11h, BDA ----
t_mem:
        mov     ax, 0xE801
        int     0x15
        SAVEFLAGS
        CHECK_CF "e801_cf", 0
        movzx   eax, ax
        CHECK   "e801_ax_15mib", eax, 0x3C00
        movzx   ebx, bx
        CHECK   "e801_bx_64k_blocks", ebx, (RAM_MB * 0x100000 - 0x10000 - 0x1000000) / 0x10000
        movzx   ecx, cx
        CHECK   "e801_cx_eq_ax", ecx, eax
        mov     ah, 0x88
        int     0x15
        movzx   eax, ax
        CHECK   "int15_88_kib", eax, (RAM_MB * 1024 - 64 - 1024)
        int     0x12
        movzx   eax, ax
        CHECK   "int12_base_kib", eax, 639
        int     0x11
        movzx   eax, ax
        and     eax, 0x0E31             ; serial ports, video mode, floppy bit
        CHECK   "int11_equipment", eax, 0x0220
        movzx   eax, word [0x40E]
        CHECK   "bda_ebda_segment", eax, 0x9FC0
        movzx   eax, word [0x400]
        CHECK   "bda_com1", eax, 0x3F8
        movzx   eax, byte [0x475]
        mov     ecx, 0
        cmp     eax, 1
        jae     .hd
        mov     ecx, 1
.hd:    CHECK   "bda_disk_count_ge1", ecx, 0
        ret

; ---- time ----
t_time:
        mov     ah, 0x00
        int     0x1A
        mov     [V_TICKS], dx
        mov     [V_TICKS + 2], cx
        mov     cx, 0x0001              ; wait 0x1B000 us = 110.6 ms (two ticks of 54.9 ms)
        mov     dx, 0xB000
        mov     ah, 0x86
        int     0x15
        SAVEFLAGS
        CHECK_CF "int15_86_cf", 0
        mov     ah, 0x00
        int     0x1A
        shl     ecx, 16
        mov     cx, dx
        sub     ecx, [V_TICKS]
        mov     eax, 0
        cmp     ecx, 1
        jae     .adv
        mov     eax, 1
.adv:   CHECK   "int1a_ticks_advance", eax, 0
        mov     eax, 0
        cmp     ecx, 10
        jb      .sane
        mov     eax, 1
.sane:  CHECK   "int1a_ticks_advance_sane", eax, 0
        mov     ah, 0x02
        int     0x1A
        SAVEFLAGS
        CHECK_CF "int1a_02_cf", 0
        mov     ax, cx
        call    bcd_ok
        CHECK   "int1a_02_bcd_hm", eax, 0
        mov     al, dh
        mov     ah, 0
        call    bcd_ok
        CHECK   "int1a_02_bcd_s", eax, 0
        mov     ah, 0x04
        int     0x1A
        SAVEFLAGS
        CHECK_CF "int1a_04_cf", 0
        movzx   eax, ch
        CHECK   "int1a_04_century", eax, 0x20
        ret
bcd_ok:                                 ; AX: EAX = 0 if all four nibbles are 0-9
        push    cx
        mov     cx, 4
        mov     bx, ax
        xor     eax, eax
.n:     mov     dl, bl
        and     dl, 0x0F
        cmp     dl, 9
        jbe     .k
        inc     eax
.k:     shr     bx, 4
        loop    .n
        pop     cx
        ret

; ---- PCI BIOS ----
t_pci:
        mov     ax, 0xB101
        xor     edi, edi
        int     0x1A
        SAVEFLAGS
        CHECK_CF "pcibios_b101_cf", 0
        CHECK   "pcibios_b101_edx", edx, 0x20494350
        CHECK_AH "pcibios_b101_ah", 0
        mov     ax, 0xB102
        mov     cx, 0x7000
        mov     dx, 0x8086
        xor     si, si
        int     0x1A
        SAVEFLAGS
        CHECK_CF "pcibios_find_piix3_cf", 0
        movzx   eax, bx
        CHECK   "pcibios_find_piix3_bdf", eax, 0x0008
        mov     ax, 0xB10A
        xor     bx, bx
        xor     di, di
        int     0x1A
        CHECK   "pcibios_read_dword_00_0", ecx, 0x12378086
        mov     ax, 0xB108              ; PIRQRC[A] as POST programmed it
        mov     bx, 0x0008
        mov     di, 0x60
        int     0x1A
        movzx   eax, cl
        CHECK   "pcibios_piix3_pirqa_irq10", eax, 10
        mov     ax, 0xB102
        mov     cx, 0x5678
        mov     dx, 0x1234
        xor     si, si
        int     0x1A
        SAVEFLAGS
        CHECK_CF "pcibios_find_absent_cf", 1
        CHECK_AH "pcibios_find_absent_ah", 0x86
        mov     ax, 0xB109
        xor     bx, bx
        mov     di, 1
        int     0x1A
        SAVEFLAGS
        CHECK_CF "pcibios_odd_word_cf", 1
        CHECK_AH "pcibios_odd_word_ah", 0x87
        ret

; ---- INT 10h, 16h, 15h misc ----
t_misc:
        mov     si, s_tty
.t:     lodsb
        test    al, al
        jz      .td
        mov     ah, 0x0E
        mov     bx, 0x0007
        int     0x10
        jmp     .t
.td:    mov     ah, 0x0F
        int     0x10
        movzx   ebx, ax
        CHECK   "int10_0f_mode3_80cols", ebx, 0x5003
        mov     ah, 0x02
        mov     bh, 0
        mov     dx, 0x0A05
        int     0x10
        mov     ah, 0x03
        mov     bh, 0
        int     0x10
        movzx   eax, dx
        CHECK   "int10_03_cursor", eax, 0x0A05
        mov     ax, 0x4F00
        mov     di, E820BUF
        int     0x10
        movzx   eax, ax
        mov     ebx, 0
        cmp     eax, 0x004F
        jne     .novbe
        mov     ebx, 1
.novbe: CHECK   "int10_4f00_no_vbe", ebx, 0
        mov     ah, 0x01
        int     0x16
        SAVEFLAGS
        movzx   eax, word [V_FLAGS]
        and     eax, 0x40
        CHECK   "int16_01_no_key_zf", eax, 0x40
        mov     ah, 0x02
        int     0x16
        movzx   eax, al
        CHECK   "int16_02_no_shift", eax, 0
        mov     ah, 0xC0
        int     0x15
        SAVEFLAGS
        CHECK_CF "int15_c0_cf", 0
        movzx   eax, byte [es:bx + 2]
        CHECK   "int15_c0_model", eax, 0xFC
        push    ds
        pop     es
        mov     ax, 0x5300
        xor     bx, bx
        int     0x15
        SAVEFLAGS
        CHECK_CF "int15_apm_unsupported_cf", 1
        CHECK_AH "int15_apm_unsupported_ah", 0x86
        ret
s_tty:  db 'disk_test: INT 10h teletype on COM1', 13, 10, 0

; ---- A20 and the block move ----
t_a20_move:
        mov     ax, 0x2403
        int     0x15
        SAVEFLAGS
        CHECK_CF "a20_2403_cf", 0
        movzx   eax, bx
        CHECK   "a20_2403_bx", eax, 3
        mov     ax, 0x2402
        int     0x15
        movzx   eax, al
        CHECK   "a20_on_at_boot", eax, 1
        mov     ax, 0x2400
        int     0x15
        mov     ax, 0x2402
        int     0x15
        movzx   eax, al
        CHECK   "a20_2400_disables", eax, 0
        mov     ax, 0x2401
        int     0x15
        mov     ax, 0x2402
        int     0x15
        movzx   eax, al
        CHECK   "a20_2401_enables", eax, 1
        ; 87h: 256 words from 0x30000 to 0x180000, then back to 0x40000
        mov     ax, 0x3000
        mov     es, ax
        mov     eax, 0x87878787
        mov     cx, 1
        call    fill_buf
        mov     eax, 0x30000
        mov     ebx, 0x180000
        call    move_gdt
        mov     ax, 0x8700
        mov     cx, 256
        push    ds
        pop     es
        mov     si, 0x780
        int     0x15
        SAVEFLAGS
        CHECK_CF "int15_87_cf", 0
        CHECK_AH "int15_87_ah", 0
        mov     eax, 0x180000
        mov     ebx, 0x40000
        call    move_gdt
        mov     ax, 0x8700
        mov     cx, 256
        mov     si, 0x780
        int     0x15
        mov     ax, 0x4000
        mov     es, ax
        mov     eax, [es:508]
        push    ds
        pop     es
        CHECK   "int15_87_roundtrip", eax, 0x87878787
        ret
move_gdt:                               ; the 87h GDT at 0x780: source base EAX, destination base EBX
        push    di
        mov     di, 0x780
        mov     cx, 24
        push    eax
        xor     eax, eax
        rep     stosw
        pop     eax
        mov     word [0x780 + 0x10], 0xFFFF
        mov     [0x780 + 0x12], eax
        mov     byte [0x780 + 0x15], 0x93
        shr     eax, 24
        mov     [0x780 + 0x17], al
        mov     word [0x780 + 0x18], 0xFFFF
        mov     [0x780 + 0x1A], ebx
        mov     byte [0x780 + 0x1D], 0x93
        shr     ebx, 24
        mov     [0x780 + 0x1F], bl
        pop     di
        ret

%ifdef BIG
; ---- above 2^28: LBA48 (READ/WRITE SECTORS EXT) ----
t_lba48:
        mov     ax, BUF_SEG
        mov     es, ax
        mov     eax, 0x48484848
        mov     cx, 3
        call    fill_buf
        mov     eax, 0x0FFFFFFF         ; 3 sectors across the 28-bit boundary
        mov     cx, 3
        call    edd_packet
        mov     ax, 0x4300
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "lba48_write_cf", 0
        xor     eax, eax
        mov     cx, 3
        call    fill_buf
        mov     eax, 0x0FFFFFFF
        mov     cx, 3
        call    edd_packet
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "lba48_read_cf", 0
        CHECK   "lba48_readback_first", [es:0], 0x48484848
        CHECK   "lba48_readback_last", [es:1532], 0x48484848
        ; the last sector of the disk is readable, the one after is not
        mov     eax, IMAGE_SECTORS - 1
        mov     cx, 1
        call    edd_packet
        mov     ah, 0x42
        mov     dl, 0x80
        mov     si, PACKET
        int     0x13
        SAVEFLAGS
        CHECK_CF "lba48_last_sector_cf", 0
        push    ds
        pop     es
        ret
%endif

; ---- reporting ----
puts:                                   ; SI → port 0xE9
        push    ax
.n:     lodsb
        test    al, al
        jz      .d
        out     0xE9, al
        jmp     .n
.d:     pop     ax
        ret
hex32:                                  ; EAX → port 0xE9
        push    cx
        push    eax
        mov     cx, 8
.h:     rol     eax, 4
        push    eax
        and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .o
        add     al, 7
.o:     out     0xE9, al
        pop     eax
        loop    .h
        pop     eax
        pop     cx
        ret
; check_eq(name, actual, expected): stack = ret, name (word), actual (dword), expected (dword)
check_eq:
        push    bp
        mov     bp, sp
        pushad
        mov     si, [bp + 4]
        mov     eax, [bp + 6]
        cmp     eax, [bp + 10]
        jne     .f
        push    si
        mov     si, s_ok
        call    puts
        pop     si
        call    puts
        mov     al, 10
        out     0xE9, al
        jmp     .r
.f:     inc     dword [V_FAILS]
        push    si
        mov     si, s_fail
        call    puts
        pop     si
        call    puts
        mov     si, s_got
        call    puts
        mov     eax, [bp + 6]
        call    hex32
        mov     si, s_want
        call    puts
        mov     eax, [bp + 10]
        call    hex32
        mov     al, 10
        out     0xE9, al
.r:     popad
        pop     bp
        ret     10
s_ok:   db 'ok ', 0
s_fail: db 'FAIL ', 0
s_got:  db ' got ', 0
s_want: db ' want ', 0
        times   PROG_SECTORS * 512 - ($ - $$) db 0     ; (fails to assemble if the test outgrew its sectors)

; ======================================================================== data sectors 16-255: their LBA
        section data follows=prog
%assign lba 16
%rep 240
        times   128 dd lba
%assign lba lba + 1
%endrep
%ifndef BIG
        times   (IMAGE_SECTORS - 256) * 512 db 0
%endif
