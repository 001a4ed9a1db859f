; rm16.asm — reset entry, shadowing, the real <-> protected mode bridge (call32), console output and the
; log-once helper for unsupported functions. 16-bit code, CS = 0xF000.

; ---- GDT (read-only use: it lives in the image) ----
        align   8
gdt:    dq      0
        dq      0x00CF9A000000FFFF      ; 0x08 code32 flat (base 0, 4 GiB, D=1)
        dq      0x00CF92000000FFFF      ; 0x10 data32 flat
        dq      0x00009A0F0000FFFF      ; 0x18 code16, base 0xF0000, limit 0xFFFF
        dq      0x000092000000FFFF      ; 0x20 data16, base 0, limit 0xFFFF
gdt_end:
gdt_desc:
        dw      gdt_end - gdt - 1
        dd      F(gdt)

; ---- reset entry ----
post_entry:
        cli
        cld
        xor     ax, ax
        mov     ss, ax
        mov     sp, POST_STACK
        in      al, PORT_A20            ; fast A20 on; bit 0 (fast reset) stays 0
        or      al, 2
        and     al, 0xFE
        out     PORT_A20, al
        mov     al, 0x8F                ; CMOS 0x0F shutdown status = 0 (cold boot), NMI masked
        out     CMOS_INDEX, al
        xor     al, al
        out     CMOS_DATA, al
        call    shadow_rom
        mov     eax, post32
        call    call32
        call    ata_detect_all
        mov     eax, post32_report      ; the one POST line on COM1 (needs the disk count)
        call    call32
        sti
        mov     eax, boot_kernel        ; fw_cfg kernel: Linux is loaded and returns 1, multiboot never returns
        call    call32
        cmp     eax, 1
        je      linux_enter
        int     0x19
        jmp     $

; Linux boot protocol (Documentation/arch/x86/boot.rst, "Running the kernel"): CS = setup_seg + 0x20, IP = 0,
; DS = ES = FS = GS = SS = setup_seg, SP = heap end, interrupts off.
linux_enter:
        cli
        mov     ax, [cs:var_linux_seg]
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        mov     sp, 0xE000
        add     ax, 0x20
        push    ax
        push    word 0
        retf

; The i440FX PAM registers (82441FX datasheet 3.2.18, config 0x59-0x5F) decide whether 0xC0000-0xFFFFF reads
; ROM or DRAM. With E0000-FFFFF switched to read/write DRAM the low copy of this image is gone, so the switch and
; the copy run in 32-bit code executing from the ROM's high alias (shadow32, position independent), which then
; returns here through the new RAM copy. Under pcjit the segment is RAM already and the copy changes nothing.
shadow_rom:
        o32 lgdt [cs:gdt_desc]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     dword SEL_CODE32:(0xFFFE0000 + (shadow32 - 0xE0000))
shadow_back16:                          ; 16-bit protected mode, CS = SEL_CODE16 (base F0000), now in RAM
        mov     ax, SEL_DATA16
        mov     ds, ax
        mov     es, ax
        mov     eax, cr0
        and     al, 0xFE
        mov     cr0, eax
        jmp     BIOS_SEG:.rm
.rm:    xor     ax, ax
        mov     ds, ax
        mov     es, ax
        ret

; call32: run a 32-bit flat function from real mode.
; In: EAX = its linear address; EBX, ECX, EDX, ESI, EDI, EBP are passed through. The flat stack is the current
; one (linear SS*16 + SP). Out: EAX..EBP as the function left them; segment registers and EFLAGS restored.
; Not reentrant (one set of variables): only POST and the boot path use it, with interrupts off inside.
call32:
        pushfd
        cli
        push    ds
        push    es
        push    fs
        push    gs
        mov     [cs:c32_fn], eax
        mov     [cs:c32_ss], ss
        xor     eax, eax
        mov     ax, ss
        shl     eax, 4
        mov     [cs:c32_ssbase], eax
        movzx   esp, sp
        o32 lgdt [cs:gdt_desc]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     dword SEL_CODE32:F(.pm)
        bits    32
.pm:    mov     ax, SEL_DATA32
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        add     esp, [F(c32_ssbase)]
        mov     eax, [F(c32_ssbase)]
        call    [F(c32_fn)]
        mov     [F(c32_eax)], eax
        sub     esp, [F(c32_ssbase)]
        mov     ax, SEL_DATA16
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        jmp     SEL_CODE16:.pm16
        bits    16
.pm16:  mov     eax, cr0
        and     al, 0xFE
        mov     cr0, eax
        jmp     BIOS_SEG:.rm
.rm:    mov     ss, [cs:c32_ss]
        mov     eax, [cs:c32_eax]
        pop     gs
        pop     fs
        pop     es
        pop     ds
        popfd
        ret

; ---- output ----
; com1_putc: AL to COM1 (waits for THRE, bounded)
com1_putc:
        push    dx
        push    cx
        push    ax
        mov     dx, COM1 + 5
        mov     cx, 0xFFFF
.wait:  in      al, dx
        test    al, 0x20
        jnz     .go
        loop    .wait
.go:    pop     ax
        mov     dx, COM1
        out     dx, al
        pop     cx
        pop     dx
        ret

; puts16: CS:SI NUL-terminated string to COM1 ("\n" sent as CR LF)
puts16:
        push    ax
        push    si
.next:  mov     al, [cs:si]
        inc     si
        test    al, al
        jz      .done
        cmp     al, 10
        jne     .ch
        mov     al, 13
        call    com1_putc
        mov     al, 10
.ch:    call    com1_putc
        jmp     .next
.done:  pop     si
        pop     ax
        ret

; dbg_puts: CS:SI string to the debug console (port 0xE9)
dbg_puts:
        push    ax
        push    si
.next:  mov     al, [cs:si]
        inc     si
        test    al, al
        jz      .done
        out     PORT_DEBUGCON, al
        jmp     .next
.done:  pop     si
        pop     ax
        ret

; dbg_hex8: AL as two hex digits on port 0xE9
dbg_hex8:
        push    ax
        push    ax
        shr     al, 4
        call    .nib
        pop     ax
        call    .nib
        pop     ax
        ret
.nib:   and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .out
        add     al, 'A' - '9' - 1
.out:   out     PORT_DEBUGCON, al
        ret

; log_unsupported: report an unsupported BIOS function once per (interrupt, AH) on port 0xE9.
; In: DL = interrupt number, AX = the caller's AX. Preserves every register.
log_unsupported:
        push    ax
        push    bx
        push    cx
        push    si
        mov     cx, ax                  ; CH = AH
        mov     si, log_groups
        xor     bx, bx
.find:  cmp     byte [cs:si + bx], dl
        je      .found
        inc     bx
        cmp     bx, 7
        jb      .find
.found: shl     bx, 8                   ; group * 256 + AH = bit index
        mov     bl, ch
        mov     ax, bx
        shr     bx, 3
        and     al, 7
        mov     cl, al
        mov     al, 1
        shl     al, cl
        test    [cs:var_logged + bx], al
        jnz     .out
        or      [cs:var_logged + bx], al
        mov     si, msg_unsup
        call    dbg_puts
        mov     al, dl
        call    dbg_hex8
        mov     si, msg_unsup_ax
        call    dbg_puts
        pop     si
        pop     cx
        pop     bx
        pop     ax
        push    ax
        push    bx
        push    cx
        push    si
        xchg    al, ah
        call    dbg_hex8
        xchg    al, ah
        call    dbg_hex8
        mov     si, msg_unsup_end
        call    dbg_puts
.out:   pop     si
        pop     cx
        pop     bx
        pop     ax
        ret
log_groups:     db 0x10, 0x13, 0x15, 0x16, 0x1A, 0x14, 0x17     ; group 7: any other interrupt
msg_unsup:      db 'pcjit BIOS: unsupported INT ', 0
msg_unsup_ax:   db 'h AX=', 0
msg_unsup_end:  db 'h (returned an error)', 10, 0

; Return from an interrupt handler with CF (or ZF) of the current flags copied into the caller's FLAGS image.
iret_cf:                                ; jump here (not call) with the interrupt frame on top of the stack
        push    bp
        mov     bp, sp
        jc      .set
        and     byte [bp + 6], 0xFE
        pop     bp
        iret
.set:   or      byte [bp + 6], 0x01
        pop     bp
        iret
iret_zf:
        push    bp
        mov     bp, sp
        jz      .set
        and     byte [bp + 6], 0xBF
        pop     bp
        iret
.set:   or      byte [bp + 6], 0x40
        pop     bp
        iret
