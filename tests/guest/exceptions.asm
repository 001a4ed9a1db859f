; exceptions.asm — exception vectors, error codes and the saved EIP (fault: the faulting instruction; trap: the
; next one) with registers left as before the faulting instruction (SDM vol 3 6.5, 6.15): #DE (DIV by zero, DIV
; and IDIV quotient overflow), #UD (UD2, 0F FF, LOCK on a non-lockable instruction, LEA/LES with a register
; operand, MOV CS, CMPXCHG8B with a register operand), #NM (x87 with CR0.EM), #BR (BOUND), #OF (INTO), #NP (data
; and code segments not present), #SS (SS not present, SS limit), #GP (null DS, INT beyond the IDT limit),
; #DF (a #GP whose IDT gate is not present: #NP during delivery of a contributory exception, SDM vol 3 6.15
; Table 6-5), INT3 and INT 3 (traps), single-step after POPF sets TF (#DB after the next instruction, DR6.BS).
; Also: a single-step trap is held back after MOV SS until the next instruction (SDM vol 3 6.8.3); error codes of
; faults during delivery: a gate to a not-present code segment gives #NP(selector) with EXT set when delivering an
; exception and clear for INT n, a not-present gate gives #NP(vector*8+2) (SDM vol 3 6.13).
; Also: execute and data (write, read/write) breakpoints in DR0-DR7 with DR6 and RF, and #AC(0) at CPL 3.
; QEMU 7.2 TCG is wrong on five of these and fails exactly them (see tests.cmake): it does not check the SS limit
; (see pm_basic), it lets a memory access through a null DS go ahead instead of #GP(0) (SDM vol 3 3.4.2), it
; executes LOCK MOV instead of raising #UD (SDM vol 2 LOCK: #UD for any instruction not in the lockable list), and
; it never raises #AC (alignment checking is not implemented in TCG), and it leaves EXT clear in the #NP error code
; of a fault raised while delivering #UD ("ud_gate_np_code_err").
; Left out: #MF/#XF (FPU issue), #TS (tasks.asm), I/O breakpoints (CR4.DE).
%include "lib.inc"

T_NP_DATA       equ SEL_FREE + 0x00     ; data segment, P = 0
T_NP_CODE       equ SEL_FREE + 0x08     ; code segment, P = 0
T_SS_LIM        equ SEL_FREE + 0x10     ; data, base 0, limit 0x8FFF (B = 1)

%macro SEG 4 ; selector, base, limit, access|flags<<8
        mov     eax, %1
        mov     ebx, %2
        mov     ecx, %3
        mov     edx, %4
        call    gdt_set
%endmacro
; EXC_CHECK "prefix", vector, error, eip-label (the label a fault must report)
%macro EXC_CHECK 4
%strcat EXC_NAME_V %1, "_vec"
%strcat EXC_NAME_E %1, "_err"
%strcat EXC_NAME_I %1, "_eip"
        CHECK   EXC_NAME_V, [exc_vec], %2
        CHECK   EXC_NAME_E, [exc_err], %3
        CHECK   EXC_NAME_I, [exc_eip], %4
%endmacro

test_main:
        call    t_de
        call    t_ud
        call    t_nm
        call    t_br_of
        call    t_np_ss
        call    t_gp
        call    t_df
        call    t_int3
        call    t_single_step
        call    t_breakpoints
        call    t_ac
        call    t_mov_ss_shadow
        call    t_delivery_errors
        ret

t_de:
        mov     eax, 0x1234
        mov     edx, 0x5678
        xor     ecx, ecx
        EXPECT_EXC .r1
.f1:    div     ecx
.r1:    EXC_CHECK "div_zero", 0, 0, .f1
        CHECK   "div_zero_eax_kept", [exc_r_eax], 0x1234
        CHECK   "div_zero_edx_kept", [exc_r_edx], 0x5678
        mov     edx, 0x80000000
        xor     eax, eax
        mov     ecx, -1
        mov     edx, -1
        mov     eax, 0x80000000                 ; EDX:EAX = -2^31 ... / -1 = 2^31: overflow
        EXPECT_EXC .r2
.f2:    idiv    ecx
.r2:    EXC_CHECK "idiv_overflow", 0, 0, .f2
        mov     ax, 0x1000
        mov     bl, 1
        EXPECT_EXC .r3
.f3:    div     bl
.r3:    EXC_CHECK "div8_overflow", 0, 0, .f3
        CHECK   "div8_overflow_eax_kept", [exc_r_eax], eax
        ret

%macro UD_CASE 2 ; name, bytes
        EXPECT_EXC %%r
%%f:    db      %2
        nop
        nop
%strcat UD_NAME_V %1, "_vec"
%strcat UD_NAME_I %1, "_eip"
%%r:    CHECK   UD_NAME_V, [exc_vec], 6
        CHECK   UD_NAME_I, [exc_eip], %%f
%endmacro
t_ud:
        UD_CASE "ud2", {0x0F, 0x0B}
        UD_CASE "ud_0f_ff", {0x0F, 0xFF}
        UD_CASE "ud_lock_nop", {0xF0, 0x90}
        UD_CASE "ud_lock_mov", {0xF0, 0x89, 0xC0}
        UD_CASE "ud_lea_reg", {0x8D, 0xC0}
        UD_CASE "ud_les_reg", {0xC4, 0xC0}
        UD_CASE "ud_mov_cs", {0x8E, 0xC8}
        UD_CASE "ud_cmpxchg8b_reg", {0x0F, 0xC7, 0xC8}
        ret

t_nm:
        mov     eax, cr0
        or      eax, 4                          ; CR0.EM: every x87 instruction raises #NM
        mov     cr0, eax
        EXPECT_EXC .r1
.f1:    fld1
.r1:    EXC_CHECK "x87_em_nm", 7, 0, .f1
        mov     eax, cr0
        and     eax, ~4
        mov     cr0, eax
        ret

t_br_of:
        mov     dword [test_tmp], 10
        mov     dword [test_tmp + 4], 20
        mov     eax, 15
        call    exc_clear
        bound   eax, [test_tmp]
        CHECK   "bound_in_range_no_fault", [exc_count], 0
        mov     eax, 21
        EXPECT_EXC .r1
.f1:    bound   eax, [test_tmp]
.r1:    EXC_CHECK "bound_above", 5, 0, .f1
        mov     eax, 9
        EXPECT_EXC .r2
.f2:    bound   eax, [test_tmp]
.r2:    EXC_CHECK "bound_below", 5, 0, .f2
        xor     eax, eax                        ; OF = 0: INTO does nothing
        call    exc_clear
        into
        CHECK   "into_of0_no_trap", [exc_count], 0
        mov     al, 0x7F
        add     al, 1                           ; OF = 1
        EXPECT_EXC .r3
        into
.n3:    nop
.r3:    EXC_CHECK "into_of1", 4, 0, .n3
        ret

t_np_ss:
        SEG     T_NP_DATA, 0, 0xFFFFF, 0x13 | 0xC00
        SEG     T_NP_CODE, 0, 0xFFFFF, 0x1B | 0xC00
        SEG     T_SS_LIM, 0, 0x8FFF, ACC_DATA0 | 0x400
        mov     ax, T_NP_DATA
        EXPECT_EXC .r1
.f1:    mov     es, ax
.r1:    EXC_CHECK "np_data", 11, T_NP_DATA, .f1
        EXPECT_EXC .r2
.f2:    jmp     T_NP_CODE:0
.r2:    EXC_CHECK "np_code", 11, T_NP_CODE, .f2
        mov     ax, T_NP_DATA
        EXPECT_EXC .r3
.f3:    mov     ss, ax
.r3:    EXC_CHECK "ss_not_present", 12, T_NP_DATA, .f3
        mov     eax, ss
        CHECK   "ss_not_present_ss_kept", eax, SEL_DATA0
        mov     ax, T_SS_LIM
        mov     ss, ax
        EXPECT_EXC .r4
.f4:    mov     eax, [esp + 0x1000]             ; ESP < 0x9000, + 0x1000 > limit 0x8FFF
.r4:    mov     bx, SEL_DATA0
        mov     ss, bx
        EXC_CHECK "ss_limit", 12, 0, .f4
        ret

t_gp:
        EXPECT_EXC .r1
        xor     eax, eax
        mov     ds, ax
.f1:    mov     [0x100], eax                    ; through a null DS: #GP(0)
.r1:    mov     ax, SEL_DATA0
        mov     ds, ax
        EXC_CHECK "null_ds_write", 13, 0, .f1
        mov     word [test_tmp], 0x30 * 8 - 1   ; IDT limit below gate 0x31: #GP(0x31 * 8 + 2)
        mov     dword [test_tmp + 2], IDT_ADDR
        lidt    [test_tmp]
        EXPECT_EXC .r2
.f2:    int     0x31
.r2:    lidt    [idtr_value]
        EXC_CHECK "int_beyond_idt_limit", 13, 0x31 * 8 + 2, .f2
        ret

; #GP whose gate is not present → #NP while delivering a contributory exception → #DF(0)
t_df:
        and     byte [IDT_ADDR + 13 * 8 + 5], 0x7F
        mov     ax, 0x0FF8
        EXPECT_EXC .r1
.f1:    mov     es, ax
.r1:    or      byte [IDT_ADDR + 13 * 8 + 5], 0x80
        CHECK   "double_fault_vec", [exc_vec], 8
        CHECK   "double_fault_err", [exc_err], 0
        CHECK   "double_fault_once", [exc_count], 1
        mov     eax, es
        CHECK   "double_fault_es_kept", eax, SEL_DATA0
        ret

t_int3:
        EXPECT_EXC .r1
        int3
.n1:    nop
.r1:    EXC_CHECK "int3", 3, 0, .n1
        EXPECT_EXC .r2
        int     3                               ; CD 03: a trap too, EIP after both bytes
.n2:    nop
.r2:    EXC_CHECK "int_3_cd03", 3, 0, .n2
        ret

; POPF sets TF: the instruction after POPF runs, then #DB (trap) with DR6.BS
t_single_step:
        xor     eax, eax
        mov     dr6, eax
        mov     ebx, 5
        EXPECT_EXC .r1
        pushfd
        or      dword [esp], 0x100
        popfd
        add     ebx, 1
.n1:    add     ebx, 10
.r1:    EXC_CHECK "single_step", 1, 0, .n1
        CHECKM  "single_step_dr6_bs", [exc_dr6], 0x4000, 0x4000
        CHECK   "single_step_ebx_after_one", [exc_r_ebx], 6
        CHECK   "single_step_one_trap", [exc_count], 1
        pushfd
        pop     eax
        CHECKM  "single_step_tf_off", eax, 0x100, 0
        ret

; debug registers (SDM vol 3 17.2-17.3): an execute breakpoint is a fault before the instruction (DR6.B0, EIP on
; it; RF in the frame lets it run once), a data write breakpoint a trap after the write (DR6.B1, EIP after it),
; a read/write breakpoint also fires on a read
rf_hook:
        or      dword [esi + 16], 0x10000       ; EFLAGS.RF: restart the instruction without a new #DB
        ret
t_breakpoints:
        xor     eax, eax
        mov     dr6, eax
        mov     eax, .bp
        mov     dr0, eax
        mov     eax, 0x401                      ; L0, execute, length 1
        mov     dr7, eax
        call    exc_clear
        mov     dword [exc_hook], rf_hook
        xor     ebx, ebx
.bp:    inc     ebx
        mov     dword [exc_hook], 0
        CHECK   "exec_bp_vec", [exc_vec], 1
        CHECK   "exec_bp_eip", [exc_eip], .bp
        CHECKM  "exec_bp_dr6_b0", [exc_dr6], 0x400F, 1
        CHECK   "exec_bp_once_with_rf", [exc_count], 1
        CHECK   "exec_bp_insn_ran_once", ebx, 1
        xor     eax, eax
        mov     dr6, eax
        mov     eax, test_tmp + 0x40
        mov     dr1, eax
        mov     eax, 0x00D00404                 ; L1, write, length 4
        mov     dr7, eax
        call    exc_clear
        mov     eax, [test_tmp + 0x40]          ; a read does not fire a write breakpoint
        CHECK   "data_bp_read_ignored", [exc_count], 0
        EXPECT_EXC .r2
        mov     dword [test_tmp + 0x40], 0x5A5A
.n2:    nop
.r2:    EXC_CHECK "data_bp_write", 1, 0, .n2
        CHECKM  "data_bp_write_dr6_b1", [exc_dr6], 0x400F, 2
        CHECK   "data_bp_write_done", [test_tmp + 0x40], 0x5A5A
        xor     eax, eax
        mov     dr6, eax
        mov     eax, 0x00F00404                 ; L1, read/write, length 4
        mov     dr7, eax
        EXPECT_EXC .r3
        mov     eax, [test_tmp + 0x42]          ; overlaps the watched dword
.n3:    nop
.r3:    EXC_CHECK "data_bp_read", 1, 0, .n3
        CHECKM  "data_bp_read_dr6_b1", [exc_dr6], 0x400F, 2
        xor     eax, eax
        mov     dr7, eax
        mov     dr6, eax
        ret

; #AC(0): CPL 3, CR0.AM and EFLAGS.AC, a misaligned access (SDM vol 3 6.15); none at CPL 0 or when aligned
t_ac:
        mov     eax, cr0
        or      eax, 0x40000
        mov     cr0, eax
        pushfd
        or      dword [esp], 0x40000
        popfd
        mov     eax, [test_tmp + 1]             ; CPL 0: no alignment check
        pushfd
        and     dword [esp], ~0x40000
        popfd
        mov     dword [test_tmp + 0x50], -1
        call    exc_clear
        mov     ebx, .user
        call    call_ring3
        CHECK   "ac_aligned_no_fault", [test_tmp + 0x60], 0
        CHECK   "ac_vec", [test_tmp + 0x50], 17
        CHECK   "ac_err", [test_tmp + 0x54], 0
        CHECK   "ac_eip", [test_tmp + 0x58], t_ac.f1
        mov     eax, cr0
        and     eax, ~0x40000
        mov     cr0, eax
        ret
.user:  pushfd
        or      dword [esp], 0x40000
        popfd
        mov     eax, [test_tmp + 4]
        mov     eax, [exc_count]
        mov     [test_tmp + 0x60], eax
        mov     dword [exc_resume], .r1
.f1:    mov     eax, [test_tmp + 2]
.r1:    mov     eax, [exc_vec]
        mov     [test_tmp + 0x50], eax
        mov     eax, [exc_err]
        mov     [test_tmp + 0x54], eax
        mov     eax, [exc_eip]
        mov     [test_tmp + 0x58], eax
        pushfd
        and     dword [esp], ~0x40000
        popfd
        int     0x30

t_mov_ss_shadow:
        EXPECT_EXC .r1
        mov     ax, ss
        xor     ebx, ebx
        pushfd
        or      dword [esp], 0x100
        popfd
        mov     ss, ax                          ; TF trap suppressed here ...
        inc     ebx                             ; ... and taken after this one
.n1:    inc     ebx
.r1:    CHECK   "mov_ss_shadow_eip", [exc_eip], .n1
        CHECK   "mov_ss_shadow_ebx", [exc_r_ebx], 1
        CHECK   "mov_ss_shadow_one_trap", [exc_count], 1
        ret

t_delivery_errors:
        SEG     T_NP_CODE, 0, 0xFFFFF, 0x1B | 0xC00
        mov     word [IDT_ADDR + 6 * 8 + 2], T_NP_CODE      ; #UD gate → not-present code segment
        mov     word [IDT_ADDR + 0x33 * 8 + 2], T_NP_CODE   ; INT 0x33 gate → the same
        EXPECT_EXC .r1
.f1:    ud2
.r1:    EXC_CHECK "ud_gate_np_code", 11, T_NP_CODE | 1, .f1
        EXPECT_EXC .r2
.f2:    int     0x33
.r2:    EXC_CHECK "int_gate_np_code", 11, T_NP_CODE, .f2
        mov     word [IDT_ADDR + 6 * 8 + 2], SEL_CODE0
        mov     word [IDT_ADDR + 0x33 * 8 + 2], SEL_CODE0
        and     byte [IDT_ADDR + 0x34 * 8 + 5], 0x7F        ; gate 0x34 not present
        EXPECT_EXC .r3
.f3:    int     0x34
.r3:    EXC_CHECK "int_gate_not_present", 11, 0x34 * 8 + 2, .f3
        or      byte [IDT_ADDR + 0x34 * 8 + 5], 0x80
        ret

IMAGE_END
