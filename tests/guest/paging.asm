; paging.asm — 2-level paging with 4 KiB and 4 MiB (PSE) pages and PAE paging with a 2 MiB page: accessed and dirty
; bits exactly as the hardware sets them (SDM vol 3 4.8: A on every entry used by a walk, D only on the entry that
; maps the page and only on a write; never D in a PDE that points to a page table), #PF error codes (P, W/R, U/S)
; and CR2 for not-present, write-protect and user accesses (SDM vol 3 4.7, 6.15 #PF), CR0.WP for supervisor writes,
; combined U/S of PDE and PTE, INVLPG and MOV CR3 flushing, global pages under CR4.PGE.
; Implementation-specific check: "global_survives_cr3" — SDM vol 3 4.10.2.4 lets a TLB drop any entry at any time,
; so keeping a global page across MOV CR3 is what the hardware (and pcjit) does, not what it must do; QEMU 7.2
; flushes everything on MOV CR3 and fails that check. QEMU is wrong on "pae_rsvd_err": it reports error 8 (RSVD
; without P) where SDM vol 3 4.7 says RSVD can only be set together with P (error 9).
; Memory: PT1 maps linear 0x400000.. (PDE 1) so its A/D bits are touched only by this test's accesses;
; test pages are physical 0x300000..0x30FFFF; 4 MiB pages use physical 0x800000.
; Also: a read-only PDE over writable PTEs, a not-present PDE, a PAE PTE with a reserved address bit (#PF with
; RSVD, error 9).
; Left out: NX (no P6 has it), PAT/PCD/PWT (no effect on an emulator).
%include "lib.inc"

PT1             equ 0x102000
PDPT            equ 0x104000
PAE_PD          equ 0x105000
PAE_PT          equ 0x106000
LIN             equ 0x400000            ; linear base mapped by PT1
%define PT1E(i) (PT1 + (i) * 4)
%define LINP(i) (LIN + (i) * 0x1000)

test_main:
        mov     dword [0x801234], 0x4D4D4D4D    ; markers written while paging is off (physical addresses)
        mov     dword [0x600010], 0x9A9A9A9A
        mov     dword [0x308000], 0xAAAA
        mov     dword [0x309000], 0xBBBB
        call    paging_identity
        mov     edi, PT1
        mov     ecx, 1024
        xor     eax, eax
        rep     stosd
        mov     dword [PD_ADDR + 4], PT1 | 7
        call    paging_on
        call    t_ad_bits
        call    t_pf_sup
        call    t_user
        call    t_invlpg
        call    t_global
        call    t_pse
        call    paging_off
        call    t_pae
        ret

flush_all:
        mov     eax, cr3
        mov     cr3, eax
        ret

t_ad_bits:
        mov     dword [PT1E(0)], 0x300000 | 7
        mov     dword [PT1E(1)], 0x301000 | 7
        mov     dword [PT1E(2)], 0
        and     dword [PD_ADDR + 4], ~0x60
        call    flush_all
        CHECKM  "pte_ad_clear_before", [PT1E(0)], 0x60, 0
        mov     eax, [LINP(0)]
        CHECKM  "read_sets_pde_a", [PD_ADDR + 4], 0x60, 0x20
        CHECKM  "read_sets_pte_a_not_d", [PT1E(0)], 0x60, 0x20
        mov     dword [LINP(0)], 1
        CHECKM  "write_after_read_sets_pte_d", [PT1E(0)], 0x60, 0x60
        CHECKM  "pde_to_table_never_d", [PD_ADDR + 4], 0x60, 0x20
        mov     dword [LINP(1) + 8], 1
        CHECKM  "write_first_sets_pte_a_d", [PT1E(1)], 0x60, 0x60
        and     dword [PT1E(0)], ~0x60          ; software clears A/D; INVLPG forces a new walk
        invlpg  [LINP(0)]
        mov     eax, [LINP(0)]
        CHECKM  "a_set_again_after_invlpg", [PT1E(0)], 0x60, 0x20
        and     dword [PD_ADDR + 4], ~0x20
        call    flush_all
        EXPECT_EXC .r1
.f1:    mov     eax, [LINP(2) + 0x10]
.r1:    CHECK   "pf_np_read_vec", [exc_vec], 14
        CHECK   "pf_np_read_err", [exc_err], 0
        CHECK   "pf_np_read_cr2", [exc_cr2], LINP(2) + 0x10
        CHECK   "pf_np_read_eip", [exc_eip], .f1
        CHECKM  "pde_a_set_when_pte_not_present", [PD_ADDR + 4], 0x20, 0x20
        ret

; supervisor faults and CR0.WP
t_pf_sup:
        mov     dword [PT1E(3)], 0
        mov     dword [PT1E(4)], 0x304000 | 5   ; P U, read-only
        mov     dword [0x304010], 0x1111
        invlpg  [LINP(3)]
        invlpg  [LINP(4)]
        EXPECT_EXC .r1
.f1:    mov     dword [LINP(3) + 0xABC], 5
.r1:    CHECK   "pf_np_write_err", [exc_err], 2
        CHECK   "pf_np_write_cr2", [exc_cr2], LINP(3) + 0xABC
        CHECK   "pf_np_write_eip", [exc_eip], .f1
        mov     eax, cr0                        ; WP = 0: a supervisor write to a read-only page succeeds
        and     eax, ~0x10000
        mov     cr0, eax
        mov     dword [LINP(4) + 0x10], 0x2222
        CHECK   "wp0_sup_write_ok", [0x304010], 0x2222
        CHECKM  "wp0_sup_write_sets_d", [PT1E(4)], 0x60, 0x60
        mov     eax, cr0
        or      eax, 0x10000
        mov     cr0, eax
        EXPECT_EXC .r2
.f2:    mov     dword [LINP(4) + 0x10], 0x3333
.r2:    CHECK   "wp1_sup_write_vec", [exc_vec], 14
        CHECK   "wp1_sup_write_err", [exc_err], 3
        CHECK   "wp1_sup_write_cr2", [exc_cr2], LINP(4) + 0x10
        CHECK   "wp1_sup_write_eip", [exc_eip], .f2
        CHECK   "wp1_sup_write_not_done", [0x304010], 0x2222
        mov     eax, [LINP(4) + 0x10]
        CHECK   "wp1_sup_read_ok", eax, 0x2222
        mov     dword [PD_ADDR + 6 * 4], PT1 | 5 ; PDE 6 (linear 0x1800000): read-only over writable PTEs
        mov     dword [PT1E(12)], 0x30C000 | 7
        invlpg  [0x1800000 + 12 * 0x1000]
        EXPECT_EXC .r3
.f3:    mov     dword [0x1800000 + 12 * 0x1000], 1
.r3:    CHECK   "pde_readonly_write_err", [exc_err], 3
        CHECK   "pde_readonly_write_cr2", [exc_cr2], 0x1800000 + 12 * 0x1000
        mov     dword [PD_ADDR + 6 * 4], 0
        EXPECT_EXC .r4
.f4:    mov     eax, [0x1800000]                ; PDE not present
.r4:    CHECK   "pde_np_err", [exc_err], 0
        CHECK   "pde_np_cr2", [exc_cr2], 0x1800000
        ret

; user-mode faults: the ring 3 code saves (vector, error, CR2) of each fault in test_tmp
%macro SAVE_FAULT 1 ; slot
        mov     eax, [exc_vec]
        mov     [test_tmp + (%1) * 12], eax
        mov     eax, [exc_err]
        mov     [test_tmp + (%1) * 12 + 4], eax
        mov     eax, [exc_cr2]
        mov     [test_tmp + (%1) * 12 + 8], eax
%endmacro
t_user:
        mov     dword [PT1E(5)], 0x305000 | 3   ; supervisor page
        mov     dword [PT1E(6)], 0x306000 | 5   ; user read-only
        mov     dword [PT1E(7)], 0              ; not present
        mov     dword [PT1E(8)], 0x308000 | 7   ; user read-write
        mov     dword [PD_ADDR + 12], PT1 | 3   ; PDE 3 (linear 0xC00000): same table, PDE U/S = supervisor
        call    flush_all
        mov     edi, test_tmp
        mov     ecx, 0x80 / 4
        mov     eax, -1
        rep     stosd
        call    exc_clear
        mov     ebx, user_code
        call    call_ring3
        CHECK   "user_read_sup_vec", [test_tmp + 0], 14
        CHECK   "user_read_sup_err", [test_tmp + 4], 5
        CHECK   "user_read_sup_cr2", [test_tmp + 8], LINP(5) + 4
        CHECK   "user_write_ro_err", [test_tmp + 16], 7
        CHECK   "user_write_ro_cr2", [test_tmp + 20], LINP(6) + 8
        CHECK   "user_read_np_err", [test_tmp + 28], 4
        CHECK   "user_read_np_cr2", [test_tmp + 32], LINP(7)
        CHECK   "user_pde_sup_err", [test_tmp + 40], 5
        CHECK   "user_pde_sup_cr2", [test_tmp + 44], 0xC08000
        CHECK   "user_read_user_ok", [test_tmp + 0x3C], 0xAAAA
        CHECK   "user_write_user_ok", [0x308004], 0x5555
        CHECK   "user_ro_not_written", [0x306008], 0
        ret
user_code:
        mov     dword [exc_resume], .r1
        mov     eax, [LINP(5) + 4]
.r1:    SAVE_FAULT 0
        mov     dword [exc_resume], .r2
        mov     dword [LINP(6) + 8], 1
.r2:    SAVE_FAULT 1
        mov     dword [exc_resume], .r3
        mov     eax, [LINP(7)]
.r3:    SAVE_FAULT 2
        mov     dword [exc_resume], .r4
        mov     eax, [0xC08000]
.r4:    SAVE_FAULT 3
        mov     eax, [LINP(8)]
        mov     [test_tmp + 0x3C], eax
        mov     dword [LINP(8) + 4], 0x5555
        int     0x30

; INVLPG and MOV CR3 make a changed PTE visible
t_invlpg:
        mov     dword [PT1E(9)], 0x308000 | 7
        invlpg  [LINP(9)]
        mov     eax, [LINP(9)]
        CHECK   "invlpg_before", eax, 0xAAAA
        mov     dword [PT1E(9)], 0x309000 | 7
        invlpg  [LINP(9)]
        mov     eax, [LINP(9)]
        CHECK   "invlpg_new_mapping", eax, 0xBBBB
        mov     dword [PT1E(9)], 0x308000 | 7
        call    flush_all
        mov     eax, [LINP(9)]
        CHECK   "cr3_reload_new_mapping", eax, 0xAAAA
        ret

; global pages: kept across MOV CR3 (see the header), dropped by INVLPG and by clearing CR4.PGE
t_global:
        mov     eax, cr4
        or      eax, 0x80
        mov     cr4, eax
        mov     dword [PT1E(10)], 0x308000 | 0x107
        mov     dword [PT1E(11)], 0x308000 | 7
        invlpg  [LINP(10)]
        invlpg  [LINP(11)]
        mov     eax, [LINP(10)]
        mov     eax, [LINP(11)]
        mov     dword [PT1E(10)], 0x309000 | 0x107
        mov     dword [PT1E(11)], 0x309000 | 7
        call    flush_all
        mov     eax, [LINP(11)]
        CHECK   "cr3_flushes_nonglobal", eax, 0xBBBB
        mov     eax, [LINP(10)]
        CHECK   "global_survives_cr3", eax, 0xAAAA
        invlpg  [LINP(10)]
        mov     eax, [LINP(10)]
        CHECK   "invlpg_flushes_global", eax, 0xBBBB
        mov     dword [PT1E(10)], 0x308000 | 0x107
        mov     eax, cr4
        and     eax, ~0x80
        mov     cr4, eax
        mov     eax, [LINP(10)]
        CHECK   "pge_off_flushes_global", eax, 0xAAAA
        ret

; 4 MiB pages (CR4.PSE): A/D in the PDE, write protection, not present
t_pse:
        mov     eax, cr4
        or      eax, 0x10
        mov     cr4, eax
        mov     dword [PD_ADDR + 2 * 4], 0x800000 | 0x87  ; linear 8 MiB → physical 8 MiB, PS P W U
        mov     dword [PD_ADDR + 4 * 4], 0x800000 | 0x85  ; linear 16 MiB → physical 8 MiB, read-only
        mov     dword [PD_ADDR + 5 * 4], 0x800000 | 0x86  ; not present
        call    flush_all
        mov     eax, [0x801234]
        CHECK   "pse_read", eax, 0x4D4D4D4D
        CHECKM  "pse_read_sets_a_not_d", [PD_ADDR + 2 * 4], 0x60, 0x20
        mov     dword [0x801238], 0x77
        CHECKM  "pse_write_sets_d", [PD_ADDR + 2 * 4], 0x60, 0x60
        mov     eax, [0x1001238]
        CHECK   "pse_alias_read", eax, 0x77
        CHECKM  "pse_alias_read_a_not_d", [PD_ADDR + 4 * 4], 0x60, 0x20
        EXPECT_EXC .r1
.f1:    mov     dword [0x1001234], 0
.r1:    CHECK   "pse_write_ro_vec", [exc_vec], 14
        CHECK   "pse_write_ro_err", [exc_err], 3
        CHECK   "pse_write_ro_cr2", [exc_cr2], 0x1001234
        CHECKM  "pse_write_ro_no_d", [PD_ADDR + 4 * 4], 0x40, 0
        EXPECT_EXC .r2
.f2:    mov     eax, [0x1400010]
.r2:    CHECK   "pse_np_err", [exc_err], 0
        CHECK   "pse_np_cr2", [exc_cr2], 0x1400010
        CHECK   "pse_np_eip", [exc_eip], .f2
        mov     eax, cr4
        and     eax, ~0x10
        mov     cr4, eax
        ret

; PAE: PDPT → PD; PD[0] → a 4 KiB table identity-mapping 0..2 MiB, PD[1] identity 2 MiB page,
; PD[2] maps linear 4 MiB to physical 6 MiB with a 2 MiB page, PD[3] not present
t_pae:
        mov     edi, PDPT
        mov     ecx, 0x3000 / 4
        xor     eax, eax
        rep     stosd
        mov     dword [PDPT], PAE_PD | 1
        mov     dword [PAE_PD + 0], PAE_PT | 7
        mov     dword [PAE_PD + 8], 0x200000 | 0x87
        mov     dword [PAE_PD + 16], 0x600000 | 0x87
        mov     dword [PAE_PD + 32], 0x600000 | 0x85  ; PD[4]: linear 8 MiB, read-only 2 MiB page
        mov     edi, PAE_PT
        mov     eax, 7
        mov     ecx, 512
.pt:    mov     [edi], eax
        add     edi, 8
        add     eax, 0x1000
        loop    .pt
        mov     eax, cr4
        or      eax, 0x20
        mov     cr4, eax
        mov     eax, PDPT
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80010000
        mov     cr0, eax
        jmp     .on
.on:    mov     eax, [0x400010]
        CHECK   "pae_2m_read", eax, 0x9A9A9A9A
        CHECKM  "pae_2m_read_a_not_d", [PAE_PD + 16], 0x60, 0x20
        CHECKM  "pae_pd_to_table_a", [PAE_PD + 0], 0x20, 0x20
        mov     dword [0x400014], 0x12
        CHECKM  "pae_2m_write_sets_d", [PAE_PD + 16], 0x60, 0x60
        EXPECT_EXC .r1
.f1:    mov     eax, [0x600008]
.r1:    CHECK   "pae_np_vec", [exc_vec], 14
        CHECK   "pae_np_err", [exc_err], 0
        CHECK   "pae_np_cr2", [exc_cr2], 0x600008
        EXPECT_EXC .r2
.f2:    mov     dword [0x800020], 1
.r2:    CHECK   "pae_ro_write_err", [exc_err], 3
        CHECK   "pae_ro_write_cr2", [exc_cr2], 0x800020
        CHECK   "pae_ro_write_eip", [exc_eip], .f2
        mov     dword [PAE_PT + 0x100 * 8 + 4], 0x100  ; PTE for 1 MiB: bit 40 set (reserved, 36-bit physical)
        invlpg  [0x100000]
        EXPECT_EXC .r3
.f3:    mov     eax, [0x100000]
.r3:    CHECK   "pae_rsvd_vec", [exc_vec], 14
        CHECK   "pae_rsvd_err", [exc_err], 9
        CHECK   "pae_rsvd_cr2", [exc_cr2], 0x100000
        mov     dword [PAE_PT + 0x100 * 8 + 4], 0
        invlpg  [0x100000]
        call    paging_off
        mov     eax, cr4
        and     eax, ~0x20
        mov     cr4, eax
        CHECK   "pae_2m_write_phys", [0x600014], 0x12
        ret

IMAGE_END
