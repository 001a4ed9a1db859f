/* clock.c — virtual time and timers (see clock.h for the three modes).
 * Invariants: the armed-timer list is sorted by deadline; clock_now is monotonic; timers only fire from
 * clock_run_timers. In icount mode virtual time is a pure function of the instruction count and of the idle skips,
 * so a run is reproducible; in host mode poll_icount is a polling interval, not a deadline.
 * Left out: a host timer thread/signal (the exec loop polls instead: a block boundary is never far away). */
#include <time.h>
#include <errno.h>
#include "clock.h"

static void clock_compute_poll(Clock *c);

static int64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void clock_init(Clock *c, ClockMode mode, const uint64_t *icount, int icount_shift)
{
    *c = (Clock){ .mode = mode, .icount = icount, .icount_shift = icount_shift };
    if (mode == CLOCK_ICOUNT && !icount)
        c->mode = CLOCK_MANUAL;
    if (c->icount_shift < 0)
        c->icount_shift = 0;
    if (c->icount_shift > 20)
        c->icount_shift = 20;
    c->host_base_ns = host_ns();
    c->icount_base = icount ? *icount : 0;
    clock_compute_poll(c);
}

int64_t clock_now(Clock *c)
{
    int64_t ns;
    switch (c->mode) {
    case CLOCK_HOST: ns = host_ns() - c->host_base_ns; break;
    case CLOCK_ICOUNT: ns = (int64_t)((*c->icount - c->icount_base) << c->icount_shift) + c->idle_ns; break;
    default: ns = c->manual_ns; break;
    }
    if (ns < c->last_ns)
        ns = c->last_ns;
    c->last_ns = ns;
    return ns;
}

void clock_advance(Clock *c, int64_t ns)
{
    if (ns > 0)
        c->manual_ns += ns;
    clock_run_timers(c);
}

void timer_init(Timer *t, Clock *c, TimerFn fn, void *opaque)
{
    *t = (Timer){ .clock = c, .deadline = CLOCK_NEVER, .fn = fn, .opaque = opaque };
}

static void timer_unlink(Timer *t)
{
    for (Timer **pp = &t->clock->timers; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    t->next = NULL;
    t->deadline = CLOCK_NEVER;
}

/* Poll again at the first deadline in icount mode (so a timer fires at its exact instruction); a polling interval
 * in host mode. */
static void clock_update_poll(Clock *c)
{
    uint64_t old = c->poll_icount;
    clock_compute_poll(c);
    if (c->poll_icount < old && c->kick)
        *c->kick = 1;
}

static void clock_compute_poll(Clock *c)
{
    if (c->mode != CLOCK_ICOUNT) {
        /* Host time: poll again well before the first deadline, assuming the guest runs at least
         * CLOCK_HOST_MIN_RATE instructions per microsecond (slower phases poll late by at most the cap's worth of
         * instructions); between CLOCK_HOST_POLL_INSNS and CLOCK_HOST_POLL_MAX instructions. Each poll reads the
         * host clock and ends in-code chaining, so polling every few thousand instructions cost ~5 % of a Linux
         * workload. */
        uint64_t insns = CLOCK_HOST_POLL_MAX;
        int64_t d = clock_next_deadline(c);
        if (d != CLOCK_NEVER) {
            int64_t delta = d - clock_now(c);
            insns = delta <= 0 ? CLOCK_HOST_POLL_INSNS : (uint64_t)delta / 1000 * CLOCK_HOST_MIN_RATE;
            if (insns < CLOCK_HOST_POLL_INSNS)
                insns = CLOCK_HOST_POLL_INSNS;
            if (insns > CLOCK_HOST_POLL_MAX)
                insns = CLOCK_HOST_POLL_MAX;
        }
        c->poll_icount = (c->icount ? *c->icount : 0) + insns;
        return;
    }
    int64_t d = clock_next_deadline(c);
    if (d == CLOCK_NEVER) {
        c->poll_icount = UINT64_MAX;
        return;
    }
    int64_t delta = d - clock_now(c);
    if (delta <= 0) {
        c->poll_icount = *c->icount;
        return;
    }
    uint64_t insns = ((uint64_t)delta + (1u << c->icount_shift) - 1) >> c->icount_shift;
    c->poll_icount = *c->icount + insns;
}

void timer_mod(Timer *t, int64_t deadline_ns)
{
    if (t->deadline != CLOCK_NEVER)
        timer_unlink(t);
    if (deadline_ns == CLOCK_NEVER)
        return;
    t->deadline = deadline_ns;
    Timer **pp = &t->clock->timers;
    while (*pp && (*pp)->deadline <= deadline_ns)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    if (t->clock->timers == t)
        clock_update_poll(t->clock);
}

void timer_del(Timer *t)
{
    if (t->deadline != CLOCK_NEVER)
        timer_unlink(t);
}

int64_t clock_next_deadline(const Clock *c)
{
    return c->timers ? c->timers->deadline : CLOCK_NEVER;
}

int clock_run_timers(Clock *c)
{
    int64_t now = clock_now(c);
    int n = 0;
    /* A callback that re-arms in the past would loop forever: bound the work per call (it runs again next poll). */
    while (c->timers && c->timers->deadline <= now && n < 10000) {
        Timer *t = c->timers;
        timer_unlink(t);
        n++;
        c->timers_fired++;
        t->fn(t->opaque);
    }
    clock_update_poll(c);
    return n;
}

void clock_poll(Clock *c)
{
    clock_run_timers(c);
}

static void host_sleep_ns(int64_t ns)
{
    struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

bool clock_idle(Clock *c, int64_t max_wait_ns)
{
    int64_t d = clock_next_deadline(c);
    if (d == CLOCK_NEVER)
        return false;
    int64_t now = clock_now(c);
    if (d > now) {
        int64_t wait = d - now;
        if (max_wait_ns > 0 && wait > max_wait_ns)
            wait = max_wait_ns;
        switch (c->mode) {
        case CLOCK_HOST: host_sleep_ns(wait); break;
        case CLOCK_ICOUNT: c->idle_ns += wait; break;
        default: c->manual_ns += wait; break;
        }
    }
    clock_run_timers(c);
    return true;
}
