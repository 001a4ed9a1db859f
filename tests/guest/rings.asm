; rings.asm — privilege transitions (SDM vol 3 5.8, 6.12): ring 0 → 3 by IRET, ring 3 → 0 through an interrupt
; gate with the stack switch from TSS.SS0:ESP0 (checks the pushed SS:ESP, CS:EIP and the handler's SS:ESP), a
; 32-bit call gate with two parameters copied to the inner stack and RETF 8 back, #GP on privileged instructions
; at CPL 3 (CLI/HLT/MOV CRn/LGDT/IN/INVLPG/WBINVD, INT n through a DPL 0 gate → #GP(n*8+2)), POPF at CPL 3 leaving
; IF and IOPL alone, and RETF/IRET to an outer ring nulling data segment registers whose DPL < new CPL
; (SDM vol 3 5.8.6, IRET pseudo-code in vol 2).
; Also: SYSENTER/SYSEXIT (SDM vol 2: CS/SS from IA32_SYSENTER_CS, ESP/EIP from the MSRs, back to CS+16/SS+24
; with RPL 3, EIP = EDX, ESP = ECX), a far call from ring 3 into conforming ring 0 code (CPL stays 3, CS.RPL = 3),
; RETF from ring 3 to ring 0 code (#GP(selector)), and the TSS I/O permission bitmap at CPL 3 with IOPL 0 (an
; allowed port, a denied port, a port beyond the TSS limit).
; Also: an interrupt gate clears IF, a trap gate leaves it set (SDM vol 3 6.12.1.3) — with the PICs masked so no
; interrupt can arrive in QEMU while IF = 1.
; Left out: ring 1/2 gates.
%include "lib.inc"

RES             equ SCRATCH             ; results written by ring 3 code
T_CALLGATE      equ SEL_FREE + 0x00     ; 32-bit call gate, DPL 3, 2 parameters → r0_gate_target
T_CONFORM       equ SEL_FREE + 0x08     ; conforming code, DPL 0, flat

test_main:
        mov     edi, RES
        mov     ecx, 0x400 / 4
        mov     eax, -1
        rep     stosd
        call    t_iret_int
        call    t_call_gate
        call    t_privileged
        call    t_retf_nulls
        call    t_sysenter
        call    t_conforming_retf
        call    t_iobitmap
        call    t_trap_gate
        ret

; ---- ring 0 → 3 by IRET (call_ring3), then INT 0x31 → ring 0 with a stack switch ----
t_iret_int:
        mov     eax, 0x31
        mov     ebx, r0_int31
        mov     ecx, SEL_CODE0 | (0xEE << 16)
        call    idt_set_gate
        mov     ebx, .user
        call    call_ring3
        CHECK   "iret_to_ring3_cs", [RES + 0x00], SEL_CODE3
        CHECK   "iret_to_ring3_ss", [RES + 0x04], SEL_DATA3
        CHECK   "iret_to_ring3_esp", [RES + 0x08], STACK3_TOP
        CHECK   "int_gate_handler_esp", [RES + 0x10], ISTACK_TOP - 20
        CHECK   "int_gate_handler_ss", [RES + 0x14], SEL_DATA0
        CHECK   "int_gate_handler_cs", [RES + 0x18], SEL_CODE0
        CHECK   "int_gate_pushed_eip", [RES + 0x1C], t_iret_int.after
        CHECK   "int_gate_pushed_cs", [RES + 0x20], SEL_CODE3
        CHECKM  "int_gate_pushed_eflags", [RES + 0x24], 0x3302, 0x0002 ; IOPL 0, IF 0, TF 0
        CHECK   "int_gate_pushed_esp", [RES + 0x28], STACK3_TOP - 8
        CHECK   "int_gate_pushed_ss", [RES + 0x2C], SEL_DATA3
        CHECKM  "int_gate_clears_if", [RES + 0x30], 0x200, 0
        CHECK   "iret_back_cs", [RES + 0x34], SEL_CODE3
        CHECK   "iret_back_esp", [RES + 0x38], STACK3_TOP - 8
        ret
.user:  mov     eax, cs
        mov     [RES + 0x00], eax
        mov     eax, ss
        mov     [RES + 0x04], eax
        mov     [RES + 0x08], esp
        push    eax                             ; make ESP distinct from the TSS value
        push    eax
        int     0x31
.after: mov     eax, cs
        mov     [RES + 0x34], eax
        mov     [RES + 0x38], esp
        int     0x30
r0_int31:
        mov     [RES + 0x10], esp
        mov     eax, [esp]
        mov     [RES + 0x1C], eax
        mov     eax, [esp + 4]
        mov     [RES + 0x20], eax
        mov     eax, [esp + 8]
        mov     [RES + 0x24], eax
        mov     eax, [esp + 12]
        mov     [RES + 0x28], eax
        mov     eax, [esp + 16]
        mov     [RES + 0x2C], eax
        mov     eax, ss
        mov     [RES + 0x14], eax
        mov     eax, cs
        mov     [RES + 0x18], eax
        pushfd
        pop     eax
        mov     [RES + 0x30], eax
        iretd

; ---- call gate with parameter copy ----
t_call_gate:
        mov     eax, T_CALLGATE + GDT_ADDR
        mov     ebx, r0_gate_target
        mov     [eax], bx
        mov     word [eax + 2], SEL_CODE0
        mov     byte [eax + 4], 2               ; parameter count (dwords)
        mov     byte [eax + 5], 0xEC            ; P, DPL 3, 32-bit call gate
        shr     ebx, 16
        mov     [eax + 6], bx
        mov     ebx, .user
        call    call_ring3
        CHECK   "callgate_target_cs", [RES + 0x40], SEL_CODE0
        CHECK   "callgate_target_esp", [RES + 0x44], ISTACK_TOP - 24
        CHECK   "callgate_ret_eip", [RES + 0x48], t_call_gate.ret
        CHECK   "callgate_ret_cs", [RES + 0x4C], SEL_CODE3
        CHECK   "callgate_param_last", [RES + 0x50], 0x22222222
        CHECK   "callgate_param_first", [RES + 0x54], 0x11111111
        CHECK   "callgate_outer_esp", [RES + 0x58], STACK3_TOP - 8
        CHECK   "callgate_outer_ss", [RES + 0x5C], SEL_DATA3
        CHECK   "callgate_inner_ss", [RES + 0x60], SEL_DATA0
        CHECK   "callgate_retf_cs", [RES + 0x64], SEL_CODE3
        CHECK   "callgate_retf_esp_params_popped", [RES + 0x68], STACK3_TOP
        ret
.user:  push    dword 0x11111111
        push    dword 0x22222222
        call    (T_CALLGATE | 3):0
.ret:   mov     eax, cs
        mov     [RES + 0x64], eax
        mov     [RES + 0x68], esp
        int     0x30
r0_gate_target:
        mov     eax, cs
        mov     [RES + 0x40], eax
        mov     [RES + 0x44], esp
        mov     eax, ss
        mov     [RES + 0x60], eax
        mov     esi, esp
        mov     edi, RES + 0x48
        mov     ecx, 6
        rep     movsd                           ; EIP CS param2 param1 ESP SS
        retf    8

; ---- privileged instructions at CPL 3 → #GP ----
%macro PRIV 2 ; slot, instruction...
        mov     dword [exc_resume], %%r
        mov     dword [exc_vec], -1
        %2
%%r:    mov     eax, [exc_vec]
        mov     [RES + 0x100 + (%1) * 8], eax
        mov     eax, [exc_err]
        mov     [RES + 0x104 + (%1) * 8], eax
%endmacro
t_privileged:
        call    exc_clear
        mov     ebx, .user
        call    call_ring3
        CHECK   "cli_vec", [RES + 0x100], 13
        CHECK   "hlt_vec", [RES + 0x108], 13
        CHECK   "mov_cr0_vec", [RES + 0x110], 13
        CHECK   "mov_to_cr3_vec", [RES + 0x118], 13
        CHECK   "lgdt_vec", [RES + 0x120], 13
        CHECK   "in_iopl0_vec", [RES + 0x128], 13
        CHECK   "out_iopl0_vec", [RES + 0x130], 13
        CHECK   "invlpg_vec", [RES + 0x138], 13
        CHECK   "wbinvd_vec", [RES + 0x140], 13
        CHECK   "int_dpl0_gate_vec", [RES + 0x148], 13
        CHECK   "cli_err", [RES + 0x104], 0
        CHECK   "hlt_err", [RES + 0x10C], 0
        CHECK   "mov_cr0_err", [RES + 0x114], 0
        CHECK   "int_dpl0_gate_err", [RES + 0x14C], 0x40 * 8 + 2
        CHECKM  "popf_cpl3_keeps_if_iopl", [RES + 0x180], 0x3200, 0
        CHECK   "popf_cpl3_sets_df", [RES + 0x184], 0x400
        ret
.user:  PRIV    0, cli
        PRIV    1, hlt
        PRIV    2, {mov eax, cr0}
        PRIV    3, {mov cr3, eax}
        PRIV    4, {lgdt [gdtr_value]}
        PRIV    5, {in al, 0x80}
        PRIV    6, {out 0xE9, al}
        PRIV    7, {invlpg [0]}
        PRIV    8, wbinvd
        PRIV    9, {int 0x40}
        pushfd
        or      dword [esp], 0x3600             ; try IF, IOPL 3 and DF
        popfd
        pushfd
        pop     eax
        cld
        mov     [RES + 0x180], eax
        and     eax, 0x400
        mov     [RES + 0x184], eax
        int     0x30

; ---- RETF and IRET to ring 3 null DS/ES/FS/GS holding DPL 0 data segments ----
t_retf_nulls:
        mov     eax, 0x30
        mov     ebx, ring3_return
        mov     ecx, SEL_CODE0 | (0xEE << 16)
        call    idt_set_gate
        call    .part1
        call    .part2
        jmp     .check
.part1: mov     [r3_saved_esp], esp
        mov     ax, SEL_DATA0
        mov     ds, ax
        mov     gs, ax
        mov     ax, SEL_DATA3
        mov     es, ax
        mov     fs, ax
        push    dword SEL_DATA3
        push    dword STACK3_TOP
        push    dword SEL_CODE3
        push    dword .user
        retf
.user:  mov     eax, ds
        mov     [es:RES + 0x200], eax
        mov     eax, es
        mov     [es:RES + 0x204], eax
        mov     eax, fs
        mov     [es:RES + 0x208], eax
        mov     eax, gs
        mov     [es:RES + 0x20C], eax
        int     0x30
.part2: mov     [r3_saved_esp], esp                 ; the same through IRET
        mov     ax, SEL_DATA3
        mov     ds, ax
        mov     ax, SEL_DATA0
        mov     es, ax
        mov     fs, ax
        mov     ax, SEL_DATA3
        mov     gs, ax
        push    dword SEL_DATA3
        push    dword STACK3_TOP
        push    dword 0x2
        push    dword SEL_CODE3
        push    dword .user2
        iretd
.user2: mov     eax, ds
        mov     [RES + 0x210], eax
        mov     eax, es
        mov     [RES + 0x214], eax
        mov     eax, fs
        mov     [RES + 0x218], eax
        mov     eax, gs
        mov     [RES + 0x21C], eax
        int     0x30
.check: CHECK   "retf_outer_nulls_ds", [RES + 0x200], 0
        CHECK   "retf_outer_keeps_es", [RES + 0x204], SEL_DATA3
        CHECK   "retf_outer_keeps_fs", [RES + 0x208], SEL_DATA3
        CHECK   "retf_outer_nulls_gs", [RES + 0x20C], 0
        CHECK   "iret_outer_keeps_ds", [RES + 0x210], SEL_DATA3
        CHECK   "iret_outer_nulls_es", [RES + 0x214], 0
        CHECK   "iret_outer_nulls_fs", [RES + 0x218], 0
        CHECK   "iret_outer_keeps_gs", [RES + 0x21C], SEL_DATA3
        ret

; ---- SYSENTER / SYSEXIT ----
%macro WRMSR 2
        mov     ecx, %1
        mov     eax, %2
        xor     edx, edx
        wrmsr
%endmacro
t_sysenter:
        WRMSR   0x174, SEL_CODE0
        WRMSR   0x175, ISTACK_TOP - 0x100
        WRMSR   0x176, r0_sysenter
        mov     ebx, .user
        call    call_ring3
        CHECK   "sysenter_cs", [RES + 0x300], SEL_CODE0
        CHECK   "sysenter_ss", [RES + 0x304], SEL_DATA0
        CHECK   "sysenter_esp", [RES + 0x308], ISTACK_TOP - 0x100
        CHECKM  "sysenter_clears_if_vm", [RES + 0x30C], 0x20200, 0
        CHECK   "sysexit_cs", [RES + 0x310], SEL_CODE3
        CHECK   "sysexit_ss", [RES + 0x314], SEL_DATA3
        CHECK   "sysexit_esp", [RES + 0x318], STACK3_TOP - 0x40
        ret
.user:  mov     ecx, STACK3_TOP - 0x40
        mov     edx, .back
        sysenter
.back:  mov     eax, cs
        mov     [RES + 0x310], eax
        mov     eax, ss
        mov     [RES + 0x314], eax
        mov     [RES + 0x318], esp
        int     0x30
r0_sysenter:
        mov     eax, cs
        mov     [RES + 0x300], eax
        mov     eax, ss
        mov     [RES + 0x304], eax
        mov     [RES + 0x308], esp
        pushfd
        pop     dword [RES + 0x30C]
        sysexit

; ---- conforming code keeps CPL 3; RETF to an inner ring is #GP(selector) ----
t_conforming_retf:
        mov     eax, T_CONFORM
        xor     ebx, ebx
        mov     ecx, 0xFFFFF
        mov     edx, 0x9F | 0xC00
        call    gdt_set
        call    exc_clear
        mov     ebx, .user
        call    call_ring3
        CHECK   "conforming_cs_rpl3", [RES + 0x340], T_CONFORM | 3
        CHECK   "conforming_ss_unchanged", [RES + 0x344], SEL_DATA3
        CHECK   "conforming_retf_back_cs", [RES + 0x348], SEL_CODE3
        CHECK   "retf_to_inner_vec", [RES + 0x34C], 13
        CHECK   "retf_to_inner_err", [RES + 0x350], SEL_CODE0
        CHECK   "retf_to_inner_eip", [RES + 0x354], t_conforming_retf.f1
        ret
.user:  call    (T_CONFORM | 3):conf_code
        mov     eax, cs
        mov     [RES + 0x348], eax
        mov     dword [exc_resume], .r1
        push    dword SEL_CODE0
        push    dword .r1
.f1:    retf
.r1:    mov     eax, [exc_vec]
        mov     [RES + 0x34C], eax
        mov     eax, [exc_err]
        mov     [RES + 0x350], eax
        mov     eax, [exc_eip]
        mov     [RES + 0x354], eax
        add     esp, 8
        int     0x30
conf_code:
        mov     eax, cs
        mov     [RES + 0x340], eax
        mov     eax, ss
        mov     [RES + 0x344], eax
        retf

; ---- I/O permission bitmap (SDM vol 1 19.5.2): TSS0 gets a 17-byte map allowing only port 0x80 ----
t_iobitmap:
        mov     edi, TSS0_ADDR + 0x68
        mov     ecx, 17
        mov     al, 0xFF
        rep stosb
        mov     byte [TSS0_ADDR + 0x68 + 0x10], 0xFE   ; port 0x80 allowed, 0x81..0x87 denied
        mov     byte [GDT_ADDR + SEL_TSS0], 0x68 + 0x11 ; TSS limit: last byte of the map (the 0xFF)
        and     byte [GDT_ADDR + SEL_TSS0 + 5], ~2      ; not busy, to reload TR with the new limit
        mov     ax, SEL_TSS0
        ltr     ax
        call    exc_clear
        mov     ebx, .user
        call    call_ring3
        CHECK   "iomap_allowed_port", [RES + 0x380], 0
        CHECK   "iomap_denied_port_vec", [RES + 0x384], 13
        CHECK   "iomap_denied_port_err", [RES + 0x388], 0
        CHECK   "iomap_word_straddling_denied_vec", [RES + 0x38C], 13
        CHECK   "iomap_beyond_limit_vec", [RES + 0x390], 13
        mov     byte [GDT_ADDR + SEL_TSS0], 0x67
        and     byte [GDT_ADDR + SEL_TSS0 + 5], ~2
        mov     ax, SEL_TSS0
        ltr     ax
        ret
.user:  in      al, 0x80
        mov     eax, [exc_count]
        mov     [RES + 0x380], eax
        mov     dword [exc_vec], -1
        mov     dword [exc_resume], .r1
        in      al, 0x81
.r1:    mov     eax, [exc_vec]
        mov     [RES + 0x384], eax
        mov     eax, [exc_err]
        mov     [RES + 0x388], eax
        mov     dword [exc_vec], -1
        mov     dword [exc_resume], .r2
        in      ax, 0x80                        ; ports 0x80 and 0x81: one denied bit is enough
.r2:    mov     eax, [exc_vec]
        mov     [RES + 0x38C], eax
        mov     dword [exc_vec], -1
        mov     dword [exc_resume], .r3
        in      al, 0x90                        ; its bitmap byte is beyond the TSS limit
.r3:    mov     eax, [exc_vec]
        mov     [RES + 0x390], eax
        int     0x30

r0_record_flags:
        pushfd
        pop     dword [RES + 0x3C0]
        mov     eax, [esp + 8]
        mov     [RES + 0x3C4], eax                      ; EFLAGS pushed by the INT
        iretd
t_trap_gate:
        mov     al, 0xFF                                ; mask both PICs (no device interrupts with IF = 1)
        out     0x21, al
        out     0xA1, al
        mov     eax, 0x35
        mov     ebx, r0_record_flags
        mov     ecx, SEL_CODE0 | (0x8F << 16)           ; 32-bit trap gate
        call    idt_set_gate
        mov     eax, 0x36
        mov     ecx, SEL_CODE0 | (0x8E << 16)           ; 32-bit interrupt gate
        call    idt_set_gate
        sti
        int     0x35
        cli
        CHECKM  "trap_gate_keeps_if", [RES + 0x3C0], 0x200, 0x200
        CHECKM  "trap_gate_pushed_if", [RES + 0x3C4], 0x200, 0x200
        sti
        int     0x36
        cli
        CHECKM  "int_gate_clears_if_cpl0", [RES + 0x3C0], 0x200, 0
        CHECKM  "int_gate_pushed_if", [RES + 0x3C4], 0x200, 0x200
        ret

IMAGE_END
