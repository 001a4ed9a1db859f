; pc_board.asm — the PC board end to end: the guest programs the devices through their ports and takes their
; interrupts, exactly as firmware and an OS do, under pcjit (-machine pc) and qemu-system-i386 alike.
;  - 8259 pair: ICW1-4 (vectors 0x20/0x28, cascade on IR2), IMR read-back, in-service register read (OCW3) inside
;    the handler, non-specific EOI, cascaded EOI for IRQ8.
;  - 8254: channel 0 in mode 2 at ~1 kHz → IRQ0 wakes HLT five times; a latched counter read lies in 0..N;
;    channel 2 in mode 0 gated through port 0x61 bit 0, OUT2 seen in port 0x61 bit 5; the refresh bit toggles.
;  - RTC: register D valid, register B 24-hour, BCD-valid seconds/month, the seconds advance (UIP protocol), the
;    1024 Hz periodic interrupt through the slave (IRQ8) with PF|IRQF in register C; CMOS memory-size bytes.
;  - 16550 (COM1): divisor latch, FIFO identification in IIR, scratch register, a line printed on the UART,
;    loopback echo, modem-status loopback, the THRE interrupt on IRQ4 when ETBEI is enabled.
;  - i8042: self-test 0x55, command byte write/read, keyboard identify (0xFA 0xAB 0x41 with translation),
;    output-port read; A20: off through port 0x92 and command 0xDD (1 MiB wraps), on again through 0xDF.
; Needs: pcjit -machine pc -serial stdio (QEMU: -serial stdio). RAM: 32 MiB (checked through the CMOS bytes).
%include "lib.inc"

COM1            equ 0x3F8
ticks           equ test_tmp + 0x00
isr_in_irq0     equ test_tmp + 0x04
rtc_irqs        equ test_tmp + 0x08
rtc_c           equ test_tmp + 0x0C
uart_irqs       equ test_tmp + 0x10
uart_iir        equ test_tmp + 0x14
GATE_INT        equ SEL_CODE0 | (0x8E << 16)

%macro OUTB 2
        mov     al, %2
        out     %1, al
%endmacro
%macro SETGATE 2
        mov     eax, %1
        mov     ebx, %2
        mov     ecx, GATE_INT
        call    idt_set_gate
%endmacro

test_main:
        call    t_pic_init
        call    t_pit_irq0
        call    t_pit_ch2
        call    t_rtc
        call    t_uart
        call    t_kbc_a20
        ret

; ---- 8259 ----
t_pic_init:
        ; a CPU with a local APIC (QEMU's) takes the 8259's INTR through LINT0 only once LINT0 is ExtINT and the
        ; APIC is software-enabled, as firmware leaves it (SDM vol 3 10.5.1, "virtual wire" mode); on a board
        ; without a local APIC (pcjit today) these are writes to unassigned memory and change nothing
        mov     dword [0xFEE000F0], 0x1FF       ; spurious-interrupt vector register: APIC enabled
        mov     dword [0xFEE00350], 0x700       ; LVT LINT0: ExtINT, unmasked
        mov     dword [0xFEE00360], 0x400       ; LVT LINT1: NMI
        OUTB    0x20, 0x11
        OUTB    0xA0, 0x11
        OUTB    0x21, 0x20
        OUTB    0xA1, 0x28
        OUTB    0x21, 0x04
        OUTB    0xA1, 0x02
        OUTB    0x21, 0x01
        OUTB    0xA1, 0x01
        OUTB    0x21, 0xFF
        OUTB    0xA1, 0xFF
        in      al, 0x21
        movzx   eax, al
        CHECK   "pic_imr_readback", eax, 0xFF
        SETGATE 0x20, irq0_handler
        SETGATE 0x24, irq4_handler
        SETGATE 0x28, irq8_handler
        ret

irq0_handler:
        push    eax
        inc     dword [ticks]
        cmp     dword [ticks], 1
        jne     .eoi
        mov     al, 0x0B                        ; OCW3: read ISR
        out     0x20, al
        in      al, 0x20
        movzx   eax, al
        mov     [isr_in_irq0], eax
        mov     al, 0x0A
        out     0x20, al
.eoi:   mov     al, 0x20
        out     0x20, al
        pop     eax
        iretd

irq8_handler:
        push    eax
        inc     dword [rtc_irqs]
        mov     al, 0x0C
        out     0x70, al
        in      al, 0x71                        ; reading C acknowledges the RTC
        movzx   eax, al
        mov     [rtc_c], eax
        mov     al, 0x20
        out     0xA0, al
        out     0x20, al
        pop     eax
        iretd

irq4_handler:
        push    eax
        push    edx
        inc     dword [uart_irqs]
        mov     dx, COM1 + 2
        in      al, dx
        movzx   eax, al
        mov     [uart_iir], eax
        mov     dx, COM1 + 1
        xor     al, al
        out     dx, al                          ; IER = 0: no more THRE interrupts
        mov     al, 0x20
        out     0x20, al
        pop     edx
        pop     eax
        iretd

; ---- 8254 ----
t_pit_irq0:
        OUTB    0x43, 0x34                      ; channel 0, LSB then MSB, mode 2
        OUTB    0x40, 0xA9
        OUTB    0x40, 0x04                      ; 1193 ticks = 1 ms
        OUTB    0x43, 0x00                      ; latch channel 0
        in      al, 0x40
        mov     ah, al
        in      al, 0x40
        xchg    al, ah
        movzx   eax, ax
        cmp     eax, 1193
        setbe   al
        movzx   eax, al
        CHECK   "pit_counter_in_range", eax, 1
        OUTB    0x21, 0xFE                      ; unmask IRQ0
        sti
.wait:  cmp     dword [ticks], 5
        jae     .done
        hlt
        jmp     .wait
.done:  cli
        OUTB    0x21, 0xFF
        mov     eax, [ticks]
        cmp     eax, 5
        setae   al
        movzx   eax, al
        CHECK   "pit_irq0_woke_hlt_5_times", eax, 1
        CHECK   "pic_isr_inside_irq0", [isr_in_irq0], 1
        OUTB    0x20, 0x0B
        in      al, 0x20
        movzx   eax, al
        CHECK   "pic_isr_after_eoi", eax, 0
        ret

t_pit_ch2:
        in      al, 0x61
        and     al, 0xFC                        ; gate 2 low, speaker off
        out     0x61, al
        OUTB    0x43, 0xB0                      ; channel 2, LSB then MSB, mode 0
        OUTB    0x42, 0xE8
        OUTB    0x42, 0x03                      ; 1000 ticks
        in      al, 0x61
        and     eax, 0x20
        CHECK   "pit2_out_low_before_gate", eax, 0
        in      al, 0x61
        or      al, 1
        out     0x61, al                        ; gate high: counting starts
        mov     ecx, 10000000
.poll:  in      al, 0x61
        test    al, 0x20
        jnz     .high
        dec     ecx
        jnz     .poll
.high:  test    ecx, ecx
        setnz   al
        movzx   eax, al
        CHECK   "pit2_out_goes_high", eax, 1
        in      al, 0x61
        and     al, 0x10
        mov     bl, al
        mov     ecx, 1000000
.ref:   in      al, 0x61
        and     al, 0x10
        cmp     al, bl
        jne     .tog
        dec     ecx
        jnz     .ref
.tog:   test    ecx, ecx
        setnz   al
        movzx   eax, al
        CHECK   "port61_refresh_toggles", eax, 1
        ret

; ---- RTC ----
; rtc_read: AL = register → AL = value (waits for UIP = 0 first for the time registers)
rtc_read:
        push    ecx
        push    ebx
        mov     bl, al
        mov     ecx, 10000000
.uip:   mov     al, 0x0A
        out     0x70, al
        in      al, 0x71
        test    al, 0x80
        jz      .rd
        dec     ecx
        jnz     .uip
.rd:    mov     al, bl
        out     0x70, al
        in      al, 0x71
        pop     ebx
        pop     ecx
        ret

t_rtc:
        mov     al, 0x0D
        call    rtc_read
        movzx   eax, al
        CHECK   "rtc_regd_vrt", eax, 0x80
        mov     al, 0x0B
        call    rtc_read
        movzx   eax, al
        and     eax, 0x06
        CHECK   "rtc_regb_24h_bcd", eax, 0x02
        mov     al, 0x08
        call    rtc_read
        movzx   eax, al
        mov     ebx, eax
        and     ebx, 0x0F
        cmp     eax, 0x12
        setbe   al
        cmp     ebx, 9
        setbe   ah
        and     al, ah
        movzx   eax, al
        CHECK   "rtc_month_bcd", eax, 1
        xor     eax, eax
        call    rtc_read
        movzx   esi, al                         ; seconds now
        mov     ecx, 200000000
.sec:   xor     eax, eax
        call    rtc_read
        movzx   eax, al
        cmp     eax, esi
        jne     .adv
        dec     ecx
        jnz     .sec
.adv:   test    ecx, ecx
        setnz   al
        movzx   eax, al
        CHECK   "rtc_seconds_advance", eax, 1
        ; CMOS memory size: 640 KiB base, 31 MiB extended (32 MiB of RAM)
        mov     al, 0x16
        call    rtc_read
        mov     ah, al
        mov     al, 0x15
        call    rtc_read
        movzx   eax, ax
        CHECK   "cmos_base_memory_kb", eax, 640
        mov     al, 0x18
        call    rtc_read
        mov     ah, al
        mov     al, 0x17
        call    rtc_read
        movzx   eax, ax
        CHECK   "cmos_ext_memory_kb", eax, 31744
        ; periodic interrupt, 1024 Hz, through the slave PIC
        OUTB    0x70, 0x0A
        OUTB    0x71, 0x26
        mov     al, 0x0B
        call    rtc_read
        or      al, 0x40
        mov     bl, al
        OUTB    0x70, 0x0B
        mov     al, bl
        out     0x71, al
        mov     al, 0x0C
        call    rtc_read                        ; clear stale flags
        OUTB    0xA1, 0xFE                      ; unmask IRQ8
        OUTB    0x21, 0xFB                      ; and the cascade
        sti
.wait:  cmp     dword [rtc_irqs], 3
        jae     .done
        hlt
        jmp     .wait
.done:  cli
        OUTB    0x21, 0xFF
        OUTB    0xA1, 0xFF
        mov     al, 0x0B
        call    rtc_read
        and     al, ~0x40
        mov     bl, al
        OUTB    0x70, 0x0B
        mov     al, bl
        out     0x71, al
        mov     eax, [rtc_irqs]
        cmp     eax, 3
        setae   al
        movzx   eax, al
        CHECK   "rtc_irq8_periodic", eax, 1
        CHECKM  "rtc_regc_irqf_pf", [rtc_c], 0xC0, 0xC0
        ret

; ---- 16550 ----
uart_putc:                                      ; AL = byte
        push    edx
        push    eax
        mov     dx, COM1 + 5
.w:     in      al, dx
        test    al, 0x20
        jz      .w
        pop     eax
        mov     dx, COM1
        out     dx, al
        pop     edx
        ret

t_uart:
        mov     dx, COM1 + 1
        xor     al, al
        out     dx, al                          ; IER = 0
        mov     dx, COM1 + 3
        mov     al, 0x80
        out     dx, al                          ; DLAB
        mov     dx, COM1
        mov     al, 1
        out     dx, al                          ; 115200
        mov     dx, COM1 + 1
        xor     al, al
        out     dx, al
        mov     dx, COM1
        in      al, dx
        movzx   ebx, al
        mov     dx, COM1 + 3
        mov     al, 0x03
        out     dx, al                          ; 8N1, DLAB off
        CHECK   "uart_dll_readback", ebx, 1
        mov     dx, COM1 + 2
        mov     al, 0xC7
        out     dx, al                          ; FIFO on, cleared, trigger 14
        in      al, dx
        movzx   eax, al
        CHECK   "uart_iir_fifo_no_int", eax, 0xC1
        mov     dx, COM1 + 7
        mov     al, 0x5A
        out     dx, al
        in      al, dx
        movzx   eax, al
        CHECK   "uart_scratch", eax, 0x5A
        mov     esi, uart_msg
.pr:    lodsb
        test    al, al
        jz      .lb
        call    uart_putc
        jmp     .pr
.lb:    mov     dx, COM1 + 4
        mov     al, 0x1B                        ; loopback, OUT2, RTS, DTR
        out     dx, al
        mov     dx, COM1 + 6
        in      al, dx
        movzx   eax, al
        and     eax, 0xF0
        CHECK   "uart_msr_loopback", eax, 0xB0
        mov     al, 'Z'
        call    uart_putc
        mov     dx, COM1 + 5
        mov     ecx, 1000000
.dr:    in      al, dx
        test    al, 1
        jnz     .got
        dec     ecx
        jnz     .dr
.got:   mov     dx, COM1
        in      al, dx
        movzx   eax, al
        CHECK   "uart_loopback_echo", eax, 'Z'
        mov     dx, COM1 + 4
        mov     al, 0x0B                        ; OUT2 RTS DTR, no loopback
        out     dx, al
        OUTB    0x21, 0xEF                      ; unmask IRQ4
        sti
        mov     dx, COM1 + 1
        mov     al, 0x02                        ; ETBEI with THR empty: THRE interrupt
        out     dx, al
        mov     ecx, 1000000
.wi:    cmp     dword [uart_irqs], 0
        jne     .gi
        dec     ecx
        jnz     .wi
.gi:    cli
        OUTB    0x21, 0xFF
        CHECK   "uart_thre_irq4", [uart_irqs], 1
        CHECKM  "uart_iir_thre", [uart_iir], 0x0F, 0x02
        ret
uart_msg: db "pc_board: hello from COM1", 13, 10, 0

; ---- i8042 and A20 ----
kbc_read:                                       ; → EAX = byte, or -1 after a bounded wait
        push    ecx
        mov     ecx, 1000000
.w:     in      al, 0x64
        test    al, 1
        jnz     .r
        dec     ecx
        jnz     .w
        mov     eax, -1
        pop     ecx
        ret
.r:     in      al, 0x60
        movzx   eax, al
        pop     ecx
        ret

kbc_write_wait:                                 ; wait until the input buffer is empty
        push    eax
.w:     in      al, 0x64
        test    al, 2
        jnz     .w
        pop     eax
        ret

t_kbc_a20:
        call    kbc_write_wait
        OUTB    0x64, 0xAA
        call    kbc_read
        CHECK   "kbc_selftest", eax, 0x55
        call    kbc_write_wait
        OUTB    0x64, 0x60
        call    kbc_write_wait
        OUTB    0x60, 0x44                      ; XLATE, SYS, no interrupts
        call    kbc_write_wait
        OUTB    0x64, 0x20
        call    kbc_read
        CHECK   "kbc_command_byte", eax, 0x44
        call    kbc_write_wait
        OUTB    0x60, 0xF2                      ; keyboard: identify
        call    kbc_read
        CHECK   "kbd_identify_ack", eax, 0xFA
        call    kbc_read
        CHECK   "kbd_identify_1", eax, 0xAB
        call    kbc_read
        CHECK   "kbd_identify_2_translated", eax, 0x41
        call    kbc_write_wait
        OUTB    0x64, 0xD0
        call    kbc_read
        and     eax, 0x02
        CHECK   "kbc_outport_a20", eax, 0x02
        ; A20: 1 MiB + 64 KiB aliases 64 KiB while the gate is off
        mov     dword [SCRATCH], 0x11111111
        mov     dword [SCRATCH + 0x100000], 0x22222222
        in      al, 0x92
        and     al, 0xFC
        out     0x92, al
        call    kbc_write_wait
        OUTB    0x64, 0xDD
        call    kbc_write_wait
        mov     eax, [SCRATCH + 0x100000]
        CHECK   "a20_off_wraps", eax, 0x11111111
        OUTB    0x64, 0xDF
        call    kbc_write_wait
        mov     eax, [SCRATCH + 0x100000]
        CHECK   "a20_on_again", eax, 0x22222222
        ret

        IMAGE_END
