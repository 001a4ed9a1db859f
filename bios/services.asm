; services.asm — real-mode services without a disk: INT 10h (no display: teletype goes to COM1), 11h, 12h,
; 16h + IRQ1 (i8042 scan code set 1 → the BDA ring), 1Ah (ticks, RTC, PCI BIOS 2.1), 18h/19h (boot), the IRQ
; handlers (timer tick, EOIs) and the stubs of every other vector. Register conventions: Ralf Brown's Interrupt
; List for each function; everything not named as an output is preserved.

; ---- the stubs: one per vector, "push vector; jmp unhandled_common" (5 bytes each) ----
UNHANDLED_STUB_SIZE equ 5
unhandled_stubs:
%assign v 0
%rep 256
        db      0x6A, v
        jmp     near unhandled_common
%assign v v + 1
%endrep

; An interrupt nobody handles: logged once per vector on port 0xE9, then IRET. Vectors 0 (divide error) and 6
; (invalid opcode) are faults that would restart the same instruction forever: report them on COM1 and halt.
unhandled_common:
        push    bp
        mov     bp, sp
        push    ax
        push    bx
        push    si
        mov     al, [bp + 2]            ; the vector
        cmp     al, 0
        je      .fatal
        cmp     al, 6
        je      .fatal
        movzx   bx, al
        shr     bx, 3
        mov     ah, al
        and     ah, 7
        push    cx
        mov     cl, ah
        mov     ah, 1
        shl     ah, cl
        pop     cx
        test    [cs:var_unhandled + bx], ah
        jnz     .done
        or      [cs:var_unhandled + bx], ah
        mov     si, msg_unhandled
        call    dbg_puts
        call    dbg_hex8
        mov     si, msg_unhandled_end
        call    dbg_puts
.done:  pop     si
        pop     bx
        pop     ax
        pop     bp
        add     sp, 2
        iret
.fatal: mov     si, msg_fatal
        call    puts16
        call    com1_hex8
        mov     si, msg_fatal_at
        call    puts16
        mov     ax, [bp + 6]            ; CS
        call    com1_hex16
        mov     al, ':'
        call    com1_putc
        mov     ax, [bp + 4]            ; IP
        call    com1_hex16
        mov     si, msg_halted
        call    puts16
        cli
.h:     hlt
        jmp     .h

com1_hex16:                             ; AX
        xchg    al, ah
        call    com1_hex8
        xchg    al, ah
com1_hex8:                              ; AL
        push    ax
        push    ax
        shr     al, 4
        call    .n
        pop     ax
        call    .n
        pop     ax
        ret
.n:     and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .o
        add     al, 7
.o:     jmp     com1_putc

; ---- IRQ handlers ----
irq0:                                   ; INT 08h: BDA tick count (wraps at 24 h, sets the midnight flag), INT 1Ch
        push    ax
        push    ds
        xor     ax, ax
        mov     ds, ax
        inc     dword [0x400 + BDA_TICKS]
        cmp     dword [0x400 + BDA_TICKS], TICKS_PER_DAY
        jb      .t
        mov     dword [0x400 + BDA_TICKS], 0
        mov     byte [0x400 + BDA_MIDNIGHT], 1
.t:     int     0x1C
        mov     al, 0x20
        out     PIC1_CMD, al
        pop     ds
        pop     ax
        iret
irq_master:                             ; IRQ 2-7 with no handler: non-specific EOI
        push    ax
        mov     al, 0x20
        out     PIC1_CMD, al
        pop     ax
        iret
irq_slave:                              ; IRQ 9-15 with no handler: EOI to both
        push    ax
        mov     al, 0x20
        out     PIC2_CMD, al
        out     PIC1_CMD, al
        pop     ax
        iret
irq8:                                   ; INT 70h: RTC, read register C to acknowledge
        push    ax
        mov     al, 0x8C
        out     CMOS_INDEX, al
        in      al, CMOS_DATA
        mov     al, 0x20
        out     PIC2_CMD, al
        out     PIC1_CMD, al
        pop     ax
        iret
iret_stub:                              ; INT 1Ch, 4Ah: hooks for programs
        iret

; ---- INT 10h: there is no display. Mode 3 (80x25 colour text on a CGA-class adapter) is reported, the cursor
; and page are kept in the BDA, teletype output (0Eh) and write string (13h) go to COM1. EGA/VGA/VBE queries
; answer "not present" the way those BIOSes' absence looks (12h leaves BL = 10h; 1Ah leaves AL; 4Fxxh: AL != 4Fh) ----
int10:
        cmp     ah, 0x0E
        je      .tty
        push    ds
        push    bx
        push    ax
        xor     ax, ax
        mov     ds, ax
        pop     ax
        cmp     ah, 0x00
        je      .setmode
        cmp     ah, 0x01
        je      .shape
        cmp     ah, 0x02
        je      .setpos
        cmp     ah, 0x03
        je      .getpos
        cmp     ah, 0x05
        je      .page
        cmp     ah, 0x06
        je      .done                   ; scroll up/down: nothing to scroll
        cmp     ah, 0x07
        je      .done
        cmp     ah, 0x08
        je      .readch
        cmp     ah, 0x09
        je      .done                   ; write char/attr at the cursor: nothing to write to
        cmp     ah, 0x0A
        je      .done
        cmp     ah, 0x0F
        je      .getmode
        cmp     ah, 0x13
        je      .string
        cmp     ah, 0x4F
        je      .vbe
        push    dx                      ; 12h, 1Ah and the rest: unsupported here
        mov     dl, 0x10
        call    log_unsupported
        pop     dx
.done:  pop     bx
        pop     ds
        iret
.setmode:
        mov     bl, al
        and     bl, 0x7F
        cmp     bl, 3
        je      .m3
        cmp     bl, 2                   ; 80x25 text modes 2 and 3 are the same here; others are not there
        je      .m3
        push    dx
        mov     dl, 0x10
        call    log_unsupported
        pop     dx
.m3:    mov     byte [0x400 + BDA_VMODE], 3
        mov     word [0x400 + BDA_CURPOS], 0
        mov     al, 0x30
        jmp     .done
.shape: mov     [0x400 + BDA_CURSHAPE], cx
        jmp     .done
.setpos:
        movzx   bx, bh
        and     bl, 7
        shl     bx, 1
        mov     [0x400 + BDA_CURPOS + bx], dx
        jmp     .done
.getpos:
        movzx   bx, bh
        and     bl, 7
        shl     bx, 1
        mov     dx, [0x400 + BDA_CURPOS + bx]
        mov     cx, [0x400 + BDA_CURSHAPE]
        xor     ax, ax
        jmp     .done
.page:  and     al, 7
        mov     [0x400 + BDA_VPAGE], al
        movzx   bx, al
        shl     bx, 12
        mov     [0x400 + BDA_VPAGEOFF], bx
        jmp     .done
.readch:
        mov     ax, 0x0720              ; a blank with the default attribute
        jmp     .done
.getmode:
        mov     al, [0x400 + BDA_VMODE]
        mov     ah, [0x400 + BDA_VCOLS]
        pop     bx
        mov     bh, [0x400 + BDA_VPAGE]
        pop     ds
        iret
.vbe:   push    dx
        mov     dl, 0x10
        call    log_unsupported
        pop     dx
        mov     ax, 0x0100              ; VBE 3.0 4.2: AL = 4Fh only when the function is supported; none is
        jmp     .done
.string:                                ; AL bit 1: the string alternates characters and attributes
        push    cx
        push    bp
        push    ax
        jcxz    .s_end
.s_next:
        mov     bl, [es:bp]
        xchg    al, bl
        call    com1_putc
        xchg    al, bl
        inc     bp
        test    al, 2
        jz      .s_loop
        inc     bp
.s_loop:
        loop    .s_next
.s_end: pop     ax
        pop     bp
        pop     cx
        jmp     .done
.tty:   call    com1_putc
        iret

int11:                                  ; equipment list
        push    ds
        xor     ax, ax
        mov     ds, ax
        mov     ax, [0x400 + BDA_EQUIP]
        pop     ds
        iret
int12:                                  ; KiB of conventional memory below the EBDA
        push    ds
        xor     ax, ax
        mov     ds, ax
        mov     ax, [0x400 + BDA_MEMKB]
        pop     ds
        iret

; ---- keyboard ----
irq1:                                   ; INT 09h
        push    ax
        push    bx
        push    ds
        xor     ax, ax
        mov     ds, ax
        in      al, KBC_STATUS
        test    al, 1
        jz      .eoi
        test    al, 0x20                ; a mouse byte: not ours
        jnz     .eoi
        in      al, KBC_DATA
        mov     ah, 0x4F                ; INT 15h AH=4Fh keyboard intercept: CF = 1 means "process it"
        stc
        int     0x15
        jnc     .eoi
        call    kbd_scancode
.eoi:   mov     al, 0x20
        out     PIC1_CMD, al
        pop     ds
        pop     bx
        pop     ax
        iret

; kbd_scancode: AL = set-1 scan code, DS = 0. Updates the shift state (BDA 0x417/0x418/0x496) and queues
; scan << 8 | ASCII for make codes.
kbd_scancode:
        cmp     al, 0xE0
        jne     .not_e0
        or      byte [0x400 + BDA_KBFLAGS3], 2
        ret
.not_e0:
        mov     ah, al
        and     ah, 0x7F                ; AH = key
        mov     bl, 0x03                ; shift: bit 1 left, bit 0 right
        cmp     ah, 0x2A
        je      .left_shift
        cmp     ah, 0x36
        je      .right_shift
        mov     bl, 0x04
        cmp     ah, 0x1D
        je      .mod
        mov     bl, 0x08
        cmp     ah, 0x38
        je      .mod
        test    al, 0x80
        jnz     .clear_e0               ; other break codes: nothing
        mov     bl, 0x40
        cmp     ah, 0x3A
        je      .toggle
        mov     bl, 0x20
        cmp     ah, 0x45
        je      .toggle
        mov     bl, 0x10
        cmp     ah, 0x46
        je      .toggle
        ; a key: its ASCII from the tables (0 for keys without one)
        xor     bx, bx
        mov     bl, ah
        cmp     bl, KBD_TABLE_LEN
        jae     .noascii
        test    byte [0x400 + BDA_KBFLAGS3], 2
        jnz     .noascii                ; E0-prefixed (grey) keys: scan code only
        test    byte [0x400 + BDA_KBFLAGS], 0x08
        jnz     .noascii                ; Alt: scan code only
        test    byte [0x400 + BDA_KBFLAGS], 0x04
        jnz     .ctrl
        mov     al, [cs:kbd_normal + bx]
        test    byte [0x400 + BDA_KBFLAGS], 0x03
        jz      .caps
        mov     al, [cs:kbd_shift + bx]
.caps:  test    byte [0x400 + BDA_KBFLAGS], 0x40
        jz      .put
        cmp     al, 'a'                 ; Caps Lock swaps the case of letters only
        jb      .up
        cmp     al, 'z'
        ja      .put
        sub     al, 0x20
        jmp     .put
.up:    cmp     al, 'A'
        jb      .put
        cmp     al, 'Z'
        ja      .put
        add     al, 0x20
        jmp     .put
.ctrl:  mov     al, [cs:kbd_normal + bx]
        cmp     al, 'a'
        jb      .noascii
        cmp     al, 'z'
        ja      .noascii
        sub     al, 0x60                ; Ctrl+letter = 01h-1Ah
        jmp     .put
.noascii:
        xor     al, al
.put:   call    kbd_enqueue             ; AH = scan, AL = ASCII
.clear_e0:
        and     byte [0x400 + BDA_KBFLAGS3], ~2
        ret
.left_shift:
        mov     bl, 0x02
        jmp     .mod
.right_shift:
        mov     bl, 0x01
.mod:   test    al, 0x80
        jnz     .release
        or      [0x400 + BDA_KBFLAGS], bl
        jmp     .clear_e0
.release:
        not     bl
        and     [0x400 + BDA_KBFLAGS], bl
        jmp     .clear_e0
.toggle:
        xor     [0x400 + BDA_KBFLAGS], bl
        jmp     .clear_e0

; kbd_enqueue: AX into the BDA ring (DS = 0). Out: CF = 1 if full (the key is dropped).
kbd_enqueue:
        push    bx
        push    si
        mov     bx, [0x400 + BDA_KBTAIL]
        mov     si, bx
        add     si, 2
        cmp     si, [0x400 + BDA_KBEND]
        jb      .w
        mov     si, [0x400 + BDA_KBSTART]
.w:     cmp     si, [0x400 + BDA_KBHEAD]
        je      .full
        mov     [0x400 + bx], ax
        mov     [0x400 + BDA_KBTAIL], si
        pop     si
        pop     bx
        clc
        ret
.full:  pop     si
        pop     bx
        stc
        ret

int16:
        push    ds
        push    bx
        push    ax
        xor     ax, ax
        mov     ds, ax
        pop     ax
        cmp     ah, 0x00
        je      .get
        cmp     ah, 0x10
        je      .get
        cmp     ah, 0x01
        je      .peek
        cmp     ah, 0x11
        je      .peek
        cmp     ah, 0x02
        je      .shift
        cmp     ah, 0x12
        je      .shift2
        cmp     ah, 0x05
        je      .store
        cmp     ax, 0x0305
        je      .rate
        push    dx
        mov     dl, 0x16
        call    log_unsupported
        pop     dx
        pop     bx
        pop     ds
        stc
        jmp     iret_cf
.get:   sti                             ; wait for a key, sleeping in HLT between interrupts
.gw:    cli
        mov     bx, [0x400 + BDA_KBHEAD]
        cmp     bx, [0x400 + BDA_KBTAIL]
        jne     .gk
        sti
        hlt
        jmp     .gw
.gk:    mov     ax, [0x400 + bx]
        add     bx, 2
        cmp     bx, [0x400 + BDA_KBEND]
        jb      .gs
        mov     bx, [0x400 + BDA_KBSTART]
.gs:    mov     [0x400 + BDA_KBHEAD], bx
        sti
        pop     bx
        pop     ds
        iret
.peek:  cli
        mov     bx, [0x400 + BDA_KBHEAD]
        cmp     bx, [0x400 + BDA_KBTAIL]
        je      .pnone
        mov     ax, [0x400 + bx]
        sti
        pop     bx
        pop     ds
        cmp     sp, 0                   ; ZF = 0: a key is waiting (AX = it)
        jmp     iret_zf
.pnone: sti
        pop     bx
        pop     ds
        cmp     ax, ax                  ; ZF = 1: none
        jmp     iret_zf
.shift: mov     al, [0x400 + BDA_KBFLAGS]
        pop     bx
        pop     ds
        iret
.shift2:
        mov     al, [0x400 + BDA_KBFLAGS]
        mov     ah, [0x400 + BDA_KBFLAGS2]
        pop     bx
        pop     ds
        iret
.store: cli
        mov     ax, cx
        call    kbd_enqueue
        sti
        mov     al, 0
        adc     al, 0                   ; AL = 1: buffer full
        pop     bx
        pop     ds
        iret
.rate:  ; typematic rate/delay (AL=05h: BH = delay 0-3, BL = rate 0-1Fh): keyboard command F3h (i8042 port 60h)
        push    ax
        push    cx
        mov     ah, 0xF3
        call    kbd_send
        mov     ah, bh
        and     ah, 3
        shl     ah, 5
        and     bl, 0x1F
        or      ah, bl
        call    kbd_send
        pop     cx
        pop     ax
        pop     bx
        pop     ds
        iret
kbd_send:                               ; AH = byte for the keyboard; waits (bounded) for the input buffer
        mov     cx, 0xFFFF
.w:     in      al, KBC_STATUS
        test    al, 2
        jz      .s
        loop    .w
.s:     mov     al, ah
        out     KBC_DATA, al
        ret

; ---- INT 1Ah ----
int1a:
        cmp     ah, 0xB1
        je      pcibios
        push    ds
        push    ax
        xor     ax, ax
        mov     ds, ax
        pop     ax
        cmp     ah, 0x00
        je      .get
        cmp     ah, 0x01
        je      .set
        cmp     ah, 0x02
        je      .rtime
        cmp     ah, 0x03
        je      .stime
        cmp     ah, 0x04
        je      .rdate
        cmp     ah, 0x05
        je      .sdate
        push    dx
        mov     dl, 0x1A
        call    log_unsupported
        pop     dx
        pop     ds
        stc
        jmp     iret_cf
.get:   cli
        mov     dx, [0x400 + BDA_TICKS]
        mov     cx, [0x400 + BDA_TICKS + 2]
        mov     al, [0x400 + BDA_MIDNIGHT]
        mov     byte [0x400 + BDA_MIDNIGHT], 0
        sti
        pop     ds
        clc
        jmp     iret_cf
.set:   cli
        mov     [0x400 + BDA_TICKS], dx
        mov     [0x400 + BDA_TICKS + 2], cx
        mov     byte [0x400 + BDA_MIDNIGHT], 0
        sti
        pop     ds
        clc
        jmp     iret_cf
.rtime: call    rtc_wait
        mov     al, 0x04
        call    rtc_rd
        mov     ch, al
        mov     al, 0x02
        call    rtc_rd
        mov     cl, al
        mov     al, 0x00
        call    rtc_rd
        mov     dh, al
        mov     al, 0x0B
        call    rtc_rd
        and     al, 1
        mov     dl, al
        pop     ds
        clc
        jmp     iret_cf
.rdate: call    rtc_wait
        mov     al, 0x32
        call    rtc_rd
        mov     ch, al
        mov     al, 0x09
        call    rtc_rd
        mov     cl, al
        mov     al, 0x08
        call    rtc_rd
        mov     dh, al
        mov     al, 0x07
        call    rtc_rd
        mov     dl, al
        pop     ds
        clc
        jmp     iret_cf
.stime: call    rtc_set_begin
        mov     al, 0x04
        mov     ah, ch
        call    rtc_wr
        mov     al, 0x02
        mov     ah, cl
        call    rtc_wr
        mov     al, 0x00
        mov     ah, dh
        call    rtc_wr
        mov     al, 0x0B                ; SET off, DST from DL bit 0
        call    rtc_rd
        and     al, 0x7E
        mov     ah, dl
        and     ah, 1
        or      ah, al
        mov     al, 0x0B
        call    rtc_wr
        pop     ds
        clc
        jmp     iret_cf
.sdate: call    rtc_set_begin
        mov     al, 0x32
        mov     ah, ch
        call    rtc_wr
        mov     al, 0x09
        mov     ah, cl
        call    rtc_wr
        mov     al, 0x08
        mov     ah, dh
        call    rtc_wr
        mov     al, 0x07
        mov     ah, dl
        call    rtc_wr
        call    rtc_set_end
        pop     ds
        clc
        jmp     iret_cf
rtc_rd:                                 ; AL = register → AL
        or      al, 0x80
        out     CMOS_INDEX, al
        in      al, CMOS_DATA
        ret
rtc_wr:                                 ; AL = register, AH = value
        or      al, 0x80
        out     CMOS_INDEX, al
        mov     al, ah
        out     CMOS_DATA, al
        ret
rtc_wait:                               ; until register A's UIP is clear (MC146818 datasheet), bounded
        push    cx
        mov     cx, 0xFFFF
.w:     mov     al, 0x0A
        call    rtc_rd
        test    al, 0x80
        jz      .d
        loop    .w
.d:     pop     cx
        ret
rtc_set_begin:                          ; register B: SET (stops updates while the clock is written)
        push    ax
        mov     al, 0x0B
        call    rtc_rd
        or      al, 0x80
        mov     ah, al
        mov     al, 0x0B
        call    rtc_wr
        pop     ax
        ret
rtc_set_end:
        push    ax
        mov     al, 0x0B
        call    rtc_rd
        and     al, 0x7F
        mov     ah, al
        mov     al, 0x0B
        call    rtc_wr
        pop     ax
        ret

; ---- PCI BIOS 2.1 (INT 1Ah AH=B1h), bus 0 through configuration mechanism #1 ----
PCIBIOS_OK      equ 0x00
PCIBIOS_NOFUNC  equ 0x81
PCIBIOS_BADVEN  equ 0x83
PCIBIOS_NODEV   equ 0x86
PCIBIOS_BADREG  equ 0x87
pcibios:
        cmp     al, 0x01
        je      .check
        cmp     al, 0x02
        je      .find_dev
        cmp     al, 0x03
        je      .find_class
        cmp     al, 0x08
        jb      .nofunc
        cmp     al, 0x0D
        ja      .nofunc
        ; config access: BH = bus, BL = devfn, DI = register
        cmp     di, 0xFF
        ja      .badreg
        cmp     al, 0x09
        je      .a2
        cmp     al, 0x0C
        je      .a2
        cmp     al, 0x0A
        je      .a4
        cmp     al, 0x0D
        je      .a4
        jmp     .aok
.a2:    test    di, 1
        jnz     .badreg
        jmp     .aok
.a4:    test    di, 3
        jnz     .badreg
.aok:   push    dx
        push    eax
        call    pci16_addr              ; DX = data port
        pop     eax
        cmp     al, 0x08
        je      .rb
        cmp     al, 0x09
        je      .rw
        cmp     al, 0x0A
        je      .rd
        cmp     al, 0x0B
        je      .wb
        cmp     al, 0x0C
        je      .ww
        xchg    eax, ecx                ; 0Dh: write dword ECX
        out     dx, eax
        xchg    eax, ecx
        jmp     .ok_dx
.rb:    push    ax
        in      al, dx
        mov     cl, al
        pop     ax
        jmp     .ok_dx
.rw:    push    ax
        in      ax, dx
        mov     cx, ax
        pop     ax
        jmp     .ok_dx
.rd:    push    eax
        in      eax, dx
        mov     ecx, eax
        pop     eax
        jmp     .ok_dx
.wb:    push    ax
        mov     al, cl
        out     dx, al
        pop     ax
        jmp     .ok_dx
.ww:    push    ax
        mov     ax, cx
        out     dx, ax
        pop     ax
.ok_dx: pop     dx
.ok:    mov     ah, PCIBIOS_OK
        clc
        jmp     iret_cf
.check: mov     ax, 0x0001              ; AH = 0: present; AL bit 0: configuration mechanism #1
        mov     bx, 0x0210              ; version 2.10
        mov     cl, 0                   ; last bus
        mov     edx, 0x20494350         ; 'PCI '
        xor     edi, edi                ; no protected-mode entry point (no BIOS32 service directory)
        clc
        jmp     iret_cf
.nofunc:
        push    dx
        mov     dl, 0x1A
        call    log_unsupported
        pop     dx
        mov     ah, PCIBIOS_NOFUNC
        stc
        jmp     iret_cf
.badreg:
        mov     ah, PCIBIOS_BADREG
        stc
        jmp     iret_cf
.find_dev:                              ; CX = device, DX = vendor, SI = index → BH = bus, BL = devfn
        cmp     dx, 0xFFFF
        je      .badven
        push    eax
        push    si
        push    di
        mov     eax, edx
        and     eax, 0xFFFF
        push    ecx
        shl     ecx, 16
        or      eax, ecx
        pop     ecx
        xor     di, di                  ; DI = 0: compare the dword at register 0
        call    pci_find
        pop     di
        pop     si
        jc      .nodev_pop
        pop     eax
        jmp     .ok
.find_class:                            ; ECX bits 23:0 = class, subclass, programming interface
        push    eax
        push    si
        push    di
        mov     eax, ecx
        shl     eax, 8
        mov     di, 8                   ; register 8: revision | class << 8 (revision masked below)
        call    pci_find
        pop     di
        pop     si
        jc      .nodev_pop
        pop     eax
        jmp     .ok
.nodev_pop:
        pop     eax
        mov     ah, PCIBIOS_NODEV
        stc
        jmp     iret_cf
.badven:
        mov     ah, PCIBIOS_BADVEN
        stc
        jmp     iret_cf

; pci_find: EAX = value wanted at register DI (DI = 8: the low byte, the revision, is not compared), SI = index.
; Out: BX = bus 0 / devfn, CF = 0; or CF = 1.
pci_find:
        push    edx
        push    ecx
        mov     ecx, eax
        xor     bx, bx
.n:     push    di
        xor     di, di
        call    pci16_addr
        in      eax, dx
        pop     di
        cmp     ax, 0xFFFF
        je      .skip
        call    pci16_addr
        in      eax, dx
        cmp     di, 8
        jne     .cmp
        mov     al, 0
.cmp:   cmp     eax, ecx
        jne     .skip
        test    si, si
        jz      .found
        dec     si
.skip:  inc     bl
        jnz     .n
        stc
        jmp     .r
.found: clc
.r:     pop     ecx
        pop     edx
        ret

; pci16_addr: BH = bus, BL = devfn, DI = register → CONFIG_ADDRESS written, DX = the data port of that lane
pci16_addr:
        push    eax
        mov     eax, 0x800000           ; bit 31 (enable) once shifted; bus 23:16, devfn 15:8
        or      ax, bx
        shl     eax, 8
        mov     dx, di
        and     dl, 0xFC
        or      al, dl
        mov     dx, 0xCF8
        out     dx, eax
        mov     dx, di
        and     dx, 3
        add     dx, 0xCFC
        pop     eax
        ret

; ---- boot (INT 19h) and "no boot device" (INT 18h) ----
int19:
        sti
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        cmp     byte [cs:var_disks], 0
        je      .none
        mov     cx, 3                   ; a few tries, as real BIOSes do
.try:   push    cx
        mov     ax, 0x0201
        mov     cx, 0x0001
        mov     dx, 0x0080
        mov     bx, 0x7C00
        int     0x13
        pop     cx
        jnc     .read
        loop    .try
        mov     si, msg_boot_readerr
        call    puts16
        int     0x18
.read:  cmp     word [0x7DFE], 0xAA55
        je      .go
        mov     si, msg_boot_nosig
        call    puts16
        int     0x18
.go:    mov     si, msg_boot_hd
        call    puts16
        cli
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        mov     dx, 0x0080
        jmp     0:0x7C00
.none:  mov     si, msg_boot_nodisk
        call    puts16
        int     0x18
int18:
        mov     si, msg_no_boot
        call    puts16
        cli
.h:     hlt
        jmp     .h
