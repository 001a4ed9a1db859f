; int15.asm — INT 15h system services (Ralf Brown INT 15h; ACPI 2.0 14.1 for E820): the memory map (E820h,
; E801h, 88h), A20 (2400h-2403h), the 286-style block move through protected mode (87h), the configuration
; table (C0h), the EBDA segment (C1h), waits (86h), the keyboard intercept (4Fh), device busy/post (90h/91h).
; Everything else (APM 53h, mouse C2h, 83h, ...) returns CF = 1, AH = 86h, logged once.

int15:
        cmp     ax, 0xE820
        je      e820
        cmp     ax, 0xE801
        je      .e801
        cmp     ah, 0x88
        je      .ext88
        cmp     ah, 0x24
        je      .a20
        cmp     ah, 0x87
        je      block_move
        cmp     ah, 0xC0
        je      .config
        cmp     ah, 0xC1
        je      .ebda
        cmp     ah, 0x86
        je      wait_us
        cmp     ah, 0x4F
        je      .intercept
        cmp     ah, 0x90
        je      .busy
        cmp     ah, 0x91
        je      .busy
.unsup: push    dx
        mov     dl, 0x15
        call    log_unsupported
        pop     dx
        mov     ah, 0x86
        stc
        jmp     iret_cf
.intercept:                             ; nobody hooks the keyboard: process every scan code (CF = 1, AL kept)
        stc
        jmp     iret_cf
.busy:  mov     ah, 0
        clc
        jmp     iret_cf
.config:
        push    cs
        pop     es
        mov     bx, config_table
        mov     ah, 0
        clc
        jmp     iret_cf
.ebda:  push    ax
        mov     ax, EBDA_SEG
        mov     es, ax
        pop     ax
        clc
        jmp     iret_cf
.ext88:                                 ; KiB above 1 MiB up to the first hole, at most 0FC00h (63 MiB)
        mov     eax, [cs:var_acpi_base]
        sub     eax, 0x100000
        shr     eax, 10
        cmp     eax, 0xFC00
        jbe     .e88
        mov     ax, 0xFC00
.e88:   clc
        jmp     iret_cf
.e801:                                  ; AX = CX = KiB 1-16 MiB (<= 3C00h), BX = DX = 64 KiB blocks above 16 MiB
        mov     eax, [cs:var_acpi_base]
        cmp     eax, 0x1000000
        jbe     .low
        sub     eax, 0x1000000
        shr     eax, 16
        mov     bx, ax
        mov     ax, 0x3C00
        jmp     .e801r
.low:   sub     eax, 0x100000
        shr     eax, 10
        xor     bx, bx
.e801r: mov     cx, ax
        mov     dx, bx
        clc
        jmp     iret_cf
.a20:   cmp     al, 0x03
        ja      .unsup
        je      .a20sup
        cmp     al, 0x02
        je      .a20st
        call    a20_set                 ; AL = 0 off, 1 on
        mov     ah, 0
        clc
        jmp     iret_cf
.a20st: call    a20_test
        mov     ah, 0
        clc
        jmp     iret_cf
.a20sup:
        mov     bx, 0x0003              ; keyboard controller and port 92h
        mov     ah, 0
        clc
        jmp     iret_cf

; a20_set: AL = 0 disable, 1 enable, through both gates (port 92h bit 1 and the i8042 output port, command D1h;
; bit 0 of what is written there stays 1: 0 would reset the CPU)
a20_set:
        push    ax
        push    cx
        mov     ah, al
        in      al, PORT_A20
        and     al, 0xFC
        test    ah, ah
        jz      .p
        or      al, 2
.p:     out     PORT_A20, al
        call    kbc_wait16
        mov     al, 0xD1
        out     KBC_STATUS, al
        call    kbc_wait16
        mov     al, 0xDD
        test    ah, ah
        jz      .k
        mov     al, 0xDF
.k:     out     KBC_DATA, al
        call    kbc_wait16
        pop     cx
        pop     ax
        ret
kbc_wait16:
        push    ax
        mov     cx, 0xFFFF
.w:     in      al, KBC_STATUS
        test    al, 2
        jz      .d
        loop    .w
.d:     pop     ax
        ret

; a20_test: AL = 1 if A20 is on (0:0500h and FFFF:0510h are different bytes), else 0
a20_test:
        push    ds
        push    es
        push    bx
        xor     ax, ax
        mov     ds, ax
        dec     ax
        mov     es, ax
        mov     bl, [0x500]
        mov     al, bl
        not     al
        mov     [es:0x510], al
        cmp     [0x500], al             ; wrapped: the write landed at 0:0500h
        mov     [0x500], bl
        mov     al, 1
        jne     .on
        mov     al, 0
.on:    pop     bx
        pop     es
        pop     ds
        ret

; E820h: EBX = continuation (the entry index), ECX = buffer size (>= 20), EDX = 'SMAP', ES:DI = buffer
e820:
        cmp     edx, 0x534D4150
        jne     .err
        cmp     ecx, 20
        jb      .err
        movzx   eax, word [cs:var_e820_count]
        cmp     ebx, eax
        jae     .err
        push    ds
        push    si
        push    di
        push    cs
        pop     ds
        imul    si, bx, 20
        add     si, var_e820
        mov     cx, 20
        cld
        rep     movsb
        pop     di
        pop     si
        pop     ds
        inc     ebx
        cmp     ebx, eax
        jb      .more
        xor     ebx, ebx                ; that was the last entry
.more:  mov     eax, 0x534D4150
        mov     ecx, 20
        clc
        jmp     iret_cf
.err:   mov     ah, 0x86
        stc
        jmp     iret_cf

; AH=86h: wait CX:DX microseconds. Time is read from the 8254's channel 0 (mode 3, count 65536 as POST set it:
; the counter falls by 2 per input clock, 1.193182 MHz, and reloads every 32768 clocks), polled often enough
; that no reload is missed. (Port 61h's refresh toggle would do on hardware, but QEMU flips it on every read.)
wait_us:
        push    eax
        push    ebx
        push    ecx
        push    edx
        push    esi
        sti
        mov     ax, cx
        shl     eax, 16
        mov     ax, dx
        cmp     eax, 3000000000         ; 50 minutes: the most the clock arithmetic below holds
        jbe     .c
        mov     eax, 3000000000
.c:     mov     ecx, 1193
        mul     ecx
        mov     ecx, 1000
        div     ecx
        mov     esi, eax                ; ESI = input clocks to wait
        call    pit0_read
        mov     bx, ax
.w:     call    pit0_read
        mov     dx, bx
        sub     dx, ax                  ; counts elapsed (mod 65536), 2 per clock
        mov     bx, ax
        shr     dx, 1
        movzx   edx, dx
        sub     esi, edx
        ja      .w
        pop     esi
        pop     edx
        pop     ecx
        pop     ebx
        pop     eax
        mov     ah, 0
        clc
        jmp     iret_cf
pit0_read:                              ; AX = channel 0's count (counter latch command)
        pushf
        cli
        mov     al, 0x00
        out     PIT_CMD, al
        in      al, PIT_CH0
        mov     ah, al
        in      al, PIT_CH0
        xchg    al, ah
        popf
        ret

; AH=87h: copy CX words (at most 8000h) between the 32-bit bases of the descriptors at ES:SI+10h (source) and
; ES:SI+18h (destination), in 16-bit protected mode with this firmware's GDT, A20 on for the move and restored.
; Out: AH = 0, CF = 0; CX > 8000h: AH = 86h, CF = 1 (nothing moved).
block_move:
        cmp     cx, 0x8000
        ja      .bad
        pushad
        push    ds
        push    es
        mov     eax, [es:si + 0x12]
        and     eax, 0x00FFFFFF
        mov     bl, [es:si + 0x17]
        shl     ebx, 24
        or      eax, ebx
        push    eax                     ; source
        mov     edx, [es:si + 0x1A]
        and     edx, 0x00FFFFFF
        mov     bl, [es:si + 0x1F]
        shl     ebx, 24
        or      edx, ebx
        mov     edi, edx
        pop     esi
        movzx   ecx, cx
        cli
        in      al, PORT_A20
        push    ax
        or      al, 2
        and     al, 0xFE
        out     PORT_A20, al
        o32 lgdt [cs:gdt_desc]
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     SEL_CODE16:.pm
.pm:    mov     ax, SEL_DATA32
        mov     ds, ax
        mov     es, ax
        cld
        a32 rep movsw
        mov     ax, SEL_DATA16
        mov     ds, ax
        mov     es, ax
        mov     eax, cr0
        and     al, 0xFE
        mov     cr0, eax
        jmp     BIOS_SEG:.rm
.rm:    pop     ax
        out     PORT_A20, al
        pop     es
        pop     ds
        popad
        mov     ah, 0
        clc
        jmp     iret_cf                 ; (IRET restores the caller's IF)
.bad:   mov     ah, 0x86
        stc
        jmp     iret_cf
