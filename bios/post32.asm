; post32.asm — the power-on self test in 32-bit flat mode (called through call32 from post_entry):
; fw_cfg probe and memory size, 8259 PICs, 8254 PIT, COM1, i8042, local APIC LINT wiring (when the CPU has
; one), IVT, BDA, EBDA, then PCI (pci.asm), the E820 map, ACPI tables (acpi.asm). Also the console helpers for
; 32-bit code. Invariant: nothing here writes outside the IVT/BDA/EBDA, the F segment and the ACPI region.

post32:
        call    fwcfg_probe
        call    mem_size
        call    pic_init
        call    pit_init
        call    com1_init
        call    kbc_init
        call    lapic_init
        call    ivt_init
        call    bda_init
        call    pci_init
        call    e820_build
        call    acpi_build
        ret

; shadow32: runs at the ROM's high alias (0xFFFE0000 + its offset): no absolute references to itself. SS and
; the stack are not touched (the caller's real-mode SS cache stays as it was).
shadow32:
        mov     ax, SEL_DATA32
        mov     ds, ax
        mov     es, ax
        mov     eax, 0x80000058         ; PAM0 (F0000-FFFFF, bits 5:4) = 11b: reads and writes go to DRAM
        mov     dx, 0xCF8
        out     dx, eax
        mov     dx, 0xCFD
        mov     al, 0x30
        out     dx, al
        mov     eax, 0x8000005C         ; PAM5, PAM6 (E0000-EFFFF) = 33h
        mov     dx, 0xCF8
        out     dx, eax
        mov     dx, 0xCFE
        mov     al, 0x33
        out     dx, al
        inc     dx
        out     dx, al
        mov     esi, 0xFFFE0000
        mov     edi, 0xE0000
        mov     ecx, 0x20000 / 4
        cld
        rep     movsd
        jmp     SEL_CODE16:shadow_back16

; ---- fw_cfg (QEMU docs/specs/fw_cfg.rst) ----
fwcfg_probe:
        mov     byte [F(var_fwcfg)], 0
        mov     ax, FW_SIGNATURE
        call    fwcfg_select
        call    fwcfg_read_u32_pio
        cmp     eax, 'QEMU'
        jne     .none
        mov     byte [F(var_fwcfg)], 1
        mov     ax, FW_ID
        call    fwcfg_select
        call    fwcfg_read_u32_pio
        test    al, 2                   ; ID bit 1: the DMA interface exists
        jz      .none
        mov     byte [F(var_fwcfg)], 2
.none:  ret

fwcfg_select:                           ; AX = item
        push    edx
        mov     dx, FWCFG_SEL
        out     dx, ax
        pop     edx
        ret

fwcfg_read_u32_pio:                     ; out: EAX = next 4 data bytes, little endian
        push    ecx
        push    edx
        mov     dx, FWCFG_DATA
        mov     ecx, 4
.b:     in      al, dx
        ror     eax, 8
        loop    .b
        pop     edx
        pop     ecx
        ret

; fwcfg_read: AX = item, EDI = physical destination, ECX = length. Through DMA when the device has it (the
; FWCfgDmaAccess structure is big endian: control = item << 16 | SELECT | READ; the device clears control, or
; leaves ERROR set, when done), else byte by byte from the data port. Out: CF = 1 on a DMA error or no fw_cfg.
fwcfg_read:
        pushad
        cmp     byte [F(var_fwcfg)], 0
        je      .fail
        cmp     byte [F(var_fwcfg)], 2
        jne     .pio
        movzx   eax, ax
        shl     eax, 16
        or      eax, FW_DMA_SELECT | FW_DMA_READ
        bswap   eax
        mov     [F(var_dma)], eax
        mov     eax, ecx
        bswap   eax
        mov     [F(var_dma) + 4], eax
        mov     dword [F(var_dma) + 8], 0
        mov     eax, edi
        bswap   eax
        mov     [F(var_dma) + 12], eax
        mov     dx, FWCFG_DMA_HI
        xor     eax, eax
        out     dx, eax
        mov     eax, F(var_dma)
        bswap   eax
        mov     dx, FWCFG_DMA_LO
        out     dx, eax
        mov     ecx, 0x4000000
.wait:  mov     eax, [F(var_dma)]
        bswap   eax
        test    eax, ~FW_DMA_ERROR
        jz      .done
        loop    .wait
        jmp     .fail                   ; never completed
.done:  test    eax, FW_DMA_ERROR
        jnz     .fail
        popad
        clc
        ret
.pio:   call    fwcfg_select
        mov     dx, FWCFG_DATA
        cld
        rep     insb
        popad
        clc
        ret
.fail:  popad
        stc
        ret

; fwcfg_u32: AX = item → EAX = its first 4 bytes (0 without fw_cfg)
fwcfg_u32:
        push    edi
        push    ecx
        mov     dword [F(var_tmp)], 0
        mov     edi, F(var_tmp)
        mov     ecx, 4
        call    fwcfg_read
        mov     eax, [F(var_tmp)]
        pop     ecx
        pop     edi
        ret

; ---- memory size: fw_cfg RAM_SIZE, else CMOS 0x30/0x31 (KiB above 1 MiB) and 0x34/0x35 (64 KiB units above
; 16 MiB, as devices/pc.c and QEMU fill them); capped below the PCI hole ----
mem_size:
        cmp     byte [F(var_fwcfg)], 0
        je      .cmos
        mov     dword [F(var_tmp) + 4], 0
        mov     ax, FW_RAM_SIZE
        mov     edi, F(var_tmp)
        mov     ecx, 8
        call    fwcfg_read
        jc      .cmos
        mov     eax, [F(var_tmp)]
        cmp     dword [F(var_tmp) + 4], 0
        jne     .cap_max
        test    eax, eax
        jnz     .have
.cmos:  mov     al, 0x34
        call    cmos_read
        mov     ah, al
        mov     al, 0x35
        call    cmos_read
        xchg    al, ah                  ; AX = 0x35:0x34
        movzx   eax, ax
        test    eax, eax
        jz      .ext
        shl     eax, 16
        add     eax, 0x1000000
        jmp     .have
.ext:   mov     al, 0x31
        call    cmos_read
        mov     ah, al
        mov     al, 0x30
        call    cmos_read
        movzx   eax, ax
        shl     eax, 10
        add     eax, 0x100000
.have:  cmp     eax, RAM_MAX
        jbe     .ok
.cap_max:
        mov     eax, RAM_MAX
.ok:    and     eax, 0xFFFF0000
        mov     [F(var_ram_size)], eax
        mov     [F(var_ram_top)], eax
        sub     eax, ACPI_SIZE
        mov     [F(var_acpi_base)], eax
        ret

cmos_read:                              ; AL = index → AL = value (NMI stays masked)
        or      al, 0x80
        out     CMOS_INDEX, al
        in      al, CMOS_DATA
        ret

; ---- 8259A pair: ICW1 edge + ICW4, bases 08h/70h, cascade on IR2, 8086 mode (8259A datasheet); IRQ 0-2 open ----
pic_init:
        mov     al, 0x11
        out     PIC1_CMD, al
        out     PIC2_CMD, al
        mov     al, 0x08
        out     PIC1_DATA, al
        mov     al, 0x70
        out     PIC2_DATA, al
        mov     al, 0x04
        out     PIC1_DATA, al
        mov     al, 0x02
        out     PIC2_DATA, al
        mov     al, 0x01
        out     PIC1_DATA, al
        out     PIC2_DATA, al
        mov     al, 0xF8
        out     PIC1_DATA, al
        mov     al, 0xFF
        out     PIC2_DATA, al
        mov     dx, ELCR1               ; all edge until PCI routing makes its IRQs level
        xor     al, al
        out     dx, al
        inc     dx
        out     dx, al
        ret

; ---- 8254 channel 0: mode 3, count 65536 → 1193182 / 65536 = 18.2 Hz ----
pit_init:
        mov     al, 0x36
        out     PIT_CMD, al
        xor     al, al
        out     PIT_CH0, al
        out     PIT_CH0, al
        ret

; ---- COM1: 115200 8N1, FIFO on, no interrupts (divisor 1) ----
com1_init:
        mov     dx, COM1 + 3
        mov     al, 0x80
        out     dx, al
        mov     dx, COM1
        mov     al, 1
        out     dx, al
        inc     dx
        xor     al, al
        out     dx, al
        mov     dx, COM1 + 3
        mov     al, 0x03
        out     dx, al
        mov     dx, COM1 + 2
        mov     al, 0xC7
        out     dx, al
        mov     dx, COM1 + 4
        mov     al, 0x03
        out     dx, al
        mov     dx, COM1 + 1
        xor     al, al
        out     dx, al
        ret

; ---- i8042: command byte = XLATE | aux disabled | SYS | keyboard interrupt (IRQ1) ----
kbc_init:
        call    kbc_wait_in
        mov     al, 0x60
        out     KBC_STATUS, al
        call    kbc_wait_in
        mov     al, 0x65
        out     KBC_DATA, al
        mov     ecx, 16                 ; drop whatever the keyboard left in the output buffer
.flush: in      al, KBC_STATUS
        test    al, 1
        jz      .done
        in      al, KBC_DATA
        loop    .flush
.done:  ret
kbc_wait_in:
        mov     ecx, 0x100000
.w:     in      al, KBC_STATUS
        test    al, 2
        jz      .ok
        loop    .w
.ok:    ret

; ---- local APIC (only when CPUID.1:EDX.APIC): LINT0 = ExtINT, LINT1 = NMI, so the 8259's INTR reaches the
; core as on a real board (SDM vol 3 11.5.1); pcjit has no APIC, QEMU does ----
lapic_init:
        mov     eax, 1
        cpuid
        test    edx, 1 << 9
        jz      .none
        mov     esi, 0xFEE00000
        or      dword [esi + 0xF0], 0x100       ; SVR: software enable
        mov     dword [esi + 0x350], 0x8700     ; LINT0: ExtINT, level
        mov     dword [esi + 0x360], 0x8400     ; LINT1: NMI
.none:  ret

; ---- IVT: every vector to its own logging stub, then the services and IRQ handlers ----
ivt_init:
        xor     edi, edi
        mov     eax, (BIOS_SEG << 16) + unhandled_stubs
.all:   mov     [edi], eax
        add     eax, UNHANDLED_STUB_SIZE
        add     edi, 4
        cmp     edi, 0x400
        jb      .all
        mov     esi, F(ivt_list)
.set:   movzx   ebx, byte [esi]
        movzx   eax, word [esi + 1]
        cmp     bl, 0xFF
        je      .done
        mov     [ebx * 4], ax
        mov     word [ebx * 4 + 2], BIOS_SEG
        add     esi, 3
        jmp     .set
.done:  mov     dword [0x1D * 4], 0     ; video parameter table: none (no display)
        mov     dword [0x1F * 4], 0     ; graphics characters: none
        mov     edi, 0x60 * 4           ; 60h-67h: user vectors, 0
        mov     ecx, 8
        xor     eax, eax
        rep     stosd
        ret

; ---- BDA and EBDA (Ralf Brown, "Memory map": BIOS data area) ----
bda_init:
        mov     edi, 0x400
        mov     ecx, 0x100 / 4
        xor     eax, eax
        rep     stosd
        mov     edi, EBDA_ADDR
        mov     ecx, 0x400 / 4
        rep     stosd
        mov     byte [EBDA_ADDR], 1                     ; EBDA size in KiB
        mov     word [0x400 + BDA_COM1], COM1
        mov     word [0x400 + BDA_EBDA], EBDA_SEG
        ; equipment: bit 1 x87, bit 2 pointing device, bits 5:4 = 10 (80x25 colour), bits 11:9 = 1 serial port,
        ; bit 0 = 0 (no floppy)
        mov     word [0x400 + BDA_EQUIP], 0x0226
        mov     word [0x400 + BDA_MEMKB], BASE_MEM_KB
        mov     word [0x400 + BDA_KBHEAD], BDA_KBBUF
        mov     word [0x400 + BDA_KBTAIL], BDA_KBBUF
        mov     word [0x400 + BDA_KBSTART], BDA_KBBUF
        mov     word [0x400 + BDA_KBEND], BDA_KBBUF + 32
        ; video: mode 3, 80x25 colour text on a CGA-class adapter (there is no display; INT 10h answers for it)
        mov     byte [0x400 + BDA_VMODE], 3
        mov     word [0x400 + BDA_VCOLS], 80
        mov     word [0x400 + BDA_VPAGESIZE], 4096
        mov     word [0x400 + BDA_CURSHAPE], 0x0607
        mov     word [0x400 + BDA_CRTC], 0x3D4
        mov     byte [0x400 + 0x65], 0x29               ; CRT mode select (80x25 text, video on, blink)
        mov     byte [0x400 + 0x66], 0x30               ; CGA palette
        mov     byte [0x400 + BDA_VROWS], 24
        mov     word [0x400 + BDA_VCHARH], 8            ; CGA character cell height
        ret

; ---- E820 map (ACPI 2.0 section 14, "System Address Map Interfaces"): low RAM, EBDA, the BIOS, RAM above
; 1 MiB, the ACPI tables, the ROM below 4 GiB ----
e820_build:
        mov     edi, F(var_e820)
        xor     eax, eax
        mov     ebx, EBDA_ADDR
        mov     edx, 1
        call    .add
        mov     eax, EBDA_ADDR
        mov     ebx, 0xA0000 - EBDA_ADDR
        mov     edx, 2
        call    .add
        mov     eax, 0xE0000
        mov     ebx, 0x20000
        mov     edx, 2
        call    .add
        mov     eax, 0x100000
        mov     ebx, [F(var_acpi_base)]
        sub     ebx, eax
        mov     edx, 1
        call    .add
        mov     eax, [F(var_acpi_base)]
        mov     ebx, ACPI_SIZE
        mov     edx, 3
        call    .add
        mov     eax, 0xFFFE0000
        mov     ebx, 0x20000
        mov     edx, 2
        call    .add
        sub     edi, F(var_e820)
        mov     eax, edi
        xor     edx, edx
        mov     ecx, 20
        div     ecx
        mov     [F(var_e820_count)], ax
        ret
.add:   mov     [edi], eax              ; base (64-bit), length (64-bit), type
        mov     dword [edi + 4], 0
        mov     [edi + 8], ebx
        mov     dword [edi + 12], 0
        mov     [edi + 16], edx
        add     edi, 20
        ret

; ---- the POST line on COM1 ----
post32_report:
        mov     esi, F(msg_post)
        call    puts32
        mov     eax, [F(var_ram_size)]
        shr     eax, 20
        call    putdec32
        mov     esi, F(msg_post_ram)
        call    puts32
        movzx   eax, byte [F(var_disks)]
        call    putdec32
        mov     esi, F(msg_post_disk)
        call    puts32
        cmp     byte [F(var_disks)], 1
        je      .one
        mov     al, 's'
        call    putc32
.one:   movzx   eax, word [F(var_pci_count)]
        mov     esi, F(msg_post_pci)
        call    puts32
        call    putdec32
        mov     esi, F(msg_post_acpi)
        call    puts32
        cmp     byte [F(var_fwcfg)], 0
        je      .nofw
        mov     esi, F(msg_post_fw)
        call    puts32
.nofw:  mov     esi, F(msg_nl)
        call    puts32
        ret

; ---- 32-bit console helpers (COM1) ----
putc32:                                 ; AL
        push    edx
        push    ecx
        push    eax
        mov     dx, COM1 + 5
        mov     ecx, 0x10000
.w:     in      al, dx
        test    al, 0x20
        jnz     .go
        loop    .w
.go:    pop     eax
        mov     dx, COM1
        out     dx, al
        pop     ecx
        pop     edx
        ret
puts32:                                 ; ESI: NUL-terminated, "\n" → CR LF
        push    eax
        push    esi
.n:     lodsb
        test    al, al
        jz      .d
        cmp     al, 10
        jne     .c
        mov     al, 13
        call    putc32
        mov     al, 10
.c:     call    putc32
        jmp     .n
.d:     pop     esi
        pop     eax
        ret
putdec32:                               ; EAX unsigned decimal
        pushad
        mov     ebx, 10
        xor     ecx, ecx
.div:   xor     edx, edx
        div     ebx
        push    edx
        inc     ecx
        test    eax, eax
        jnz     .div
.out:   pop     eax
        add     al, '0'
        call    putc32
        loop    .out
        popad
        ret
puthex32:                               ; EAX as 8 hex digits
        pushad
        mov     ecx, 8
.h:     rol     eax, 4
        push    eax
        and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .p
        add     al, 7
.p:     call    putc32
        pop     eax
        loop    .h
        popad
        ret
