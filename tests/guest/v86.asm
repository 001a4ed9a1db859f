; v86.asm — virtual-8086 mode with CR4.VME off (SDM vol 3 20.2-20.3): entering through IRET with EFLAGS.VM set
; (segment registers loaded from the 9-dword frame, real-mode address arithmetic, PUSHFD hiding VM), INT n at
; IOPL 3 going to a ring 0 handler through a DPL 3 gate (ring 0 stack from TSS.ESP0, a frame with GS FS DS ES SS
; ESP EFLAGS CS EIP, data segment registers nulled in the handler, VM/IF/TF cleared), IRET back to v86, and at
; IOPL 0 the sensitive instructions CLI, PUSHF, INT n and HLT raising #GP(0) with the v86 CS:IP in the frame,
; I/O checked against the TSS bitmap whatever IOPL is (#GP(0) without a bitmap even at IOPL 3; at IOPL 0 an
; allowed port works and a denied one faults, SDM vol 1 19.5, vol 3 20.2.8.1), and returning to v86 after each fault.
; Left out: VME/PVI (not in the issue).
%include "lib.inc"

RESV            equ 0x3000              ; results, reachable from v86 code with a zero segment
V86_SS          equ 0x0000
V86_SP          equ 0x6F00

%macro ENTER_V86 2 ; IP label, EFLAGS
        mov     [r3_saved_esp], esp
        push    dword 0x4000                    ; GS
        push    dword 0x3000                    ; FS
        push    dword 0x0000                    ; DS
        push    dword 0x2000                    ; ES
        push    dword V86_SS
        push    dword V86_SP
        push    dword %2
        push    dword 0xE000
        push    dword RM(%1)
        iretd
%endmacro

test_main:
        mov     edi, RESV
        mov     ecx, 0x200 / 4
        mov     eax, -1
        rep     stosd
        mov     eax, 0x30
        mov     ebx, ring3_return
        mov     ecx, SEL_CODE0 | (0xEE << 16)
        call    idt_set_gate
        mov     eax, 0x31
        mov     ebx, r0_int31
        call    idt_set_gate
        call    exc_clear
        call    .iopl3
        CHECK   "v86_cs", [RESV + 0x00], 0xE000
        CHECK   "v86_ss", [RESV + 0x04], V86_SS
        CHECK   "v86_ds", [RESV + 0x08], 0
        CHECK   "v86_es", [RESV + 0x0C], 0x2000
        CHECK   "v86_fs", [RESV + 0x10], 0x3000
        CHECK   "v86_gs", [RESV + 0x14], 0x4000
        CHECK   "v86_sp", [RESV + 0x18], V86_SP
        CHECK   "v86_seg_arith", [0x30020], 0xBEEF
        CHECK   "v86_pushfd_hides_vm", [RESV + 0x1C], 0
        CHECK   "v86_pushfd_iopl3", [RESV + 0x20], 0x3000
        CHECK   "v86_int_handler_esp", [RESV + 0x40], ISTACK_TOP - 36
        CHECK   "v86_int_handler_ds_null", [RESV + 0x44], 0
        CHECK   "v86_int_handler_es_null", [RESV + 0x48], 0
        CHECK   "v86_int_handler_fs_null", [RESV + 0x4C], 0
        CHECK   "v86_int_handler_gs_null", [RESV + 0x50], 0
        CHECKM  "v86_int_handler_eflags", [RESV + 0x54], 0x20300, 0
        CHECK   "v86_int_frame_eip", [RESV + 0x58], RM(v86_iopl3.after_int)
        CHECK   "v86_int_frame_cs", [RESV + 0x5C], 0xE000
        CHECKM  "v86_int_frame_eflags_vm", [RESV + 0x60], 0x23000, 0x23000
        CHECK   "v86_int_frame_esp", [RESV + 0x64], V86_SP - 2
        CHECK   "v86_int_frame_ss", [RESV + 0x68], V86_SS
        CHECK   "v86_int_frame_es", [RESV + 0x6C], 0x2000
        CHECK   "v86_int_frame_ds", [RESV + 0x70], 0x1000
        CHECK   "v86_int_frame_fs", [RESV + 0x74], 0x3000
        CHECK   "v86_int_frame_gs", [RESV + 0x78], 0x4000
        CHECK   "v86_after_iret_ds", [RESV + 0x7C], 0x1000
        CHECK   "v86_after_iret_sp", [RESV + 0x80], V86_SP - 2
        CHECK   "v86_cli_sti_iopl3_no_fault", [RESV + 0x84], 0
        CHECK   "v86_in_iopl3_no_bitmap_vec", [RESV + 0x88], 13
        mov     edi, TSS0_ADDR + 0x68           ; I/O bitmap allowing port 0x80 only (as in rings.asm)
        mov     ecx, 17
        mov     al, 0xFF
        rep stosb
        mov     byte [TSS0_ADDR + 0x68 + 0x10], 0xFE
        mov     byte [GDT_ADDR + SEL_TSS0], 0x68 + 0x11
        and     byte [GDT_ADDR + SEL_TSS0 + 5], ~2
        mov     ax, SEL_TSS0
        ltr     ax
        call    exc_clear
        call    .iopl0
        CHECK   "v86_cli_iopl0_vec", [RESV + 0x100], 13
        CHECK   "v86_cli_iopl0_err", [RESV + 0x104], 0
        CHECK   "v86_cli_iopl0_eip", [RESV + 0x108], RM(v86_iopl0.cli)
        CHECK   "v86_cli_iopl0_cs", [RESV + 0x10C], 0xE000
        CHECKM  "v86_cli_iopl0_eflags", [RESV + 0x110], 0x23000, 0x20000
        CHECK   "v86_cli_iopl0_frame_ds", [RESV + 0x114], 0x1000
        CHECK   "v86_pushf_iopl0_vec", [RESV + 0x118], 13
        CHECK   "v86_pushf_iopl0_sp_kept", [RESV + 0x11C], V86_SP
        CHECK   "v86_int_iopl0_vec", [RESV + 0x120], 13
        CHECK   "v86_int_iopl0_err", [RESV + 0x124], 0
        CHECK   "v86_in_denied_port_vec", [RESV + 0x128], 13
        CHECK   "v86_in_allowed_port_iopl0", [RESV + 0x130], 0
        CHECK   "v86_resumed_after_faults", [RESV + 0x12C], 0x1234
        CHECK   "v86_hlt_vec", [exc_vec], 13
        CHECK   "v86_hlt_eip", [exc_eip], RM(v86_iopl0.hlt)
        ret
.iopl3: ENTER_V86 v86_iopl3, 0x23002            ; VM, IOPL 3
.iopl0: ENTER_V86 v86_iopl0, 0x20002            ; VM, IOPL 0

r0_int31:                                       ; DS ES FS GS are null here: write through SS
        mov     [ss:RESV + 0x40], esp
        mov     [ss:RESV + 0x44], ds
        mov     [ss:RESV + 0x48], es
        mov     [ss:RESV + 0x4C], fs
        mov     [ss:RESV + 0x50], gs
        and     dword [ss:RESV + 0x44], 0xFFFF
        and     dword [ss:RESV + 0x48], 0xFFFF
        and     dword [ss:RESV + 0x4C], 0xFFFF
        and     dword [ss:RESV + 0x50], 0xFFFF
        pushfd
        pop     dword [ss:RESV + 0x54]
        mov     ecx, 9
.copy:  mov     eax, [esp + ecx * 4 - 4]
        mov     [ss:RESV + 0x58 + ecx * 4 - 4], eax
        loop    .copy
        iretd

v86_exit_hook:                                  ; called by the exception handler: leave v86 for good
        mov     ax, SEL_DATA0
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     esp, [r3_saved_esp]
        ret

%macro V86_FAULT 2 ; result offset, instruction (resumes after it, keeps the vector)
        mov     dword [ss:exc_resume], RM(%%r)
        mov     dword [ss:exc_vec], -1
        %2
%%r:    mov     eax, [ss:exc_vec]
        mov     [ss:RESV + (%1)], eax
%endmacro
        bits    16
v86_iopl3:
        mov     ax, cs
        mov     [ss:RESV + 0x00], ax
        mov     ax, ss
        mov     [ss:RESV + 0x04], ax
        mov     ax, ds
        mov     [ss:RESV + 0x08], ax
        mov     ax, es
        mov     [ss:RESV + 0x0C], ax
        mov     ax, fs
        mov     [ss:RESV + 0x10], ax
        mov     ax, gs
        mov     [ss:RESV + 0x14], ax
        mov     [ss:RESV + 0x18], sp
        mov     word [ss:RESV + 0x1A], 0
        mov     word [ss:RESV + 0x0A], 0
        mov     word [ss:RESV + 0x02], 0
        mov     word [ss:RESV + 0x06], 0
        mov     word [ss:RESV + 0x0E], 0
        mov     word [ss:RESV + 0x12], 0
        mov     word [ss:RESV + 0x16], 0
        mov     ax, 0x3000
        mov     ds, ax
        mov     word [0x20], 0xBEEF             ; linear 0x30020
        mov     word [0x22], 0
        pushfd
        pop     eax
        mov     ebx, eax
        and     eax, 0x20000
        mov     [ss:RESV + 0x1C], eax
        and     ebx, 0x3000
        mov     [ss:RESV + 0x20], ebx
        mov     ax, 0x1000
        mov     ds, ax
        push    ax                              ; SP = V86_SP - 2 at the INT
        int     0x31
.after_int:
        mov     ax, ds
        movzx   eax, ax
        mov     [ss:RESV + 0x7C], eax
        movzx   esp, sp
        mov     [ss:RESV + 0x80], esp
        sti
        cli
        mov     eax, [ss:exc_count]
        mov     [ss:RESV + 0x84], eax
        V86_FAULT 0x88, {in al, 0x80}           ; v86 I/O always consults the bitmap, even at IOPL 3
        int     0x30

v86_iopl0:
        mov     ax, 0x1000
        mov     ds, ax
        mov     dword [ss:exc_resume], RM(.r1)
.cli:   cli
.r1:    mov     eax, [ss:exc_vec]
        mov     [ss:RESV + 0x100], eax
        mov     eax, [ss:exc_err]
        mov     [ss:RESV + 0x104], eax
        mov     eax, [ss:exc_eip]
        mov     [ss:RESV + 0x108], eax
        mov     eax, [ss:exc_cs]
        mov     [ss:RESV + 0x10C], eax
        mov     eax, [ss:exc_eflags]
        mov     [ss:RESV + 0x110], eax
        mov     eax, [ss:exc_v86_ds]
        mov     [ss:RESV + 0x114], eax
        V86_FAULT 0x118, pushf
        movzx   eax, sp
        mov     [ss:RESV + 0x11C], eax
        V86_FAULT 0x120, {int 0x31}
        mov     eax, [ss:exc_err]
        mov     [ss:RESV + 0x124], eax
        mov     dword [ss:exc_count], 0
        in      al, 0x80                        ; allowed by the bitmap although IOPL is 0
        mov     eax, [ss:exc_count]
        mov     [ss:RESV + 0x130], eax
        V86_FAULT 0x128, {in al, 0x81}
        mov     dword [ss:RESV + 0x12C], 0x1234
        call    exc_clear_v86
        mov     dword [ss:exc_hook], v86_exit_hook
.hlt:   hlt
exc_clear_v86:
        mov     dword [ss:exc_vec], -1
        mov     dword [ss:exc_resume], 0
        ret
        bits    32

IMAGE_END
