/* test_bios.c — our firmware (build/bios/bios.bin) run in-process on the PC board (-machine pc without disks or
 * fw_cfg) until its "no bootable device" halt, under the interpreter and the JIT; then what POST left in memory and
 * in the chipset is checked: the IVT, the BDA, the ACPI tables (RSDP found by the spec's F-segment scan, both RSDP
 * checksums, RSDT/XSDT/FADT/DSDT/FACS checksums and the FADT's PM register blocks, \_S5 in the AML), the $PIR
 * table, the PIIX3 PIRQ routes and the ELCR; the POST line on COM1; and the keyboard path (i8042 scan codes →
 * IRQ1 → BDA ring → INT 16h).
 * Services are tested by guest programs (tests/bios/): this suite checks POST's results directly. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "pc.h"
#include "mmu.h"

#ifndef PCJIT_BIOS_BIN
#error "PCJIT_BIOS_BIN (path of build/bios/bios.bin) must be defined"
#endif

enum { RAM_MB = 32, BIOS_SIZE = 128 << 10 };

typedef struct Booted {
    Harness *h;
    PcBoard *pc;
    uint8_t *rom;
    FILE *serial;           /* what the firmware wrote on COM1 */
    ExecStop stop;
} Booted;

static uint8_t *load_bios(void)
{
    FILE *f = fopen(PCJIT_BIOS_BIN, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", PCJIT_BIOS_BIN);
    uint8_t *rom = malloc(BIOS_SIZE);
    ck_assert_ptr_nonnull(rom);
    ck_assert_int_eq(fread(rom, 1, BIOS_SIZE, f), BIOS_SIZE);
    fclose(f);
    return rom;
}

/* Reset a 32 MiB PC with the firmware and run it until it halts (it has nothing to boot). */
static void boot(Booted *b, const char *accel)
{
    b->h = harness_new(RAM_MB);
    ck_assert_ptr_nonnull(b->h);
    ck_assert(harness_set_accel(b->h, accel));
    b->rom = load_bios();
    Machine *m = b->h->m;
    m->rom = b->rom;
    m->rom_size = BIOS_SIZE;
    b->pc = calloc(1, sizeof(PcBoard));
    ck_assert_ptr_nonnull(b->pc);
    b->serial = tmpfile();
    ck_assert_ptr_nonnull(b->serial);
    PcConfig cfg = { .clock_mode = CLOCK_ICOUNT, .icount_shift = 4, .serial_out = b->serial, .serial_in_fd = -1,
                     .rtc_epoch = 0 };
    ck_assert_int_eq(pc_init(b->pc, m, &cfg), 0);
    cpu_reset(b->h->env);
    b->h->env->machine = m;
    b->h->env->ram = m->ram;
    b->h->env->ram_size = m->ram_size;
    bus_reset(m);
    tb_flush_all(b->h->env);
    tlb_flush_all(b->h->env);
    ExecOptions opt = b->h->opt;
    opt.stop_on_hlt = false;
    opt.max_insns = 20000000;
    b->stop = cpu_exec(b->h->env, &opt);
}

static void unboot(Booted *b)
{
    b->h->m->clock = NULL;
    b->h->m->rom = NULL;
    pc_free(b->pc);
    harness_free(b->h);
    free(b->pc);
    fclose(b->serial);
    free(b->rom);
}

static uint32_t rd32(Booted *b, uint32_t pa) { uint32_t v; harness_read(b->h, pa, &v, 4); return v; }
static uint16_t rd16(Booted *b, uint32_t pa) { uint16_t v; harness_read(b->h, pa, &v, 2); return v; }
static uint8_t rd8(Booted *b, uint32_t pa) { uint8_t v; harness_read(b->h, pa, &v, 1); return v; }

static uint8_t sum8(Booted *b, uint32_t pa, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + rd8(b, pa + i));
    return s;
}

/* The spec's search: a signature on a 16-byte boundary in 0xE0000-0xFFFFF; 0 if none. */
static uint32_t find_fseg(Booted *b, const char *sig, size_t n)
{
    char buf[8];
    for (uint32_t pa = 0xE0000; pa < 0x100000; pa += 16) {
        harness_read(b->h, pa, buf, (uint32_t)n);
        if (memcmp(buf, sig, n) == 0)
            return pa;
    }
    return 0;
}

static uint32_t pci_cfg_read(Booted *b, unsigned devfn, unsigned reg, int size)
{
    bus_io_write(b->h->m, 0xcf8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
    return bus_io_read(b->h->m, 0xcfc + (reg & 3), size);
}

static const char *const engines[] = { "interp", "jit" };

/* Everything the firmware printed on COM1 so far (NUL-terminated, at most cap - 1 bytes). */
static void serial_text(Booted *b, char *buf, size_t cap)
{
    fflush(b->serial);
    rewind(b->serial);
    size_t n = fread(buf, 1, cap - 1, b->serial);
    buf[n] = 0;
}

START_TEST(test_bios_post_halts_with_no_boot_device)
{
    Booted b;
    boot(&b, engines[_i]);
    ck_assert_msg(b.stop == STOP_HALT, "stop %s", harness_stop_name(b.stop));
    CpuState *env = b.h->env;
    ck_assert_uint_eq(env->seg[SEG_CS].sel, 0xF000);
    ck_assert_uint_eq(env->cr0 & CR0_PE, 0);     /* back in real mode */
    char out[1024];
    serial_text(&b, out, sizeof(out));
    ck_assert_msg(strstr(out, "pcjit BIOS: 32 MiB RAM, 0 disks, ") != NULL, "COM1: %s", out);
    ck_assert_msg(strstr(out, "pcjit BIOS: no bootable device, halted\r\n") != NULL, "COM1: %s", out);
    unboot(&b);
}
END_TEST

START_TEST(test_bios_ivt_bda)
{
    Booted b;
    boot(&b, engines[_i]);
    for (unsigned v = 0; v < 256; v++) {
        uint32_t e = rd32(&b, v * 4);
        if (v == 0x1D || v == 0x1F || (v >= 0x60 && v <= 0x67))
            ck_assert_msg(e == 0, "vector %02x = %08x, want 0", v, e);
        else
            ck_assert_msg(e >> 16 == 0xF000 && (e & 0xffff) != 0, "vector %02x = %08x", v, e);
    }
    /* distinct handlers for the services and IRQs that have one */
    ck_assert_uint_ne(rd32(&b, 0x13 * 4), rd32(&b, 0x14 * 4));
    ck_assert_uint_ne(rd32(&b, 0x08 * 4), rd32(&b, 0x09 * 4));
    ck_assert_uint_eq(rd16(&b, 0x400), 0x3F8);        /* COM1 */
    ck_assert_uint_eq(rd16(&b, 0x40E), 0x9FC0);       /* EBDA segment */
    ck_assert_uint_eq(rd16(&b, 0x410), 0x0226);       /* equipment */
    ck_assert_uint_eq(rd16(&b, 0x413), 639);          /* base memory below the EBDA */
    ck_assert_uint_eq(rd8(&b, 0x449), 3);             /* video mode */
    ck_assert_uint_eq(rd16(&b, 0x44A), 80);
    ck_assert_uint_eq(rd8(&b, 0x484), 24);
    ck_assert_uint_eq(rd8(&b, 0x475), 0);             /* no disks on this board */
    ck_assert_uint_eq(rd16(&b, 0x41A), rd16(&b, 0x41C));   /* empty keyboard ring */
    ck_assert_uint_eq(rd16(&b, 0x480), 0x1E);
    ck_assert_uint_eq(rd16(&b, 0x482), 0x3E);
    ck_assert_uint_eq(rd8(&b, 0x9FC00), 1);           /* EBDA size in KiB */
    unboot(&b);
}
END_TEST

START_TEST(test_bios_acpi_tables)
{
    Booted b;
    boot(&b, engines[_i]);
    uint32_t rsdp = find_fseg(&b, "RSD PTR ", 8);
    ck_assert_uint_ne(rsdp, 0);
    ck_assert_uint_eq(sum8(&b, rsdp, 20), 0);
    ck_assert_uint_eq(rd8(&b, rsdp + 15), 2);
    ck_assert_uint_eq(rd32(&b, rsdp + 20), 36);
    ck_assert_uint_eq(sum8(&b, rsdp, 36), 0);
    uint32_t top = RAM_MB << 20, acpi = top - 0x10000;
    uint32_t rsdt = rd32(&b, rsdp + 16), xsdt = rd32(&b, rsdp + 24);
    ck_assert_uint_ge(rsdt, acpi);
    ck_assert_uint_lt(rsdt, top);
    ck_assert_uint_eq(rd32(&b, rsdp + 28), 0);
    ck_assert_uint_eq(rd32(&b, rsdt), 0x54445352);            /* "RSDT" */
    ck_assert_uint_eq(rd32(&b, rsdt + 4), 40);
    ck_assert_uint_eq(sum8(&b, rsdt, 40), 0);
    ck_assert_uint_eq(rd32(&b, xsdt), 0x54445358);            /* "XSDT" */
    ck_assert_uint_eq(sum8(&b, xsdt, rd32(&b, xsdt + 4)), 0);
    uint32_t fadt = rd32(&b, rsdt + 36);
    ck_assert_uint_eq(rd32(&b, xsdt + 36), fadt);
    ck_assert_uint_eq(rd32(&b, fadt), 0x50434146);            /* "FACP" */
    uint32_t flen = rd32(&b, fadt + 4);
    ck_assert_uint_eq(flen, 244);
    ck_assert_uint_eq(sum8(&b, fadt, flen), 0);
    ck_assert_uint_eq(rd16(&b, fadt + 46), 9);                /* SCI_INT */
    ck_assert_uint_eq(rd32(&b, fadt + 48), 0);                /* SMI_CMD */
    ck_assert_uint_eq(rd32(&b, fadt + 56), 0x600);            /* PM1a_EVT_BLK */
    ck_assert_uint_eq(rd32(&b, fadt + 64), 0x604);            /* PM1a_CNT_BLK */
    ck_assert_uint_eq(rd32(&b, fadt + 76), 0x608);            /* PM_TMR_BLK */
    ck_assert_uint_eq(rd32(&b, fadt + 80), 0x60C);            /* GPE0_BLK */
    ck_assert_uint_eq(rd8(&b, fadt + 88), 4);
    ck_assert_uint_eq(rd8(&b, fadt + 89), 2);
    ck_assert_uint_eq(rd8(&b, fadt + 91), 4);
    ck_assert_uint_eq(rd8(&b, fadt + 92), 4);
    ck_assert_uint_eq(rd16(&b, fadt + 109), 3);               /* legacy devices, 8042 */
    uint32_t facs = rd32(&b, fadt + 36), dsdt = rd32(&b, fadt + 40);
    ck_assert_uint_eq(rd32(&b, fadt + 132), facs);
    ck_assert_uint_eq(rd32(&b, fadt + 140), dsdt);
    ck_assert_uint_eq(facs % 64, 0);
    ck_assert_uint_eq(rd32(&b, facs), 0x53434146);            /* "FACS" */
    ck_assert_uint_eq(rd32(&b, facs + 4), 64);
    ck_assert_uint_eq(rd32(&b, dsdt), 0x54445344);            /* "DSDT" */
    uint32_t dlen = rd32(&b, dsdt + 4);
    ck_assert_uint_gt(dlen, 36);
    ck_assert_uint_lt(dlen, 0x10000);
    ck_assert_uint_eq(sum8(&b, dsdt, dlen), 0);
    /* Name (\_S5_, Package (4) { 0, 0, 0, 0 }) right after the header */
    static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x47, 0x00, 0x04, 0, 0, 0, 0 };
    uint8_t got[sizeof(s5)];
    harness_read(b.h, dsdt + 36, got, sizeof(got));
    ck_assert_mem_eq(got, s5, sizeof(s5));
    unboot(&b);
}
END_TEST

START_TEST(test_bios_pci_routing)
{
    Booted b;
    boot(&b, engines[_i]);
    uint32_t pir = find_fseg(&b, "$PIR", 4);
    ck_assert_uint_ne(pir, 0);
    uint16_t size = rd16(&b, pir + 6);
    ck_assert_uint_eq(size, 32 + 16 * 31);
    ck_assert_uint_eq(sum8(&b, pir, size), 0);
    ck_assert_uint_eq(rd8(&b, pir + 9), 0x08);                /* router 00:01.0 */
    ck_assert_uint_eq(rd32(&b, pir + 12), 0x70008086);
    /* slot 2, INTA..INTD → links 61h, 62h, 63h, 60h (PIRQ (slot - 1 + pin) mod 4) */
    uint32_t e = pir + 32 + 16;
    ck_assert_uint_eq(rd8(&b, e + 1), 2 << 3);
    ck_assert_uint_eq(rd8(&b, e + 2), 0x61);
    ck_assert_uint_eq(rd8(&b, e + 5), 0x62);
    ck_assert_uint_eq(rd8(&b, e + 8), 0x63);
    ck_assert_uint_eq(rd8(&b, e + 11), 0x60);
    ck_assert_uint_eq(pci_cfg_read(&b, 0x08, 0x60, 4), 0x0B0B0A0Au);   /* PIRQA-D → IRQ 10, 10, 11, 11 */
    ck_assert_uint_eq(bus_io_read(b.h->m, 0x4d0, 1), 0x00);
    ck_assert_uint_eq(bus_io_read(b.h->m, 0x4d1, 1), 0x0C);            /* IRQ 10 and 11 level */
    ck_assert_uint_eq(pci_cfg_read(&b, 0x00, 0x59, 1) & 0x30, 0x30);   /* F segment shadowed read/write */
    unboot(&b);
}
END_TEST

/* The IRQ1 handler turns the i8042's (translated) scan codes into the BDA ring and INT 16h hands them out:
 * a real-mode program reads two keys, 'a' and Shift+'a', then peeks at the empty ring. */
START_TEST(test_bios_keyboard_int16)
{
    static const uint8_t prog[] = {
        0xFB,                               /* sti */
        0xB4, 0x00, 0xCD, 0x16,             /* mov ah, 0; int 16h */
        0xA3, 0x00, 0x07,                   /* mov [0x700], ax */
        0xB4, 0x00, 0xCD, 0x16,
        0xA3, 0x02, 0x07,                   /* mov [0x702], ax */
        0xB4, 0x01, 0xCD, 0x16,             /* mov ah, 1; int 16h */
        0x9C, 0x58, 0xA3, 0x04, 0x07,       /* pushf; pop ax; mov [0x704], ax */
        0xFA, 0xF4,                         /* cli; hlt */
    };
    /* set 2: 'a' make 1C, break F0 1C; left shift 12 (the i8042 translates to set 1: 1E, 2A) */
    static const uint8_t keys[] = { 0x1C, 0xF0, 0x1C, 0x12, 0x1C, 0xF0, 0x1C, 0xF0, 0x12 };
    Booted b;
    boot(&b, engines[_i]);
    ck_assert_int_eq(b.stop, STOP_HALT);
    harness_write(b.h, 0x600, prog, sizeof(prog));
    harness_fill(b.h, 0x700, 0, 6);
    harness_set_seg_real(b.h, SEG_CS, 0);
    harness_set_seg_real(b.h, SEG_DS, 0);
    harness_set_seg_real(b.h, SEG_SS, 0);
    harness_set_reg(b.h, G_EIP, 0x600);
    harness_set_reg(b.h, G_ESP, 0x7000);
    b.h->env->halted = false;                 /* out of the firmware's final HLT */
    i8042_kbd_put(&b.pc->kbc, keys, sizeof(keys));
    ExecOptions opt = b.h->opt;
    opt.stop_on_hlt = false;
    opt.max_insns = 5000000;
    ck_assert_int_eq(cpu_exec(b.h->env, &opt), STOP_HALT);
    ck_assert_uint_eq(rd16(&b, 0x700), 0x1E61);       /* scan 1Eh, 'a' */
    ck_assert_uint_eq(rd16(&b, 0x702), 0x1E41);       /* scan 1Eh, 'A' */
    ck_assert_uint_eq(rd16(&b, 0x704) & 0x40, 0x40);  /* ZF: nothing left */
    ck_assert_uint_eq(rd8(&b, 0x417) & 3, 0);         /* shift released */
    unboot(&b);
}
END_TEST

static Suite *bios_suite(void)
{
    Suite *s = suite_create("bios");
    TCase *tc = tcase_create("post");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_bios_post_halts_with_no_boot_device, 0, 2);
    tcase_add_loop_test(tc, test_bios_ivt_bda, 0, 2);
    tcase_add_loop_test(tc, test_bios_acpi_tables, 0, 2);
    tcase_add_loop_test(tc, test_bios_pci_routing, 0, 2);
    tcase_add_loop_test(tc, test_bios_keyboard_int16, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bios_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
