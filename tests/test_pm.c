/* test_pm.c — the PIIX4 ACPI PM function through configuration space and its I/O block on a bare Machine with a
 * manual clock: identity, PMBA/PMREGMISC mapping the block on and off, the PM timer's rate and 24-bit wrap over
 * long runs (exact against 128-bit arithmetic), TMR_STS on bit-23 toggles and the SCI it raises only while
 * TMR_EN is set, write-1-to-clear, the power button, SLP_EN with SLP_TYP 0 powering off (exit code 0) while other
 * sleep types do not, APM control entering/leaving ACPI mode, and access widths. */
#include <check.h>
#include "harness.h"
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "clock.h"
#include "pci.h"
#include "i440fx.h"
#include "piix4_pm.h"

static Machine m;
static Clock clk;
static IrqSink sink;
static PciBus pbus;
static I440fx chipset;
static Piix4Pm pm;

enum { PMB = 0x600 };

static void cfg_write(int off, uint32_t v, int size)
{
    bus_io_write(&m, 0xcf8, 0x80000000u | 1u << 11 | 3u << 8 | (uint32_t)(off & 0xfc), 4);
    bus_io_write(&m, 0xcfc + (off & 3), v, size);
}

static uint32_t cfg_read(int off, int size)
{
    bus_io_write(&m, 0xcf8, 0x80000000u | 1u << 11 | 3u << 8 | (uint32_t)(off & 0xfc), 4);
    return bus_io_read(&m, 0xcfc + (off & 3), size);
}

static uint16_t inw(uint16_t p) { return (uint16_t)bus_io_read(&m, p, 2); }
static void outw(uint16_t p, uint16_t v) { bus_io_write(&m, p, v, 2); }

static void setup(void)
{
    bus_init(&m, 1 << 20);
    clock_init(&clk, CLOCK_MANUAL, NULL, 0);
    memset(&sink, 0, sizeof(sink));
    pci_bus_init(&pbus, &m);
    ck_assert_int_eq(pci_bus_attach(&pbus), 0);
    i440fx_init(&chipset);
    ck_assert_int_eq(i440fx_attach(&chipset, &pbus), 0);
    piix4_pm_init(&pm, &m, &clk, irq_line(irq_sink_set, &sink, 9));
    ck_assert_int_eq(piix4_pm_attach(&pm, &pbus), 0);
    piix4_pm_reset(&pm);
    cfg_write(PIIX4_PMBA, 0x0601, 4);                   /* what the firmware writes */
    cfg_write(PIIX4_PMREGMISC, 0x01, 1);
}

static void teardown(void)
{
    bus_free(&m);
}

static uint32_t ticks_at(int64_t ns)
{
    return (uint32_t)((unsigned __int128)(uint64_t)ns * PM_TIMER_HZ / 1000000000u) & 0xffffff;
}

/* Move the clock to absolute ns, stopping at every deadline on the way (as the exec loop does). */
static void clock_to(int64_t ns)
{
    while (clock_now(&clk) < ns) {
        int64_t now = clock_now(&clk), d = clock_next_deadline(&clk);
        clock_advance(&clk, (d > now && d < ns ? d : ns) - now);
    }
}

START_TEST(identity_and_mapping)
{
    ck_assert_uint_eq(cfg_read(0, 4), 0x71138086u);
    ck_assert_uint_eq(cfg_read(8, 4), 0x06800003u);
    ck_assert_uint_eq(cfg_read(PIIX4_PMBA, 4), 0x0601);
    ck_assert_uint_eq(cfg_read(PIIX4_DEVACTB, 4), PIIX4_DEVACTB_APMC_EN);   /* no SMM to set up */
    cfg_write(PIIX4_DEVACTB, 0, 4);
    ck_assert_uint_eq(cfg_read(PIIX4_DEVACTB, 4), PIIX4_DEVACTB_APMC_EN);
    cfg_write(PIIX4_PMBA, 0xffffffff, 4);               /* only bits 15:6 stick; bit 0 reads 1 */
    ck_assert_uint_eq(cfg_read(PIIX4_PMBA, 4), 0xffc1);
    cfg_write(PIIX4_PMBA, 0x0601, 4);
    ck_assert_uint_eq(inw(PMB + PM1_EN), 0);
    cfg_write(PIIX4_PMREGMISC, 0x00, 1);                /* I/O enable off: the block is gone */
    ck_assert_uint_eq(inw(PMB + PM1_EN), 0xffff);
    cfg_write(PIIX4_PMREGMISC, 0x01, 1);
    cfg_write(PIIX4_PMBA, 0xb001, 4);                   /* and it moves with PMBA */
    ck_assert_uint_eq(inw(PMB + PM1_EN), 0xffff);
    ck_assert_uint_eq(inw(0xb000 + PM1_EN), 0);
    cfg_write(PIIX4_PMBA, 0x0601, 4);
    ck_assert_uint_eq(inw(PMB + PM1_EN), 0);
    piix4_pm_reset(&pm);                                /* reset: PMBA 1, block unmapped */
    ck_assert_uint_eq(cfg_read(PIIX4_PMBA, 4), 0x0001);
    ck_assert_uint_eq(inw(PMB + PM1_EN), 0xffff);
}
END_TEST

START_TEST(pm_timer_rate)
{
    uint32_t t0 = bus_io_read(&m, PMB + PM_TMR, 4);
    ck_assert_uint_eq(t0, 0);
    clock_advance(&clk, 1000000000);                    /* one second: 3,579,545 ticks */
    ck_assert_uint_eq(bus_io_read(&m, PMB + PM_TMR, 4), PM_TIMER_HZ);
    clock_advance(&clk, 1000000);                       /* +1 ms */
    ck_assert_uint_eq(bus_io_read(&m, PMB + PM_TMR, 4), ticks_at(1001000000));
    ck_assert_uint_eq(ticks_at(1001000000) - PM_TIMER_HZ, 3579);
    /* ten hours in: 24-bit wrap, exact */
    int64_t t = 36000ll * 1000000000 + 123457;
    clock_to(t);
    uint32_t v = bus_io_read(&m, PMB + PM_TMR, 4);
    ck_assert_uint_eq(v, ticks_at(t));
    ck_assert_uint_le(v, 0xffffff);
    /* byte and word lanes of the same register */
    ck_assert_uint_eq(bus_io_read(&m, PMB + PM_TMR + 1, 1), (v >> 8) & 0xff);
    ck_assert_uint_eq(bus_io_read(&m, PMB + PM_TMR + 2, 2), v >> 16);
    bus_io_write(&m, PMB + PM_TMR, 0, 4);               /* read-only */
    ck_assert_uint_eq(bus_io_read(&m, PMB + PM_TMR, 4), v);
}
END_TEST

START_TEST(tmr_sts_and_sci)
{
    int64_t toggle = (int64_t)(((unsigned __int128)1 << 23) * 1000000000u / PM_TIMER_HZ);   /* ~2.34 s */
    clock_to(toggle - 1000);
    ck_assert_uint_eq(inw(PMB + PM1_STS) & PM1_TMR, 0);
    clock_to(toggle + 1000);
    ck_assert_uint_eq(inw(PMB + PM1_STS) & PM1_TMR, PM1_TMR);   /* set, but not enabled: no SCI */
    ck_assert_int_eq(sink.level[9], 0);
    outw(PMB + PM1_STS, PM1_TMR);                       /* write 1 to clear */
    ck_assert_uint_eq(inw(PMB + PM1_STS) & PM1_TMR, 0);
    outw(PMB + PM1_EN, PM1_TMR);
    ck_assert_uint_eq(inw(PMB + PM1_EN), PM1_TMR);
    clock_to(2 * toggle - 1000);
    ck_assert_int_eq(sink.level[9], 0);
    clock_to(2 * toggle + 1000);                        /* the timer armed at the toggle raised the SCI */
    ck_assert_int_eq(sink.level[9], 1);
    outw(PMB + PM1_STS, 0x0000);                        /* writing 0 clears nothing */
    ck_assert_int_eq(sink.level[9], 1);
    outw(PMB + PM1_STS, PM1_TMR);
    ck_assert_int_eq(sink.level[9], 0);
    clock_to(10 * toggle + 1000);
    ck_assert_int_eq(sink.level[9], 1);
    ck_assert_int_eq(sink.rises[9], 2);                 /* level stays while unacknowledged */
    outw(PMB + PM1_EN, 0);                              /* disabled: SCI drops, status stays */
    ck_assert_int_eq(sink.level[9], 0);
    ck_assert_uint_eq(inw(PMB + PM1_STS) & PM1_TMR, PM1_TMR);
    /* power button: status, SCI with the enable */
    outw(PMB + PM1_STS, 0xffff);
    piix4_pm_power_button(&pm);
    ck_assert_uint_eq(inw(PMB + PM1_STS), PM1_PWRBTN);
    ck_assert_int_eq(sink.level[9], 0);
    outw(PMB + PM1_EN, PM1_PWRBTN);
    ck_assert_int_eq(sink.level[9], 1);
    bus_io_write(&m, PMB + PM1_STS + 1, PM1_PWRBTN >> 8, 1);   /* byte write to the high lane */
    ck_assert_int_eq(sink.level[9], 0);
    /* GPE0 enable is writable; no GPE source is wired */
    outw(PMB + GPE0_EN, 0x00ff);
    ck_assert_uint_eq(inw(PMB + GPE0_EN), 0x00ff);
    ck_assert_uint_eq(inw(PMB + GPE0_STS), 0);
}
END_TEST

START_TEST(sleep_and_acpi_mode)
{
    ck_assert_uint_eq(inw(PMB + PM1_CNT) & PM1_SCI_EN, 0);
    bus_io_write(&m, APM_CNT_PORT, ACPI_ENABLE_CMD, 1);    /* the FADT's SMI_CMD / ACPI_ENABLE */
    ck_assert_uint_eq(inw(PMB + PM1_CNT) & PM1_SCI_EN, PM1_SCI_EN);
    bus_io_write(&m, APM_CNT_PORT, ACPI_DISABLE_CMD, 1);
    ck_assert_uint_eq(inw(PMB + PM1_CNT) & PM1_SCI_EN, 0);
    outw(PMB + PM1_CNT, PM1_SCI_EN);
    /* SLP_TYP 1 (suspend to RAM): not implemented, the machine keeps running */
    outw(PMB + PM1_CNT, PM1_SCI_EN | 1 << PM1_SLP_TYP_SHIFT | PM1_SLP_EN);
    ck_assert(!m.exit_requested);
    ck_assert_uint_eq(inw(PMB + PM1_CNT), PM1_SCI_EN | 1 << PM1_SLP_TYP_SHIFT);   /* SLP_EN reads 0 */
    /* SLP_TYP 0 without SLP_EN: nothing */
    outw(PMB + PM1_CNT, PM1_SCI_EN);
    ck_assert(!m.exit_requested);
    m.exit_code = 77;
    outw(PMB + PM1_CNT, PM1_SCI_EN | PM1_SLP_EN);       /* soft off */
    ck_assert(m.exit_requested);
    ck_assert_int_eq(m.exit_code, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pm");
    TCase *tc = tcase_create("pm");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, identity_and_mapping);
    tcase_add_test(tc, pm_timer_rate);
    tcase_add_test(tc, tmr_sts_and_sci);
    tcase_add_test(tc, sleep_and_acpi_mode);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
