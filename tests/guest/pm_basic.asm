; pm_basic.asm — real mode → 32-bit protected mode and back: far jumps into 16/32-bit code segments, data and code
; segment limits and types (#GP(0) on a limit violation, with no partial write; #GP(sel) on loading an execute-only
; segment), byte vs page granularity, an expand-down 16-bit stack (#SS(0) below the limit and above 0xFFFF), CS
; limit on a near jump, segment register loads (LDT, table limits, system descriptors, SS rules, null selectors,
; far JMP to data: #GP(selector)), a return to real mode (segment arithmetic, INT through the IVT, the real-mode
; #GP on a 32-bit offset beyond a 64 KiB limit) and unreal mode (FS keeps its 4 GiB limit after leaving protected mode).
; QEMU: TCG does not check data segment limits at all, nor the real-mode 64 KiB limit (SDM vol 3 20.1.1: real
; mode still raises #GP for offsets beyond the limit) — the checks listed in tests.cmake fail there.
; Left out: conforming code (rings.asm), call gates (rings.asm).
%include "lib.inc"

T_DATA_LIM      equ SEL_FREE + 0x00     ; data, base SCRATCH, limit 0xFFF bytes
T_DATA_RO       equ SEL_FREE + 0x08     ; read-only data, base SCRATCH
T_CODE_XO       equ SEL_FREE + 0x10     ; execute-only code
T_CODE_RD       equ SEL_FREE + 0x18     ; readable code, base SCRATCH
T_DATA_GRAN     equ SEL_FREE + 0x20     ; data, G=1 limit 0 → 0xFFF, base SCRATCH
T_STACK_ED      equ SEL_FREE + 0x28     ; expand-down data B=0, base 0, limit 0x7FFF → offsets 0x8000..0xFFFF
T_CODE_LIM      equ SEL_FREE + 0x30     ; 32-bit code, base 0, limit 0xFFFFF (1 MiB)
T_LDT           equ SEL_FREE + 0x38     ; LDT with two entries
T_DATA_RO_SS    equ SEL_FREE + 0x40     ; read-only data (not a valid SS)
LDT_ADDR        equ 0x3000

%macro SEG 4 ; selector, base, limit, access|flags<<8
        mov     eax, %1
        mov     ebx, %2
        mov     ecx, %3
        mov     edx, %4
        call    gdt_set
%endmacro

test_main:
        mov     edi, test_tmp
        mov     ecx, 0x80 / 4
        xor     eax, eax
        rep     stosd
        mov     eax, cr0
        CHECKM  "cr0_pe", eax, 1, 1
        mov     eax, cs
        CHECK   "cs_after_far_jmp", eax, SEL_CODE0
        call    t_code16
        call    t_far_indirect
        call    t_limits
        call    t_types
        call    t_expand_down
        call    t_cs_limit
        call    t_seg_loads
        call    t_real_mode
        ret

; ---- a far jump into a 16-bit code segment (D=0 decodes B8 iw as MOV AX,imm16) and back ----
t_code16:
        mov     [saved_esp], esp
        jmp     SEL_CODE16:RM(code16_part)
        bits    16
code16_part:
        mov     eax, 0xAAAA0000
        db      0xB8, 0x34, 0x12                ; MOV AX,0x1234 (MOV EAX,imm32 under D=1)
        mov     [test_tmp], eax
        mov     [test_tmp + 4], cs
        jmp     dword SEL_CODE0:code16_back
        bits    32
code16_back:
        mov     esp, [saved_esp]
        CHECK   "code16_operand_size", [test_tmp], 0xAAAA1234
        CHECKM  "code16_cs", [test_tmp + 4], 0xFFFF, SEL_CODE16
        ret

t_far_indirect:
        mov     dword [test_tmp + 8], .target
        mov     word [test_tmp + 12], SEL_CODE0
        mov     dword [test_tmp + 16], 0
        jmp     far [test_tmp + 8]
        mov     dword [test_tmp + 16], 0xBAD
.target:
        CHECK   "jmp_far_m16_32", [test_tmp + 16], 0
        ret

; ---- data segment limits: the last byte/dword inside is fine, one byte beyond is #GP(0), nothing written ----
t_limits:
        SEG     T_DATA_LIM, SCRATCH, 0xFFF, ACC_DATA0 | 0x400
        mov     ax, T_DATA_LIM
        mov     es, ax
        mov     dword [SCRATCH + 0xFFC], 0x11223344
        mov     eax, [es:0xFFC]
        CHECK   "limit_last_dword_ok", eax, 0x11223344
        mov     al, [es:0xFFF]
        CHECKM  "limit_last_byte_ok", eax, 0xFF, 0x11
        EXPECT_EXC .r1
.f1:    mov     eax, [es:0xFFD]
.r1:    CHECK   "limit_dword_over_vec", [exc_vec], 13
        CHECK   "limit_dword_over_err", [exc_err], 0
        CHECK   "limit_dword_over_eip", [exc_eip], .f1
        EXPECT_EXC .r2
.f2:    mov     al, [es:0x1000]
.r2:    CHECK   "limit_byte_over_vec", [exc_vec], 13
        CHECK   "limit_byte_over_eip", [exc_eip], .f2
        EXPECT_EXC .r3
.f3:    mov     word [es:0xFFF], 0xBBAA
.r3:    CHECK   "limit_store_over_vec", [exc_vec], 13
        CHECK   "limit_store_no_partial_write", [SCRATCH + 0xFFC], 0x11223344
        mov     dword [SCRATCH + 0xFFC], 0x11223344
        ; page granularity: G=1, limit 0 → 0xFFF
        SEG     T_DATA_GRAN, SCRATCH, 0, ACC_DATA0 | 0xC00
        mov     ax, T_DATA_GRAN
        mov     es, ax
        mov     al, [es:0xFFF]
        CHECKM  "gran_last_byte_ok", eax, 0xFF, 0x11
        EXPECT_EXC .r4
.f4:    mov     al, [es:0x1000]
.r4:    CHECK   "gran_over_vec", [exc_vec], 13
        CHECK   "gran_over_eip", [exc_eip], .f4
        mov     ax, SEL_DATA0
        mov     es, ax
        ret

; ---- segment types: read-only data, execute-only and readable code ----
t_types:
        SEG     T_DATA_RO, SCRATCH, 0xFFFFF, 0x91 | 0xC00
        SEG     T_CODE_XO, SCRATCH, 0xFFFFF, 0x99 | 0xC00
        SEG     T_CODE_RD, SCRATCH, 0xFFFFF, 0x9B | 0xC00
        mov     ax, T_DATA_RO
        mov     es, ax
        mov     eax, [es:0xFFC]
        CHECK   "readonly_read_ok", eax, 0x11223344
        EXPECT_EXC .r1
.f1:    mov     dword [es:0xFFC], 0
.r1:    CHECK   "readonly_write_vec", [exc_vec], 13
        CHECK   "readonly_write_err", [exc_err], 0
        CHECK   "readonly_not_written", [SCRATCH + 0xFFC], 0x11223344
        mov     dword [SCRATCH + 0xFFC], 0x11223344
        mov     ax, T_CODE_XO
        EXPECT_EXC .r2
.f2:    mov     es, ax
.r2:    CHECK   "load_xonly_code_vec", [exc_vec], 13
        CHECK   "load_xonly_code_err", [exc_err], T_CODE_XO
        CHECK   "load_xonly_code_eip", [exc_eip], .f2
        mov     eax, es
        CHECK   "load_xonly_es_unchanged", eax, T_DATA_RO
        mov     ax, T_CODE_RD
        mov     es, ax
        mov     eax, [es:0xFFC]
        CHECK   "readable_code_read_ok", eax, 0x11223344
        EXPECT_EXC .r3
.f3:    mov     [es:0xFFC], eax
.r3:    CHECK   "code_write_vec", [exc_vec], 13
        CHECK   "code_write_eip", [exc_eip], .f3
        mov     ax, SEL_DATA0
        mov     es, ax
        ret

; ---- expand-down 16-bit stack: valid offsets are limit+1 .. 0xFFFF ----
t_expand_down:
        SEG     T_STACK_ED, 0, 0x7FFF, 0x97
        mov     [saved_esp], esp
        mov     ax, T_STACK_ED
        mov     ss, ax
        mov     esp, 0xF000
        push    dword 0xCAFE1234
        mov     ebx, esp
        CHECK   "expdown_push_esp", ebx, 0xEFFC
        CHECK   "expdown_push_mem", [0xEFFC], 0xCAFE1234
        call    exc_clear
        mov     eax, [ss:0x8000]
        mov     eax, [ss:0xFFFC]
        CHECK   "expdown_inside_ok", [exc_count], 0
        EXPECT_EXC .r1
.f1:    mov     eax, [ss:0x7FFE]
.r1:    CHECK   "expdown_below_vec", [exc_vec], 12
        CHECK   "expdown_below_err", [exc_err], 0
        CHECK   "expdown_below_eip", [exc_eip], .f1
        EXPECT_EXC .r2
.f2:    mov     eax, [ss:0xFFFE]
.r2:    CHECK   "expdown_above_64k_vec", [exc_vec], 12
        CHECK   "expdown_above_64k_eip", [exc_eip], .f2
        mov     ax, SEL_DATA0
        mov     ss, ax
        mov     esp, [saved_esp]
        ret

; ---- CS limit: a near jump to an offset beyond the limit faults on the jump ----
t_cs_limit:
        SEG     T_CODE_LIM, 0, 0xFFFFF, ACC_CODE0 | 0x400
        mov     word [0x100000], 0x0B0F         ; UD2 at the target: an emulator that jumps anyway stops here
        jmp     T_CODE_LIM:.in
.in:    EXPECT_EXC .r1
.f1:    jmp     dword 0x100000
.r1:    mov     eax, cs
        CHECK   "cs_limit_cs", eax, T_CODE_LIM
        CHECK   "cs_limit_jmp_vec", [exc_vec], 13
        CHECK   "cs_limit_jmp_err", [exc_err], 0
        CHECK   "cs_limit_jmp_eip", [exc_eip], .f1
        jmp     SEL_CODE0:.out
.out:   ret

; ---- segment register loads (SDM vol 2 MOV, vol 3 5.4-5.6): the checks and their error codes ----
%macro LOAD_FAULT 4 ; name, sreg, selector, expected vector
        mov     ax, %3
        EXPECT_EXC %%r
%%f:    mov     %2, ax
%%r:
%strcat LF_V %1, "_vec"
%strcat LF_E %1, "_err"
        CHECK   LF_V, [exc_vec], %4
        CHECK   LF_E, [exc_err], (%3) & 0xFFFC
%endmacro
t_seg_loads:
        mov     dword [LDT_ADDR], 0                     ; LDT: entry 1 = data, base SCRATCH
        mov     dword [LDT_ADDR + 4], 0
        mov     dword [LDT_ADDR + 8], 0x0000FFFF
        mov     dword [LDT_ADDR + 12], 0x00CF9300 | ((SCRATCH >> 16) & 0xFF)
        SEG     T_LDT, LDT_ADDR, 0x0F, 0x82
        SEG     T_DATA_RO_SS, 0, 0xFFFFF, 0x91 | 0xC00
        mov     ax, T_LDT
        lldt    ax
        mov     dword [SCRATCH], 0x1D7DA7A
        mov     ax, 0x0C                                ; TI = 1, index 1
        mov     es, ax
        mov     eax, [es:0]
        CHECK   "ldt_data_load", eax, 0x1D7DA7A
        LOAD_FAULT "ldt_beyond_limit", es, 0x14, 13     ; index 2: beyond the LDT limit
        LOAD_FAULT "gdt_beyond_limit", es, 0x0800, 13
        LOAD_FAULT "system_desc_into_ds", ds, SEL_TSS0, 13
        LOAD_FAULT "ss_dpl_ne_cpl", ss, SEL_DATA3 & ~3, 13
        LOAD_FAULT "ss_rpl_ne_cpl", ss, SEL_DATA0 | 3, 13
        LOAD_FAULT "ss_readonly", ss, T_DATA_RO_SS, 13
        LOAD_FAULT "ss_code", ss, SEL_CODE0, 13
        xor     ax, ax
        EXPECT_EXC .r1
.f1:    mov     ss, ax                                  ; null SS at CPL 0: #GP(0)
.r1:    CHECK   "ss_null_vec", [exc_vec], 13
        CHECK   "ss_null_err", [exc_err], 0
        CHECK   "ss_null_eip", [exc_eip], .f1
        mov     ax, 0x0003                              ; a null selector with any RPL loads into DS
        mov     es, ax
        mov     eax, es
        CHECK   "null_rpl3_into_es", eax, 3
        EXPECT_EXC .r2
.f2:    jmp     SEL_DATA0:0                             ; far JMP to a data segment
.r2:    CHECK   "jmp_to_data_vec", [exc_vec], 13
        CHECK   "jmp_to_data_err", [exc_err], SEL_DATA0
        mov     ax, SEL_DATA0
        mov     es, ax
        xor     ax, ax
        lldt    ax
        ret

; ---- back to real mode (FS keeps a 4 GiB limit: unreal mode), and into protected mode again ----
t_real_mode:
        mov     word [13 * 4], RM(rm_gp_handler)
        mov     word [13 * 4 + 2], 0xE000
        mov     word [0x40 * 4], RM(rm_int40)
        mov     word [0x40 * 4 + 2], 0xE000
        mov     [saved_esp], esp
        mov     ax, SEL_DATA16
        mov     ds, ax
        mov     es, ax
        mov     gs, ax
        mov     ss, ax
        mov     ax, SEL_DATA0
        mov     fs, ax
        jmp     SEL_CODE16:RM(to_real)
        bits    16
to_real:
        mov     eax, cr0
        and     al, 0xFE
        mov     cr0, eax
        jmp     0xE000:RM(in_real)
in_real:
        xor     ax, ax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     sp, 0x7C00
        lidt    [cs:RM(rm_idtr)]
        mov     ax, 0x1000                      ; linear = segment * 16 + offset
        mov     ds, ax
        mov     dword [0x20], 0x600DF00D
        xor     ax, ax
        mov     ds, ax
        int     0x40
        mov     esi, 0x200000                   ; unreal: 32-bit offset through FS
        mov     dword [fs:esi], 0x5EA1F00D
        mov     eax, [fs:esi]
        mov     [test_tmp + 0x14], eax
        mov     word [test_tmp + 0x1C], RM(.after)
        mov     esi, 0x10000
.gpf:   mov     eax, [esi]                      ; DS limit 0xFFFF: #GP (vector 13 through the IVT)
.after: mov     [test_tmp + 0x24], sp
        mov     eax, cr0
        or      al, 1
        mov     cr0, eax
        jmp     dword SEL_CODE0:back_pm
rm_idtr:
        dw      0x3FF
        dd      0
rm_int40:
        mov     word [ss:test_tmp + 0x10], 0x4040
        iret
rm_gp_handler:
        push    bp
        mov     bp, sp
        push    ax
        inc     word [ss:test_tmp + 0x18]
        mov     ax, [bp + 2]
        mov     [ss:test_tmp + 0x20], ax
        mov     ax, [ss:test_tmp + 0x1C]
        mov     [bp + 2], ax
        pop     ax
        pop     bp
        iret
        bits    32
back_pm:
        mov     ax, SEL_DATA0
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        mov     esp, [saved_esp]
        lidt    [idtr_value]
        CHECK   "real_mode_seg_arith", [0x10020], 0x600DF00D
        CHECK   "real_mode_int_ivt", [test_tmp + 0x10], 0x4040
        CHECK   "unreal_fs_read", [test_tmp + 0x14], 0x5EA1F00D
        CHECK   "unreal_fs_write", [0x200000], 0x5EA1F00D
        CHECK   "real_mode_limit_gp_count", [test_tmp + 0x18], 1
        CHECK   "real_mode_limit_gp_ip", [test_tmp + 0x20], RM(in_real.gpf)
        CHECK   "real_mode_sp_balanced", [test_tmp + 0x24], 0x7C00
        ret

IMAGE_END
