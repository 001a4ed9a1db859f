/* test_devices.c — the PC devices through their port callbacks (bus_io_read/bus_io_write on a bare Machine), with
 * a fake IRQ sink that records levels and rising edges, and a manual clock the tests move by hand:
 * the virtual clock and timers; 8259 init, priorities, EOI (specific, non-specific, rotation), cascade, ELCR
 * edge/level, poll, AEOI, special mask, spurious IRQ7; 8254 counter values and OUT for modes 0-5 over virtual
 * time, latch and read-back, LSB/MSB access, BCD, the channel 2 gate and OUT2 in port 0x61, IRQ0 edges; RTC time
 * and date formats, UIP window, periodic/update/alarm interrupts, SET, NVRAM; 16550 THRE/IIR semantics, FIFO
 * trigger and character timeout, loopback, overrun, divisor latch, OUT2 gating; i8042 command sequences, the
 * keyboard's reset/identify/LED replies, set-2 → set-1 translation, aux port, A20 and reset; port 0x92; and the
 * board wiring (pc_init: PIT → PIC → CPU INTR, A20 → env->a20_mask, the x87's FERR# → IRQ13 and port F0H). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "cpu.h"
#include "clock.h"
#include "i8259.h"
#include "i8254.h"
#include "mc146818.h"
#include "uart16550.h"
#include "i8042.h"
#include "port92.h"
#include "pc.h"
#include "harness.h"

/* ---- scaffolding ---- */

static Machine m;
static Clock clk;
static IrqSink sink;

static void setup(void)
{
    bus_init(&m, 1 << 20);
    clock_init(&clk, CLOCK_MANUAL, NULL, 0);
    memset(&sink, 0, sizeof(sink));
}

static void teardown(void)
{
    bus_free(&m);
}

static uint8_t inb(uint16_t port) { return (uint8_t)bus_io_read(&m, port, 1); }
static void outb(uint16_t port, uint8_t v) { bus_io_write(&m, port, v, 1); }

/* Move the manual clock to absolute time ns, stopping at every timer deadline on the way (as the exec loop does
 * in icount mode), so periodic timers fire at their own times. */
static void clock_to(int64_t ns)
{
    while (clock_now(&clk) < ns) {
        int64_t now = clock_now(&clk), d = clock_next_deadline(&clk);
        clock_advance(&clk, (d > now && d < ns ? d : ns) - now);
    }
}

static int64_t ticks_ns(int64_t t)
{
    return (t * 1000000000 + PIT_FREQ - 1) / PIT_FREQ;
}

/* ---- clock ---- */

static int fired[4], fire_order[8], nfired;
static void timer_cb(void *opaque)
{
    int i = (int)(intptr_t)opaque;
    fired[i]++;
    if (nfired < 8)
        fire_order[nfired++] = i;
}

START_TEST(test_clock_timers)
{
    Timer a, b, c;
    memset(fired, 0, sizeof(fired));
    nfired = 0;
    timer_init(&a, &clk, timer_cb, (void *)0);
    timer_init(&b, &clk, timer_cb, (void *)1);
    timer_init(&c, &clk, timer_cb, (void *)2);
    timer_mod(&a, 300);
    timer_mod(&b, 100);
    timer_mod(&c, 200);
    ck_assert_int_eq(clock_next_deadline(&clk), 100);
    timer_del(&c);
    clock_advance(&clk, 99);
    ck_assert_int_eq(nfired, 0);
    clock_advance(&clk, 1000);
    ck_assert_int_eq(nfired, 2);
    ck_assert_int_eq(fire_order[0], 1);
    ck_assert_int_eq(fire_order[1], 0);
    ck_assert_int_eq(fired[2], 0);
    ck_assert(!timer_pending(&a));
    ck_assert_int_eq(clock_next_deadline(&clk), CLOCK_NEVER);
    ck_assert(!clock_idle(&clk, 0));    /* nothing armed: nothing can wake a halted CPU */
    timer_mod(&c, 5000);
    ck_assert(clock_idle(&clk, 0));     /* manual idle jumps to the deadline */
    ck_assert_int_eq(fired[2], 1);
    ck_assert_int_eq(clock_now(&clk), 5000);
}
END_TEST

START_TEST(test_clock_icount)
{
    uint64_t icount = 1000;
    Clock ic;
    Timer t;
    memset(fired, 0, sizeof(fired));
    nfired = 0;
    clock_init(&ic, CLOCK_ICOUNT, &icount, 2);     /* 4 ns per instruction */
    ck_assert_int_eq(clock_now(&ic), 0);
    icount += 10;
    ck_assert_int_eq(clock_now(&ic), 40);
    volatile uint32_t kick = 0;
    ic.kick = &kick;
    timer_init(&t, &ic, timer_cb, (void *)3);
    timer_mod(&t, 100);
    ck_assert_uint_eq(kick, 1);                 /* a nearer deadline: a running CPU must look again */
    ck_assert_uint_eq(ic.poll_icount, 1010 + 15);  /* (100 - 40) / 4 instructions from now */
    kick = 0;
    timer_mod(&t, 200);
    ck_assert_uint_eq(kick, 0);                 /* a later one needs no kick */
    timer_mod(&t, 100);
    icount = 1024;
    clock_poll(&ic);
    ck_assert_int_eq(fired[3], 0);
    icount = 1025;
    clock_poll(&ic);
    ck_assert_int_eq(fired[3], 1);
    timer_mod(&t, 1000);
    ck_assert(clock_idle(&ic, 0));      /* idle skips virtual time to the deadline, deterministically */
    ck_assert_int_eq(fired[3], 2);
    ck_assert_int_eq(clock_now(&ic), 1000);
}
END_TEST

/* ---- 8259 ---- */

static I8259 pic;
static int cpu_intr;
static void cpu_intr_set(void *o, int line, int level) { cpu_intr = level; }

static void pic_setup_standard(void)
{
    i8259_init(&pic, irq_line(cpu_intr_set, NULL, 0));
    ck_assert_int_eq(i8259_attach(&pic, &m), 0);
    outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01);
    outb(0x21, 0x00); outb(0xa1, 0x00);
}

static uint8_t pic_isr(uint16_t base) { outb(base, 0x0b); return inb(base); }
static uint8_t pic_irr(uint16_t base) { outb(base, 0x0a); return inb(base); }

START_TEST(test_pic_priority_eoi)
{
    pic_setup_standard();
    ck_assert_int_eq(cpu_intr, 0);
    i8259_set_irq(&pic, 3, 1);
    ck_assert_int_eq(cpu_intr, 1);
    ck_assert_int_eq(pic_irr(0x20), 0x08);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x23);
    ck_assert_int_eq(pic_isr(0x20), 0x08);
    ck_assert_int_eq(pic_irr(0x20), 0x00);     /* edge: consumed by INTA */
    ck_assert_int_eq(cpu_intr, 0);
    i8259_set_irq(&pic, 5, 1);                  /* lower priority than 3 in service: held */
    ck_assert_int_eq(cpu_intr, 0);
    i8259_set_irq(&pic, 1, 1);                  /* higher priority: nests */
    ck_assert_int_eq(cpu_intr, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x21);
    ck_assert_int_eq(pic_isr(0x20), 0x0a);
    outb(0x20, 0x20);                           /* non-specific EOI clears the highest (1) */
    ck_assert_int_eq(pic_isr(0x20), 0x08);
    ck_assert_int_eq(cpu_intr, 0);
    outb(0x20, 0x63);                           /* specific EOI for 3 */
    ck_assert_int_eq(pic_isr(0x20), 0x00);
    ck_assert_int_eq(cpu_intr, 1);              /* 5 now gets through */
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x25);
    outb(0x20, 0x20);
    /* masking */
    outb(0x21, 0x40);
    ck_assert_int_eq(inb(0x21), 0x40);
    i8259_set_irq(&pic, 6, 0);
    i8259_set_irq(&pic, 6, 1);
    ck_assert_int_eq(cpu_intr, 0);
    outb(0x21, 0x00);
    ck_assert_int_eq(cpu_intr, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x26);
}
END_TEST

START_TEST(test_pic_cascade)
{
    pic_setup_standard();
    i8259_set_irq(&pic, 10, 1);
    ck_assert_int_eq(cpu_intr, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x2a);
    ck_assert_int_eq(pic_isr(0x20), 0x04);
    ck_assert_int_eq(pic_isr(0xa0), 0x04);
    i8259_set_irq(&pic, 9, 1);                  /* higher on the slave, but IR2 in service (no SFNM): held */
    ck_assert_int_eq(cpu_intr, 0);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    ck_assert_int_eq(cpu_intr, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x29);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    ck_assert_int_eq(pic_isr(0x20), 0);
    ck_assert_int_eq(pic_isr(0xa0), 0);
    ck_assert_int_eq(cpu_intr, 0);
    /* masking IRQ2 on the master masks the whole slave */
    outb(0x21, 0x04);
    i8259_set_irq(&pic, 14, 1);
    ck_assert_int_eq(cpu_intr, 0);
    outb(0x21, 0x00);
    ck_assert_int_eq(cpu_intr, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x2e);
}
END_TEST

START_TEST(test_pic_level_elcr_spurious)
{
    pic_setup_standard();
    outb(0x4d1, 0xff);
    ck_assert_int_eq(inb(0x4d1), 0xde);         /* IRQ8 and IRQ13 cannot be level */
    outb(0x4d0, 0x20);                          /* IRQ5 level */
    ck_assert_int_eq(inb(0x4d0), 0x20);
    i8259_set_irq(&pic, 5, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x25);
    outb(0x20, 0x20);
    ck_assert_int_eq(cpu_intr, 1);              /* still asserted: interrupts again after EOI */
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x25);
    i8259_set_irq(&pic, 5, 0);
    outb(0x20, 0x20);
    ck_assert_int_eq(cpu_intr, 0);
    /* a level request that goes away before INTA: spurious IRQ7, nothing in service */
    i8259_set_irq(&pic, 5, 1);
    ck_assert_int_eq(cpu_intr, 1);
    i8259_set_irq(&pic, 5, 0);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x27);
    ck_assert_int_eq(pic_isr(0x20), 0);
    ck_assert_uint_eq(pic.spurious, 1);
    /* edge line: held high it does not interrupt again */
    i8259_set_irq(&pic, 4, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x24);
    outb(0x20, 0x20);
    ck_assert_int_eq(cpu_intr, 0);
}
END_TEST

START_TEST(test_pic_rotation_poll_aeoi_smm)
{
    pic_setup_standard();
    outb(0x20, 0xc4);                           /* set priority: IR4 lowest, IR5 highest */
    i8259_set_irq(&pic, 0, 1);
    i8259_set_irq(&pic, 6, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x26);
    outb(0x20, 0xa0);                           /* rotate on non-specific EOI: 6 becomes lowest, 7 highest */
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x20);
    outb(0x20, 0x20);
    /* poll */
    i8259_set_irq(&pic, 3, 1);
    outb(0x20, 0x0c);
    ck_assert_int_eq(inb(0x20), 0x83);
    ck_assert_int_eq(pic_isr(0x20), 0x08);
    outb(0x20, 0x0c);
    ck_assert_int_eq(inb(0x20), 0x00);         /* nothing else pending */
    outb(0x20, 0x20);
    /* special mask mode: 1 in service and masked, SMM on: a lower level (5) gets through */
    i8259_set_irq(&pic, 1, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x21);
    i8259_set_irq(&pic, 5, 1);
    ck_assert_int_eq(cpu_intr, 0);
    outb(0x21, 0x02);
    outb(0x20, 0x68);                           /* OCW3: ESMM + SMM */
    ck_assert_int_eq(cpu_intr, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x25);
    outb(0x20, 0x48);                           /* SMM off */
    /* auto-EOI: nothing stays in service */
    outb(0x20, 0x11); outb(0x21, 0x08); outb(0x21, 0x04); outb(0x21, 0x03);
    i8259_set_irq(&pic, 6, 0);
    i8259_set_irq(&pic, 6, 1);
    ck_assert_int_eq(i8259_intr_ack(&pic), 0x0e);
    ck_assert_int_eq(pic_isr(0x20), 0);
    /* save/load round trip */
    uint8_t buf[256];
    size_t n = i8259_save(&pic, buf, sizeof(buf));
    ck_assert_uint_gt(n, 0);
    I8259State before = pic.s;
    outb(0x21, 0xff);
    ck_assert_int_eq(i8259_load(&pic, buf, n), 0);
    ck_assert_int_eq(memcmp(&before, &pic.s, sizeof(before)), 0);
    ck_assert_int_eq(i8259_load(&pic, buf, n - 1), -1);
}
END_TEST

/* ---- 8254 ---- */

static I8254 pit;

static void pit_setup(void)
{
    i8254_init(&pit, &clk, irq_line(irq_sink_set, &sink, 0));
    ck_assert_int_eq(i8254_attach(&pit, &m), 0);
}

static uint16_t pit_read16(int ch)
{
    uint8_t lo = inb((uint16_t)(0x40 + ch));
    return (uint16_t)(lo | inb((uint16_t)(0x40 + ch)) << 8);
}

START_TEST(test_pit_mode2_rate_irq)
{
    pit_setup();
    outb(0x43, 0x34);                           /* ch0, LSB+MSB, mode 2 */
    outb(0x40, 1000 & 0xff);
    outb(0x40, 1000 >> 8);
    ck_assert_int_eq(sink.level[0], 1);
    clock_to(ticks_ns(250));
    ck_assert_int_eq(pit_read16(0), 750);
    clock_to(ticks_ns(1234));
    outb(0x43, 0x00);                           /* latch ch0 */
    clock_to(ticks_ns(1300));
    ck_assert_int_eq(pit_read16(0), 1000 - 234);
    ck_assert_int_eq(pit_read16(0), 1000 - 300);   /* the latch is gone after one read */
    int rises0 = sink.rises[0];
    clock_to(ticks_ns(10 * 1000 + 10));
    ck_assert_int_eq(sink.rises[0] - rises0, 9);   /* rising edges at 2000, 3000, ..., 10000 */
    /* OUT is low exactly for the tick where the counter is 1 */
    clock_to(ticks_ns(10999));
    ck_assert_int_eq(i8254_get_out(&pit, 0), 0);
    ck_assert_int_eq(sink.level[0], 0);
    clock_to(ticks_ns(11000));
    ck_assert_int_eq(i8254_get_out(&pit, 0), 1);
}
END_TEST

START_TEST(test_pit_mode0_and_4)
{
    pit_setup();
    outb(0x43, 0x30);                           /* ch0 mode 0 */
    ck_assert_int_eq(sink.level[0], 0);         /* OUT low after the control word */
    sink.rises[0] = 0;
    outb(0x40, 100);
    outb(0x40, 0);
    clock_to(ticks_ns(99));
    ck_assert_int_eq(sink.level[0], 0);
    ck_assert_int_eq(pit_read16(0), 1);
    clock_to(ticks_ns(100));
    ck_assert_int_eq(sink.level[0], 1);
    ck_assert_int_eq(sink.rises[0], 1);
    clock_to(ticks_ns(105));
    ck_assert_int_eq(pit_read16(0), 0xfffb);    /* keeps counting, wrapped */
    clock_to(ticks_ns(70000));
    ck_assert_int_eq(sink.rises[0], 1);         /* one shot */
    /* mode 4: one-tick low pulse at N */
    outb(0x43, 0x38);
    outb(0x40, 50);
    outb(0x40, 0);
    int64_t t0 = clock_now(&clk);
    ck_assert_int_eq(sink.level[0], 1);
    clock_to(t0 + ticks_ns(50));
    ck_assert_int_eq(i8254_get_out(&pit, 0), 0);
    clock_to(t0 + ticks_ns(52));
    ck_assert_int_eq(i8254_get_out(&pit, 0), 1);
    ck_assert_int_eq(sink.rises[0], 2);
    /* a one-shot whose timer runs 50 ms late (a host stall, past PIT_MAX_LAG_NS): the low pulse and the rising
     * edge both fall in the skipped span, and IRQ0 must still rise once (Linux's one-shot tick; else the guest
     * sleeps in HLT forever) */
    outb(0x43, 0x38);
    outb(0x40, 50);
    outb(0x40, 0);
    clock_advance(&clk, 50000000);
    ck_assert_int_eq(sink.level[0], 1);
    ck_assert_int_eq(sink.rises[0], 3);
    ck_assert_int_eq(clock_next_deadline(&clk), CLOCK_NEVER);
}
END_TEST

START_TEST(test_pit_mode3_bcd_lsb_msb_readback)
{
    pit_setup();
    outb(0x43, 0x16);                           /* ch0 LSB only, mode 3 */
    outb(0x40, 100);
    clock_to(ticks_ns(10));
    ck_assert_int_eq(inb(0x40), 80);            /* decrements by 2 */
    ck_assert_int_eq(i8254_get_out(&pit, 0), 1);
    clock_to(ticks_ns(60));
    ck_assert_int_eq(i8254_get_out(&pit, 0), 0);
    ck_assert_int_eq(inb(0x40), 80);            /* second half: 100 - 2*10 */
    clock_to(ticks_ns(100));
    ck_assert_int_eq(i8254_get_out(&pit, 0), 1);
    /* MSB only */
    outb(0x43, 0x20 | 0x04);                    /* ch0 MSB only, mode 2 */
    outb(0x40, 0x02);                           /* count 0x200 */
    int64_t t0 = clock_now(&clk);
    clock_to(t0 + ticks_ns(0x100));
    ck_assert_int_eq(inb(0x40), 0x01);
    /* BCD mode 0 on channel 1: count 1000 decimal */
    outb(0x43, 0x71);
    outb(0x41, 0x00);
    outb(0x41, 0x10);
    t0 = clock_now(&clk);
    clock_to(t0 + ticks_ns(1));
    ck_assert_int_eq(pit_read16(1), 0x0999);
    /* read-back: status and count of channel 1 */
    outb(0x43, 0xc4);                           /* 11 0 0 010 0: latch count + status of ch1 */
    ck_assert_int_eq(inb(0x41), 0x71 & 0x3f);   /* OUT 0, null count 0, RW 3, mode 0, BCD */
    ck_assert_int_eq(pit_read16(1), 0x0999);
    outb(0x43, 0x70);                           /* new control word: null count until a count is written */
    outb(0x43, 0xe4);                           /* status only */
    ck_assert_int_eq(inb(0x41), 0x40 | 0x30);
}
END_TEST

START_TEST(test_pit_gate_port61)
{
    pit_setup();
    ck_assert_int_eq(inb(0x61) & 0x01, 0);
    outb(0x43, 0xb2);                           /* ch2 mode 1 */
    outb(0x42, 100);
    outb(0x42, 0);
    ck_assert_int_eq(inb(0x61) & 0x20, 0x20);   /* OUT2 high until triggered */
    outb(0x61, 0x01);                           /* gate rises: trigger */
    int64_t t0 = clock_now(&clk);
    ck_assert_int_eq(inb(0x61) & 0x20, 0);
    clock_to(t0 + ticks_ns(100));
    ck_assert_int_eq(inb(0x61) & 0x21, 0x21);
    /* mode 0 with the gate: counting suspends while it is low (Linux's TSC calibration idiom) */
    outb(0x61, 0x00);
    outb(0x43, 0xb0);
    outb(0x42, 0x10);
    outb(0x42, 0x00);                           /* 0x10 ticks, gate low: not counting */
    t0 = clock_now(&clk);
    clock_to(t0 + ticks_ns(100));
    ck_assert_int_eq(inb(0x61) & 0x20, 0);
    outb(0x61, 0x01);
    t0 = clock_now(&clk);
    clock_to(t0 + ticks_ns(8));
    ck_assert_int_eq(inb(0x61) & 0x20, 0);
    clock_to(t0 + ticks_ns(16));
    ck_assert_int_eq(inb(0x61) & 0x20, 0x20);
    /* the refresh bit toggles with time */
    int r1 = inb(0x61) & 0x10;
    clock_advance(&clk, 15085);
    ck_assert_int_ne(inb(0x61) & 0x10, r1);
}
END_TEST

/* ---- RTC ---- */

static Mc146818 rtc;
enum { EPOCH_LEAP = 1709251198 };   /* 2024-02-29 23:59:58 UTC, a Thursday */

static uint8_t cmos_read(uint8_t idx) { outb(0x70, idx); return inb(0x71); }
static void cmos_write(uint8_t idx, uint8_t v) { outb(0x70, idx); outb(0x71, v); }

static void rtc_setup(void)
{
    mc146818_init(&rtc, &clk, irq_line(irq_sink_set, &sink, 8), EPOCH_LEAP);
    ck_assert_int_eq(mc146818_attach(&rtc, &m), 0);
}

START_TEST(test_rtc_time_formats)
{
    rtc_setup();
    ck_assert_int_eq(cmos_read(RTC_SECONDS), 0x58);
    ck_assert_int_eq(cmos_read(RTC_MINUTES), 0x59);
    ck_assert_int_eq(cmos_read(RTC_HOURS), 0x23);
    ck_assert_int_eq(cmos_read(RTC_DAY_OF_WEEK), 5);
    ck_assert_int_eq(cmos_read(RTC_DAY_OF_MONTH), 0x29);
    ck_assert_int_eq(cmos_read(RTC_MONTH), 0x02);
    ck_assert_int_eq(cmos_read(RTC_YEAR), 0x24);
    ck_assert_int_eq(cmos_read(RTC_CENTURY), 0x20);
    ck_assert_int_eq(cmos_read(RTC_REG_D), 0x80);
    clock_to(2000000000);                       /* two seconds later: 2024-03-01 00:00:00, Friday */
    ck_assert_int_eq(cmos_read(RTC_SECONDS), 0x00);
    ck_assert_int_eq(cmos_read(RTC_HOURS), 0x00);
    ck_assert_int_eq(cmos_read(RTC_DAY_OF_MONTH), 0x01);
    ck_assert_int_eq(cmos_read(RTC_MONTH), 0x03);
    ck_assert_int_eq(cmos_read(RTC_DAY_OF_WEEK), 6);
    cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    clock_to(2000000000 + 13 * 3600 * 1000000000ll + 5 * 1000000000ll);
    ck_assert_int_eq(cmos_read(RTC_HOURS), 13);
    ck_assert_int_eq(cmos_read(RTC_SECONDS), 5);
    cmos_write(RTC_REG_B, 0);                   /* 12-hour BCD: 1 PM */
    ck_assert_int_eq(cmos_read(RTC_HOURS), 0x81);
    /* SET freezes; the written time becomes the clock when SET clears */
    cmos_write(RTC_REG_B, RTC_B_SET | RTC_B_24H);
    cmos_write(RTC_HOURS, 0x07);
    cmos_write(RTC_MINUTES, 0x30);
    cmos_write(RTC_SECONDS, 0x00);
    clock_to(clock_now(&clk) + 5000000000ll);
    ck_assert_int_eq(cmos_read(RTC_SECONDS), 0x00);    /* frozen */
    cmos_write(RTC_REG_B, RTC_B_24H);
    clock_to(clock_now(&clk) + 3000000000ll);
    ck_assert_int_eq(cmos_read(RTC_HOURS), 0x07);
    ck_assert_int_eq(cmos_read(RTC_MINUTES), 0x30);
    ck_assert_int_eq(cmos_read(RTC_SECONDS), 0x03);
    ck_assert_int_eq(cmos_read(RTC_DAY_OF_MONTH), 0x01);
    /* NVRAM; bit 7 of the index is the NMI mask, not part of the index */
    cmos_write(0x40, 0xa5);
    outb(0x70, 0x80 | 0x40);
    ck_assert_int_eq(inb(0x71), 0xa5);
    ck_assert_int_eq(rtc.s.nmi_masked, 1);
}
END_TEST

START_TEST(test_rtc_uip_and_interrupts)
{
    rtc_setup();
    clock_to(500000000);
    ck_assert_int_eq(cmos_read(RTC_REG_A) & RTC_A_UIP, 0);
    clock_to(999800000);                        /* within 244 us of the update */
    ck_assert_int_eq(cmos_read(RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
    ck_assert_int_eq(cmos_read(RTC_SECONDS), 0x58);
    clock_to(1000000000);
    ck_assert_int_eq(cmos_read(RTC_REG_A) & RTC_A_UIP, 0);
    ck_assert_int_eq(cmos_read(RTC_SECONDS), 0x59);
    /* flags are set without their interrupt enables (PF too: the default rate runs), but no IRQF */
    ck_assert_int_eq(cmos_read(RTC_REG_C), RTC_C_UF | RTC_C_PF);
    ck_assert_int_eq(cmos_read(RTC_REG_C), 0);
    /* periodic 1024 Hz */
    cmos_write(RTC_REG_A, 0x26);
    cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    int64_t t0 = clock_now(&clk);
    clock_to(t0 + 900000);
    ck_assert_int_eq(sink.level[8], 0);
    clock_to(t0 + 980000);                      /* 976.5625 us */
    ck_assert_int_eq(sink.level[8], 1);
    ck_assert_int_eq(cmos_read(RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
    ck_assert_int_eq(sink.level[8], 0);
    int r0 = sink.rises[8];
    for (int i = 0; i < 10; i++) {
        clock_to(clock_now(&clk) + 976563);
        cmos_read(RTC_REG_C);
    }
    ck_assert_int_eq(sink.rises[8] - r0, 10);
}
END_TEST

START_TEST(test_rtc_update_alarm_interrupts)
{
    int r0;
    rtc_setup();
    /* update-ended interrupt */
    cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    cmos_read(RTC_REG_C);
    r0 = sink.rises[8];
    clock_to(clock_now(&clk) + 1000000000);
    ck_assert_int_eq(sink.rises[8] - r0, 1);
    ck_assert_int_eq(cmos_read(RTC_REG_C) & (RTC_C_IRQF | RTC_C_UF), RTC_C_IRQF | RTC_C_UF);
    /* alarm at hh:mm:ss + 2, minutes and hours "don't care" */
    uint8_t sec = cmos_read(RTC_SECONDS);
    unsigned s = (unsigned)((sec >> 4) * 10 + (sec & 15) + 2) % 60;
    cmos_write(RTC_SECONDS_ALARM, (uint8_t)((s / 10) << 4 | s % 10));
    cmos_write(RTC_MINUTES_ALARM, 0xc0);
    cmos_write(RTC_HOURS_ALARM, 0xff);
    cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    cmos_read(RTC_REG_C);
    clock_to(clock_now(&clk) + 1000000000);
    ck_assert_int_eq(sink.level[8], 0);
    clock_to(clock_now(&clk) + 1000000000);
    ck_assert_int_eq(sink.level[8], 1);
    ck_assert_int_eq(cmos_read(RTC_REG_C) & (RTC_C_IRQF | RTC_C_AF), RTC_C_IRQF | RTC_C_AF);
}
END_TEST

/* ---- 16550 ---- */

static Uart16550 uart;
static FILE *uart_out;

static void uart_setup(void)
{
    uart_out = tmpfile();
    ck_assert_ptr_nonnull(uart_out);
    uart16550_init(&uart, &clk, irq_line(irq_sink_set, &sink, 4), uart_out);
    ck_assert_int_eq(uart16550_attach(&uart, &m, 0x3f8), 0);
}

START_TEST(test_uart_thre_iir_output)
{
    uart_setup();
    ck_assert_int_eq(inb(0x3fa), 0x01);
    ck_assert_int_eq(inb(0x3fd), 0x60);
    outb(0x3fc, 0x08);                          /* OUT2: the PC's interrupt gate */
    outb(0x3f9, 0x02);                          /* ETBEI with THR empty: THRE pending at once */
    ck_assert_int_eq(sink.level[4], 1);
    ck_assert_int_eq(inb(0x3fa), 0x02);
    ck_assert_int_eq(sink.level[4], 0);         /* the IIR read cleared it */
    ck_assert_int_eq(inb(0x3fa), 0x01);
    outb(0x3f8, 'h');
    outb(0x3f8, 'i');
    ck_assert_int_eq(sink.level[4], 1);         /* THR empty again after each byte */
    outb(0x3fc, 0x00);
    ck_assert_int_eq(sink.level[4], 0);         /* OUT2 low gates the line */
    char buf[8] = { 0 };
    rewind(uart_out);
    ck_assert_uint_eq(fread(buf, 1, sizeof(buf), uart_out), 2);
    ck_assert_str_eq(buf, "hi");
    /* divisor latch */
    outb(0x3fb, 0x83);
    outb(0x3f8, 0x01);
    outb(0x3f9, 0x00);
    ck_assert_int_eq(inb(0x3f8), 0x01);
    outb(0x3fb, 0x03);
    ck_assert_int_eq(inb(0x3f9), 0x02);         /* IER untouched by the DLM write */
    outb(0x3ff, 0x5a);
    ck_assert_int_eq(inb(0x3ff), 0x5a);
    fclose(uart_out);
}
END_TEST

START_TEST(test_uart_fifo_timeout)
{
    uart_setup();
    outb(0x3fc, 0x08);
    outb(0x3fb, 0x83); outb(0x3f8, 0x01); outb(0x3f9, 0x00); outb(0x3fb, 0x03);  /* 115200 baud */
    outb(0x3fa, 0xc7);                          /* FIFO on, trigger 14 */
    outb(0x3f9, 0x01);                          /* ERBFI */
    ck_assert_int_eq(inb(0x3fa), 0xc1);
    uart16550_push_input(&uart, (const uint8_t *)"hello", 5);
    ck_assert_int_eq(inb(0x3fd) & 1, 1);
    ck_assert_int_eq(sink.level[4], 0);         /* below the trigger level */
    clock_to(clock_now(&clk) + 4 * 86806 + 1000);   /* 4 character times at 115200 */
    ck_assert_int_eq(sink.level[4], 1);
    ck_assert_int_eq(inb(0x3fa), 0xcc);         /* character timeout */
    char got[6] = { 0 };
    for (int i = 0; i < 5; i++)
        got[i] = (char)inb(0x3f8);
    ck_assert_str_eq(got, "hello");
    ck_assert_int_eq(inb(0x3fd) & 1, 0);
    ck_assert_int_eq(sink.level[4], 0);
    uint8_t many[40];
    for (int i = 0; i < 40; i++)
        many[i] = (uint8_t)i;
    ck_assert_uint_eq(uart16550_push_input(&uart, many, 40), 40);
    ck_assert_int_eq(inb(0x3fa), 0xc4);         /* 16 in the FIFO >= 14: received data available */
    for (int i = 0; i < 40; i++)
        ck_assert_int_eq(inb(0x3f8), i);        /* the rest refills from the host queue, in order */
    ck_assert_int_eq(inb(0x3fa), 0xc1);
}
END_TEST

START_TEST(test_uart_loopback_overrun_msr)
{
    uart_setup();
    outb(0x3fc, 0x10 | 0x08);                   /* loopback, OUT2 */
    ck_assert_int_eq(inb(0x3fe) & 0xf0, 0x80);  /* DCD = OUT2 */
    outb(0x3fc, 0x10 | 0x08 | 0x03);            /* + DTR RTS */
    ck_assert_int_eq(inb(0x3fe), 0xb0 | 0x03);  /* CTS DSR DCD, deltas for CTS and DSR */
    ck_assert_int_eq(inb(0x3fe), 0xb0);         /* deltas clear on read */
    outb(0x3f9, 0x0c);                          /* ELSI + EDSSI */
    outb(0x3f8, 'x');                           /* FIFO off: 1-byte holding register */
    ck_assert_int_eq(inb(0x3fd) & 0x03, 0x01);
    outb(0x3f8, 'y');                           /* overrun */
    ck_assert_int_eq(sink.level[4], 1);
    ck_assert_int_eq(inb(0x3fa), 0x06);         /* receiver line status first */
    ck_assert_int_eq(inb(0x3fd) & 0x03, 0x03);
    ck_assert_int_eq(inb(0x3fd) & 0x02, 0x00);  /* OE clears on read */
    ck_assert_int_eq(inb(0x3f8), 'x');
    outb(0x3fc, 0x10 | 0x08 | 0x01);            /* RTS drops: CTS delta → modem status interrupt */
    ck_assert_int_eq(inb(0x3fa), 0x00);
    inb(0x3fe);
    ck_assert_int_eq(inb(0x3fa), 0x01);
    fclose(uart_out);
}
END_TEST

/* ---- i8042 and port 0x92 ---- */

static I8042 kbc;

static void kbc_setup(void)
{
    i8042_init(&kbc, irq_line(irq_sink_set, &sink, 1), irq_line(irq_sink_set, &sink, 12), irq_line(irq_sink_set, &sink, 2),
               irq_line(irq_sink_set, &sink, 3));
    ck_assert_int_eq(i8042_attach(&kbc, &m), 0);
}

static int kbc_read_data(void)
{
    if (!(inb(0x64) & 1))
        return -1;
    return inb(0x60);
}

START_TEST(test_kbc_commands)
{
    kbc_setup();
    ck_assert_int_eq(sink.level[2], 1);         /* A20 on at power-on */
    ck_assert_int_eq(inb(0x64) & 1, 0);
    outb(0x64, 0xaa);
    ck_assert_int_eq(inb(0x64) & 0x09, 0x09);   /* OBF, last write was a command */
    ck_assert_int_eq(sink.level[1], 1);
    ck_assert_int_eq(kbc_read_data(), 0x55);
    ck_assert_int_eq(sink.level[1], 0);
    outb(0x64, 0x60);
    outb(0x60, 0x65);                           /* XLATE, aux disabled, SYS, INT */
    outb(0x64, 0x20);
    ck_assert_int_eq(kbc_read_data(), 0x65);
    ck_assert_int_eq(inb(0x64) & 0x04, 0x04);   /* SYS flag follows the command byte */
    outb(0x64, 0x60);
    outb(0x60, 0x47);                           /* INT, INT2, SYS, XLATE; both ports enabled */
    /* keyboard: reset, identify (translated), LEDs */
    outb(0x60, 0xff);
    ck_assert_int_eq(kbc_read_data(), 0xfa);
    ck_assert_int_eq(kbc_read_data(), 0xaa);
    outb(0x60, 0xf2);
    ck_assert_int_eq(kbc_read_data(), 0xfa);
    ck_assert_int_eq(kbc_read_data(), 0xab);
    ck_assert_int_eq(kbc_read_data(), 0x41);
    outb(0x60, 0xed);
    ck_assert_int_eq(kbc_read_data(), 0xfa);
    outb(0x60, 0x07);
    ck_assert_int_eq(kbc_read_data(), 0xfa);
    ck_assert_int_eq(kbc.s.kbd_leds, 7);
    ck_assert_int_eq(kbc_read_data(), -1);
}
END_TEST

START_TEST(test_kbc_translation_aux)
{
    kbc_setup();
    outb(0x64, 0x60);
    outb(0x60, 0x47);                           /* INT, INT2, SYS, XLATE; both ports enabled */
    /* set 2 → set 1: 'A' make (1C) and break (F0 1C), extended right ctrl (E0 14) */
    int r1 = sink.rises[1];
    i8042_kbd_put(&kbc, (const uint8_t[]){ 0x1c, 0xf0, 0x1c, 0xe0, 0x14 }, 5);
    ck_assert_int_eq(kbc_read_data(), 0x1e);
    ck_assert_int_eq(kbc_read_data(), 0x9e);
    ck_assert_int_eq(kbc_read_data(), 0xe0);
    ck_assert_int_eq(kbc_read_data(), 0x1d);
    ck_assert_int_eq(sink.rises[1] - r1, 4);    /* each byte a new IRQ1 edge */
    /* disabled keyboard interface holds bytes back */
    outb(0x64, 0xad);
    i8042_kbd_put(&kbc, (const uint8_t[]){ 0x29 }, 1);
    ck_assert_int_eq(kbc_read_data(), -1);
    outb(0x64, 0xae);
    ck_assert_int_eq(kbc_read_data(), 0x39);
    /* aux: identify through 0xD4, AUXB and IRQ12; 0xD3 loops a byte back as if from the mouse */
    outb(0x64, 0xd4);
    outb(0x60, 0xf2);
    ck_assert_int_eq(inb(0x64) & 0x21, 0x21);
    ck_assert_int_eq(sink.level[12], 1);
    ck_assert_int_eq(kbc_read_data(), 0xfa);
    ck_assert_int_eq(kbc_read_data(), 0x00);
    ck_assert_int_eq(sink.level[12], 0);
    outb(0x64, 0xd3);
    outb(0x60, 0x5a);
    ck_assert_int_eq(inb(0x64) & 0x21, 0x21);
    ck_assert_int_eq(kbc_read_data(), 0x5a);
    outb(0x64, 0xa9);
    ck_assert_int_eq(kbc_read_data(), 0x00);
}
END_TEST

START_TEST(test_kbc_a20_reset_port92)
{
    kbc_setup();
    outb(0x64, 0xd0);
    ck_assert_int_eq(kbc_read_data() & 0x03, 0x03);
    outb(0x64, 0xd1);
    outb(0x60, 0x01);                           /* A20 off, reset line high (running) */
    ck_assert_int_eq(sink.level[2], 0);
    ck_assert_int_eq(sink.rises[3], 0);
    outb(0x64, 0xdf);
    ck_assert_int_eq(sink.level[2], 1);
    outb(0x64, 0xfe);                           /* pulse reset */
    ck_assert_int_eq(sink.rises[3], 1);
    outb(0x64, 0xd1);
    outb(0x60, 0x02);                           /* output port bit 0 low: reset too */
    ck_assert_int_eq(sink.rises[3], 2);
    Port92 p92;
    IrqSink s92 = { 0 };
    port92_init(&p92, irq_line(irq_sink_set, &s92, 0), irq_line(irq_sink_set, &s92, 1));
    ck_assert_int_eq(port92_attach(&p92, &m), 0);
    ck_assert_int_eq(inb(0x92), 0x00);
    outb(0x92, 0x02);
    ck_assert_int_eq(s92.level[0], 1);
    ck_assert_int_eq(inb(0x92), 0x02);
    ck_assert_int_eq(s92.rises[1], 0);
    outb(0x92, 0x03);
    ck_assert_int_eq(s92.rises[1], 1);
    ck_assert_int_eq(inb(0x92), 0x02);          /* bit 0 reads back 0 */
}
END_TEST

/* ---- snapshots: every device's state round-trips, and a wrong blob is refused ---- */

#define ROUND_TRIP(save, load, dev, poke)                                   \
    do {                                                                    \
        uint8_t buf_[1024];                                                 \
        size_t n_ = save(&dev, buf_, sizeof(buf_));                         \
        ck_assert_uint_gt(n_, 0);                                           \
        __typeof__(dev.s) before_ = dev.s;                                  \
        poke;                                                               \
        ck_assert_int_ne(memcmp(&before_, &dev.s, sizeof(before_)), 0);     \
        ck_assert_int_eq(load(&dev, buf_, n_), 0);                          \
        ck_assert_int_eq(memcmp(&before_, &dev.s, sizeof(before_)), 0);     \
        buf_[0] ^= 1;                                                       \
        ck_assert_int_eq(load(&dev, buf_, n_), -1);                         \
    } while (0)

START_TEST(test_save_load)
{
    Port92 p92;
    pit_setup();
    rtc_setup();
    uart_setup();
    kbc_setup();
    port92_init(&p92, irq_line(irq_sink_set, &sink, 5), irq_line(irq_sink_set, &sink, 6));
    ck_assert_int_eq(port92_attach(&p92, &m), 0);
    outb(0x43, 0x34); outb(0x40, 0x10); outb(0x40, 0x20);
    cmos_write(0x40, 0x12);
    outb(0x3fb, 0x03); outb(0x3ff, 0x77);
    outb(0x64, 0x60); outb(0x60, 0x61);
    outb(0x92, 0x02);
    ROUND_TRIP(i8254_save, i8254_load, pit, (outb(0x43, 0x30), outb(0x40, 1), outb(0x40, 0)));
    ROUND_TRIP(mc146818_save, mc146818_load, rtc, cmos_write(0x40, 0x34));
    ROUND_TRIP(uart16550_save, uart16550_load, uart, outb(0x3ff, 0x88));
    ROUND_TRIP(i8042_save, i8042_load, kbc, (outb(0x64, 0x60), outb(0x60, 0x03)));
    ROUND_TRIP(port92_save, port92_load, p92, outb(0x92, 0x00));
    ck_assert_int_eq(sink.level[5], 1);         /* the loaded A20 state is driven again */
    fclose(uart_out);
}
END_TEST

/* ---- the board ---- */

START_TEST(test_pc_wiring)
{
    CpuState *env = calloc(1, sizeof(CpuState));
    ck_assert_ptr_nonnull(env);
    env->a20_mask = 0xffffffffu;
    m.cpu = env;
    env->machine = &m;
    PcBoard *pc = calloc(1, sizeof(PcBoard));
    PcConfig cfg = { .clock_mode = CLOCK_MANUAL, .serial_in_fd = -1, .rtc_epoch = EPOCH_LEAP };
    ck_assert_int_eq(pc_init(pc, &m, &cfg), 0);
    ck_assert_ptr_eq(m.clock, &pc->clock);
    outb(0x20, 0x11); outb(0x21, 0x08); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0xa0, 0x11); outb(0xa1, 0x70); outb(0xa1, 0x02); outb(0xa1, 0x01);
    outb(0x21, 0xfe); outb(0xa1, 0xff);         /* only IRQ0 */
    outb(0x43, 0x34); outb(0x40, 0xa9); outb(0x40, 0x04);   /* 1193 ticks: ~1 ms */
    env->pending_irq = 0;
    clock_advance(&pc->clock, 1100000);
    ck_assert_int_eq(env->pending_irq, 1);
    ck_assert_int_eq(m.intr_ack(m.intr_opaque), 0x08);
    outb(0x20, 0x20);
    /* RTC through the slave: IRQ8 → vector 0x70 */
    outb(0xa1, 0xfe); outb(0x21, 0xfb);         /* only the cascade and IRQ8 */
    outb(0x70, 0x0b); outb(0x71, 0x42);         /* PIE, 24h */
    clock_advance(&pc->clock, 1000000);
    ck_assert_int_eq(env->pending_irq, 1);
    ck_assert_int_eq(m.intr_ack(m.intr_opaque), 0x70);
    /* A20 through port 0x92 and the keyboard controller */
    outb(0x64, 0xd1); outb(0x60, 0x01);         /* kbc gate off; port 0x92 gate off: A20 masked */
    ck_assert_uint_eq(env->a20_mask, ~0x100000u);
    outb(0x92, 0x02);
    ck_assert_uint_eq(env->a20_mask, 0xffffffffu);
    outb(0x92, 0x03);
    ck_assert(m.reset_requested);
    /* CMOS memory size for 1 MiB of RAM: 640 KiB base, no extended memory */
    ck_assert_int_eq(mc146818_get_cmos(&pc->rtc, 0x15) | mc146818_get_cmos(&pc->rtc, 0x16) << 8, 640);
    ck_assert_int_eq(mc146818_get_cmos(&pc->rtc, 0x17), 0);
    m.cpu = NULL;
    pc_free(pc);
    free(pc);
    free(env);
}
END_TEST

/* PIC at vector 8 with only IRQ0 unmasked, PIT channel 0 at 1 kHz (mode 2). */
static void pc_program_pic_pit(Machine *mm)
{
    static const uint8_t icw[] = { 0x08, 0x04, 0x01 };
    bus_io_write(mm, 0x20, 0x11, 1);
    for (int i = 0; i < 3; i++)
        bus_io_write(mm, 0x21, icw[i], 1);
    bus_io_write(mm, 0x21, 0xfe, 1);
    bus_io_write(mm, 0x43, 0x34, 1);
    bus_io_write(mm, 0x40, 0xa9, 1);
    bus_io_write(mm, 0x40, 0x04, 1);    /* 1193 ticks: 1 ms */
}

/* The exec loop with the board: a real-mode guest sleeps in HLT until three IRQ0s have run its handler, then
 * CLI; HLT. In icount mode HLT must skip virtual time to the PIT's deadlines (a few instructions, not a spin),
 * timers must be serviced between blocks, and CLI; HLT must end the run (nothing can wake it). */
START_TEST(test_pc_exec_hlt_wakes_on_timer)
{
    static const char *engines[] = { "interp", "jit" };
    static const uint8_t main_code[] = {
        0xfb,                               /* 1000: sti */
        0xf4,                               /* 1001: hlt */
        0x83, 0x3e, 0x00, 0x05, 0x03,       /* 1002: cmp word [0x500], 3 */
        0x72, 0xf8,                         /* 1007: jb 1001 */
        0xfa, 0xf4,                         /* 1009: cli; hlt */
    };
    static const uint8_t handler[] = {
        0xff, 0x06, 0x00, 0x05,             /* inc word [0x500] */
        0xb0, 0x20, 0xe6, 0x20,             /* mov al, 0x20; out 0x20, al */
        0xcf,                               /* iret */
    };
    for (int e = 0; e < 2; e++) {
        Harness *h = harness_new(2);
        ck_assert_ptr_nonnull(h);
        if (!harness_set_accel(h, engines[e])) {
            harness_free(h);
            continue;
        }
        PcBoard *pc = calloc(1, sizeof(PcBoard));
        PcConfig cfg = { .clock_mode = CLOCK_ICOUNT, .icount_shift = 10, .serial_in_fd = -1, .rtc_epoch = 0 };
        ck_assert_int_eq(pc_init(pc, h->m, &cfg), 0);
        harness_real_mode(h);
        harness_write(h, 0x1000, main_code, sizeof(main_code));
        harness_write(h, 0x1100, handler, sizeof(handler));
        harness_write(h, 0x20, (const uint8_t[]){ 0x00, 0x11, 0x00, 0x00 }, 4);   /* IVT[8] = 0000:1100 */
        harness_fill(h, 0x500, 0, 2);
        harness_set_reg(h, G_EIP, 0x1000);
        harness_set_reg(h, G_ESP, 0x7000);
        pc_program_pic_pit(h->m);
        ExecOptions opt = h->opt;
        opt.stop_on_hlt = false;
        opt.max_insns = 100000;
        uint64_t icount0 = h->env->icount;
        ExecStop stop = cpu_exec(h->env, &opt);
        ck_assert_int_eq(stop, STOP_HALT);
        uint8_t cnt[2];
        harness_read(h, 0x500, cnt, 2);
        ck_assert_int_eq(cnt[0], 3);
        ck_assert_uint_lt(h->env->icount - icount0, 200);  /* slept through the milliseconds */
        int64_t now = clock_now(&pc->clock);
        ck_assert_int_ge(now, 2999000);
        ck_assert_int_lt(now, 3100000);
        ck_assert_int_eq(harness_reg(h, G_EIP), 0x100b);
        h->m->clock = NULL;
        harness_free(h);
        pc_free(pc);
        free(pc);
    }
}
END_TEST

/* Hostile guest: random reads and writes on every board port, with time moving on, must neither crash (run under
 * PCJIT_SANITIZE) nor hang, and the board must still work afterwards. */
START_TEST(test_pc_random_port_io)
{
    static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x70,
                                      0x71, 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x60, 0x64 };
    CpuState *env = calloc(1, sizeof(CpuState));
    PcBoard *pc = calloc(1, sizeof(PcBoard));
    ck_assert_ptr_nonnull(env);
    ck_assert_ptr_nonnull(pc);
    env->a20_mask = 0xffffffffu;
    env->machine = &m;
    m.cpu = env;
    PcConfig cfg = { .clock_mode = CLOCK_MANUAL, .serial_in_fd = -1, .rtc_epoch = EPOCH_LEAP };
    ck_assert_int_eq(pc_init(pc, &m, &cfg), 0);
    uint32_t x = 12345;
    for (int i = 0; i < 200000; i++) {
        x = x * 1103515245u + 12345u;
        uint16_t port = ports[(x >> 8) % (sizeof(ports) / sizeof(ports[0]))];
        if (port == 0x64 && ((x >> 16) & 0xf0) == 0xf0)
            continue;   /* pulse commands only request a reset; keep the run going */
        if (x & 0x80000000u)
            bus_io_write(&m, port, (x >> 16) & 0xff, 1);
        else
            bus_io_read(&m, port, 1);
        if ((x & 0x7f) == 0)
            clock_advance(&pc->clock, (int64_t)(x >> 12));
        if (env->pending_irq && (x & 0x100))
            m.intr_ack(m.intr_opaque);
        m.reset_requested = false;
    }
    /* still a working PIC + PIT after the storm */
    pc_reset(pc);
    outb(0x20, 0x11); outb(0x21, 0x08); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0x21, 0xfe);
    outb(0x43, 0x34); outb(0x40, 0xa9); outb(0x40, 0x04);
    clock_advance(&pc->clock, 1100000);
    ck_assert_int_eq(env->pending_irq, 1);
    ck_assert_int_eq(m.intr_ack(m.intr_opaque), 0x08);
    m.cpu = NULL;
    pc_free(pc);
    free(pc);
    free(env);
}
END_TEST

/* The legacy x87 error path (SDM vol 1 8.7, D.2): with CR0.NE = 0 an unmasked divide-by-zero makes the next waiting
 * instruction assert FERR#, which the board latches onto IRQ13 (slave IR5, vector 0x75 here) instead of #MF; the
 * handler's FNCLEX drops FERR#, its OUT F0H clears the latch. With CR0.NE = 1 the same program takes #MF. */
START_TEST(test_pc_fpu_ferr_irq13)
{
    static const uint8_t main_code[] = {
        0xfb,                               /* 1000: sti */
        0xdb, 0xe3,                         /* 1001: fninit */
        0xd9, 0x2e, 0x10, 0x06,             /* 1003: fldcw [0x610] (ZE unmasked) */
        0xd9, 0xe8, 0xd9, 0xee,             /* 1007: fld1; fldz */
        0xde, 0xf9,                         /* 100b: fdivp st(1), st: ZE pending */
        0x9b,                               /* 100d: fwait: #MF (NE = 1) or FERR# (NE = 0) */
        0xc6, 0x06, 0x04, 0x05, 0x01,       /* 100e: mov byte [0x504], 1 (same block: must not run before IRQ13) */
        0x90,                               /* 1013: nop */
        0xfa, 0xf4,                         /* 1014: cli; hlt */
    };
    static const uint8_t irq13[] = {
        0xff, 0x06, 0x00, 0x05,             /* inc word [0x500] */
        0xa0, 0x04, 0x05, 0xa2, 0x05, 0x05, /* mov al, [0x504]; mov [0x505], al: had the MOV after FWAIT run? */
        0x89, 0xe5, 0x8b, 0x46, 0x00,       /* mov bp, sp; mov ax, [bp]: the return IP */
        0xa3, 0x06, 0x05,                   /* mov [0x506], ax */
        0xdb, 0xe2,                         /* fnclex: FERR# drops */
        0xe6, 0xf0,                         /* out 0xf0, al: clear the IRQ13 latch */
        0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, /* EOI slave, master */
        0xcf,                               /* iret */
    };
    static const uint8_t mf[] = {
        0xff, 0x06, 0x02, 0x05,             /* inc word [0x502] */
        0xdb, 0xe2,                         /* fnclex */
        0xcf,                               /* iret (the fault returns to the FWAIT) */
    };
    static const uint8_t pic_init[] = { 0x20, 0x11, 0x21, 0x08, 0x21, 0x04, 0x21, 0x01, 0x21, 0xfb,
                                        0xa0, 0x11, 0xa1, 0x70, 0xa1, 0x02, 0xa1, 0x01, 0xa1, 0xdf };
    for (int ne = 0; ne < 2; ne++) {
        Harness *h = harness_new(2);
        ck_assert_ptr_nonnull(h);
        PcBoard *pc = calloc(1, sizeof(PcBoard));
        PcConfig cfg = { .clock_mode = CLOCK_ICOUNT, .icount_shift = 10, .serial_in_fd = -1, .rtc_epoch = 0 };
        ck_assert_int_eq(pc_init(pc, h->m, &cfg), 0);
        harness_real_mode(h);
        h->env->cr0 = (h->env->cr0 & ~(CR0_NE | CR0_EM | CR0_TS)) | (ne ? CR0_NE : 0);
        cpu_update_hflags(h->env);
        harness_write(h, 0x1000, main_code, sizeof(main_code));
        harness_write(h, 0x1100, irq13, sizeof(irq13));
        harness_write(h, 0x1200, mf, sizeof(mf));
        harness_write(h, 0x75 * 4, (const uint8_t[]){ 0x00, 0x11, 0x00, 0x00 }, 4);
        harness_write(h, 16 * 4, (const uint8_t[]){ 0x00, 0x12, 0x00, 0x00 }, 4);
        harness_write(h, 0x610, (const uint8_t[]){ 0x7b, 0x03 }, 2);
        harness_fill(h, 0x500, 0, 8);
        harness_set_reg(h, G_EIP, 0x1000);
        harness_set_reg(h, G_ESP, 0x7000);
        for (unsigned i = 0; i < sizeof(pic_init); i += 2)
            bus_io_write(h->m, pic_init[i], pic_init[i + 1], 1);    /* only IRQ2 (cascade) and IRQ13 unmasked */
        ExecOptions opt = h->opt;
        opt.stop_on_hlt = true;
        opt.max_insns = 1000;
        ck_assert_int_eq(cpu_exec(h->env, &opt), STOP_HALT);
        uint8_t cnt[8];
        harness_read(h, 0x500, cnt, 8);
        ck_assert_int_eq(cnt[0], ne ? 0 : 1);           /* IRQ13 handler runs once without NE */
        ck_assert_int_eq(cnt[2], ne ? 1 : 0);           /* #MF handler runs once with NE */
        if (!ne) {
            /* P6 (SDM vol 1 D.2.1.3): the processor stops at the waiting FWAIT with FERR# asserted; the interrupt
             * returns to it, before anything after it has run */
            ck_assert_int_eq(cnt[5], 0);
            ck_assert_int_eq(cnt[6] | cnt[7] << 8, 0x100d);
        }
        ck_assert_int_eq(cnt[4], 1);
        ck_assert_int_eq(harness_reg(h, G_EIP), 0x1016);
        ck_assert(!pc->ferr && !pc->ferr_latch);
        ck_assert_int_eq(h->env->fpu_sw & (FX_ES | FX_B), 0);
        /* the board's latch alone: a FERR# edge raises IRQ13 (IRR of the slave), F0H lowers the line */
        irq_raise(&h->m->ferr);
        bus_io_write(h->m, 0xa0, 0x0a, 1);
        ck_assert_int_eq(bus_io_read(h->m, 0xa0, 1) & 0x20, 0x20);
        ck_assert(pc->ferr_latch);
        bus_io_write(h->m, 0xf0, 0, 1);
        ck_assert(!pc->ferr_latch);
        ck_assert_int_eq(pc->pic.s.chip[1].level & 0x20, 0);
        h->m->clock = NULL;
        harness_free(h);
        pc_free(pc);
        free(pc);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("devices");
    TCase *tc = tcase_create("devices");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_clock_timers);
    tcase_add_test(tc, test_clock_icount);
    tcase_add_test(tc, test_pic_priority_eoi);
    tcase_add_test(tc, test_pic_cascade);
    tcase_add_test(tc, test_pic_level_elcr_spurious);
    tcase_add_test(tc, test_pic_rotation_poll_aeoi_smm);
    tcase_add_test(tc, test_pit_mode2_rate_irq);
    tcase_add_test(tc, test_pit_mode0_and_4);
    tcase_add_test(tc, test_pit_mode3_bcd_lsb_msb_readback);
    tcase_add_test(tc, test_pit_gate_port61);
    tcase_add_test(tc, test_rtc_time_formats);
    tcase_add_test(tc, test_rtc_uip_and_interrupts);
    tcase_add_test(tc, test_rtc_update_alarm_interrupts);
    tcase_add_test(tc, test_uart_thre_iir_output);
    tcase_add_test(tc, test_uart_fifo_timeout);
    tcase_add_test(tc, test_uart_loopback_overrun_msr);
    tcase_add_test(tc, test_kbc_commands);
    tcase_add_test(tc, test_kbc_translation_aux);
    tcase_add_test(tc, test_kbc_a20_reset_port92);
    tcase_add_test(tc, test_save_load);
    tcase_add_test(tc, test_pc_wiring);
    tcase_add_test(tc, test_pc_exec_hlt_wakes_on_timer);
    tcase_add_test(tc, test_pc_random_port_io);
    tcase_add_test(tc, test_pc_fpu_ferr_irq13);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
