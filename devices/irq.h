/* irq.h — an interrupt request line: the one way a device signals an interrupt (or any wire: A20, reset).
 * A device holds an IrqLine given to it by the board and calls irq_set(); it never reaches the PIC (or the CPU)
 * directly, so unit tests can connect the same device to a fake sink.
 * Invariants: a line with no handler is a no-op (an unconnected pin); levels are 0 or 1.
 * Left out: shared lines / wired-OR (the PC board does not need them yet). */
#ifndef PCJIT_IRQ_H
#define PCJIT_IRQ_H

typedef void (*IrqHandler)(void *opaque, int line, int level);

typedef struct IrqLine {
    IrqHandler handler;
    void *opaque;
    int line;                   /* passed back to the handler: the input pin number at the receiving end */
} IrqLine;

static inline IrqLine irq_line(IrqHandler handler, void *opaque, int line)
{
    return (IrqLine){ .handler = handler, .opaque = opaque, .line = line };
}

static inline void irq_set(const IrqLine *l, int level)
{
    if (l->handler)
        l->handler(l->opaque, l->line, level ? 1 : 0);
}

static inline void irq_raise(const IrqLine *l) { irq_set(l, 1); }
static inline void irq_lower(const IrqLine *l) { irq_set(l, 0); }

#endif
