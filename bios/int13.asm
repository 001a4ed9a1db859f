; int13.asm — fixed disks: detection of up to 4 ATA disks (0x1F0/0x170, master/slave) with IDENTIFY DEVICE over
; PIO at POST, and INT 13h for DL = 80h-83h (Ralf Brown INT 13h; Phoenix EDD 3.0 for 41h-48h) over polled PIO
; (nIEN set: no IRQ 14/15), LBA28 or LBA48 (ATA/ATAPI-6 8.15/8.16, 8.61/8.62).
; CHS: the IDENTIFY default geometry when it has at most 1024 cylinders, else LBA-assisted translation (63 sectors,
; 16/32/64/128/255 heads, at most 1024 cylinders).
; Invariants: every request is checked against the disk's size before a command is sent (status 04h), counts
; are bounded (CHS: 1-255 with AL = 0 refused, EDD: 1-127: EDD 3.0 "block count"), the buffer pointer is
; normalized before each sector so a transfer never wraps inside a segment.
; Left out: floppies (DL < 80h: status 01h), ATAPI/CD, DMA, 64-bit flat EDD buffers (01h), disks above 2 TiB
; (LBAs beyond 32 bits are refused as out of range).

ATA_DATA        equ 0
ATA_ERR         equ 1
ATA_COUNT       equ 2
ATA_LBA0        equ 3
ATA_LBA1        equ 4
ATA_LBA2        equ 5
ATA_DEV         equ 6
ATA_CMD         equ 7               ; write: command, read: status
ST_BSY          equ 0x80
ST_DRDY         equ 0x40
ST_DF           equ 0x20
ST_DRQ          equ 0x08
ST_ERR          equ 0x01
ATA_IDBUF       equ 0x7E00          ; IDENTIFY data at POST (nothing is loaded yet)

; ---- detection ----
ata_detect_all:
        push    ds
        push    es
        pusha
        mov     byte [cs:var_disks], 0
        mov     si, var_disk_table
        mov     bx, 0
.ch:    mov     dx, [cs:ata_chan_io + bx]
        mov     cx, [cs:ata_chan_ctrl + bx]
        mov     al, 0xA0
        call    ata_probe
        mov     al, 0xB0
        call    ata_probe
        add     bx, 2
        cmp     bx, 4
        jb      .ch
        xor     ax, ax
        mov     ds, ax
        mov     al, [cs:var_disks]
        mov     [0x400 + BDA_HDCOUNT], al
        call    ata_set_fdpt
        popa
        pop     es
        pop     ds
        ret
ata_chan_io:    dw 0x1F0, 0x170
ata_chan_ctrl:  dw 0x3F6, 0x376

; ata_probe: DX = command block, CX = control block, AL = device select, SI = next table entry, BX = channel*2.
; Fills the entry and advances SI when an ATA disk answers IDENTIFY DEVICE.
ata_probe:
        pusha
        mov     [cs:si + DK_IOBASE], dx
        mov     [cs:si + DK_CTRL], cx
        mov     [cs:si + DK_DEVSEL], al
        mov     ah, bl
        shr     ah, 1
        mov     [cs:si + DK_CHANNEL], ah
        add     ah, 14
        mov     [cs:si + DK_IRQ], ah
        mov     di, dx
        lea     dx, [di + ATA_CMD]
        in      al, dx
        cmp     al, 0xFF                ; floating bus: no controller
        je      .none
        push    dx
        mov     dx, cx
        mov     al, 0x02                ; device control: nIEN (we poll)
        out     dx, al
        pop     dx
        lea     dx, [di + ATA_DEV]
        mov     al, [cs:si + DK_DEVSEL]
        out     dx, al
        call    ata_delay
        lea     dx, [di + ATA_COUNT]    ; a device is there if its registers hold what we write
        mov     al, 0x55
        out     dx, al
        inc     dx
        mov     al, 0xAA
        out     dx, al
        dec     dx
        in      al, dx
        cmp     al, 0x55
        jne     .none
        inc     dx
        in      al, dx
        cmp     al, 0xAA
        jne     .none
        call    ata_wait_notbusy
        jc      .none
        lea     dx, [di + ATA_CMD]
        mov     al, 0xEC                ; IDENTIFY DEVICE
        out     dx, al
        call    ata_delay
        in      al, dx
        test    al, al
        jz      .none
        call    ata_wait_notbusy
        jc      .none
        test    al, ST_ERR              ; aborted: ATAPI or not a disk
        jnz     .none
        test    al, ST_DRQ
        jz      .none
        xor     ax, ax
        mov     es, ax
        push    di
        mov     dx, di
        mov     di, ATA_IDBUF
        mov     cx, 256
        cld
        rep     insw
        pop     di
        xor     ax, ax
        mov     ds, ax
        test    byte [ATA_IDBUF + 49 * 2 + 1], 0x02     ; word 49 bit 9: LBA supported
        jz      .nolba
        mov     eax, [ATA_IDBUF + 60 * 2]               ; words 60-61: LBA28 capacity
        mov     dword [cs:si + DK_SECTORS + 4], 0
        mov     byte [cs:si + DK_LBA48], 0
        test    byte [ATA_IDBUF + 83 * 2 + 1], 0x04     ; word 83 bit 10: 48-bit address feature set
        jz      .c28
        mov     byte [cs:si + DK_LBA48], 1
        mov     eax, [ATA_IDBUF + 100 * 2]              ; words 100-103
        mov     edx, [ATA_IDBUF + 102 * 2]
        mov     [cs:si + DK_SECTORS + 4], edx
.c28:   mov     [cs:si + DK_SECTORS], eax
        test    eax, eax
        jz      .none
        mov     ax, [ATA_IDBUF + 1 * 2]
        mov     [cs:si + DK_PCYLS], ax
        mov     ax, [ATA_IDBUF + 3 * 2]
        mov     [cs:si + DK_PHEADS], ax
        mov     ax, [ATA_IDBUF + 6 * 2]
        mov     [cs:si + DK_PSPT], ax
        call    ata_geometry
        call    ata_make_dpte
        inc     byte [cs:var_disks]
        popa
        add     si, DK_SIZE
        ret
.nolba: push    si
        mov     si, msg_disk_nolba
        call    puts16
        pop     si
.none:  popa
        ret

; ata_geometry: SI = entry with sectors and IDENTIFY geometry → DK_CYLS/HEADS/SPT
ata_geometry:
        pushad
        mov     eax, [cs:si + DK_SECTORS]
        cmp     dword [cs:si + DK_SECTORS + 4], 0
        je      .s
        mov     eax, 0xFFFFFFFF
.s:     mov     cx, [cs:si + DK_PCYLS]
        mov     bx, [cs:si + DK_PHEADS]
        mov     dx, [cs:si + DK_PSPT]
        test    cx, cx
        jz      .lba
        cmp     cx, 1024
        ja      .lba
        test    bx, bx
        jz      .lba
        cmp     bx, 16
        ja      .lba
        test    dx, dx
        jz      .lba
        cmp     dx, 63
        ja      .lba
        jmp     .set                    ; the default geometry already addresses with <= 1024 cylinders
.lba:   mov     ebx, 16                 ; LBA-assisted: grow the heads until the cylinders fit in 1024
.h:     mov     ecx, ebx
        imul    ecx, ecx, 63
        push    eax
        xor     edx, edx
        div     ecx
        mov     ecx, eax
        pop     eax
        cmp     ecx, 1024
        jbe     .fit
        cmp     ebx, 255
        je      .cap
        shl     ebx, 1
        cmp     ebx, 256
        jb      .h
        mov     ebx, 255
        jmp     .h
.cap:   mov     ecx, 1024
.fit:   test    ecx, ecx
        jnz     .nz
        inc     ecx                     ; a disk smaller than one cylinder: report one (the range check is by LBA)
.nz:    mov     dx, 63
.set:   mov     [cs:si + DK_CYLS], cx
        mov     [cs:si + DK_HEADS], bx
        mov     [cs:si + DK_SPT], dx
        popad
        ret

; ata_make_dpte: the EDD 3.0 device parameter table extension of entry SI
ata_make_dpte:
        pusha
        lea     di, [si + DK_DPTE]
        mov     ax, [cs:si + DK_IOBASE]
        mov     [cs:di + 0], ax
        mov     ax, [cs:si + DK_CTRL]
        mov     [cs:di + 2], ax
        mov     al, [cs:si + DK_DEVSEL]
        or      al, 0x40                ; LBA enabled
        mov     [cs:di + 4], al
        mov     byte [cs:di + 5], 0
        mov     al, [cs:si + DK_IRQ]
        mov     [cs:di + 6], al
        mov     byte [cs:di + 7], 1     ; block count (no READ MULTIPLE)
        mov     word [cs:di + 8], 0     ; DMA, PIO type
        mov     ax, 0x0010              ; LBA translation
        mov     bx, [cs:si + DK_PCYLS]
        cmp     bx, [cs:si + DK_CYLS]
        je      .t
        or      ax, 0x0208              ; CHS translation, type 01: LBA-assisted
.t:     mov     [cs:di + 10], ax
        mov     word [cs:di + 12], 0
        mov     byte [cs:di + 14], 0x11 ; revision
        xor     ax, ax
        mov     cx, 15
.s:     add     al, [cs:di]
        inc     di
        loop    .s
        neg     al
        mov     [cs:di], al
        popa
        ret

; INT 41h/46h: fixed disk parameter tables of disks 0 and 1 (the translated geometry)
ata_set_fdpt:
        mov     si, var_disk_table
        mov     di, fdpt0
        mov     bx, 0x41 * 4
        call    .one
        add     si, DK_SIZE
        mov     di, fdpt1
        mov     bx, 0x46 * 4
.one:   mov     ax, [cs:si + DK_CYLS]
        mov     [cs:di + 0], ax
        mov     al, [cs:si + DK_HEADS]
        mov     [cs:di + 2], al
        mov     al, [cs:si + DK_SPT]
        mov     [cs:di + 14], al
        mov     word [bx], di
        mov     word [bx + 2], BIOS_SEG
        ret

ata_delay:                              ; 400 ns: four reads of the alternate status
        push    ax
        push    dx
        mov     dx, [cs:si + DK_CTRL]
        in      al, dx
        in      al, dx
        in      al, dx
        in      al, dx
        pop     dx
        pop     ax
        ret

; ata_wait_notbusy: SI = entry → AL = status with BSY clear, CF = 1 on timeout
ata_wait_notbusy:
        push    dx
        push    ecx
        mov     dx, [cs:si + DK_IOBASE]
        add     dx, ATA_CMD
        mov     ecx, 0x400000
.w:     in      al, dx
        test    al, ST_BSY
        jz      .ok
        dec     ecx
        jnz     .w
        stc
        jmp     .r
.ok:    clc
.r:     pop     ecx
        pop     dx
        ret

; ata_rw: SI = entry, EAX = LBA, CX = sectors (>= 1, range already checked), ES:DI = buffer, BL = 0 read,
; 1 write. Out: CF = 0, or CF = 1 with AH = status (20h controller failure/device error, 80h timeout);
; CX = sectors moved either way.
ata_rw:
        push    es
        push    di
        push    edx
        push    ebp
        push    eax
        mov     ebp, eax                ; EBP = next LBA (the caller's frame pointer is saved above)
        mov     [cs:var_tmp], cx        ; remaining
        mov     word [cs:var_tmp + 2], 0        ; done
.chunk: mov     cx, [cs:var_tmp]
        test    cx, cx
        jz      .ok
        cmp     cx, 128
        jbe     .c
        mov     cx, 128
.c:     call    ata_wait_notbusy
        jc      .timeout
        call    ata_command             ; EBP = LBA, CX = count, BL = direction
        jc      .timeout
        push    cx
.sec:   call    ata_wait_notbusy
        jc      .timeout_p
        test    al, ST_ERR | ST_DF
        jnz     .err_p
        test    al, ST_DRQ
        jz      .err_p
        mov     ax, di                  ; normalize ES:DI so 512 bytes never wrap the offset
        shr     ax, 4
        mov     dx, es
        add     dx, ax
        mov     es, dx
        and     di, 0x0F
        push    cx
        mov     dx, [cs:si + DK_IOBASE]
        mov     cx, 256
        cld
        test    bl, bl
        jnz     .w
        rep     insw
        jmp     .moved
.w:     push    ds
        push    si
        push    es
        pop     ds
        mov     si, di
        rep     outsw
        mov     di, si
        pop     si
        pop     ds
.moved: pop     cx
        test    bl, bl
        jz      .cnt
        call    ata_delay               ; a written sector counts once the device took it
        call    ata_wait_notbusy
        jc      .timeout_p
        test    al, ST_ERR | ST_DF
        jnz     .err_p
.cnt:   inc     word [cs:var_tmp + 2]
        dec     word [cs:var_tmp]
        inc     ebp
        loop    .sec
        pop     cx
        jmp     .chunk
.ok:    clc
        jmp     .out
.timeout_p:
        pop     cx
.timeout:
        mov     ah, 0x80
        stc
        jmp     .out
.err_p: pop     cx
        mov     ah, 0x20
        stc
.out:   mov     cx, [cs:var_tmp + 2]
        pop     edx                     ; (the caller's EAX: AL is restored, AH keeps the status)
        mov     al, dl
        pop     ebp
        pop     edx
        pop     di
        pop     es
        ret

; ata_command: SI = entry, EBP = LBA, CX = count (1-128), BL = 0 read / 1 write. LBA28 when the request ends
; below 2^28, else LBA48 (EXT commands). CF = 1 if the device is not ready for it.
ata_command:
        push    ax
        push    dx
        mov     dx, [cs:si + DK_IOBASE]
        mov     eax, ebp
        add     eax, ecx                ; ECX high half is 0 in callers (CX <= 128)
        cmp     eax, 0x0FFFFFFF
        jbe     .lba28
        cmp     byte [cs:si + DK_LBA48], 0
        je      .fail
        add     dx, ATA_DEV
        mov     al, [cs:si + DK_DEVSEL]
        or      al, 0x40
        out     dx, al
        call    ata_delay
        sub     dx, ATA_DEV - ATA_COUNT
        xor     al, al
        out     dx, al                  ; count 15:8
        inc     dx
        mov     eax, ebp
        shr     eax, 24
        out     dx, al                  ; LBA 31:24
        inc     dx
        xor     al, al
        out     dx, al                  ; LBA 39:32
        inc     dx
        out     dx, al                  ; LBA 47:40
        sub     dx, 3
        mov     al, cl
        out     dx, al                  ; count 7:0
        inc     dx
        mov     eax, ebp
        out     dx, al
        inc     dx
        shr     eax, 8
        out     dx, al
        inc     dx
        shr     eax, 8
        out     dx, al
        add     dx, 2
        mov     al, 0x24                ; READ SECTORS EXT
        test    bl, bl
        jz      .go
        mov     al, 0x34                ; WRITE SECTORS EXT
        jmp     .go
.lba28: add     dx, ATA_DEV
        mov     eax, ebp
        shr     eax, 24
        and     al, 0x0F
        or      al, [cs:si + DK_DEVSEL]
        or      al, 0x40
        out     dx, al
        call    ata_delay
        sub     dx, ATA_DEV - ATA_COUNT
        mov     al, cl
        out     dx, al
        inc     dx
        mov     eax, ebp
        out     dx, al
        inc     dx
        shr     eax, 8
        out     dx, al
        inc     dx
        shr     eax, 8
        out     dx, al
        add     dx, 2
        mov     al, 0x20                ; READ SECTORS
        test    bl, bl
        jz      .go
        mov     al, 0x30                ; WRITE SECTORS
.go:    out     dx, al
        call    ata_delay
        pop     dx
        pop     ax
        clc
        ret
.fail:  pop     dx
        pop     ax
        stc
        ret

; ---- INT 13h ----
; frame after pushad + push ds + push es (BP = SP)
R_ES    equ 0
R_DS    equ 2
R_DI    equ 4
R_SI    equ 8
R_BX    equ 20
R_DX    equ 24
R_CX    equ 28
R_AX    equ 32
R_FLAGS equ 40

int13:
        sti
        pushad
        push    ds
        push    es
        mov     bp, sp
        cld
        cmp     dl, 0x80
        jb      .nodrive
        mov     al, dl
        sub     al, 0x80
        cmp     al, [cs:var_disks]
        jae     .nodrive
        mov     ah, DK_SIZE
        mul     ah
        add     ax, var_disk_table
        mov     si, ax                  ; SI = the disk's entry (CS-relative)
        mov     ax, [bp + R_AX]
        cmp     ah, 0x00
        je      .ok
        cmp     ah, 0x01
        je      .status
        cmp     ah, 0x02
        je      chs_rw
        cmp     ah, 0x03
        je      chs_rw
        cmp     ah, 0x04
        je      chs_rw
        cmp     ah, 0x08
        je      .params
        cmp     ah, 0x0C
        je      chs_rw
        cmp     ah, 0x0D                ; alternate disk reset
        je      .ok
        cmp     ah, 0x10
        je      .ok                     ; test drive ready: it answered IDENTIFY and stays polled
        cmp     ah, 0x11                ; recalibrate
        je      .ok
        cmp     ah, 0x15
        je      .type
        cmp     ah, 0x41
        je      .edd_check
        cmp     ah, 0x42
        je      edd_rw
        cmp     ah, 0x43
        je      edd_rw
        cmp     ah, 0x44
        je      edd_rw
        cmp     ah, 0x47
        je      edd_rw
        cmp     ah, 0x48
        je      edd_params
        mov     dl, 0x13
        call    log_unsupported
        mov     al, 0x01
        jmp     int13_done
.nodrive:
        mov     ax, [bp + R_AX]
        mov     al, 0x01                ; no such drive: invalid parameter
        cmp     ah, 0x15                ; AH=15h for an absent drive: AH = 0 (not present), CF = 0
        jne     int13_done
        mov     byte [bp + R_AX + 1], 0
        and     byte [bp + R_FLAGS], 0xFE
        jmp     int13_ret
.ok:    xor     al, al
        jmp     int13_done
.status:                                ; last status, which this call does not change
        push    ds
        xor     ax, ax
        mov     ds, ax
        mov     al, [0x400 + BDA_HDSTATUS]
        pop     ds
        mov     [bp + R_AX + 1], al
        or      byte [bp + R_FLAGS], 0x01
        test    al, al
        jnz     int13_ret
        and     byte [bp + R_FLAGS], 0xFE
        jmp     int13_ret
.params:                                ; AH=08h: CH/CL/DH = max cylinder/sector/head, DL = drives
        mov     ax, [cs:si + DK_CYLS]
        dec     ax
        mov     [bp + R_CX + 1], al     ; CH = cylinder bits 7:0
        shr     ax, 2
        and     al, 0xC0
        or      al, [cs:si + DK_SPT]
        mov     [bp + R_CX], al         ; CL = cylinder bits 9:8 << 6 | sectors
        mov     al, [cs:si + DK_HEADS]
        dec     al
        mov     [bp + R_DX + 1], al
        mov     al, [cs:var_disks]
        mov     [bp + R_DX], al
        mov     byte [bp + R_AX], 0
        mov     byte [bp + R_BX], 0
        xor     al, al
        jmp     int13_done
.type:                                  ; AH=15h: AH = 03h (fixed disk), CX:DX = sectors addressable by CHS
        movzx   eax, word [cs:si + DK_CYLS]
        movzx   ecx, word [cs:si + DK_HEADS]
        imul    eax, ecx
        movzx   ecx, word [cs:si + DK_SPT]
        imul    eax, ecx
        mov     [bp + R_DX], ax
        shr     eax, 16
        mov     [bp + R_CX], ax
        mov     byte [bp + R_AX + 1], 0x03
        and     byte [bp + R_FLAGS], 0xFE
        jmp     int13_ret
.edd_check:                             ; AH=41h, BX = 55AAh → BX = AA55h, AH = 30h (EDD 3.0), CX = 0101b
        cmp     word [bp + R_BX], 0x55AA
        mov     al, 0x01
        jne     int13_done
        mov     word [bp + R_BX], 0xAA55
        mov     word [bp + R_CX], 0x0005        ; bit 0: 42h-44h, 47h, 48h; bit 2: EDD (48h with DPTE)
        mov     byte [bp + R_AX + 1], 0x30
        and     byte [bp + R_FLAGS], 0xFE
        jmp     int13_ret

; int13_done: AL = status → AH, the BDA's last status, CF = status != 0
int13_done:
        mov     [bp + R_AX + 1], al
        push    ds
        push    bx
        xor     bx, bx
        mov     ds, bx
        mov     [0x400 + BDA_HDSTATUS], al
        pop     bx
        pop     ds
        and     byte [bp + R_FLAGS], 0xFE
        test    al, al
        jz      int13_ret
        or      byte [bp + R_FLAGS], 0x01
int13_ret:
        pop     es
        pop     ds
        popad
        iret

; range check: EAX = LBA, ECX = count (>= 1) against entry SI. CF = 1 if any sector lies beyond the disk.
lba_range:
        push    edx
        push    eax
        add     eax, ecx
        jc      .bad
        cmp     dword [cs:si + DK_SECTORS + 4], 0
        jne     .ok
        cmp     eax, [cs:si + DK_SECTORS]
        ja      .bad
.ok:    pop     eax
        pop     edx
        clc
        ret
.bad:   pop     eax
        pop     edx
        stc
        ret

; AH = 02h read, 03h write, 04h verify, 0Ch seek: CHS in CX/DH, AL = count (02-04h), ES:BX = buffer
chs_rw:
        mov     dl, ah                  ; DL = function
        movzx   ecx, byte [bp + R_CX]
        and     cl, 0x3F                ; sector (1-based)
        jz      .badparam
        cmp     cx, [cs:si + DK_SPT]
        ja      .notfound
        movzx   eax, byte [bp + R_CX + 1]
        mov     bl, [bp + R_CX]
        shr     bl, 6
        mov     ah, bl                  ; EAX = cylinder
        cmp     ax, [cs:si + DK_CYLS]
        jae     .notfound
        movzx   ebx, byte [bp + R_DX + 1]
        cmp     bx, [cs:si + DK_HEADS]
        jae     .notfound
        movzx   edi, word [cs:si + DK_HEADS]
        imul    eax, edi
        add     eax, ebx
        movzx   edi, word [cs:si + DK_SPT]
        imul    eax, edi
        lea     eax, [eax + ecx - 1]    ; EAX = LBA
        movzx   ecx, byte [bp + R_AX]   ; count
        cmp     dl, 0x0C
        jne     .count
        mov     ecx, 1                  ; seek: the addressed sector must exist
.count: test    ecx, ecx
        jz      .badparam
        call    lba_range
        jc      .notfound
        cmp     dl, 0x02
        je      .read
        cmp     dl, 0x03
        je      .write
        xor     al, al                  ; verify and seek: the sectors exist; nothing to move
        jmp     int13_done
.read:  xor     bl, bl
        jmp     .xfer
.write: mov     bl, 1
.xfer:  mov     es, [bp + R_ES]
        mov     di, [bp + R_BX]
        call    ata_rw
        mov     [bp + R_AX], cl         ; AL = sectors transferred
        mov     al, 0
        jnc     int13_done
        mov     al, ah
        jmp     int13_done
.badparam:
        mov     al, 0x01
        jmp     int13_done
.notfound:
        mov     al, 0x04
        jmp     int13_done

; AH = 42h read, 43h write, 44h verify, 47h seek: DS:SI = disk address packet (EDD 3.0): size, 0, count,
; buffer seg:off, LBA (64-bit)
edd_rw:
        mov     dl, ah
        mov     ds, [bp + R_DS]
        mov     bx, [bp + R_SI]
        cmp     byte [bx], 0x10
        jb      .badparam
        cmp     dl, 0x43
        jne     .nowf
        cmp     byte [bp + R_AX], 2     ; write flags: 0/1 no verify, 2 verify
        ja      .badparam
.nowf:  movzx   ecx, word [bx + 2]
        cmp     dl, 0x47
        jne     .c
        mov     ecx, 1
.c:     cmp     ecx, 127
        ja      .badparam
        cmp     dword [bx + 4], 0xFFFFFFFF      ; "use the 64-bit flat address": not supported
        jne     .buf
        cmp     byte [bx], 0x18
        jae     .badparam
.buf:   mov     eax, [bx + 8]
        cmp     dword [bx + 12], 0
        jne     .notfound
        jecxz   .none
        call    lba_range
        jc      .notfound
        cmp     dl, 0x42
        je      .read
        cmp     dl, 0x43
        je      .write
.none:  xor     al, al
        jmp     int13_done
.read:
.write: les     di, [bx + 4]
        push    bx
        mov     bl, dl
        sub     bl, 0x42                ; 0 read, 1 write
        call    ata_rw
        pop     bx
        mov     [bx + 2], cx            ; sectors transferred
        mov     al, 0
        jnc     int13_done
        mov     al, ah
        jmp     int13_done
.badparam:
        mov     word [bx + 2], 0
        mov     al, 0x01
        jmp     int13_done
.notfound:
        mov     word [bx + 2], 0
        mov     al, 0x04
        jmp     int13_done

; AH = 48h: drive parameters (EDD 3.0) into DS:SI; the caller's buffer size says how much is filled: 1Ah (1.x),
; 1Eh (2.0: DPTE pointer), 42h (Phoenix EDD 3.0 device path) or 4Ah (T13 EDD 3.0, 16-byte device path)
edd_params:
        mov     es, [bp + R_DS]
        mov     di, [bp + R_SI]
        mov     ax, [es:di]
        cmp     ax, 0x1A
        jb      .bad
        mov     dx, 0x4A
        cmp     ax, dx
        jae     .sz
        mov     dx, 0x42
        cmp     ax, dx
        jae     .sz
        mov     dx, 0x1E
        cmp     ax, dx
        jae     .sz
        mov     dx, 0x1A
.sz:    push    di                      ; clear what we fill
        mov     cx, dx
        xor     al, al
        rep     stosb
        pop     di
        mov     [es:di], dx
        mov     word [es:di + 2], 0x0002        ; CHS information is valid
        movzx   eax, word [cs:si + DK_PCYLS]
        mov     [es:di + 4], eax
        movzx   eax, word [cs:si + DK_PHEADS]
        mov     [es:di + 8], eax
        movzx   eax, word [cs:si + DK_PSPT]
        mov     [es:di + 12], eax
        mov     eax, [cs:si + DK_SECTORS]
        mov     [es:di + 16], eax
        mov     eax, [cs:si + DK_SECTORS + 4]
        mov     [es:di + 20], eax
        mov     word [es:di + 24], 512
        cmp     dx, 0x1E
        jb      .done
        lea     ax, [si + DK_DPTE]
        mov     [es:di + 26], ax
        mov     word [es:di + 28], BIOS_SEG
        cmp     dx, 0x42
        jb      .done
        mov     word [es:di + 0x1E], 0xBEDD
        mov     al, dl
        sub     al, 0x1E
        mov     [es:di + 0x20], al      ; length of the device path information, from the key
        mov     dword [es:di + 0x24], 'ISA '
        mov     ax, [cs:si + DK_IOBASE]
        mov     [es:di + 0x30], ax      ; ISA interface path: the base address
        cmp     byte [cs:var_ide_pci], 0
        je      .ata
        mov     dword [es:di + 0x24], 'PCI '
        mov     dword [es:di + 0x30], 0x00000100 ; bus 0, device 1, function 1, channel below
        mov     al, [cs:si + DK_CHANNEL]
        mov     [es:di + 0x33], al
.ata:   mov     dword [es:di + 0x28], 'ATA '
        mov     dword [es:di + 0x2C], '    '
        mov     al, [cs:si + DK_DEVSEL]
        shr     al, 4
        and     al, 1
        mov     [es:di + 0x38], al      ; ATA device path: 0 master, 1 slave
        mov     bx, 0x1E                ; checksum: bytes 1Eh .. size-1 sum to 0
        xor     al, al
.sum:   add     al, [es:di + bx]
        inc     bx
        cmp     bx, dx
        jb      .sum
        neg     al
        mov     bx, dx
        dec     bx
        add     bx, di
        mov     [es:bx], al
.done:  xor     al, al
        jmp     int13_done
.bad:   mov     al, 0x01
        jmp     int13_done
