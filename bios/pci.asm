; pci.asm — PCI bus 0 enumeration through configuration mechanism #1 (PCI 3.0 3.2.2.3.2; ports 0xCF8/0xCFC):
; sizes and assigns every BAR of every function (I/O from 0xC000 up, 32-bit memory from 0xE0000000 up, each
; aligned to its size: PCI 3.0 6.2.5.1), enables I/O / memory / bus mastering, routes PIRQA-D of the PIIX3
; (82371SB datasheet, PIRQRC 0x60-0x63) to IRQ 10,10,11,11 (level, ELCR), writes INTERRUPT_LINE from the pin
; and slot (the i440FX board's swizzle: PIRQ = (slot - 1 + pin - 1) mod 4, as in pci_irq_of below, $PIR and
; the DSDT's _PRT), turns on the PIIX IDE decode and the PIIX4 ACPI PM I/O block.
; Left out: PCI-PCI bridges (bus 0 only), 64-bit BARs above 4 GiB, expansion ROM BARs (left disabled).

PIRQ_IRQ_A      equ 10
PIRQ_IRQ_B      equ 10
PIRQ_IRQ_C      equ 11
PIRQ_IRQ_D      equ 11

; config address: EAX = bus << 16 | devfn << 8 | register
pci_addr:                               ; → CONFIG_ADDRESS written, DX = data port for this register's lane
        push    eax
        and     eax, 0x00FFFFFC
        or      eax, 0x80000000
        mov     dx, 0xCF8
        out     dx, eax
        pop     eax
        mov     dx, ax
        and     dx, 3
        add     dx, 0xCFC
        ret
pci_rd32:
        push    edx
        call    pci_addr
        in      eax, dx
        pop     edx
        ret
pci_rd16:
        push    edx
        call    pci_addr
        in      ax, dx
        movzx   eax, ax
        pop     edx
        ret
pci_rd8:
        push    edx
        call    pci_addr
        in      al, dx
        movzx   eax, al
        pop     edx
        ret
pci_wr32:                               ; ECX = value
        push    edx
        push    eax
        call    pci_addr
        mov     eax, ecx
        out     dx, eax
        pop     eax
        pop     edx
        ret
pci_wr16:
        push    edx
        push    eax
        call    pci_addr
        mov     eax, ecx
        out     dx, ax
        pop     eax
        pop     edx
        ret
pci_wr8:
        push    edx
        push    eax
        call    pci_addr
        mov     eax, ecx
        out     dx, al
        pop     eax
        pop     edx
        ret

pci_init:
        mov     dword [F(var_pci_io)], PCI_IO_BASE
        mov     dword [F(var_pci_mem)], PCI_MEM_BASE
        mov     word [F(var_pci_count)], 0
        xor     ebx, ebx                ; EBX = devfn
.fn:    mov     eax, ebx
        shl     eax, 8
        call    pci_rd16
        cmp     ax, 0xFFFF
        je      .absent
        inc     word [F(var_pci_count)]
        call    pci_setup_function
        test    bl, 7
        jnz     .next
        mov     eax, ebx                ; function 0: single-function devices have only function 0
        shl     eax, 8
        mov     al, 0x0E
        call    pci_rd8
        test    al, 0x80
        jnz     .next
        or      bl, 7
        jmp     .next
.absent:
        test    bl, 7
        jnz     .next
        or      bl, 7                   ; no function 0: no device in this slot
.next:  inc     ebx
        cmp     ebx, 256
        jb      .fn
        ; the PIIX3 ISA bridge (00:01.0): PIRQ routing, and level triggering for those IRQs in the ELCR
        mov     ecx, PIRQ_IRQ_A | (PIRQ_IRQ_B << 8) | (PIRQ_IRQ_C << 16) | (PIRQ_IRQ_D << 24)
        mov     eax, (0x08 << 8) | 0x60
        call    pci_wr32
        mov     dx, ELCR2
        mov     al, (1 << (PIRQ_IRQ_A - 8)) | (1 << (PIRQ_IRQ_C - 8))
        out     dx, al
        call    pir_checksum
        ret

; pci_setup_function: EBX = devfn of a present function
pci_setup_function:
        pushad
        mov     eax, ebx
        shl     eax, 8
        call    pci_rd32                ; vendor | device << 16
        mov     ebp, eax
        mov     eax, ebx
        shl     eax, 8
        mov     al, 0x0E
        call    pci_rd8
        and     al, 0x7F
        xor     edi, edi                ; EDI bit 0: has an I/O BAR, bit 1: has a memory BAR
        test    al, al
        jnz     .no_bars                ; bridges and CardBus: not assigned (bus 0 only)
        mov     esi, 0x10
.bar:   call    pci_size_bar            ; ESI = BAR register; returns ESI = next BAR register
        cmp     esi, 0x28
        jb      .bar
.no_bars:
        ; command: I/O space, memory space, bus master (PCI 3.0 6.2.2)
        mov     eax, ebx
        shl     eax, 8
        mov     al, 0x04
        call    pci_rd16
        or      eax, edi
        or      eax, 4
        mov     ecx, eax
        mov     eax, ebx
        shl     eax, 8
        mov     al, 0x04
        call    pci_wr16
        ; INTERRUPT_LINE from INTERRUPT_PIN
        mov     eax, ebx
        shl     eax, 8
        mov     al, 0x3D
        call    pci_rd8
        test    al, al
        jz      .no_pin
        cmp     al, 4
        ja      .no_pin
        mov     ecx, eax
        mov     eax, ebx
        call    pci_irq_of
        mov     ecx, eax
        mov     eax, ebx
        shl     eax, 8
        mov     al, 0x3C
        call    pci_wr8
.no_pin:
        cmp     ebp, 0x70108086         ; PIIX3 IDE: IDETIM primary/secondary decode enable (bit 15)
        jne     .not_ide
        mov     byte [F(var_ide_pci)], 1
        mov     ecx, 0x8000
        mov     eax, ebx
        shl     eax, 8
        mov     al, 0x40
        call    pci_wr16
        mov     al, 0x42
        call    pci_wr16
.not_ide:
        cmp     ebp, 0x71138086         ; PIIX4 PM: PMBA = 0x600 (bit 0: I/O space), PMREGMISC.PMIOSE
        jne     .not_pm
        mov     ecx, PM_BASE | 1
        mov     eax, ebx
        shl     eax, 8
        mov     al, 0x40
        call    pci_wr32
        mov     al, 0x80
        call    pci_rd8
        or      al, 1
        mov     ecx, eax
        mov     eax, ebx
        shl     eax, 8
        mov     al, 0x80
        call    pci_wr8
        mov     dx, PM1_CNT             ; SCI_EN: the FADT names no SMI_CMD, so ACPI mode is always on
        in      ax, dx
        or      ax, 1
        out     dx, ax
        mov     byte [F(var_pm_pci)], 1
.not_pm:
        popad
        ret

; pci_irq_of: EAX = devfn, ECX = pin (1-4) → EAX = ISA IRQ (PIRQ = (slot - 1 + pin - 1) mod 4)
pci_irq_of:
        shr     eax, 3
        add     eax, ecx
        sub     eax, 2
        and     eax, 3
        movzx   eax, byte [pirq_irqs + eax]
        ret
pirq_irqs:      db PIRQ_IRQ_A, PIRQ_IRQ_B, PIRQ_IRQ_C, PIRQ_IRQ_D

; pci_size_bar: EBX = devfn, ESI = BAR register (0x10-0x24), EDI = enable bits so far.
; Sizing (PCI 3.0 6.2.5.1): write all ones, read back; the writable bits give the size. Out: ESI = next BAR.
pci_size_bar:
        push    ebp
        mov     eax, ebx
        shl     eax, 8
        or      eax, esi
        mov     ebp, eax
        mov     ecx, -1
        call    pci_wr32
        mov     eax, ebp
        call    pci_rd32
        mov     ecx, eax
        add     esi, 4
        test    ecx, ecx
        jz      .unused
        cmp     ecx, -1
        je      .unused
        test    cl, 1
        jnz     .io
        mov     edx, ecx
        and     edx, 6
        cmp     edx, 4                  ; 64-bit memory BAR: the upper half is set to 0 (placed below 4 GiB)
        jne     .m32
        push    ecx
        lea     eax, [ebp + 4]
        xor     ecx, ecx
        call    pci_wr32
        pop     ecx
        add     esi, 4
.m32:   and     ecx, 0xFFFFFFF0
        neg     ecx                     ; size
        mov     eax, [F(var_pci_mem)]
        lea     eax, [eax + ecx - 1]
        mov     edx, ecx
        neg     edx
        and     eax, edx                ; aligned to the size
        mov     edx, eax
        add     edx, ecx
        jc      .full
        cmp     edx, PCI_MEM_END
        ja      .full
        mov     [F(var_pci_mem)], edx
        mov     ecx, eax
        mov     eax, ebp
        call    pci_wr32
        or      edi, 2
        pop     ebp
        ret
.io:    and     ecx, 0xFFFFFFFC
        or      ecx, 0xFFFF0000         ; I/O decodes 16 bits here
        neg     ecx
        mov     eax, [F(var_pci_io)]
        lea     eax, [eax + ecx - 1]
        mov     edx, ecx
        neg     edx
        and     eax, edx
        mov     edx, eax
        add     edx, ecx
        cmp     edx, 0x10000
        ja      .full
        mov     [F(var_pci_io)], edx
        mov     ecx, eax
        mov     eax, ebp
        call    pci_wr32
        or      edi, 1
        pop     ebp
        ret
.full:  push    esi
        mov     esi, msg_pci_full
        call    puts32
        pop     esi
.unused:
        xor     ecx, ecx
        mov     eax, ebp
        call    pci_wr32
        pop     ebp
        ret
msg_pci_full:   db 'pcjit BIOS: PCI BAR does not fit, left unassigned', 10, 0

; checksum8: ESI = block, ECX = length, EDX = offset of its checksum byte: make the bytes sum to 0
checksum8:
        push    eax
        push    ecx
        push    esi
        mov     byte [esi + edx], 0
        xor     ah, ah
.s:     lodsb
        add     ah, al
        loop    .s
        pop     esi
        neg     ah
        mov     [esi + edx], ah
        pop     ecx
        pop     eax
        ret

pir_checksum:                           ; the $PIR table (tables16.asm): checksum over its table size
        mov     esi, F(pir_table)
        movzx   ecx, word [esi + 6]
        mov     edx, 31
        jmp     checksum8
