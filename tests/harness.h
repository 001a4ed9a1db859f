/* harness.h — shared scaffolding for CPU tests (library pcjit_testkit): a CpuState + Machine with N MiB of RAM,
 * real mode or flat 32-bit protected mode (with a GDT built in guest RAM), loading bytes into guest RAM with the
 * translation cache kept coherent, running until HLT (bounded), and reading registers and flags back.
 * Invariants: every byte the harness writes into guest RAM goes through harness_write(), which invalidates any
 * translated code on the page first, so tests may reuse one CpuState for thousands of different programs;
 * registers are set and read through env->t[G_*] and cpu_get_eflags/cpu_set_eflags only.
 * Left out: devices (no PIC/PIT: nothing raises interrupts), paging, ring 3 (tests that need them set them up
 * themselves on top of h->env). */
#ifndef PCJIT_TESTS_HARNESS_H
#define PCJIT_TESTS_HARNESS_H
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "cpu.h"
#include "exec.h"
#include "bus.h"

typedef struct Harness {
    CpuState *env;
    Machine *m;
    ExecOptions opt;      /* accel, stop_on_hlt = true; max_insns set per run */
    ExecStop last_stop;   /* why the last harness_run returned */
} Harness;

/* A machine with ram_mib MiB of RAM (A20 enabled), reset, TB cache ready, engine = interpreter. NULL on failure. */
Harness *harness_new(uint32_t ram_mib);
void harness_free(Harness *h);
/* Select the engine by name as pcjit's -accel does ("interp", "jit", "lockstep"). false if the name is unknown. */
bool harness_set_accel(Harness *h, const char *name);

/* Real mode: CR0.PE = 0, every segment register selector 0, base 0, limit 0xFFFF, EFLAGS = 2. */
void harness_real_mode(Harness *h);
/* Load a segment register the way real mode does (base = sel << 4, limit 0xFFFF, present, writable). */
void harness_set_seg_real(Harness *h, int seg, uint16_t sel);
/* Flat 32-bit protected mode at CPL 0: a GDT at gdt_pa (null, code 0x08, data 0x10: base 0, limit 4 GiB), CS=0x08,
 * all data segments 0x10, IDT limit 0 (any exception then shuts the machine down: tests see STOP_SHUTDOWN). */
void harness_flat32(Harness *h, uint32_t gdt_pa);

/* Guest RAM access by physical address (bounds-checked: out-of-range writes are dropped, reads return 0).
 * harness_write invalidates translations of the bytes it changes. */
void harness_write(Harness *h, uint32_t pa, const void *bytes, uint32_t len);
void harness_read(Harness *h, uint32_t pa, void *bytes, uint32_t len);
void harness_fill(Harness *h, uint32_t pa, uint8_t value, uint32_t len);

/* Registers: reg is G_EAX..G_EDI or G_EIP. */
static inline uint32_t harness_reg(const Harness *h, int reg) { return h->env->t[reg]; }
static inline void harness_set_reg(Harness *h, int reg, uint32_t v) { h->env->t[reg] = v; }
uint32_t harness_eflags(Harness *h);
/* EFLAGS := value (bit 1 forced); recomputes hflags (IF/TF/IOPL/VM change what may run). */
void harness_set_eflags(Harness *h, uint32_t value);

/* Run from the current CS:EIP until an HLT completes (EIP then points after it), at most max_insns guest
 * instructions (approximate: the exec loop checks at block boundaries). Returns the ExecStop reason; STOP_HALT
 * means the program reached HLT. */
ExecStop harness_run(Harness *h, uint64_t max_insns);
const char *harness_stop_name(ExecStop s);

/* A fake interrupt controller for device tests: each line's level and how many rising edges it saw (IRQ lines
 * 0-15; pass irq_sink_set with an IrqSink as the IrqLine handler). */
typedef struct IrqSink { int level[16], rises[16]; } IrqSink;
void irq_sink_set(void *opaque, int line, int level);

#endif
