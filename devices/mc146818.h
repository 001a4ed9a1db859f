/* mc146818.h — the RTC/CMOS (MC146818A): date and time, 128 bytes of CMOS RAM, periodic / alarm / update-ended
 * interrupts on IRQ8, ports 0x70 (index, bit 7 = NMI mask) and 0x71 (data).
 * Left out: the square-wave output pin, daylight-saving adjustment (DSE is stored, not applied). */
#ifndef PCJIT_MC146818_H
#define PCJIT_MC146818_H
#include <stdint.h>
#include <stddef.h>
#include "irq.h"
#include "clock.h"
#include "bus.h"

enum {
    RTC_SECONDS = 0, RTC_SECONDS_ALARM = 1, RTC_MINUTES = 2, RTC_MINUTES_ALARM = 3, RTC_HOURS = 4,
    RTC_HOURS_ALARM = 5, RTC_DAY_OF_WEEK = 6, RTC_DAY_OF_MONTH = 7, RTC_MONTH = 8, RTC_YEAR = 9,
    RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c, RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,
    RTC_A_UIP = 0x80, RTC_B_SET = 0x80, RTC_B_PIE = 0x40, RTC_B_AIE = 0x20, RTC_B_UIE = 0x10, RTC_B_SQWE = 0x08,
    RTC_B_DM_BINARY = 0x04, RTC_B_24H = 0x02, RTC_B_DSE = 0x01,
    RTC_C_IRQF = 0x80, RTC_C_PF = 0x40, RTC_C_AF = 0x20, RTC_C_UF = 0x10, RTC_D_VRT = 0x80,
};

typedef struct Mc146818State {
    uint8_t cmos[128];      /* NVRAM and registers A-D; 0-9 and 0x32 hold the time only while SET freezes it */
    uint8_t index;
    uint8_t nmi_masked;     /* port 0x70 bit 7 as last written */
    int64_t epoch;          /* the current second, seconds since 1970-01-01 00:00:00 (guest time, UTC) */
    int64_t sec_start_ns;   /* virtual time at which that second began */
    int64_t pf_origin_ns;   /* periodic-interrupt phase origin (divider reset / rate change) */
    int64_t pf_seen;        /* periodic periods already accounted in PF */
} Mc146818State;

typedef struct Mc146818 {
    Mc146818State s;
    Clock *clock;
    IrqLine irq;
    Timer timer;            /* next periodic tick or second boundary, while an interrupt is enabled */
} Mc146818;

/* start_epoch: the guest's date at power-on in seconds since 1970 (UTC), or -1 for the host's current time. */
void mc146818_init(Mc146818 *r, Clock *clock, IrqLine irq, int64_t start_epoch);
/* The RESET pin: interrupt enables and flags cleared; time and NVRAM kept. */
void mc146818_reset(Mc146818 *r);
int mc146818_attach(Mc146818 *r, Machine *m);
/* CMOS RAM as the firmware sees it (index 0x0e-0x7f; no side effects), for the board's memory-size bytes. */
void mc146818_set_cmos(Mc146818 *r, int index, uint8_t val);
uint8_t mc146818_get_cmos(const Mc146818 *r, int index);
size_t mc146818_save(const Mc146818 *r, uint8_t *buf, size_t cap);
int mc146818_load(Mc146818 *r, const uint8_t *buf, size_t len);

#endif
