; mb_test.asm — a Multiboot v1 test kernel (Multiboot Specification 0.6.96), nasm -f bin with hand-made ELF32
; headers: one PT_LOAD segment at 1 MiB with a bss tail. Built as a plain ELF (the loader must use the program
; headers), with -DAOUT_KLUDGE (header flag 16: the loader must use the header's address fields), and with
; -DBAD_LOAD (the segment aimed at 0x400: the loader must refuse it and say so, never run it).
; Booted by the firmware from fw_cfg (pcjit -kernel mb_test.elf -initrd mb_module.bin -append "..."), it checks
; the machine state of spec 3.2 and the information structure of 3.3 and reports ok/FAIL lines on port 0xE9 and
; the verdict on isa-debug-exit (0xF4), as tests/guest/run-guest.sh expects. Values that depend on RAM assume -m 32.
        cpu     686
        bits    32
LOAD            equ 0x100000
RAM_MB          equ 32
%define EXPECT_CMDLINE 'mbtest arg=42'
        org     LOAD
%ifdef AOUT_KLUDGE
MB_FLAGS        equ 0x00010003          ; page-aligned modules, memory info, address fields valid
%else
MB_FLAGS        equ 0x00000003
%endif

elf_header:
        db      0x7F, 'ELF', 1, 1, 1, 0         ; ELFCLASS32, little endian, version 1
        times   8 db 0
        dw      2, 3                            ; ET_EXEC, EM_386
        dd      1                               ; version
        dd      start                           ; e_entry
        dd      phdr - $$                       ; e_phoff
        dd      0                               ; e_shoff
        dd      0                               ; flags
        dw      52, 32, 1                       ; e_ehsize, e_phentsize, e_phnum
        dw      0, 0, 0                         ; no sections
phdr:   dd      1                               ; PT_LOAD
        dd      0                               ; p_offset
%ifdef BAD_LOAD                                 ; a hostile header: load over the IVT/BDA; must be refused
        dd      0x400, 0x400
%else
        dd      LOAD, LOAD                      ; p_vaddr, p_paddr
%endif
        dd      file_end - $$                   ; p_filesz
        dd      bss_end - $$                    ; p_memsz
        dd      5, 0x1000                       ; R+X, alignment

        align   4
mb_header:
        dd      0x1BADB002
        dd      MB_FLAGS
        dd      -(0x1BADB002 + MB_FLAGS)
%ifdef AOUT_KLUDGE
        dd      mb_header                       ; header_addr
        dd      LOAD                            ; load_addr
        dd      file_end                        ; load_end_addr
        dd      bss_end                         ; bss_end_addr
        dd      start                           ; entry_addr
%endif

%macro CHECK 3                                  ; name, actual, expected
        push    dword %3
        push    dword %2
        push    dword %%n
        call    check_eq
        jmp     %%s
%%n:    db      %1, 0
%%s:
%endmacro

start:
        mov     [boot_eax], eax
        mov     [boot_ebx], ebx
        mov     esp, stack_top
        pushfd
        pop     dword [boot_eflags]
        mov     eax, cr0
        mov     [boot_cr0], eax
        CHECK   "mb_eax_magic", [boot_eax], 0x2BADB002
        mov     eax, [boot_cr0]
        and     eax, 0x80000001
        CHECK   "mb_cr0_pe_no_pg", eax, 1
        mov     eax, [boot_eflags]
        and     eax, 0x00020200
        CHECK   "mb_eflags_if_vm_clear", eax, 0
        mov     eax, 0x12345678                 ; A20: 1 MiB + 0x80000 must not alias 0x80000
        mov     [0x180000], eax
        mov     dword [0x80000], 0
        mov     eax, [0x180000]
        CHECK   "mb_a20_on", eax, 0x12345678
        mov     eax, [bss_probe]
        CHECK   "mb_bss_zeroed", eax, 0
        mov     ebx, [boot_ebx]
        mov     eax, [ebx]
        and     eax, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9)
        CHECK   "mb_flags_mem_cmdline_mods_mmap_name", eax, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9)
        CHECK   "mb_mem_lower", [ebx + 4], 639
        CHECK   "mb_mem_upper", [ebx + 8], RAM_MB * 1024 - 64 - 1024
        ; mmap: walk with the size fields; the usable RAM above 1 MiB must match mem_upper, an ACPI range exists
        mov     esi, [ebx + 48]
        mov     edi, esi
        add     edi, [ebx + 44]
        xor     ecx, ecx                        ; entries
        xor     edx, edx                        ; usable bytes from 1 MiB
        mov     dword [acpi_seen], 0
.mm:    cmp     esi, edi
        jae     .mmdone
        inc     ecx
        cmp     dword [esi + 20], 1
        jne     .mt3
        cmp     dword [esi + 4], 0x100000
        jne     .mt3
        mov     edx, [esi + 12]
.mt3:   cmp     dword [esi + 20], 3
        jne     .mnext
        mov     eax, [esi + 4]
        mov     [acpi_seen], eax
.mnext: mov     eax, [esi]
        lea     esi, [esi + eax + 4]
        jmp     .mm
.mmdone:
        mov     eax, 0
        cmp     ecx, 4
        jae     .mmn
        mov     eax, 1
.mmn:   CHECK   "mb_mmap_entries_ge4", eax, 0
        shr     edx, 10
        CHECK   "mb_mmap_usable_eq_mem_upper", edx, [ebx + 8]
        CHECK   "mb_mmap_acpi_region", [acpi_seen], RAM_MB * 0x100000 - 0x10000
        ; first mmap entry: 0 - 0x9FC00 usable
        mov     esi, [ebx + 48]
        CHECK   "mb_mmap_first_base", [esi + 4], 0
        CHECK   "mb_mmap_first_len", [esi + 12], 0x9FC00
        CHECK   "mb_mmap_first_type", [esi + 20], 1
        ; command line
        mov     esi, [ebx + 16]
        mov     edi, expect_cmdline
        call    strcmp
        CHECK   "mb_cmdline", eax, 0
        ; boot loader name
        mov     esi, [ebx + 64]
        mov     edi, expect_name
        call    strcmp
        CHECK   "mb_boot_loader_name", eax, 0
        ; the module: mb_module.bin, page aligned (flag 0), its bytes intact
        CHECK   "mb_mods_count", [ebx + 20], 1
        mov     esi, [ebx + 24]
        mov     eax, [esi]
        and     eax, 0xFFF
        CHECK   "mb_mod_page_aligned", eax, 0
        mov     eax, [esi + 4]
        sub     eax, [esi]
        CHECK   "mb_mod_size", eax, 8192
        mov     edi, [esi]
        CHECK   "mb_mod_head", [edi], 'PCJI'
        CHECK   "mb_mod_head2", [edi + 4], 'TMOD'
        CHECK   "mb_mod_tail", [edi + 8188], 2047
        mov     eax, [esi + 4]                  ; the module must not overlap this kernel
        mov     ecx, 0
        cmp     dword [esi], bss_end
        jae     .nov
        mov     ecx, 1
.nov:   CHECK   "mb_mod_after_kernel", ecx, 0
        cmp     dword [fails], 0
        jne     .fail
        mov     esi, s_pass
        call    puts
        mov     al, 0
        out     0xF4, al
        jmp     .halt
.fail:  mov     esi, s_failed
        call    puts
        mov     al, 1
        out     0xF4, al
.halt:  cli
        hlt
        jmp     .halt

strcmp:                                         ; ESI, EDI → EAX = 0 if equal
        xor     eax, eax
.c:     mov     dl, [esi]
        cmp     dl, [edi]
        jne     .ne
        test    dl, dl
        jz      .eq
        inc     esi
        inc     edi
        jmp     .c
.ne:    mov     eax, 1
.eq:    ret

puts:   push    eax
.n:     lodsb
        test    al, al
        jz      .d
        out     0xE9, al
        jmp     .n
.d:     pop     eax
        ret
hex32:  push    ecx
        mov     ecx, 8
.h:     rol     eax, 4
        push    eax
        and     al, 0x0F
        add     al, '0'
        cmp     al, '9'
        jbe     .o
        add     al, 7
.o:     out     0xE9, al
        pop     eax
        loop    .h
        pop     ecx
        ret
check_eq:                                       ; [esp+4] name, [esp+8] actual, [esp+12] expected
        pushad
        mov     esi, [esp + 36]
        mov     eax, [esp + 40]
        cmp     eax, [esp + 44]
        jne     .f
        push    esi
        mov     esi, s_ok
        call    puts
        pop     esi
        call    puts
        mov     al, 10
        out     0xE9, al
        popad
        ret     12
.f:     inc     dword [fails]
        push    esi
        mov     esi, s_fail
        call    puts
        pop     esi
        call    puts
        mov     esi, s_got
        call    puts
        mov     eax, [esp + 40]
        call    hex32
        mov     esi, s_want
        call    puts
        mov     eax, [esp + 44]
        call    hex32
        mov     al, 10
        out     0xE9, al
        popad
        ret     12

expect_cmdline: db EXPECT_CMDLINE, 0
expect_name:    db 'pcjit BIOS', 0
s_ok:   db 'ok ', 0
s_fail: db 'FAIL ', 0
s_got:  db ' got ', 0
s_want: db ' want ', 0
s_pass: db 'PASS', 10, 0
s_failed: db 'FAILED checks', 10, 0
        align   4
fails:  dd      0
boot_eax:       dd 0
boot_ebx:       dd 0
boot_eflags:    dd 0
boot_cr0:       dd 0
acpi_seen:      dd 0
file_end:
        ; bss (not in the file)
        absolute file_end
bss_probe:      resd 1
        resb    4096
stack_top:
bss_end:
