; boot32.asm — direct kernel boot from fw_cfg (QEMU docs/specs/fw_cfg.rst items; the app fills them from
; -kernel/-initrd/-append): a Linux bzImage (SETUP_SIZE != 0) per the Linux x86 boot protocol
; (Documentation/arch/x86/boot.rst, protocol 2.02 or later), or a Multiboot v1 kernel (SETUP_SIZE = 0 and the whole
; file as KERNEL_DATA: Multiboot Specification 0.6.96, sections 3.1-3.3).
; boot_kernel returns EAX = 0 (no kernel), 1 (Linux loaded: var_linux_seg names its real-mode segment), or 2
; (a kernel was given but could not be booted: the reason is on COM1); a multiboot kernel does not return.
; Invariants: every address written comes from the E820 usable RAM above 1 MiB or the fixed low areas in
; defs.inc; a header asking for memory outside that is refused, never loaded.

LNX_SETUP_SECTS equ 0x1F1
LNX_BOOT_FLAG   equ 0x1FE
LNX_HEADER      equ 0x202
LNX_VERSION     equ 0x206
LNX_LOADER      equ 0x210
LNX_LOADFLAGS   equ 0x211
LNX_RD_IMAGE    equ 0x218
LNX_RD_SIZE     equ 0x21C
LNX_HEAP_END    equ 0x224
LNX_CMDLINE     equ 0x228
LNX_RD_MAX      equ 0x22C
LNX_CMDLINE_MAX equ 0x238
LNX_HEAP_TOP    equ 0xE000          ; heap end / stack top, relative to the setup segment
LNX_CMDLINE_OFF equ 0xE000          ; the command line right after the heap (boot.rst memory layout)
LNX_KERNEL      equ 0x100000        ; protected-mode kernel (loaded high: LOADED_HIGH)

boot_kernel:
        cmp     byte [F(var_fwcfg)], 0
        je      .none
        mov     ax, FW_KERNEL_SIZE
        call    fwcfg_u32
        test    eax, eax
        jz      .none
        mov     [F(var_tmp) + 8], eax           ; kernel size
        mov     ax, FW_SETUP_SIZE
        call    fwcfg_u32
        test    eax, eax
        jz      multiboot_boot
        jmp     linux_load
.none:  xor     eax, eax
        ret

boot_fail:                              ; ESI = reason
        push    esi
        mov     esi, F(msg_boot_fail)
        call    puts32
        pop     esi
        call    puts32
        mov     eax, 2
        ret

; ---- Linux ----
; EAX = setup size ((setup_sects + 1) * 512), [var_tmp+8] = protected-mode size
linux_load:
        mov     ebx, 0x90000                    ; setup + boot sector at X = 0x90000, heap to X+0xE000, cmdline
        cmp     eax, LNX_HEAP_TOP - 0x200       ; after it: all below the EBDA at 0x9FC00
        jbe     .x
        mov     ebx, 0x10000                    ; a setup too large for that: X = 0x10000
.x:     cmp     eax, 0x8000 + 0x200 * 0         ; setup_sects is at most 63: (63 + 1) * 512 = 0x8000
        mov     esi, msg_setup_big
        ja      boot_fail
        mov     ecx, eax
        mov     edi, ebx
        mov     ax, FW_SETUP_DATA
        call    fwcfg_read
        mov     esi, msg_fwcfg_err
        jc      boot_fail
        mov     esi, msg_not_bzimage
        cmp     dword [ebx + LNX_HEADER], 'HdrS'
        jne     boot_fail
        cmp     word [ebx + LNX_VERSION], 0x0202
        jb      boot_fail
        test    byte [ebx + LNX_LOADFLAGS], 1   ; LOADED_HIGH: the protected-mode part goes to 1 MiB
        jz      boot_fail
        ; the protected-mode kernel, straight to 1 MiB
        mov     ecx, [F(var_tmp) + 8]
        mov     eax, [F(var_acpi_base)]
        sub     eax, LNX_KERNEL
        mov     esi, msg_kernel_big
        cmp     ecx, eax
        ja      boot_fail
        mov     edi, LNX_KERNEL
        mov     ax, FW_KERNEL_DATA
        call    fwcfg_read
        mov     esi, msg_fwcfg_err
        jc      boot_fail
        ; header fields the loader writes (boot.rst "Details of header fields")
        mov     byte [ebx + LNX_LOADER], 0xFF   ; type_of_loader: undefined boot loader
        or      byte [ebx + LNX_LOADFLAGS], 0x80    ; CAN_USE_HEAP
        mov     word [ebx + LNX_HEAP_END], LNX_HEAP_TOP - 0x200
        call    linux_cmdline
        jc      boot_fail
        call    linux_initrd
        jc      boot_fail
        shr     ebx, 4
        mov     [F(var_linux_seg)], bx
        mov     esi, F(msg_boot_linux)
        call    puts32
        mov     eax, 1
        ret

; linux_cmdline: EBX = X. The command line at X + 0xE000, at most cmdline_size bytes (protocol 2.06; 255 before)
; plus the NUL. Out: CF = 1, ESI = reason on error.
linux_cmdline:
        lea     edi, [ebx + LNX_CMDLINE_OFF]
        mov     byte [edi], 0
        mov     [ebx + LNX_CMDLINE], edi
        mov     edx, 255
        cmp     word [ebx + LNX_VERSION], 0x0206
        jb      .max
        mov     edx, [ebx + LNX_CMDLINE_MAX]
        cmp     edx, 0x7FF                      ; room below the EBDA: X + 0xE000 + 0x800 <= 0x9F000
        jbe     .max
        mov     edx, 0x7FF
.max:   mov     ax, FW_CMDLINE_SIZE
        call    fwcfg_u32
        test    eax, eax
        jz      .ok
        mov     ecx, eax
        cmp     ecx, edx
        jbe     .read
        mov     ecx, edx
.read:  mov     ax, FW_CMDLINE_DATA
        call    fwcfg_read
        mov     esi, msg_fwcfg_err
        jc      .err
        mov     byte [edi + ecx], 0             ; NUL even if the item was cut short or lacks one
.ok:    clc
        ret
.err:   stc
        ret

; linux_initrd: as high as possible below min(initrd_addr_max + 1, the ACPI region, 0x38000000), 4 KiB aligned,
; above the kernel (boot.rst: "ramdisk_image ... as high as possible").
linux_initrd:
        mov     ax, FW_INITRD_SIZE
        call    fwcfg_u32
        test    eax, eax
        jz      .none
        mov     ecx, eax
        mov     edx, 0x37FFFFFF                 ; before protocol 2.03 the limit is fixed
        cmp     word [ebx + LNX_VERSION], 0x0203
        jb      .lim
        mov     edx, [ebx + LNX_RD_MAX]
.lim:   inc     edx                             ; EDX = end limit
        jnz     .l2
        dec     edx
.l2:    cmp     edx, 0x38000000
        jbe     .l3
        mov     edx, 0x38000000
.l3:    cmp     edx, [F(var_acpi_base)]
        jbe     .l4
        mov     edx, [F(var_acpi_base)]
.l4:    mov     edi, edx
        sub     edi, ecx
        jb      .big
        and     edi, 0xFFFFF000
        mov     eax, LNX_KERNEL
        add     eax, [F(var_tmp) + 8]
        cmp     edi, eax
        jb      .big
        mov     ax, FW_INITRD_DATA
        call    fwcfg_read
        mov     esi, msg_fwcfg_err
        jc      .err
        mov     [ebx + LNX_RD_IMAGE], edi
        mov     [ebx + LNX_RD_SIZE], ecx
        clc
        ret
.none:  mov     dword [ebx + LNX_RD_IMAGE], 0
        mov     dword [ebx + LNX_RD_SIZE], 0
        clc
        ret
.big:   mov     esi, msg_initrd_big
.err:   stc
        ret

; ---- Multiboot v1 ----
MB_MAGIC        equ 0x1BADB002
MB_BOOT_MAGIC   equ 0x2BADB002
MB_INFO         equ 0x8000          ; multiboot_info (spec 3.3), then the mmap, module list and strings
MB_MMAP         equ 0x8100
MB_MODS         equ 0x8400
MB_NAME         equ 0x8500
MB_MODSTR       equ 0x8540
MB_CMDLINE      equ 0x9000
MB_CMDLINE_MAX  equ 0xFFF

; [var_tmp+8] = file size. The file is read whole into a scratch area at the top of usable RAM, then loaded.
multiboot_boot:
        mov     ecx, [F(var_tmp) + 8]
        mov     edi, [F(var_acpi_base)]
        sub     edi, ecx
        mov     esi, msg_kernel_big
        jb      boot_fail
        and     edi, 0xFFFFF000
        cmp     edi, 0x200000
        jb      boot_fail
        mov     [F(var_tmp) + 12], edi          ; scratch = the file
        mov     ax, FW_KERNEL_DATA
        call    fwcfg_read
        mov     esi, msg_fwcfg_err
        jc      boot_fail
        ; the header: 4-byte aligned in the first 8192 bytes, magic + flags + checksum = 0 (spec 3.1.1)
        mov     esi, edi
        mov     ecx, [F(var_tmp) + 8]
        cmp     ecx, 8192
        jbe     .lim
        mov     ecx, 8192
.lim:   xor     ebx, ebx
.find:  lea     eax, [ebx + 12]
        cmp     eax, ecx
        ja      .nohdr
        cmp     dword [esi + ebx], MB_MAGIC
        jne     .nx
        mov     eax, [esi + ebx]
        add     eax, [esi + ebx + 4]
        add     eax, [esi + ebx + 8]
        jz      .found
.nx:    add     ebx, 4
        jmp     .find
.nohdr: mov     esi, msg_no_mb
        jmp     boot_fail
.found: mov     [F(var_tmp) + 16], ebx          ; header offset
        mov     eax, [esi + ebx + 4]            ; flags: bits 0-15 are requirements (spec 3.1.2)
        test    eax, 0xFFFC
        mov     esi, msg_mb_flags
        jnz     boot_fail                       ; video mode (bit 2) or unknown requirements: cannot fulfil
        test    eax, 0x10000
        jnz     mb_load_aout
        jmp     mb_load_elf

; mb_copy: ESI = source in the scratch file, EDI = destination, ECX = bytes to copy, EDX = total (copy + zero).
; Refuses destinations outside [1 MiB, scratch) and sources outside the file. CF = 1 on refusal.
mb_copy:
        cmp     edx, ecx
        jb      .bad
        cmp     edi, 0x100000
        jb      .bad
        mov     eax, edi
        add     eax, edx
        jc      .bad
        cmp     eax, [F(var_tmp) + 12]
        ja      .bad
        lea     eax, [edi + edx]                ; track the highest loaded byte (for the module)
        cmp     eax, [F(var_tmp) + 20]
        jbe     .e2
        mov     [F(var_tmp) + 20], eax
.e2:    mov     eax, esi                        ; the source range must lie in the file
        sub     eax, [F(var_tmp) + 12]
        jb      .bad
        add     eax, ecx
        jc      .bad
        cmp     eax, [F(var_tmp) + 8]
        ja      .bad
        sub     edx, ecx
        cld
        rep     movsb
        mov     ecx, edx
        xor     eax, eax
        rep     stosb
        clc
        ret
.bad:   stc
        ret

; a.out kludge (flag 16): header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr at +12..+28
mb_load_aout:
        mov     dword [F(var_tmp) + 20], 0
        mov     ebp, [F(var_tmp) + 12]
        add     ebp, [F(var_tmp) + 16]          ; EBP = header in the scratch copy
        mov     esi, [ebp + 12]                 ; file offset of load_addr = header offset - (header_addr - load_addr)
        sub     esi, [ebp + 16]
        mov     eax, [F(var_tmp) + 16]
        sub     eax, esi
        jb      .bad
        mov     esi, eax
        add     esi, [F(var_tmp) + 12]
        mov     edi, [ebp + 16]                 ; load_addr
        mov     ecx, [ebp + 20]                 ; load_end_addr (0: to the end of the file)
        test    ecx, ecx
        jnz     .le
        mov     ecx, [F(var_tmp) + 8]
        sub     ecx, eax
        add     ecx, edi
.le:    sub     ecx, edi
        jb      .bad
        mov     edx, [ebp + 24]                 ; bss_end_addr (0: no bss)
        test    edx, edx
        jnz     .be
        lea     edx, [edi + ecx]
.be:    sub     edx, edi
        jb      .bad
        mov     eax, [ebp + 28]
        mov     [F(var_tmp) + 24], eax          ; entry
        call    mb_copy
        jc      .bad
        jmp     mb_enter
.bad:   mov     esi, msg_mb_range
        jmp     boot_fail

; ELF32 (System V ABI, ELF header and program headers): PT_LOAD segments to p_paddr, bss zeroed
mb_load_elf:
        mov     dword [F(var_tmp) + 20], 0
        mov     ebp, [F(var_tmp) + 12]
        mov     esi, msg_mb_elf
        cmp     dword [ebp], 0x464C457F         ; \x7F E L F
        jne     boot_fail
        cmp     word [ebp + 4], 0x0101          ; ELFCLASS32, ELFDATA2LSB
        jne     boot_fail
        cmp     word [ebp + 18], 3              ; EM_386
        jne     boot_fail
        mov     eax, [ebp + 24]
        mov     [F(var_tmp) + 24], eax          ; e_entry
        movzx   ebx, word [ebp + 44]            ; e_phnum
        mov     eax, [ebp + 28]                 ; e_phoff
        movzx   ecx, word [ebp + 42]            ; e_phentsize
        cmp     ecx, 32
        jb      boot_fail
        mov     [F(var_tmp) + 28], ecx
        ; the program header table must lie in the file
        push    eax
        imul    ecx, ebx
        add     ecx, eax
        jc      .badp
        cmp     ecx, [F(var_tmp) + 8]
        ja      .badp
        pop     eax
        lea     ebp, [ebp + eax]                ; EBP = current program header
.ph:    test    ebx, ebx
        jz      mb_enter
        cmp     dword [ebp], 1                  ; PT_LOAD
        jne     .nextph
        mov     esi, [ebp + 4]                  ; p_offset
        add     esi, [F(var_tmp) + 12]
        mov     edi, [ebp + 12]                 ; p_paddr
        mov     ecx, [ebp + 16]                 ; p_filesz
        mov     edx, [ebp + 20]                 ; p_memsz
        call    mb_copy
        jc      .bad
.nextph:
        add     ebp, [F(var_tmp) + 28]
        dec     ebx
        jmp     .ph
.badp:  pop     eax
.bad:   mov     esi, msg_mb_range
        jmp     boot_fail

; the information structure (spec 3.3) and the machine state of 3.2: EAX = 0x2BADB002, EBX = info, flat
; 32-bit segments, A20 on, paging off, IF = 0
mb_enter:
        mov     edi, MB_INFO
        mov     ecx, 0x2000 / 4
        xor     eax, eax
        rep     stosd
        mov     ebx, MB_INFO
        mov     dword [ebx + 4], BASE_MEM_KB            ; mem_lower
        mov     eax, [F(var_acpi_base)]
        sub     eax, 0x100000
        shr     eax, 10
        mov     [ebx + 8], eax                          ; mem_upper: KiB from 1 MiB to the first hole
        mov     dword [ebx], (1 << 0) | (1 << 6) | (1 << 9)     ; mem_*, mmap_*, boot_loader_name
        ; mmap: entries of size (4) = 20, base (8), length (8), type (4), from the E820 map
        mov     esi, F(var_e820)
        mov     edi, MB_MMAP
        movzx   ecx, word [F(var_e820_count)]
.mm:    mov     dword [edi], 20
        push    ecx
        lea     edi, [edi + 4]
        mov     ecx, 5
        rep     movsd
        pop     ecx
        loop    .mm
        mov     dword [ebx + 48], MB_MMAP
        sub     edi, MB_MMAP
        mov     [ebx + 44], edi
        ; boot loader name
        mov     esi, msg_loader_name
        mov     edi, MB_NAME
.nm:    lodsb
        stosb
        test    al, al
        jnz     .nm
        mov     dword [ebx + 64], MB_NAME
        ; command line (flag 2)
        mov     ax, FW_CMDLINE_SIZE
        call    fwcfg_u32
        test    eax, eax
        jz      .nocmd
        mov     ecx, eax
        cmp     ecx, MB_CMDLINE_MAX
        jbe     .c
        mov     ecx, MB_CMDLINE_MAX
.c:     mov     edi, MB_CMDLINE
        mov     ax, FW_CMDLINE_DATA
        call    fwcfg_read
        mov     byte [edi + ecx], 0
        mov     dword [ebx + 16], MB_CMDLINE
        or      dword [ebx], 1 << 2
.nocmd: ; one module from INITRD_DATA (flag 3), page aligned after the highest loaded byte
        mov     ax, FW_INITRD_SIZE
        call    fwcfg_u32
        test    eax, eax
        jz      .nomod
        mov     ecx, eax
        mov     edi, [F(var_tmp) + 20]
        add     edi, 0xFFF
        and     edi, 0xFFFFF000
        mov     eax, edi
        add     eax, ecx
        mov     esi, msg_initrd_big
        jc      boot_fail
        cmp     eax, [F(var_acpi_base)]
        ja      boot_fail
        mov     ax, FW_INITRD_DATA
        call    fwcfg_read
        mov     esi, msg_fwcfg_err
        jc      boot_fail
        mov     [MB_MODS], edi                  ; mod_start, mod_end, string, reserved
        add     edi, ecx
        mov     [MB_MODS + 4], edi
        mov     dword [MB_MODS + 8], MB_MODSTR
        mov     esi, msg_mod_name
        mov     edi, MB_MODSTR
.ms:    lodsb
        stosb
        test    al, al
        jnz     .ms
        mov     dword [ebx + 20], 1
        mov     dword [ebx + 24], MB_MODS
        or      dword [ebx], 1 << 3
.nomod: mov     esi, F(msg_boot_mb)
        call    puts32
        mov     ecx, [F(var_tmp) + 24]
        cli
        mov     ax, SEL_DATA32
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        mov     esp, POST_STACK
        push    dword SEL_CODE32
        push    ecx
        push    dword 0x00000002                ; EFLAGS: IF = 0, DF = 0
        popfd
        mov     eax, MB_BOOT_MAGIC
        retf

msg_setup_big:  db 'kernel setup larger than 32 KiB', 10, 0
msg_fwcfg_err:  db 'fw_cfg transfer failed', 10, 0
msg_not_bzimage: db 'not a bzImage of boot protocol 2.02 or later (no HdrS, or not loaded high)', 10, 0
msg_kernel_big: db 'kernel does not fit in RAM', 10, 0
msg_initrd_big: db 'initrd does not fit in RAM', 10, 0
msg_no_mb:      db 'no Linux setup and no multiboot header in the first 8 KiB', 10, 0
msg_mb_flags:   db 'multiboot header requires features this loader lacks (video mode or unknown bits 2-15)', 10, 0
msg_mb_elf:     db 'multiboot kernel is not an i386 ELF32 and has no a.out kludge', 10, 0
msg_mb_range:   db 'multiboot kernel segments outside usable RAM above 1 MiB or outside the file', 10, 0
msg_loader_name: db 'pcjit BIOS', 0
msg_mod_name:   db 'initrd', 0
