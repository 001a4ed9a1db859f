; acpi.asm — ACPI tables for the PIIX4 PM block (ACPI 2.0; the PM registers at 0x600: PM1a_EVT +0, PM1a_CNT +4,
; PM_TMR +8, GPE0 +0xC), copied from templates into the ACPI region at the top of RAM (E820 type 3) with their
; addresses filled and checksums computed here:
;   ACPI region + 0x000 FACS (64-byte aligned: ACPI 2.0 5.2.9), +0x040 RSDT, +0x080 XSDT, +0x100 FADT, +0x200 DSDT;
;   the RSDP in the F segment (16-byte aligned, found by the 0xE0000-0xFFFFF scan: ACPI 2.0 5.2.4.1).
; The DSDT is hand-assembled AML (ACPI 2.0 chapter 16): \_S5 (PIIX4 soft-off SLP_TYP = 0), \_PIC, and the PCI
; root bridge \_SB.PCI0 (PNP0A03) with its bus/I/O/memory windows (_CRS) and the static routing table (_PRT:
; slot s pin p → IRQ of PIRQ (s - 1 + p) mod 4, GSIs 10/11, level, active low as ISA-bridged PCI interrupts are).
; Left out: MADT (no APIC yet), HPET, SSDT, processor objects, sleep states other than S5.

ACPI_FACS       equ 0x000
ACPI_RSDT       equ 0x040
ACPI_XSDT       equ 0x080
ACPI_FADT       equ 0x100
ACPI_DSDT       equ 0x200

acpi_build:
        mov     ebp, [F(var_acpi_base)]
        mov     edi, ebp                ; clear the region
        mov     ecx, ACPI_SIZE / 4
        xor     eax, eax
        rep     stosd
        ; FACS
        lea     edi, [ebp + ACPI_FACS]
        mov     esi, facs_tpl
        mov     ecx, facs_end - facs_tpl
        rep     movsb
        ; DSDT
        lea     edi, [ebp + ACPI_DSDT]
        mov     esi, dsdt_tpl
        mov     ecx, dsdt_end - dsdt_tpl
        rep     movsb
        lea     esi, [ebp + ACPI_DSDT]
        mov     ecx, dsdt_end - dsdt_tpl
        mov     edx, 9
        call    checksum8
        ; FADT
        lea     edi, [ebp + ACPI_FADT]
        mov     esi, fadt_tpl
        mov     ecx, fadt_end - fadt_tpl
        rep     movsb
        lea     eax, [ebp + ACPI_FACS]
        mov     [ebp + ACPI_FADT + 36], eax             ; FIRMWARE_CTRL
        mov     [ebp + ACPI_FADT + 132], eax            ; X_FIRMWARE_CTRL
        lea     eax, [ebp + ACPI_DSDT]
        mov     [ebp + ACPI_FADT + 40], eax             ; DSDT
        mov     [ebp + ACPI_FADT + 140], eax            ; X_DSDT
        lea     esi, [ebp + ACPI_FADT]
        mov     ecx, fadt_end - fadt_tpl
        mov     edx, 9
        call    checksum8
        ; RSDT: one entry, the FADT
        lea     edi, [ebp + ACPI_RSDT]
        mov     esi, rsdt_tpl
        mov     ecx, rsdt_end - rsdt_tpl
        rep     movsb
        lea     eax, [ebp + ACPI_FADT]
        mov     [ebp + ACPI_RSDT + 36], eax
        lea     esi, [ebp + ACPI_RSDT]
        mov     ecx, rsdt_end - rsdt_tpl
        mov     edx, 9
        call    checksum8
        ; XSDT: the same entry, 64-bit
        lea     edi, [ebp + ACPI_XSDT]
        mov     esi, xsdt_tpl
        mov     ecx, xsdt_end - xsdt_tpl
        rep     movsb
        lea     eax, [ebp + ACPI_FADT]
        mov     [ebp + ACPI_XSDT + 36], eax
        lea     esi, [ebp + ACPI_XSDT]
        mov     ecx, xsdt_end - xsdt_tpl
        mov     edx, 9
        call    checksum8
        ; RSDP (ACPI 2.0 5.2.4.3): checksum over the first 20 bytes, extended checksum over all 36
        mov     esi, F(rsdp)
        lea     eax, [ebp + ACPI_RSDT]
        mov     [esi + 16], eax
        lea     eax, [ebp + ACPI_XSDT]
        mov     [esi + 24], eax
        mov     dword [esi + 28], 0
        mov     ecx, 20
        mov     edx, 8
        call    checksum8
        mov     ecx, 36
        mov     edx, 32
        call    checksum8
        ret

; ACPI table header (ACPI 2.0 5.2.6): signature, length, revision, checksum (computed), OEM fields
%macro ACPI_HEADER 3                    ; signature, end label, revision
        db      %1
        dd      %2 - $ + 4
        db      %3
        db      0
        db      'PCJIT '
        db      'PCJITBIO'
        dd      1
        db      'PCJT'
        dd      1
%endmacro

        align   4
facs_tpl:                               ; ACPI 2.0 5.2.9
        db      'FACS'
        dd      64
        dd      0                       ; hardware signature
        dd      0                       ; firmware waking vector
        dd      0                       ; global lock
        dd      0                       ; flags (no S4BIOS)
        dq      0                       ; X firmware waking vector
        db      1                       ; version
        times   31 db 0
facs_end:

rsdt_tpl:
        ACPI_HEADER 'RSDT', rsdt_end, 1
        dd      0                       ; → FADT
rsdt_end:
xsdt_tpl:
        ACPI_HEADER 'XSDT', xsdt_end, 1
        dq      0                       ; → FADT
xsdt_end:

fadt_tpl:                               ; ACPI 2.0 5.2.8, revision 3, 244 bytes
        ACPI_HEADER 'FACP', fadt_end, 3
        dd      0                       ;  36 FIRMWARE_CTRL (filled)
        dd      0                       ;  40 DSDT (filled)
        db      0                       ;  44 reserved (ACPI 1.0 INT_MODEL: dual 8259)
        db      0                       ;  45 preferred PM profile: unspecified
        dw      9                       ;  46 SCI_INT: the PIIX4 SCI is on IRQ 9
        dd      0                       ;  48 SMI_CMD: none, ACPI is always enabled (SCI_EN set at POST)
        db      0, 0, 0, 0              ;  52 ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
        dd      PM1_STS                 ;  56 PM1a_EVT_BLK
        dd      0                       ;  60 PM1b_EVT_BLK
        dd      PM1_CNT                 ;  64 PM1a_CNT_BLK
        dd      0                       ;  68 PM1b_CNT_BLK
        dd      0                       ;  72 PM2_CNT_BLK
        dd      PM_TMR                  ;  76 PM_TMR_BLK
        dd      GPE0_STS                ;  80 GPE0_BLK
        dd      0                       ;  84 GPE1_BLK
        db      4                       ;  88 PM1_EVT_LEN
        db      2                       ;  89 PM1_CNT_LEN
        db      0                       ;  90 PM2_CNT_LEN
        db      4                       ;  91 PM_TMR_LEN
        db      4                       ;  92 GPE0_BLK_LEN
        db      0                       ;  93 GPE1_BLK_LEN
        db      0                       ;  94 GPE1_BASE
        db      0                       ;  95 CST_CNT
        dw      0x0FFF                  ;  96 P_LVL2_LAT > 100: C2 not supported
        dw      0x0FFF                  ;  98 P_LVL3_LAT > 1000: C3 not supported
        dw      0, 0                    ; 100 FLUSH_SIZE, FLUSH_STRIDE
        db      0, 0                    ; 104 DUTY_OFFSET, DUTY_WIDTH
        db      0, 0                    ; 106 DAY_ALRM, MON_ALRM
        db      0x32                    ; 108 CENTURY: CMOS index of the century byte
        dw      0x0003                  ; 109 IAPC_BOOT_ARCH: LEGACY_DEVICES | 8042 (not legacy-free)
        db      0                       ; 111 reserved
        dd      (1 << 0) | (1 << 2) | (1 << 4) | (1 << 5)  ; 112 flags: WBINVD, PROC_C1, PWR_BUTTON and
                                        ;     SLP_BUTTON as control methods (none: no fixed buttons), 24-bit timer
        times   12 db 0                 ; 116 RESET_REG (not supported: flags bit 10 clear)
        db      0                       ; 128 RESET_VALUE
        times   3 db 0                  ; 129 reserved
        dq      0                       ; 132 X_FIRMWARE_CTRL (filled)
        dq      0                       ; 140 X_DSDT (filled)
        times   244 - 148 db 0          ; 148 X_PM1a_EVT_BLK .. X_GPE1_BLK: 0, the 32-bit blocks above apply
fadt_end:

; ---- DSDT in AML (ACPI 2.0 chapter 16). PkgLength is always encoded in two bytes (lead byte bits 7:6 = 01,
; bits 3:0 = length bits 3:0, next byte = bits 11:4: ACPI 2.0 16.2.4), enough for packages below 4 KiB ----
%macro PKGLEN 1                         ; %1 = the label ending the package
%%s:    db      0x40 | ((%1 - %%s) & 0x0F), ((%1 - %%s) >> 4) & 0xFF
%endmacro
AML_ZERO        equ 0x00
AML_ONE         equ 0x01
AML_NAME        equ 0x08
AML_BYTE        equ 0x0A
AML_DWORD       equ 0x0C
AML_SCOPE       equ 0x10
AML_BUFFER      equ 0x11
AML_PACKAGE     equ 0x12
AML_METHOD      equ 0x14
AML_EXTOP       equ 0x5B
AML_DEVICE      equ 0x82

dsdt_tpl:
        ACPI_HEADER 'DSDT', dsdt_end, 1 ; revision 1: 32-bit integers
        ; Name (\_S5, Package () { 0, 0, 0, 0 }): PIIX4 soft-off is SLP_TYP 0 (82371AB datasheet, PMCNTRL)
        db      AML_NAME, '\_S5_', AML_PACKAGE
        PKGLEN  .s5_end
        db      4, AML_ZERO, AML_ZERO, AML_ZERO, AML_ZERO
.s5_end:
        ; Method (\_PIC, 1) { } — the OS says PIC or APIC mode; with a static _PRT nothing changes
        db      AML_METHOD
        PKGLEN  .pic_end
        db      '\_PIC', 1
.pic_end:
        db      AML_SCOPE
        PKGLEN  .sb_end
        db      '\_SB_'
        db      AML_EXTOP, AML_DEVICE
        PKGLEN  .pci0_end
        db      'PCI0'
        db      AML_NAME, '_HID', AML_DWORD
        dd      0x030AD041              ; EisaId ("PNP0A03"): PCI host bridge
        db      AML_NAME, '_ADR', AML_ZERO
        db      AML_NAME, '_UID', AML_ZERO
        db      AML_NAME, '_BBN', AML_ZERO
        db      AML_NAME, '_CRS', AML_BUFFER
        PKGLEN  .crs_end
        db      AML_BYTE, .crs_data_end - .crs_data
.crs_data:                              ; resource descriptors (ACPI 2.0 6.4)
        ; WordBusNumber (producer, min fixed, max fixed): bus 0-0xFF
        db      0x88
        dw      13
        db      2, 0x0C, 0
        dw      0, 0, 0xFF, 0, 0x100
        ; IO (Decode16, 0xCF8, 0xCF8, 1, 8): the configuration ports
        db      0x47, 1
        dw      0xCF8, 0xCF8
        db      1, 8
        ; WordIO: 0-0xCF7 and 0xD00-0xFFFF
        db      0x88
        dw      13
        db      1, 0x0C, 3
        dw      0, 0, 0xCF7, 0, 0xCF8
        db      0x88
        dw      13
        db      1, 0x0C, 3
        dw      0, 0xD00, 0xFFFF, 0, 0xF300
        ; DWordMemory: legacy VGA window 0xA0000-0xBFFFF, and the PCI hole 0xE0000000-0xFEBFFFFF
        db      0x87
        dw      23
        db      0, 0x0C, 1
        dd      0, 0xA0000, 0xBFFFF, 0, 0x20000
        db      0x87
        dw      23
        db      0, 0x0C, 1
        dd      0, PCI_MEM_BASE, PCI_MEM_END - 1, 0, PCI_MEM_END - PCI_MEM_BASE
        db      0x79, 0                 ; end tag
.crs_data_end:
.crs_end:
        ; Name (_PRT, Package () { Package () { 0xSSSSFFFF, pin, 0, GSI }, ... }) for slots 1-31
        db      AML_NAME, '_PRT', AML_PACKAGE
        PKGLEN  .prt_end
        db      31 * 4
%assign slot 1
%rep 31
%assign pin 0
%rep 4
        db      AML_PACKAGE
        db      0x40 | 13, 0            ; PkgLength 13 (two-byte form, counts itself)
        db      4, AML_DWORD
        dd      (slot << 16) | 0xFFFF
        db      AML_BYTE, pin, AML_ZERO, AML_BYTE
%assign pirq (slot - 1 + pin) % 4
%if pirq < 2
        db      PIRQ_IRQ_A
%else
        db      PIRQ_IRQ_C
%endif
%assign pin pin + 1
%endrep
%assign slot slot + 1
%endrep
.prt_end:
.pci0_end:
.sb_end:
dsdt_end:
