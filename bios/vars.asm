; vars.asm — the firmware's variables, at the start of the F segment (writable RAM after POST's shadowing).
; 16-bit code reads them with CS: (or DS = 0xF000); 32-bit code at F(label).
        align   16
var_ram_top:    dd 0                    ; bytes of RAM below the PCI hole (end of the ACPI region)
var_ram_size:   dd 0                    ; what fw_cfg or the CMOS said
var_acpi_base:  dd 0                    ; start of the ACPI region (RAM top - ACPI_SIZE)
var_fwcfg:      db 0                    ; 1: fw_cfg present, 2: present with DMA
var_ide_pci:    db 0                    ; 1: PIIX IDE function found (00:01.1)
var_pm_pci:     db 0                    ; 1: PIIX4 ACPI PM function found and enabled
var_disks:      db 0                    ; number of ATA disks (= BDA 0x475)
var_pci_io:     dd 0                    ; next free PCI I/O address
var_pci_mem:    dd 0                    ; next free PCI memory address
var_pci_count:  dw 0                    ; PCI functions found
var_boot_kind:  db 0                    ; set by boot32: 0 none, 1 Linux loaded
                db 0
var_linux_seg:  dw 0                    ; real-mode segment of the loaded Linux setup
var_e820_count: dw 0
        align   4
var_e820:       times E820_MAX * 20 db 0
        align   16
var_disk_table: times MAX_DISKS * DK_SIZE db 0
        align   16
var_dma:        times 16 db 0           ; FWCfgDmaAccess (big endian): control, length, address
; call32 state
c32_fn:         dd 0
c32_ssbase:     dd 0
c32_eax:        dd 0
c32_ss:         dw 0
; log-once bitmap: 8 groups (INT 10h,13h,15h,16h,1Ah,14h,17h,other) x 256 AH values
        align   4
var_logged:     times 256 db 0
var_unhandled:  times 32 db 0           ; unhandled vectors already logged
var_tmp:        times 64 db 0
