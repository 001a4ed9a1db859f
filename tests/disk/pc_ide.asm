; pc_ide.asm — the disk path end to end, as firmware drives it: the guest enables the PIIX3 IDE function (BAR4,
; I/O + bus master, IDETIM decode) and the PIIX4 PM function (PMBA 0x600) through PCI configuration space, then
;  - IDENTIFY DEVICE (PIO): a fixed ATA device (word 0), LBA28 capacity (words 60-61) = 2048, and the word 255
;    checksum when its signature A5h says it is valid (pcjit always sets it; QEMU 7.2 leaves word 255 zero);
;  - READ SECTORS of LBA 1-2 (PIO, two DRQ blocks): the markers run-disk.sh wrote into the image;
;  - WRITE SECTORS of LBA 5 (PIO) and WRITE DMA of LBA 6 (bus master, one PRD entry, EOT);
;  - READ DMA of LBA 5-6 into two PRD regions: both writes read back; bus master status = interrupt, not active;
;  - FLUSH CACHE; then, with every check passed, "PASS" and ACPI soft off (PM1_CNT SLP_EN, SLP_TYP 0): the
;    emulator must exit with status 0. A failed check leaves through isa-debug-exit (status 3).
; run-disk.sh then checks that sectors 5 and 6 are in the image file (or, with -snapshot, that it is unchanged).
; Runs under pcjit -machine pc and qemu-system-i386 -machine pc alike (both have this chipset at these addresses).
%include "lib.inc"

BM              equ 0xC000
PMB             equ 0x600
IDBUF           equ SCRATCH
RDBUF           equ SCRATCH + 0x1000
WRBUF           equ SCRATCH + 0x2000
DMAWR           equ SCRATCH + 0x3000
PRD             equ SCRATCH + 0x4000
DMARD0          equ SCRATCH + 0x5000
DMARD1          equ SCRATCH + 0x6000

; PCI_W32 bus:dev.fn register value
%macro PCI_W32 3
        mov     eax, 0x80000000 | ((%1) << 8) | (%2)
        mov     dx, 0xCF8
        out     dx, eax
        mov     eax, %3
        mov     dx, 0xCFC
        out     dx, eax
%endmacro
%macro OUTB 2
        mov     dx, %1
        mov     al, %2
        out     dx, al
%endmacro
%macro INB 1
        mov     dx, %1
        in      al, dx
        movzx   eax, al
%endmacro

test_main:
        PCI_W32 (1 << 3 | 1), 0x20, BM | 1
        PCI_W32 (1 << 3 | 1), 0x04, 0x0005              ; I/O space, bus master
        PCI_W32 (1 << 3 | 1), 0x40, 0x80008000          ; IDETIM: decode both channels
        PCI_W32 (1 << 3 | 3), 0x40, PMB | 1
        PCI_W32 (1 << 3 | 3), 0x80, 0x01                ; PMREGMISC: PM I/O on
        OUTB    0x1F6, 0xA0
        call    wait_ready
        CHECK   "ready_status", eax, 0x50

        ; IDENTIFY
        OUTB    0x1F7, 0xEC
        call    wait_drq
        mov     edi, IDBUF
        mov     ecx, 256
        mov     dx, 0x1F0
        rep insw
        movzx   eax, word [IDBUF]
        CHECK   "identify_word0_fixed_ata", eax, 0x0040
        CHECK   "identify_lba28_sectors", [IDBUF + 60 * 2], 2048
        xor     eax, eax
        cmp     byte [IDBUF + 510], 0xA5
        jne     .nosum
        mov     esi, IDBUF
        mov     ecx, 512
.sum:   add     al, [esi]
        inc     esi
        loop    .sum
.nosum: CHECK   "identify_checksum", eax, 0
        INB     0x1F7
        CHECK   "identify_done_status", eax, 0x50

        ; READ SECTORS LBA 1, 2 sectors
        mov     ebx, 1
        mov     cl, 2
        call    set_lba
        OUTB    0x1F7, 0x20
        mov     edi, RDBUF
        call    wait_drq
        mov     ecx, 256
        mov     dx, 0x1F0
        rep insw
        call    wait_drq
        mov     ecx, 256
        mov     dx, 0x1F0
        rep insw
        call    wait_ready
        CHECK   "pio_read_status", eax, 0x50
        CHECK   "pio_read_sector1", [RDBUF], 'SEC1'
        CHECK   "pio_read_sector2", [RDBUF + 512], 'SEC2'

        ; WRITE SECTORS LBA 5: 0xA5 bytes
        mov     edi, WRBUF
        mov     eax, 0xA5A5A5A5
        mov     ecx, 128
        rep stosd
        mov     ebx, 5
        mov     cl, 1
        call    set_lba
        OUTB    0x1F7, 0x30
        call    wait_drq
        mov     esi, WRBUF
        mov     ecx, 256
        mov     dx, 0x1F0
        rep outsw
        call    wait_ready
        CHECK   "pio_write_status", eax, 0x50

        ; WRITE DMA LBA 6: dwords 0x600000 + i
        mov     edi, DMAWR
        mov     eax, 0x600000
        mov     ecx, 128
.fill:  stosd
        inc     eax
        loop    .fill
        mov     dword [PRD], DMAWR
        mov     dword [PRD + 4], 0x80000000 | 512
        mov     ebx, 6
        mov     cl, 1
        mov     ah, 0xCA
        mov     al, 0x00                                 ; bus master reads memory
        call    dma_cmd
        CHECK   "dma_write_bm_status", eax, 0x04
        call    wait_ready
        CHECK   "dma_write_status", eax, 0x50

        ; READ DMA LBA 5-6 into two regions
        mov     dword [PRD], DMARD0
        mov     dword [PRD + 4], 512
        mov     dword [PRD + 8], DMARD1
        mov     dword [PRD + 12], 0x80000000 | 512
        mov     ebx, 5
        mov     cl, 2
        mov     ah, 0xC8
        mov     al, 0x08                                 ; bus master writes memory
        call    dma_cmd
        CHECK   "dma_read_bm_status", eax, 0x04
        call    wait_ready
        CHECK   "dma_read_status", eax, 0x50
        CHECK   "dma_read_sector5", [DMARD0 + 508], 0xA5A5A5A5
        CHECK   "dma_read_sector6_first", [DMARD1], 0x600000
        CHECK   "dma_read_sector6_last", [DMARD1 + 508], 0x60007F

        OUTB    0x1F7, 0xE7                              ; FLUSH CACHE
        call    wait_ready
        CHECK   "flush_status", eax, 0x50

        cmp     dword [fail_count], 0
        jne     .out
        mov     esi, msg_pass
        call    puts
        mov     dx, PMB + 4                              ; PM1_CNT: SLP_TYP 0 (soft off), SLP_EN
        mov     ax, 0x2000
        out     dx, ax
        mov     ecx, 200000000                           ; QEMU acts on the request a little later
.spin:  loop    .spin
        PRINT   "FAIL soft_off_did_not_power_off"
        mov     al, 1
        out     0xF4, al
.out:   ret

; EBX = LBA, CL = count: device 0, LBA mode
set_lba:
        OUTB    0x1F6, 0xE0
        mov     dx, 0x1F2
        mov     al, cl
        out     dx, al
        mov     eax, ebx
        mov     dx, 0x1F3
        out     dx, al
        shr     eax, 8
        inc     dx
        out     dx, al
        shr     eax, 8
        inc     dx
        out     dx, al
        ret

; AH = command, AL = bus master direction, EBX/CL = LBA/count; PRD table at PRD. Returns the bus master status
; (bits 2:0) after the interrupt bit came up (or the wait gave up), the engine stopped.
dma_cmd:
        push    eax
        mov     dx, BM + 4
        mov     eax, PRD
        out     dx, eax
        mov     eax, [esp]
        mov     dx, BM
        out     dx, al                                   ; direction, stopped
        mov     dx, BM + 2
        mov     al, 0x06                                 ; clear interrupt and error
        out     dx, al
        call    set_lba
        mov     eax, [esp]
        mov     al, ah
        mov     dx, 0x1F7
        out     dx, al
        pop     eax
        or      al, 1
        mov     dx, BM
        out     dx, al                                   ; start
        mov     ecx, 10000000
        mov     dx, BM + 2
.wait:  in      al, dx
        test    al, 0x04
        jnz     .done
        loop    .wait
.done:  in      al, dx
        and     eax, 7
        push    eax
        mov     dx, BM
        xor     al, al
        out     dx, al                                   ; stop
        mov     dx, BM + 2
        mov     al, 0x06
        out     dx, al
        pop     eax
        ret

; wait until BSY is clear; EAX = status
wait_ready:
        mov     ecx, 10000000
        mov     dx, 0x1F7
.l:     in      al, dx
        test    al, 0x80
        jz      .d
        loop    .l
.d:     movzx   eax, al
        ret

; wait until DRQ is set (BSY clear); EAX = status
wait_drq:
        push    ecx
        mov     ecx, 10000000
        mov     dx, 0x1F7
.l:     in      al, dx
        and     al, 0x88
        cmp     al, 0x08
        je      .d
        loop    .l
.d:     movzx   eax, al
        pop     ecx
        ret

        IMAGE_END
