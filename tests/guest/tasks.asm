; tasks.asm — hardware task switches (SDM vol 3 7.3-7.4, Table 7-2): JMP to a TSS (registers loaded from the new
; TSS and saved into the old one, busy bits moved, NT unchanged, link untouched, CR0.TS set), CALL through a task
; gate and IRET back (NT set in the new task, back link = caller's TR, both busy during the call, IRET clears the
; returning task's busy bit and the NT in its saved EFLAGS), and an exception (#GP with its error code pushed on
; the new task's stack) delivered through a task gate in the IDT.
; Also: JMP to a busy TSS → #GP(selector), to a TSS whose limit is below 0x67 → #TS(selector), both before any
; state changes (TR unchanged).
; Also: with paging on, a task switch loads CR3 and LDTR from the new TSS (the new task sees its own mapping of the
; same linear page and its LDT), and the return loads the old task's CR3 field again (CR3 and LDT are not saved).
; Left out: 16-bit TSSs.
%include "lib.inc"

T_TASKGATE      equ SEL_FREE + 0x00     ; task gate → TSS2
TASK1_STACK     equ 0x5000
TASK2_STACK     equ 0x4800
RES             equ SCRATCH
%define TYPE(sel) byte [GDT_ADDR + (sel) + 5]
%define TYPED(sel) [GDT_ADDR + (sel) + 5]

; tss_fill TSS_ADDR, eip, esp, eax — a flat ring 0 task with IF = 0
%macro TSS_FILL 4
        mov     edi, %1
        mov     ecx, TSS_SIZE / 4
        xor     eax, eax
        rep     stosd
        mov     eax, cr3
        mov     dword [%1 + 28], eax
        mov     dword [%1 + 32], %2
        mov     dword [%1 + 36], 2
        mov     dword [%1 + 40], %4
        mov     dword [%1 + 56], %3
        mov     dword [%1 + 72], SEL_DATA0
        mov     dword [%1 + 76], SEL_CODE0
        mov     dword [%1 + 80], SEL_DATA0
        mov     dword [%1 + 84], SEL_DATA0
        mov     dword [%1 + 88], SEL_DATA0
        mov     dword [%1 + 92], SEL_DATA0
        mov     word [%1 + 102], 0x68
%endmacro

test_main:
        call    t_jmp
        call    t_call_gate
        call    t_exc_gate
        call    t_bad_tss
        call    t_cr3_ldt
        ret

; ---- JMP to TSS1 and JMP back to TSS0 ----
t_jmp:
        TSS_FILL TSS1_ADDR, task1, TASK1_STACK, 0x1111
        mov     dword [TSS1_ADDR + 0], 0xABCD    ; back link: a JMP leaves it alone
        mov     dword [TSS1_ADDR + 52], 0x2222   ; EBX
        mov     dword [TSS1_ADDR + 64], 0x3333   ; ESI
        mov     ebx, 0xB0B0
        mov     esi, 0x5151
        mov     ebp, 0xEEBB
        pushfd
        or      dword [esp], 0x4000              ; NT set in task 0: must come back unchanged
        popfd
        jmp     SEL_TSS1:0
.back:  pushfd
        pop     eax
        push    eax
        and     dword [esp], ~0x4000
        popfd
        CHECK   "jmp_back_ebx_restored", ebx, 0xB0B0
        CHECK   "jmp_back_esi_restored", esi, 0x5151
        CHECK   "jmp_back_ebp_restored", ebp, 0xEEBB
        CHECKM  "jmp_back_nt_restored", eax, 0x4000, 0x4000
        CHECK   "task1_eax_loaded", [RES + 0x00], 0x1111
        CHECK   "task1_ebx_loaded", [RES + 0x04], 0x2222
        CHECK   "task1_esi_loaded", [RES + 0x08], 0x3333
        CHECK   "task1_esp_loaded", [RES + 0x0C], TASK1_STACK
        CHECK   "task1_tr", [RES + 0x10], SEL_TSS1
        CHECKM  "task1_nt_clear_on_jmp", [RES + 0x14], 0x4000, 0
        CHECK   "task1_tss0_not_busy", [RES + 0x18], ACC_TSS32
        CHECK   "task1_tss1_busy", [RES + 0x1C], ACC_TSS32_BUSY
        CHECKM  "task1_cr0_ts_set", [RES + 0x20], 8, 8
        CHECK   "tss0_saved_eip", [RES + 0x24], t_jmp.back
        CHECK   "tss0_saved_ebx", [RES + 0x28], 0xB0B0
        CHECKM  "tss0_saved_eflags_nt", [RES + 0x2C], 0x4000, 0x4000
        CHECK   "jmp_link_untouched", [TSS1_ADDR + 0], 0xABCD
        CHECK   "tss1_saved_eip", [TSS1_ADDR + 32], task1.after
        CHECK   "tss1_saved_ebx", [TSS1_ADDR + 52], 0x7777
        CHECKM  "back_tss0_busy", TYPED(SEL_TSS0), 0xFF, ACC_TSS32_BUSY
        CHECKM  "back_tss1_not_busy", TYPED(SEL_TSS1), 0xFF, ACC_TSS32
        str     ax
        movzx   eax, ax
        CHECK   "back_tr", eax, SEL_TSS0
        clts
        ret
task1:
        mov     [RES + 0x00], eax
        mov     [RES + 0x04], ebx
        mov     [RES + 0x08], esi
        mov     [RES + 0x0C], esp
        str     ax
        movzx   eax, ax
        mov     [RES + 0x10], eax
        pushfd
        pop     dword [RES + 0x14]
        movzx   eax, TYPE(SEL_TSS0)
        mov     [RES + 0x18], eax
        movzx   eax, TYPE(SEL_TSS1)
        mov     [RES + 0x1C], eax
        mov     eax, cr0
        mov     [RES + 0x20], eax
        mov     eax, [TSS0_ADDR + 32]
        mov     [RES + 0x24], eax
        mov     eax, [TSS0_ADDR + 52]
        mov     [RES + 0x28], eax
        mov     eax, [TSS0_ADDR + 36]
        mov     [RES + 0x2C], eax
        mov     ebx, 0x7777
        jmp     SEL_TSS0:0
.after: hlt

; ---- CALL through a task gate, IRET back ----
t_call_gate:
        TSS_FILL TSS2_ADDR, task2, TASK2_STACK, 0x2121
        mov     eax, GDT_ADDR + T_TASKGATE
        mov     dword [eax], SEL_TSS2 << 16
        mov     dword [eax + 4], 0x8500          ; P, DPL 0, task gate
        mov     ebx, 0xC0C0
        call    T_TASKGATE:0
.back:  pushfd
        pop     eax
        CHECKM  "call_back_nt_clear", eax, 0x4000, 0
        CHECK   "call_back_ebx", ebx, 0xC0C0
        CHECK   "task2_eax", [RES + 0x40], 0x2121
        CHECKM  "task2_nt_set", [RES + 0x44], 0x4000, 0x4000
        CHECK   "task2_link", [RES + 0x48], SEL_TSS0
        CHECK   "task2_tss0_busy", [RES + 0x4C], ACC_TSS32_BUSY
        CHECK   "task2_tss2_busy", [RES + 0x50], ACC_TSS32_BUSY
        CHECK   "task2_tss0_saved_eip", [RES + 0x54], t_call_gate.back
        CHECKM  "iret_tss2_not_busy", TYPED(SEL_TSS2), 0xFF, ACC_TSS32
        CHECKM  "iret_tss0_busy", TYPED(SEL_TSS0), 0xFF, ACC_TSS32_BUSY
        CHECKM  "iret_clears_nt_in_old_tss", [TSS2_ADDR + 36], 0x4000, 0
        CHECK   "iret_saved_eip_in_old_tss", [TSS2_ADDR + 32], task2.after
        CHECK   "iret_link_kept", [TSS2_ADDR + 0], SEL_TSS0
        clts
        ret
task2:
        mov     [RES + 0x40], eax
        pushfd
        pop     dword [RES + 0x44]
        mov     eax, [TSS2_ADDR + 0]
        mov     [RES + 0x48], eax
        movzx   eax, TYPE(SEL_TSS0)
        mov     [RES + 0x4C], eax
        movzx   eax, TYPE(SEL_TSS2)
        mov     [RES + 0x50], eax
        mov     eax, [TSS0_ADDR + 32]
        mov     [RES + 0x54], eax
        mov     ebx, 0x9999
        iretd
.after: hlt

; ---- #GP through a task gate in the IDT ----
t_exc_gate:
        TSS_FILL TSS2_ADDR, task_gp, TASK2_STACK, 0
        mov     dword [IDT_ADDR + 13 * 8], SEL_TSS2 << 16
        mov     dword [IDT_ADDR + 13 * 8 + 4], 0x8500
        mov     ax, 0x0FF8                      ; beyond the GDT limit: #GP(0x0FF8)
.fault: mov     es, ax
.resume:
        mov     ax, SEL_DATA0
        mov     es, ax
        CHECK   "exc_task_err_on_new_stack", [RES + 0x80], 0x0FF8
        CHECK   "exc_task_esp", [RES + 0x84], TASK2_STACK - 4
        CHECK   "exc_task_saved_eip_is_fault", [RES + 0x88], t_exc_gate.fault
        CHECK   "exc_task_link", [RES + 0x8C], SEL_TSS0
        CHECKM  "exc_task_nt", [RES + 0x90], 0x4000, 0x4000
        CHECKM  "exc_task_back_tss2_free", TYPED(SEL_TSS2), 0xFF, ACC_TSS32
        mov     eax, 13                         ; restore the #GP gate
        mov     ebx, exc_stub_13
        mov     ecx, SEL_CODE0 | (0x8E << 16)
        call    idt_set_gate
        clts
        ret
task_gp:
        mov     eax, [esp]
        mov     [RES + 0x80], eax
        mov     [RES + 0x84], esp
        mov     eax, [TSS0_ADDR + 32]
        mov     [RES + 0x88], eax
        mov     eax, [TSS2_ADDR + 0]
        mov     [RES + 0x8C], eax
        pushfd
        pop     dword [RES + 0x90]
        mov     dword [TSS0_ADDR + 32], t_exc_gate.resume   ; do not restart the faulting MOV
        add     esp, 4
        iretd

t_bad_tss:
        EXPECT_EXC .r1
.f1:    jmp     SEL_TSS0:0                      ; the current task: busy
.r1:    CHECK   "jmp_busy_tss_vec", [exc_vec], 13
        CHECK   "jmp_busy_tss_err", [exc_err], SEL_TSS0
        CHECK   "jmp_busy_tss_eip", [exc_eip], .f1
        TSS_FILL TSS2_ADDR, task2, TASK2_STACK, 0
        mov     byte [GDT_ADDR + SEL_TSS2], 0x20  ; limit 0x20 < 0x67
        EXPECT_EXC .r2
.f2:    jmp     SEL_TSS2:0
.r2:    CHECK   "short_tss_vec", [exc_vec], 10
        CHECK   "short_tss_err", [exc_err], SEL_TSS2
        CHECK   "short_tss_eip", [exc_eip], .f2
        str     ax
        movzx   eax, ax
        CHECK   "short_tss_tr_unchanged", eax, SEL_TSS0
        CHECKM  "short_tss_not_busy", TYPED(SEL_TSS2), 0xFF, ACC_TSS32
        mov     byte [GDT_ADDR + SEL_TSS2], 0x67
        ret

T_LDT           equ SEL_FREE + 0x08     ; LDT descriptor
LDT_ADDR        equ 0x3000
PD2             equ 0x103000
PTA             equ 0x104000
PTB             equ 0x105000
t_cr3_ldt:
        mov     dword [0x310000], 0xAAAA0001    ; what linear 0x400000 shows under PD_ADDR
        mov     dword [0x311000], 0xBBBB0002    ; ... and under PD2
        mov     dword [SCRATCH + 0x100], 0x1D71D7
        call    paging_identity
        mov     edi, PTA
        mov     ecx, 2048
        xor     eax, eax
        rep     stosd
        mov     dword [PTA], 0x310000 | 3
        mov     dword [PTB], 0x311000 | 3
        mov     esi, PD_ADDR
        mov     edi, PD2
        mov     ecx, 1024
        rep     movsd
        mov     dword [PD_ADDR + 4], PTA | 3
        mov     dword [PD2 + 4], PTB | 3
        mov     dword [LDT_ADDR], 0                 ; LDT: entry 1 (selector 0x0C) = data at SCRATCH + 0x100
        mov     dword [LDT_ADDR + 4], 0
        mov     eax, 0x08 | 4
        mov     ebx, SCRATCH + 0x100
        mov     ecx, 0xFFF
        mov     edx, ACC_DATA0 | 0x400
        sub     eax, 4                              ; gdt_set writes at GDT_ADDR + index*8: point it at the LDT
        add     eax, LDT_ADDR - GDT_ADDR
        call    gdt_set
        mov     eax, T_LDT
        mov     ebx, LDT_ADDR
        mov     ecx, 0x17
        mov     edx, 0x82
        call    gdt_set
        TSS_FILL TSS1_ADDR, task_pg, TASK1_STACK, 0
        mov     dword [TSS1_ADDR + 28], PD2
        mov     dword [TSS1_ADDR + 96], T_LDT
        mov     dword [TSS0_ADDR + 28], PD_ADDR     ; CR3 to load when coming back
        call    paging_on
        mov     eax, [0x400000]
        CHECK   "pg_task0_mapping", eax, 0xAAAA0001
        jmp     SEL_TSS1:0
        mov     eax, [0x400000]
        CHECK   "pg_back_cr3_reloaded_mapping", eax, 0xAAAA0001
        mov     eax, cr3
        CHECK   "pg_back_cr3", eax, PD_ADDR
        sldt    ax
        movzx   eax, ax
        CHECK   "pg_back_ldtr_null", eax, 0
        CHECK   "pg_task1_mapping", [RES + 0xA0], 0xBBBB0002
        CHECK   "pg_task1_ldtr", [RES + 0xA4], T_LDT
        CHECK   "pg_task1_ldt_segment", [RES + 0xA8], 0x1D71D7
        CHECK   "pg_task1_cr3", [RES + 0xAC], PD2
        CHECK   "pg_tss1_cr3_not_written", [TSS1_ADDR + 28], PD2
        call    paging_off
        clts
        ret
task_pg:
        mov     eax, [0x400000]
        mov     [RES + 0xA0], eax
        sldt    ax
        movzx   eax, ax
        mov     [RES + 0xA4], eax
        mov     ax, 0x0C
        mov     es, ax
        mov     eax, [es:0]
        mov     [RES + 0xA8], eax
        mov     eax, cr3
        mov     [RES + 0xAC], eax
        mov     ax, SEL_DATA0
        mov     es, ax
        jmp     SEL_TSS0:0

IMAGE_END
