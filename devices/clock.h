/* clock.h — virtual time for the devices, and timers whose callbacks the exec loop services.
 * Three sources of "now" (nanoseconds since the clock started):
 *   CLOCK_HOST    host monotonic time (the default: guest time tracks the wall clock);
 *   CLOCK_ICOUNT  guest instructions retired << shift, plus the time skipped while the CPU idles in HLT
 *                 (deterministic: the same guest run gives the same device timings — `-icount`);
 *   CLOCK_MANUAL  only clock_advance() moves it (device unit tests).
 * Invariants: now never goes backwards; a timer callback runs only from clock_run_timers (the exec loop's block
 * boundary, or the HLT idle path), never from a device access, so device callbacks are not re-entered; timers run
 * in deadline order and a callback may re-arm its own timer or any other.
 * poll_icount tells the exec loop when to call clock_poll next: exactly at the first deadline in icount mode, in
 * host mode early enough for the first deadline at CLOCK_HOST_MIN_RATE (within 4 k .. 64 k instructions); the loop also stops in-code block chaining there
 * (CpuState.chain_icount_limit), and *kick makes a running chain notice a deadline that moved earlier.
 * Left out: multiple clocks (one per machine is enough), warping host time forward. */
#ifndef PCJIT_CLOCK_H
#define PCJIT_CLOCK_H
#include <stdint.h>
#include <stdbool.h>

typedef enum ClockMode { CLOCK_HOST, CLOCK_ICOUNT, CLOCK_MANUAL } ClockMode;

/* host mode polling: at least every CLOCK_HOST_POLL_INSNS..CLOCK_HOST_POLL_MAX instructions, sooner the nearer
 * the first deadline is, at an assumed CLOCK_HOST_MIN_RATE guest instructions per microsecond (clock.c) */
enum { CLOCK_HOST_POLL_INSNS = 4096, CLOCK_HOST_POLL_MAX = 65536, CLOCK_HOST_MIN_RATE = 50 };
#define CLOCK_NEVER INT64_MAX

typedef struct Clock Clock;
typedef void (*TimerFn)(void *opaque);

typedef struct Timer {
    Clock *clock;
    int64_t deadline;       /* ns; CLOCK_NEVER when not armed */
    TimerFn fn;
    void *opaque;
    struct Timer *next;     /* armed timers, sorted by deadline */
} Timer;

struct Clock {
    ClockMode mode;
    int64_t manual_ns;      /* CLOCK_MANUAL: the time */
    int64_t host_base_ns;   /* CLOCK_HOST: host monotonic time at clock_init */
    const uint64_t *icount; /* CLOCK_ICOUNT: the CPU's retired-instruction counter */
    uint64_t icount_base;   /* icount when the clock started */
    int icount_shift;       /* ns per instruction = 1 << shift */
    int64_t idle_ns;        /* CLOCK_ICOUNT: virtual time skipped while halted */
    int64_t last_ns;        /* the last value clock_now returned (monotonicity) */
    Timer *timers;
    uint64_t poll_icount;   /* the exec loop calls clock_poll when *icount >= this */
    volatile uint32_t *kick;/* set to 1 when poll_icount moves earlier (a device armed a nearer timer while the CPU
                             * runs): the CPU's exit_request, so chained code returns to the loop and sees it */
    uint64_t timers_fired;  /* for -stats */
};

/* icount may be NULL for CLOCK_HOST / CLOCK_MANUAL. */
void clock_init(Clock *c, ClockMode mode, const uint64_t *icount, int icount_shift);
int64_t clock_now(Clock *c);
/* CLOCK_MANUAL: move time forward by ns and run the timers that became due. */
void clock_advance(Clock *c, int64_t ns);

void timer_init(Timer *t, Clock *c, TimerFn fn, void *opaque);
/* Arm (or re-arm) at absolute time deadline_ns. */
void timer_mod(Timer *t, int64_t deadline_ns);
void timer_del(Timer *t);
static inline bool timer_pending(const Timer *t) { return t->deadline != CLOCK_NEVER; }

/* Earliest armed deadline, or CLOCK_NEVER. */
int64_t clock_next_deadline(const Clock *c);
/* Run every timer due at now (each at most once per call unless it re-arms in the past); returns how many ran. */
int clock_run_timers(Clock *c);
/* The exec loop, when *icount >= poll_icount: run due timers and set the next poll_icount. */
void clock_poll(Clock *c);
/* The CPU is halted: wait until the next deadline (host: sleep, at most max_wait_ns; icount: skip virtual time
 * to it) and run the due timers. Returns false if no timer is armed (nothing can ever wake the CPU). */
bool clock_idle(Clock *c, int64_t max_wait_ns);

#endif
