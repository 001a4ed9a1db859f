/* mc146818.c — RTC/CMOS (Motorola MC146818A datasheet).
 * Model: the time is kept as (epoch second, virtual ns at which it began); registers 0-9 and the century byte are
 * computed from it on each read in the format register B selects (BCD or binary, 12 or 24 hour). Seconds advance
 * lazily (rtc_sync) whenever the guest looks or a timer fires: each second boundary sets UF and checks the alarm
 * (AF); the periodic flag PF is set when a period boundary of the rate in register A has passed since it was last
 * accounted. UIP reads 1 during the last 244 us of each second (the datasheet's warning window before an update).
 * While B.SET is 1 the time is frozen in cmos[0-9] (the guest may rewrite it) and parsed back when SET clears.
 * IRQ8 follows C.IRQF; reading C clears the flags and lowers it. A timer is armed only while an interrupt is
 * enabled (PIE: next period; UIE/AIE: next second).
 * Invariants: a guest-written time is clamped to a valid date (years 1900-2199) before it becomes the epoch; the
 * index is masked to 7 bits; no update happens unless the divider (A bits 6-4) is 010 and SET is 0.
 * Left out: daylight saving (DSE), the square-wave pin, the divider's 500 ms delay before the first update after a
 * divider reset, alarms missed during a gap of more than 2 seconds between looks (XXX: only the last second of a
 * longer gap is compared with the alarm). */
#include <time.h>
#include "mc146818.h"
#include "device.h"

enum { NS_PER_SEC = 1000000000, RTC_UIP_NS = 244000, RTC_DIVIDER_NORMAL = 0x20 };

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

typedef struct RtcTime { int64_t year; unsigned mon, mday, wday, hour, min, sec; } RtcTime;

static RtcTime rtc_split(int64_t epoch)
{
    RtcTime t;
    int64_t days = epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400);
    int64_t rem = epoch - days * 86400;
    civil_from_days(days, &t.year, &t.mon, &t.mday);
    t.wday = (unsigned)(((days + 4) % 7 + 7) % 7) + 1;    /* 1970-01-01 was a Thursday; Sunday = 1 */
    t.hour = (unsigned)(rem / 3600);
    t.min = (unsigned)(rem / 60 % 60);
    t.sec = (unsigned)(rem % 60);
    return t;
}

static unsigned clampu(unsigned v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int64_t rtc_join(RtcTime t)
{
    t.year = t.year < 1900 ? 1900 : t.year > 2199 ? 2199 : t.year;
    t.mon = clampu(t.mon, 1, 12);
    t.mday = clampu(t.mday, 1, 31);
    return days_from_civil(t.year, t.mon, 1) * 86400 + (int64_t)(t.mday - 1) * 86400 +
           clampu(t.hour, 0, 23) * 3600 + clampu(t.min, 0, 59) * 60 + clampu(t.sec, 0, 59);
}

static bool rtc_binary(const Mc146818 *r) { return r->s.cmos[RTC_REG_B] & RTC_B_DM_BINARY; }

static uint8_t rtc_to_reg(const Mc146818 *r, unsigned v)
{
    v %= 100;
    return (uint8_t)(rtc_binary(r) ? v : (v / 10) << 4 | v % 10);
}

static unsigned rtc_from_reg(const Mc146818 *r, uint8_t v)
{
    return rtc_binary(r) ? v : (v >> 4) * 10 + (v & 0xf);
}

static uint8_t rtc_hour_to_reg(const Mc146818 *r, unsigned h)
{
    if (r->s.cmos[RTC_REG_B] & RTC_B_24H)
        return rtc_to_reg(r, h);
    unsigned h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(rtc_to_reg(r, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned rtc_hour_from_reg(const Mc146818 *r, uint8_t v)
{
    if (r->s.cmos[RTC_REG_B] & RTC_B_24H)
        return rtc_from_reg(r, v);
    unsigned h = rtc_from_reg(r, v & 0x7f) % 12;
    return h + ((v & 0x80) ? 12 : 0);
}

/* The value of time register idx (0-9 or the century) for epoch, in the current format. */
static uint8_t rtc_time_reg(const Mc146818 *r, int idx, int64_t epoch)
{
    RtcTime t = rtc_split(epoch);
    switch (idx) {
    case RTC_SECONDS: return rtc_to_reg(r, t.sec);
    case RTC_MINUTES: return rtc_to_reg(r, t.min);
    case RTC_HOURS: return rtc_hour_to_reg(r, t.hour);
    case RTC_DAY_OF_WEEK: return rtc_to_reg(r, t.wday);
    case RTC_DAY_OF_MONTH: return rtc_to_reg(r, t.mday);
    case RTC_MONTH: return rtc_to_reg(r, t.mon);
    case RTC_YEAR: return rtc_to_reg(r, (unsigned)(t.year % 100));
    case RTC_CENTURY: return rtc_to_reg(r, (unsigned)(t.year / 100));
    default: return r->s.cmos[idx];     /* alarm registers are plain RAM */
    }
}

static bool rtc_is_time_reg(int idx)
{
    return (idx <= RTC_YEAR && idx != RTC_SECONDS_ALARM && idx != RTC_MINUTES_ALARM && idx != RTC_HOURS_ALARM) ||
           idx == RTC_CENTURY;
}

/* Parse registers 0-9 and the century as they are in cmos[] into an epoch. */
static int64_t rtc_parse_cmos(const Mc146818 *r)
{
    const uint8_t *c = r->s.cmos;
    RtcTime t = { .year = (int64_t)rtc_from_reg(r, c[RTC_CENTURY]) * 100 + rtc_from_reg(r, c[RTC_YEAR]),
                  .mon = rtc_from_reg(r, c[RTC_MONTH]), .mday = rtc_from_reg(r, c[RTC_DAY_OF_MONTH]),
                  .hour = rtc_hour_from_reg(r, c[RTC_HOURS]), .min = rtc_from_reg(r, c[RTC_MINUTES]),
                  .sec = rtc_from_reg(r, c[RTC_SECONDS]) };
    return rtc_join(t);
}

static bool rtc_running(const Mc146818 *r)
{
    return !(r->s.cmos[RTC_REG_B] & RTC_B_SET) && (r->s.cmos[RTC_REG_A] & 0x70) == RTC_DIVIDER_NORMAL;
}

static bool rtc_alarm_match(const Mc146818 *r, int64_t epoch)
{
    static const int pairs[3][2] = { { RTC_SECONDS_ALARM, RTC_SECONDS }, { RTC_MINUTES_ALARM, RTC_MINUTES },
                                     { RTC_HOURS_ALARM, RTC_HOURS } };
    for (int i = 0; i < 3; i++) {
        uint8_t a = r->s.cmos[pairs[i][0]];
        if ((a & 0xc0) != 0xc0 && a != rtc_time_reg(r, pairs[i][1], epoch))
            return false;   /* 11xxxxxx is "don't care" */
    }
    return true;
}

/* Period of the periodic interrupt in ns, or 0 (rate 0 or divider not running). */
static int64_t rtc_period_ns(const Mc146818 *r)
{
    unsigned rs = r->s.cmos[RTC_REG_A] & 0x0f;
    if (!rs || (r->s.cmos[RTC_REG_A] & 0x70) != RTC_DIVIDER_NORMAL)
        return 0;
    if (rs <= 2)
        rs += 7;    /* rates 1 and 2 repeat 8 and 9 (256 Hz, 128 Hz) */
    return ((int64_t)NS_PER_SEC << (rs - 1)) / 32768;
}

/* Bring the time, UF/AF and PF up to now. */
static void rtc_sync(Mc146818 *r, int64_t now)
{
    Mc146818State *s = &r->s;
    if (!rtc_running(r)) {
        s->sec_start_ns = now;
    } else if (now - s->sec_start_ns >= NS_PER_SEC) {
        int64_t n = (now - s->sec_start_ns) / NS_PER_SEC;
        for (int64_t i = n > 2 ? n - 1 : 1; i <= n; i++)
            if (rtc_alarm_match(r, s->epoch + i))
                s->cmos[RTC_REG_C] |= RTC_C_AF;
        s->epoch += n;
        s->sec_start_ns += n * NS_PER_SEC;
        s->cmos[RTC_REG_C] |= RTC_C_UF;
    }
    int64_t period = rtc_period_ns(r);
    if (period && now >= s->pf_origin_ns) {
        int64_t k = (now - s->pf_origin_ns) / period;
        if (k > s->pf_seen) {
            s->pf_seen = k;
            s->cmos[RTC_REG_C] |= RTC_C_PF;
        }
    }
}

static void rtc_update_irq(Mc146818 *r)
{
    uint8_t b = r->s.cmos[RTC_REG_B], *c = &r->s.cmos[RTC_REG_C];
    bool irqf = ((*c & RTC_C_PF) && (b & RTC_B_PIE)) || ((*c & RTC_C_AF) && (b & RTC_B_AIE)) ||
                ((*c & RTC_C_UF) && (b & RTC_B_UIE));
    *c = (uint8_t)((*c & 0x70) | (irqf ? RTC_C_IRQF : 0));
    irq_set(&r->irq, irqf);
}

static void rtc_arm_timer(Mc146818 *r, int64_t now)
{
    int64_t when = CLOCK_NEVER, period = rtc_period_ns(r);
    uint8_t b = r->s.cmos[RTC_REG_B];
    if ((b & RTC_B_PIE) && period)
        when = r->s.pf_origin_ns + (r->s.pf_seen + 1) * period;
    if ((b & (RTC_B_UIE | RTC_B_AIE)) && rtc_running(r) && r->s.sec_start_ns + NS_PER_SEC < when)
        when = r->s.sec_start_ns + NS_PER_SEC;
    if (when != CLOCK_NEVER && when <= now)
        when = now + 1;
    timer_mod(&r->timer, when);
}

static void rtc_refresh(Mc146818 *r)
{
    int64_t now = clock_now(r->clock);
    rtc_sync(r, now);
    rtc_update_irq(r);
    rtc_arm_timer(r, now);
}

static void rtc_timer_cb(void *opaque)
{
    rtc_refresh(opaque);
}

static uint8_t rtc_read_reg(Mc146818 *r, int idx)
{
    int64_t now = clock_now(r->clock);
    rtc_sync(r, now);
    uint8_t v;
    if (rtc_is_time_reg(idx) && !(r->s.cmos[RTC_REG_B] & RTC_B_SET))
        return rtc_time_reg(r, idx, r->s.epoch);
    switch (idx) {
    case RTC_REG_A:
        v = r->s.cmos[RTC_REG_A] & 0x7f;
        if (rtc_running(r) && now - r->s.sec_start_ns >= NS_PER_SEC - RTC_UIP_NS)
            v |= RTC_A_UIP;
        return v;
    case RTC_REG_C:
        rtc_update_irq(r);
        v = r->s.cmos[RTC_REG_C];
        r->s.cmos[RTC_REG_C] = 0;      /* reading C clears every flag */
        rtc_update_irq(r);
        rtc_arm_timer(r, now);
        return v;
    case RTC_REG_D:
        return RTC_D_VRT;
    default:
        return r->s.cmos[idx];
    }
}

/* SET going 1 freezes the current time into cmos[]; going 0 makes cmos[] the time. */
static void rtc_write_b(Mc146818 *r, uint8_t val, int64_t now)
{
    Mc146818State *s = &r->s;
    uint8_t old = s->cmos[RTC_REG_B];
    if ((val & RTC_B_SET) && !(old & RTC_B_SET)) {
        for (int i = 0; i <= RTC_YEAR; i++)
            if (rtc_is_time_reg(i))
                s->cmos[i] = rtc_time_reg(r, i, s->epoch);
        s->cmos[RTC_CENTURY] = rtc_time_reg(r, RTC_CENTURY, s->epoch);
        val &= (uint8_t)~RTC_B_UIE;     /* SET clears UIE (datasheet, register B bit 7) */
    }
    s->cmos[RTC_REG_B] = val;
    if (!(val & RTC_B_SET) && (old & RTC_B_SET)) {
        s->epoch = rtc_parse_cmos(r);
        s->sec_start_ns = now;
    }
}

static void rtc_write_reg(Mc146818 *r, int idx, uint8_t val)
{
    Mc146818State *s = &r->s;
    int64_t now = clock_now(r->clock);
    rtc_sync(r, now);
    if (rtc_is_time_reg(idx) && !(s->cmos[RTC_REG_B] & RTC_B_SET)) {
        /* a write while the time is not frozen: change that field of the running time */
        for (int i = 0; i <= RTC_YEAR; i++)
            if (rtc_is_time_reg(i))
                s->cmos[i] = rtc_time_reg(r, i, s->epoch);
        s->cmos[RTC_CENTURY] = rtc_time_reg(r, RTC_CENTURY, s->epoch);
        s->cmos[idx] = val;
        s->epoch = rtc_parse_cmos(r);
    } else {
        switch (idx) {
        case RTC_REG_A:
            if ((val & 0x7f) != (s->cmos[RTC_REG_A] & 0x7f)) {
                s->pf_origin_ns = now;
                s->pf_seen = 0;
            }
            if ((val & 0x70) == RTC_DIVIDER_NORMAL && (s->cmos[RTC_REG_A] & 0x70) != RTC_DIVIDER_NORMAL)
                s->sec_start_ns = now;
            s->cmos[RTC_REG_A] = val & 0x7f;    /* UIP is read-only */
            break;
        case RTC_REG_B: rtc_write_b(r, val, now); break;
        case RTC_REG_C: case RTC_REG_D: break;  /* read-only */
        default: s->cmos[idx] = val; break;
        }
    }
    rtc_update_irq(r);
    rtc_arm_timer(r, now);
}

static uint32_t rtc_port_read(void *opaque, uint32_t addr, int size)
{
    Mc146818 *r = opaque;
    if (addr == 0)
        return 0xff;    /* the index register is write-only */
    return rtc_read_reg(r, r->s.index);
}

static void rtc_port_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    Mc146818 *r = opaque;
    if (addr == 0) {
        r->s.index = val & 0x7f;
        r->s.nmi_masked = (val & 0x80) ? 1 : 0;
    } else {
        rtc_write_reg(r, r->s.index, (uint8_t)val);
    }
}

void mc146818_set_cmos(Mc146818 *r, int index, uint8_t val)
{
    if (index >= 0x0e && index < 128 && index != RTC_CENTURY)
        r->s.cmos[index] = val;
}

uint8_t mc146818_get_cmos(const Mc146818 *r, int index)
{
    return index >= 0 && index < 128 ? r->s.cmos[index] : 0xff;
}

void mc146818_reset(Mc146818 *r)
{
    r->s.cmos[RTC_REG_B] &= (uint8_t)~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
    r->s.cmos[RTC_REG_C] = 0;
    rtc_refresh(r);
}

void mc146818_init(Mc146818 *r, Clock *clock, IrqLine irq, int64_t start_epoch)
{
    memset(r, 0, sizeof(*r));
    r->clock = clock;
    r->irq = irq;
    timer_init(&r->timer, clock, rtc_timer_cb, r);
    int64_t now = clock_now(clock);
    r->s.epoch = start_epoch >= 0 ? start_epoch : (int64_t)time(NULL);
    r->s.sec_start_ns = now;
    r->s.pf_origin_ns = now;
    r->s.cmos[RTC_REG_A] = RTC_DIVIDER_NORMAL | 0x06;   /* 32.768 kHz, 1024 Hz periodic rate */
    r->s.cmos[RTC_REG_B] = RTC_B_24H;
    mc146818_reset(r);
}

int mc146818_attach(Mc146818 *r, Machine *m)
{
    return bus_register_io(m, 0x70, 2, rtc_port_read, rtc_port_write, r, "rtc");
}

size_t mc146818_save(const Mc146818 *r, uint8_t *buf, size_t cap)
{
    return dev_save_blob(DEV_TAG('R', 'T', 'C', '1'), &r->s, sizeof(r->s), buf, cap);
}

int mc146818_load(Mc146818 *r, const uint8_t *buf, size_t len)
{
    if (dev_load_blob(DEV_TAG('R', 'T', 'C', '1'), &r->s, sizeof(r->s), buf, len) < 0)
        return -1;
    rtc_refresh(r);
    return 0;
}
