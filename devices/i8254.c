/* i8254.c — the 8254 PIT (Intel 8254 datasheet) and port 0x61.
 * Model: a channel does not tick; its counter and OUT are computed from the virtual time elapsed since counting
 * started (load_ns), in 1.193182 MHz input ticks: d = ticks since start, N = reload value,
 *   mode 0/1  counter N-d (wrapping), OUT high once d >= N (mode 1: after a gate trigger; high before it);
 *   mode 2    counter N - d%N, OUT low for the tick where the counter is 1 (rate generator);
 *   mode 3    OUT high for ceil(N/2) ticks then low for floor(N/2), counter decrements by 2 in each half;
 *   mode 4/5  counter N-d, OUT low for the single tick d == N (mode 5: after a gate trigger).
 * A gate that goes low freezes modes 0/4 (frozen_ticks) and stops modes 2/3 with OUT high (a rising gate reloads
 * them); a rising gate (re)triggers modes 1/5. Channel 0 keeps one timer armed at its next OUT transition and
 * drives IRQ0 with OUT's level. A timer that fires late evaluates OUT at its own deadline and then at each later
 * transition in turn (so no edge is lost), unless it is more than 10 ms behind (a host stall): then it skips to the
 * transitions still ahead instead of replaying them all.
 * Invariants: every guest value is masked to its field; N is 1..0x10000 (binary) or 1..10000 (BCD); no transition
 * is scheduled for N < 2 in modes 2/3 (they would need an event per input tick).
 * Left out: the one-tick delay between writing a count and the first decrement; a new count in modes 2/3 takes
 * effect at once instead of at the end of the current period (XXX, 8254 datasheet "mode 2"). */
#include "i8254.h"
#include "device.h"

enum { PIT_REFRESH_NS = 15085, CW_BCD = 1, PIT_MAX_LAG_NS = 10000000 };

static int64_t pit_ns_to_ticks(int64_t ns)
{
    if (ns <= 0)
        return 0;
    return ns / 1000000000 * PIT_FREQ + ns % 1000000000 * PIT_FREQ / 1000000000;
}

static int64_t pit_ticks_to_ns(int64_t t)
{
    return t / PIT_FREQ * 1000000000 + (t % PIT_FREQ * 1000000000 + PIT_FREQ - 1) / PIT_FREQ;
}

/* Ticks counted so far, or -1 if the channel is not counting. */
static int64_t pit_ticks(const PitChannel *c, int64_t now)
{
    if (!c->armed)
        return -1;
    if (c->frozen_ticks >= 0)
        return c->frozen_ticks;
    return pit_ns_to_ticks(now - c->load_ns);
}

static uint32_t pit_modulus(const PitChannel *c)
{
    return c->bcd ? 10000 : 0x10000;
}

static uint32_t pit_counter_at(const PitChannel *c, int64_t d)
{
    uint32_t n = c->count, mod = pit_modulus(c);
    if (d < 0)
        return n % mod;
    switch (c->mode) {
    case 2: return n - (uint32_t)(d % n);
    case 3: {
        uint32_t half = (n + 1) / 2, ph = (uint32_t)(d % n);
        uint32_t x = ph < half ? ph : ph - half;
        return (n - 2 * x) & ~1u;
    }
    default: return (uint32_t)(((int64_t)n - d % mod + mod) % mod);
    }
}

static int pit_out_at(const PitChannel *c, int64_t d)
{
    if (d < 0)
        return c->mode != 0;    /* not counting: mode 0 holds OUT low after the control word, others high */
    uint32_t n = c->count;
    switch (c->mode) {
    case 0: case 1: return d >= n;
    case 2: return !c->gate || n < 2 || d % n != n - 1;
    case 3: return !c->gate || (uint32_t)(d % n) < (n + 1) / 2;
    default: return d != n;     /* 4, 5 */
    }
}

/* Ticks at which OUT next changes after tick d, or -1. */
static int64_t pit_next_transition(const PitChannel *c, int64_t d)
{
    if (d < 0 || c->frozen_ticks >= 0)
        return -1;
    int64_t n = c->count, ph = d % n, base = d - ph;
    switch (c->mode) {
    case 0: case 1: return d < n ? n : -1;
    case 2: return n < 2 ? -1 : ph < n - 1 ? base + n - 1 : base + n;
    case 3: return n < 2 ? -1 : ph < (n + 1) / 2 ? base + (n + 1) / 2 : base + n;
    default: return d < n ? n : d == n ? n + 1 : -1;
    }
}

uint32_t i8254_get_count(I8254 *p, int channel)
{
    PitChannel *c = &p->s.ch[(unsigned)channel % 3];
    return pit_counter_at(c, pit_ticks(c, clock_now(p->clock))) & 0xffff;
}

int i8254_get_out(I8254 *p, int channel)
{
    PitChannel *c = &p->s.ch[(unsigned)channel % 3];
    return pit_out_at(c, pit_ticks(c, clock_now(p->clock)));
}

/* Channel 0: drive IRQ0 with OUT at time t and arm the timer at the next transition after t (or after now). */
static void pit_irq_update(I8254 *p, int64_t t)
{
    PitChannel *c = &p->s.ch[0];
    int64_t now = clock_now(p->clock);
    int64_t d = pit_ticks(c, t);
    c->out = (uint8_t)pit_out_at(c, d);
    irq_set(&p->irq0, c->out);
    int64_t next = pit_next_transition(c, d);
    if (next < 0) {
        timer_del(&p->timer);
        return;
    }
    int64_t when = c->load_ns + pit_ticks_to_ns(next);
    if (when < now - PIT_MAX_LAG_NS) {  /* far behind (a host stall): skip to the transitions still ahead */
        /* OUT takes its value of now, so an edge inside the skipped span is not lost: a mode 4 one-shot whose
         * rising edge at terminal count + 1 falls in the gap still raises IRQ0 (late), as Linux's one-shot
         * clockevent needs — else the guest sleeps forever in HLT. */
        int64_t dnow = pit_ticks(c, now);
        c->out = (uint8_t)pit_out_at(c, dnow);
        irq_set(&p->irq0, c->out);
        next = pit_next_transition(c, dnow);
        if (next < 0) {
            timer_del(&p->timer);
            return;
        }
        when = c->load_ns + pit_ticks_to_ns(next);
    }
    if (when <= t)
        when = t + 1;
    p->timer_target = when;
    timer_mod(&p->timer, when);
}

static void pit_timer_cb(void *opaque)
{
    I8254 *p = opaque;
    pit_irq_update(p, p->timer_target);
}

static void pit_changed(I8254 *p, int channel)
{
    if (channel == 0)
        pit_irq_update(p, clock_now(p->clock));
}

void i8254_set_gate(I8254 *p, int channel, int level)
{
    channel = (int)((unsigned)channel % 3);
    PitChannel *c = &p->s.ch[channel];
    int64_t now = clock_now(p->clock);
    level = level ? 1 : 0;
    if (level == c->gate)
        return;
    if (!level && c->armed && c->frozen_ticks < 0 && c->mode != 1 && c->mode != 5)
        c->frozen_ticks = pit_ticks(c, now);    /* 0/4 suspend, 2/3 stop (OUT high while gate is low) */
    c->gate = (uint8_t)level;
    if (level) {
        switch (c->mode) {
        case 1: case 5: case 2: case 3:     /* trigger / reload */
            if (!c->null_count || c->armed) {
                c->armed = 1;
                c->load_ns = now;
                c->frozen_ticks = -1;
            }
            break;
        default:                            /* 0, 4: resume where it stopped */
            if (c->armed && c->frozen_ticks >= 0) {
                c->load_ns = now - pit_ticks_to_ns(c->frozen_ticks);
                c->frozen_ticks = -1;
            }
            break;
        }
    }
    pit_changed(p, channel);
}

static uint32_t pit_from_bcd(uint32_t v)
{
    uint32_t r = 0;
    for (int shift = 12; shift >= 0; shift -= 4) {
        uint32_t digit = (v >> shift) & 0xf;
        r = r * 10 + (digit > 9 ? 9 : digit);
    }
    return r;
}

static uint32_t pit_to_bcd(uint32_t v)
{
    v %= 10000;
    return (v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10);
}

static void pit_load_count(I8254 *p, int channel, uint32_t raw)
{
    PitChannel *c = &p->s.ch[channel];
    uint32_t n = c->bcd ? pit_from_bcd(raw) : raw;
    c->count = n ? n : pit_modulus(c);
    c->null_count = 0;
    if (c->mode == 1 || c->mode == 5) {
        /* counting starts at the next gate trigger (a channel already triggered keeps its current cycle) */
    } else {
        c->armed = 1;
        c->load_ns = clock_now(p->clock);
        c->frozen_ticks = c->gate ? -1 : 0;
    }
    pit_changed(p, channel);
}

static uint8_t pit_status(I8254 *p, PitChannel *c)
{
    int out = pit_out_at(c, pit_ticks(c, clock_now(p->clock)));
    return (uint8_t)(out << 7 | c->null_count << 6 | c->rw << 4 | c->mode << 1 | c->bcd);
}

static void pit_latch(I8254 *p, PitChannel *c)
{
    if (c->latched)
        return;     /* the first latch holds until it is read */
    uint32_t v = pit_counter_at(c, pit_ticks(c, clock_now(p->clock))) & 0xffff;
    c->latch = (uint16_t)(c->bcd ? pit_to_bcd(v) : v);
    c->latched = 1;
}

static void pit_write_control(I8254 *p, uint8_t val)
{
    int sc = val >> 6;
    if (sc == 3) {      /* read-back: bit 5 = 0 latch counts, bit 4 = 0 latch status, bits 1-3 channels */
        for (int i = 0; i < 3; i++) {
            if (!(val & (2 << i)))
                continue;
            PitChannel *c = &p->s.ch[i];
            if (!(val & 0x20))
                pit_latch(p, c);
            if (!(val & 0x10) && !c->status_latched) {
                c->status = pit_status(p, c);
                c->status_latched = 1;
            }
        }
        return;
    }
    PitChannel *c = &p->s.ch[sc];
    int rw = (val >> 4) & 3;
    if (rw == 0) {
        pit_latch(p, c);
        return;
    }
    c->rw = (uint8_t)rw;
    c->mode = (val >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;   /* 110, 111 are modes 2, 3 */
    c->bcd = val & CW_BCD;
    c->armed = 0;
    c->frozen_ticks = -1;
    c->null_count = 1;
    c->latched = 0;
    c->status_latched = 0;
    c->read_msb = c->write_msb = 0;
    pit_changed(p, sc);
}

static void pit_write_data(I8254 *p, int channel, uint8_t val)
{
    PitChannel *c = &p->s.ch[channel];
    switch (c->rw) {
    case 1: pit_load_count(p, channel, val); break;
    case 2: pit_load_count(p, channel, (uint32_t)val << 8); break;
    default:
        if (!c->write_msb) {
            c->write_lsb = val;
            c->write_msb = 1;
            if (c->mode == 0 && c->armed && c->frozen_ticks < 0)
                c->frozen_ticks = pit_ticks(c, clock_now(p->clock)); /* mode 0: the LSB stops counting */
        } else {
            c->write_msb = 0;
            pit_load_count(p, channel, c->write_lsb | (uint32_t)val << 8);
        }
        break;
    }
}

static uint8_t pit_read_data(I8254 *p, int channel)
{
    PitChannel *c = &p->s.ch[channel];
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    uint32_t v;
    if (c->latched) {
        v = c->latch;
    } else {
        v = pit_counter_at(c, pit_ticks(c, clock_now(p->clock))) & 0xffff;
        if (c->bcd)
            v = pit_to_bcd(v);
    }
    bool msb;
    switch (c->rw) {
    case 1: msb = false; c->latched = 0; break;
    case 2: msb = true; c->latched = 0; break;
    default:
        msb = c->latched ? c->latched == 2 : c->read_msb;
        if (c->latched)
            c->latched = c->latched == 1 ? 2 : 0;
        else
            c->read_msb ^= 1;
        break;
    }
    return (uint8_t)(msb ? v >> 8 : v);
}

static uint32_t pit_port_read(void *opaque, uint32_t addr, int size)
{
    return addr < 3 ? pit_read_data(opaque, (int)addr) : 0xff;  /* the control word is write-only */
}

static void pit_port_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    if (addr < 3)
        pit_write_data(opaque, (int)addr, (uint8_t)val);
    else
        pit_write_control(opaque, (uint8_t)val);
}

static uint32_t port61_read(void *opaque, uint32_t addr, int size)
{
    I8254 *p = opaque;
    int64_t now = clock_now(p->clock);
    int refresh = (int)((now / PIT_REFRESH_NS) & 1);
    return (p->s.port61 & 0x0f) | (uint32_t)refresh << 4 | (uint32_t)i8254_get_out(p, 2) << 5;
}

static void port61_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    I8254 *p = opaque;
    p->s.port61 = val & 0x0f;
    i8254_set_gate(p, 2, val & 1);
}

void i8254_reset(I8254 *p)
{
    timer_del(&p->timer);
    memset(&p->s, 0, sizeof(p->s));
    for (int i = 0; i < 3; i++) {
        PitChannel *c = &p->s.ch[i];
        c->count = 0x10000;
        c->mode = 3;
        c->rw = 3;
        c->gate = i != 2;   /* channels 0 and 1 are gated high on the PC; channel 2 by port 0x61 bit 0 */
        c->frozen_ticks = -1;
        c->null_count = 1;
    }
    pit_changed(p, 0);
}

void i8254_init(I8254 *p, Clock *clock, IrqLine irq0)
{
    memset(p, 0, sizeof(*p));
    p->clock = clock;
    p->irq0 = irq0;
    timer_init(&p->timer, clock, pit_timer_cb, p);
    i8254_reset(p);
}

int i8254_attach(I8254 *p, Machine *m)
{
    if (bus_register_io(m, 0x40, 4, pit_port_read, pit_port_write, p, "pit") < 0 ||
        bus_register_io(m, 0x61, 1, port61_read, port61_write, p, "port61") < 0)
        return -1;
    return 0;
}

size_t i8254_save(const I8254 *p, uint8_t *buf, size_t cap)
{
    return dev_save_blob(DEV_TAG('P', 'I', 'T', '4'), &p->s, sizeof(p->s), buf, cap);
}

int i8254_load(I8254 *p, const uint8_t *buf, size_t len)
{
    if (dev_load_blob(DEV_TAG('P', 'I', 'T', '4'), &p->s, sizeof(p->s), buf, len) < 0)
        return -1;
    /* load_ns values are times of the clock that saved them: valid when the clock is restored with them */
    pit_changed(p, 0);
    return 0;
}
