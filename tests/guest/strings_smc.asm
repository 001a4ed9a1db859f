; strings_smc.asm — precise faults inside string instructions and page-crossing accesses, and self-modifying code.
;  - REP MOVSD whose destination runs into a not-present page: #PF(W) with CR2 = the page start, EIP on the REP
;    instruction, ECX/ESI/EDI counting exactly the elements already moved (SDM vol 2 REP: an interrupted REP is
;    restartable with its registers updated); the handler maps the page and the instruction completes.
;  - REP MOVSB backwards (DF = 1) whose source runs into a not-present page: #PF(R), same register checks.
;  - a dword store crossing into a not-present page and into a read-only page (CR0.WP): #PF with CR2 = the first
;    byte of the second page and no byte of the first page written (SDM vol 3 6.15: a faulting instruction leaves
;    memory unchanged); a crossing load leaves its destination register alone.
;  - an instruction whose bytes cross into a not-present page: #PF(fetch) with CR2 = the second page, EIP = its
;    first byte; runs once the page is mapped.
;  - self-modifying code (SDM vol 3 8.1.3): a store that patches an instruction later in the same block, a patch
;    made after the code already ran, and patches written through a second linear mapping (alias) of the code's
;    physical page, both before the call and from inside the block itself, and a REP STOSB that overwrites the
;    instruction right after it.
; Memory: identity paging of 0..4 MiB; test pages at 0x200000..0x20FFFF, alias page at linear 0x3FF000/0x3FE000.
%include "lib.inc"

SRC             equ 0x200000
SMC1            equ 0x20C000            ; code copied to RAM (one template per page)
SMC2            equ 0x20D000
SMC3            equ 0x20E000
SMC4            equ 0x20F000
ALIAS2          equ 0x3FF000            ; linear alias of SMC2
ALIAS3          equ 0x3FE000            ; linear alias of SMC3

%macro UNMAP 1
        and     dword [PTE(%1)], ~1
        invlpg  [%1]
%endmacro

test_main:
        call    paging_identity
        mov     eax, cr0
        or      eax, 0x10000                    ; WP
        mov     cr0, eax
        call    paging_on
        call    t_rep_movsd
        call    t_rep_movsb_back
        call    t_cross_store
        call    t_cross_fetch
        call    t_a16_strings
        call    t_smc
        ret

; exception hook: a #PF maps the faulting page (identity) and the instruction restarts; anything else is fatal
map_on_pf:
        cmp     dword [esi], 14
        jne     exc_common.unexpected
        mov     eax, [exc_cr2]
        shr     eax, 12
        or      dword [PT0_ADDR + eax * 4], 1
        mov     eax, [exc_cr2]
        invlpg  [eax]
        ret

t_rep_movsd:
        mov     edi, SRC
        mov     ecx, 16
        mov     eax, 0x100
.fill:  stosd
        inc     eax
        loop    .fill
        UNMAP   0x202000
        call    exc_clear
        mov     dword [exc_hook], map_on_pf
        mov     esi, SRC
        mov     edi, 0x202000 - 8
        mov     ecx, 16
        cld
.f1:    rep movsd
        mov     dword [exc_hook], 0
        CHECK   "rep_movsd_faults", [exc_count], 1
        CHECK   "rep_movsd_pf_err", [exc_err], 2
        CHECK   "rep_movsd_pf_cr2", [exc_cr2], 0x202000
        CHECK   "rep_movsd_pf_eip", [exc_eip], .f1
        CHECK   "rep_movsd_pf_ecx", [exc_r_ecx], 14
        CHECK   "rep_movsd_pf_esi", [exc_r_esi], SRC + 8
        CHECK   "rep_movsd_pf_edi", [exc_r_edi], 0x202000
        CHECK   "rep_movsd_done_ecx", ecx, 0
        CHECK   "rep_movsd_done_esi", esi, SRC + 64
        CHECK   "rep_movsd_done_edi", edi, 0x202000 + 56
        mov     esi, SRC
        mov     edi, 0x202000 - 8
        mov     ecx, 16
        repe cmpsd
        CHECK   "rep_movsd_data", ecx, 0
        ret

t_rep_movsb_back:
        mov     dword [0x204000], 0x44332211
        mov     dword [0x210100 - 4], 0
        UNMAP   0x203000
        call    exc_clear
        mov     dword [exc_hook], map_on_pf
        mov     esi, 0x204003
        mov     edi, 0x210100 - 1
        mov     ecx, 10
        std
.f1:    rep movsb
        cld
        mov     dword [exc_hook], 0
        CHECK   "rep_movsb_back_faults", [exc_count], 1
        CHECK   "rep_movsb_back_pf_err", [exc_err], 0
        CHECK   "rep_movsb_back_pf_cr2", [exc_cr2], 0x203FFF
        CHECK   "rep_movsb_back_pf_eip", [exc_eip], .f1
        CHECK   "rep_movsb_back_pf_ecx", [exc_r_ecx], 6
        CHECK   "rep_movsb_back_pf_esi", [exc_r_esi], 0x203FFF
        CHECK   "rep_movsb_back_pf_edi", [exc_r_edi], 0x210100 - 5
        CHECK   "rep_movsb_back_done_ecx", ecx, 0
        CHECK   "rep_movsb_back_done_esi", esi, 0x204003 - 10
        CHECK   "rep_movsb_back_data", [0x210100 - 4], 0x44332211
        ret

t_cross_store:
        mov     dword [0x205FFC], 0xA5A5A5A5
        UNMAP   0x206000
        EXPECT_EXC .r1
.f1:    mov     dword [0x205FFE], 0x11223344
.r1:    CHECK   "cross_store_np_vec", [exc_vec], 14
        CHECK   "cross_store_np_err", [exc_err], 2
        CHECK   "cross_store_np_cr2", [exc_cr2], 0x206000
        CHECK   "cross_store_np_eip", [exc_eip], .f1
        CHECK   "cross_store_np_first_page_kept", [0x205FFC], 0xA5A5A5A5
        mov     eax, 0x5A5A
        EXPECT_EXC .r2
.f2:    mov     eax, [0x205FFE]
.r2:    CHECK   "cross_load_np_err", [exc_err], 0
        CHECK   "cross_load_np_cr2", [exc_cr2], 0x206000
        CHECK   "cross_load_np_eax_kept", [exc_r_eax], 0x5A5A
        mov     dword [0x208FFC], 0xA5A5A5A5
        and     dword [PTE(0x209000)], ~2       ; read-only second page
        invlpg  [0x209000]
        EXPECT_EXC .r3
.f3:    mov     dword [0x208FFE], 0x11223344
.r3:    CHECK   "cross_store_ro_err", [exc_err], 3
        CHECK   "cross_store_ro_cr2", [exc_cr2], 0x209000
        CHECK   "cross_store_ro_first_page_kept", [0x208FFC], 0xA5A5A5A5
        CHECK   "cross_store_ro_second_page_kept", [0x209000], 0
        or      dword [PTE(0x209000)], 2
        invlpg  [0x209000]
        ret

; MOV EAX,imm32 at 0x20AFFD: its last two immediate bytes and a RET are on the next page
t_cross_fetch:
        mov     dword [0x20AFFC], 0x3344B890    ; NOP at 0x20AFFC; B8 44 33 at 0x20AFFD
        mov     dword [0x20B000], 0x00C31122    ; 22 11 C3
        UNMAP   0x20B000
        call    exc_clear
        mov     dword [exc_hook], map_on_pf
        xor     eax, eax
        mov     ebx, 0x20AFFD
        call    ebx
        mov     dword [exc_hook], 0
        CHECK   "cross_fetch_result", eax, 0x11223344
        CHECK   "cross_fetch_faults", [exc_count], 1
        CHECK   "cross_fetch_err", [exc_err], 0
        CHECK   "cross_fetch_cr2", [exc_cr2], 0x20B000
        CHECK   "cross_fetch_eip", [exc_eip], 0x20AFFD
        ret

; 16-bit address size in 32-bit code (67 prefix): SI/DI/CX wrap at 64 KiB, the upper halves stay (SDM vol 2 MOVS)
t_a16_strings:
        mov     dword [0xFFFC], 0
        mov     byte [0xFFFF], 0x11
        mov     byte [0x0000], 0x22
        mov     esi, 0x1234FFFF
        mov     edi, 0x5678FFFE
        mov     ecx, 0xABCD0002
        a16 rep movsb
        CHECK   "a16_movsb_esi", esi, 0x12340001
        CHECK   "a16_movsb_edi", edi, 0x56780000
        CHECK   "a16_movsb_ecx", ecx, 0xABCD0000
        CHECKM  "a16_movsb_data", [0xFFFC], 0xFFFF0000, 0x22110000
        ret

; ---- self-modifying code ----
smc1_tpl:                                       ; patches its own MOV imm ahead in the same block
        mov     [SMC1 + smc1_imm - smc1_tpl], dl
        db      0xB8
smc1_imm:
        dd      0x11
        ret
smc1_end:
smc2_tpl:                                       ; plain MOV EAX,imm32; RET
        db      0xB8
smc2_imm:
        dd      0x22
        ret
smc2_end:
smc3_tpl:                                       ; patches itself through the alias page
        mov     [ALIAS3 + smc3_imm - smc3_tpl], dl
        db      0xB8
smc3_imm:
        dd      0x33
        ret
smc3_end:
smc4_tpl:                                       ; REP STOSB overwrites the next instruction with NOPs
        mov     edi, SMC4 + smc4_patch - smc4_tpl
        mov     al, 0x90
        mov     ecx, 5
        rep stosb
smc4_patch:
        mov     eax, 0xBAD
        ret
smc4_end:

%macro COPY 3 ; dst, src, end
        mov     esi, %2
        mov     edi, %1
        mov     ecx, %3 - %2
        rep movsb
%endmacro

t_smc:
        COPY    SMC1, smc1_tpl, smc1_end
        COPY    SMC2, smc2_tpl, smc2_end
        COPY    SMC3, smc3_tpl, smc3_end
        COPY    SMC4, smc4_tpl, smc4_end
        mov     dword [PTE(ALIAS2)], SMC2 | 7
        mov     dword [PTE(ALIAS3)], SMC3 | 7
        invlpg  [ALIAS2]
        invlpg  [ALIAS3]
        mov     edx, 0x42
        mov     ebx, SMC1
        call    ebx
        CHECK   "smc_same_block_first_run", eax, 0x42
        mov     edx, 0x43
        call    ebx
        CHECK   "smc_same_block_second_run", eax, 0x43
        mov     ebx, SMC2
        call    ebx
        CHECK   "smc_plain_first_run", eax, 0x22
        mov     dword [SMC2 + smc2_imm - smc2_tpl], 0x2222
        call    ebx
        CHECK   "smc_patch_after_run", eax, 0x2222
        mov     dword [ALIAS2 + smc2_imm - smc2_tpl], 0x7777
        call    ebx
        CHECK   "smc_patch_through_alias", eax, 0x7777
        mov     edx, 0x61
        mov     ebx, SMC3
        call    ebx
        CHECK   "smc_alias_same_block", eax, 0x61
        mov     edx, 0x62
        call    ebx
        CHECK   "smc_alias_same_block_again", eax, 0x62
        mov     eax, 0x600D
        mov     ebx, SMC4
        call    ebx
        CHECK   "smc_rep_stos_over_next_insn", eax, 0x6090   ; AL = 0x90 from the STOSB setup; not 0xBAD
        ret

IMAGE_END
