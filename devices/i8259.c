/* i8259.c — two cascaded 8259A PICs (Intel 8259A datasheet; PIIX ELCR for edge/level per line).
 * Model: each chip has IRR/ISR/IMR and a rotating priority (lowest = the IR with the lowest priority). An edge-
 * triggered input latches IRR on a rising edge (the edge detector is re-armed when the pin goes low or by ICW1); a
 * level-triggered input's IRR follows the pin. The slave's INT output drives the master's IR2 as a level, so a
 * slave request still pending after an EOI is seen again. INT out = an unmasked request whose priority beats
 * everything in service (special mask mode ignores the in-service bits of masked levels; special fully nested
 * mode lets the slave interrupt again while IR2 is in service).
 * Invariants: outputs are recomputed after every state change (pic_update); a guest value can only select among
 * 8 IRs per chip (everything is masked to 3 bits); a spurious INTA returns base+7 with no ISR bit set.
 * Left out: 8080/85 mode (ICW4 uPM = 0 is treated as 8086), buffered mode, ICW3 cascade IDs other than IR2. */
#include "i8259.h"
#include "device.h"

enum {
    ICW1_IC4 = 0x01, ICW1_SNGL = 0x02, ICW1_LTIM = 0x08, ICW1_INIT = 0x10,
    ICW4_AEOI = 0x02, ICW4_SFNM = 0x10,
    OCW3_SEL = 0x08, OCW3_RIS = 0x01, OCW3_RR = 0x02, OCW3_P = 0x04, OCW3_SMM = 0x20, OCW3_ESMM = 0x40,
    PIC_CASCADE_IR = 2,
};

static uint8_t pic_level_mask(const PicChip *c)
{
    return (c->icw1 & ICW1_LTIM) ? 0xff : c->elcr;
}

static int pic_priority(const PicChip *c, int irq)
{
    return (irq - c->lowest - 1) & 7;   /* 0 = highest */
}

/* The highest-priority IR set in mask, or -1. */
static int pic_highest(const PicChip *c, uint8_t mask)
{
    for (int p = 0; p < 8; p++) {
        int irq = (c->lowest + 1 + p) & 7;
        if (mask & (1u << irq))
            return irq;
    }
    return -1;
}

/* The IR this chip would interrupt for now, or -1. */
static int pic_pending(const PicChip *c, bool master)
{
    int irq = pic_highest(c, c->irr & ~c->imr);
    if (irq < 0)
        return -1;
    uint8_t isr = c->isr;
    if (c->special_mask)
        isr &= ~c->imr;
    int cur = pic_highest(c, isr);
    if (cur < 0)
        return irq;
    if (master && (c->icw4 & ICW4_SFNM) && irq == PIC_CASCADE_IR && cur == PIC_CASCADE_IR)
        return irq;     /* special fully nested mode: a higher request on the slave may nest */
    return pic_priority(c, irq) < pic_priority(c, cur) ? irq : -1;
}

static void pic_update(I8259 *p)
{
    PicChip *m = &p->s.chip[0], *s = &p->s.chip[1];
    s->int_out = pic_pending(s, false) >= 0;
    if (s->int_out)
        m->irr |= 1u << PIC_CASCADE_IR;
    else
        m->irr &= (uint8_t)~(1u << PIC_CASCADE_IR);
    m->int_out = pic_pending(m, true) >= 0;
    irq_set(&p->intr, m->int_out);
}

void i8259_set_irq(void *opaque, int line, int level)
{
    I8259 *p = opaque;
    if (line < 0 || line > 15 || line == PIC_CASCADE_IR)
        return;
    PicChip *c = &p->s.chip[line >> 3];
    uint8_t b = (uint8_t)(1u << (line & 7));
    if (pic_level_mask(c) & b) {
        if (level)
            c->irr |= b;
        else
            c->irr &= (uint8_t)~b;
    } else if (level && !(c->level & b)) {
        c->irr |= b;    /* rising edge */
    }
    if (level)
        c->level |= b;
    else
        c->level &= (uint8_t)~b;
    pic_update(p);
}

/* INTA (or a poll) on one chip for irq: in service unless auto-EOI, edge request consumed. */
static void pic_ack_chip(PicChip *c, int irq)
{
    uint8_t b = (uint8_t)(1u << irq);
    if (c->icw4 & ICW4_AEOI) {
        if (c->rotate_aeoi)
            c->lowest = (uint8_t)irq;
    } else {
        c->isr |= b;
    }
    if (!(pic_level_mask(c) & b))
        c->irr &= (uint8_t)~b;
}

int i8259_intr_ack(void *opaque)
{
    I8259 *p = opaque;
    PicChip *m = &p->s.chip[0], *s = &p->s.chip[1];
    int irq = pic_pending(m, true);
    int vec;
    p->acks++;
    if (irq < 0) {
        p->spurious++;
        vec = m->vector_base + 7;   /* the request went away before INTA: spurious IRQ7 */
    } else if (irq == PIC_CASCADE_IR && !(m->icw1 & ICW1_SNGL)) {
        pic_ack_chip(m, irq);
        int sirq = pic_pending(s, false);
        if (sirq < 0) {
            p->spurious++;
            vec = s->vector_base + 7;   /* spurious IRQ15: the master's IR2 stays in service */
        } else {
            pic_ack_chip(s, sirq);
            vec = s->vector_base + sirq;
        }
    } else {
        pic_ack_chip(m, irq);
        vec = m->vector_base + irq;
    }
    pic_update(p);
    return vec & 0xff;
}

static uint8_t pic_poll(I8259 *p, PicChip *c)
{
    int irq = pic_pending(c, c == &p->s.chip[0]);
    if (irq < 0)
        return 0;
    pic_ack_chip(c, irq);
    pic_update(p);
    return (uint8_t)(0x80 | irq);
}

static void pic_write_icw1(PicChip *c, uint8_t val)
{
    c->icw1 = val;
    c->imr = 0;
    c->isr = 0;
    c->irr &= pic_level_mask(c) & c->level;     /* edge detectors re-armed: edge lines need a new rising edge */
    c->lowest = 7;
    c->special_mask = 0;
    c->read_isr = 0;
    c->poll = 0;
    c->rotate_aeoi = 0;
    if (!(val & ICW1_IC4))
        c->icw4 = 0;
    c->icw_step = 2;
}

static void pic_write_ocw2(PicChip *c, uint8_t val)
{
    int irq;
    switch (val >> 5) {
    case 0: c->rotate_aeoi = 0; break;
    case 4: c->rotate_aeoi = 1; break;
    case 1: case 5:     /* non-specific EOI (and rotate) */
        irq = pic_highest(c, c->isr);
        if (irq >= 0) {
            c->isr &= (uint8_t)~(1u << irq);
            if (val >> 5 == 5)
                c->lowest = (uint8_t)irq;
        }
        break;
    case 3: c->isr &= (uint8_t)~(1u << (val & 7)); break;
    case 7: c->isr &= (uint8_t)~(1u << (val & 7)); c->lowest = val & 7; break;
    case 6: c->lowest = val & 7; break;
    default: break;     /* 010: no operation */
    }
}

static void pic_write(I8259 *p, PicChip *c, uint32_t addr, uint8_t val)
{
    if (addr == 0) {
        if (val & ICW1_INIT)
            pic_write_icw1(c, val);
        else if (val & OCW3_SEL) {
            if (val & OCW3_P)
                c->poll = 1;
            if (val & OCW3_RR)
                c->read_isr = val & OCW3_RIS;
            if (val & OCW3_ESMM)
                c->special_mask = (val & OCW3_SMM) ? 1 : 0;
        } else
            pic_write_ocw2(c, val);
    } else {
        switch (c->icw_step) {
        case 2:
            c->vector_base = val & 0xf8;
            c->icw_step = (c->icw1 & ICW1_SNGL) ? ((c->icw1 & ICW1_IC4) ? 4 : 0) : 3;
            break;
        case 3:
            c->icw3 = val;
            c->icw_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
            break;
        case 4:
            c->icw4 = val;
            c->icw_step = 0;
            break;
        default:
            c->imr = val;   /* OCW1 */
            break;
        }
    }
    pic_update(p);
}

static uint8_t pic_read(I8259 *p, PicChip *c, uint32_t addr)
{
    if (c->poll) {
        c->poll = 0;
        return pic_poll(p, c);
    }
    if (addr == 0)
        return c->read_isr ? c->isr : c->irr;
    return c->imr;
}

static uint32_t pic_master_read(void *opaque, uint32_t addr, int size)
{
    I8259 *p = opaque;
    return pic_read(p, &p->s.chip[0], addr & 1);
}

static void pic_master_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    I8259 *p = opaque;
    pic_write(p, &p->s.chip[0], addr & 1, (uint8_t)val);
}

static uint32_t pic_slave_read(void *opaque, uint32_t addr, int size)
{
    I8259 *p = opaque;
    return pic_read(p, &p->s.chip[1], addr & 1);
}

static void pic_slave_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    I8259 *p = opaque;
    pic_write(p, &p->s.chip[1], addr & 1, (uint8_t)val);
}

static uint32_t pic_elcr_read(void *opaque, uint32_t addr, int size)
{
    I8259 *p = opaque;
    return p->s.chip[addr & 1].elcr;
}

static void pic_elcr_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    I8259 *p = opaque;
    PicChip *c = &p->s.chip[addr & 1];
    c->elcr = (uint8_t)val & c->elcr_mask;
    /* a line that became level-triggered takes its pin's level now */
    c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->level & c->elcr));
    pic_update(p);
}

void i8259_reset(I8259 *p)
{
    for (int i = 0; i < 2; i++) {
        PicChip *c = &p->s.chip[i];
        uint8_t level = c->level;
        *c = (PicChip){ .lowest = 7, .level = level, .elcr_mask = i == 0 ? 0xf8 : 0xde };
    }
    pic_update(p);
}

void i8259_init(I8259 *p, IrqLine intr)
{
    *p = (I8259){ .intr = intr };
    i8259_reset(p);
}

int i8259_attach(I8259 *p, Machine *m)
{
    if (bus_register_io(m, 0x20, 2, pic_master_read, pic_master_write, p, "pic-master") < 0 ||
        bus_register_io(m, 0xa0, 2, pic_slave_read, pic_slave_write, p, "pic-slave") < 0 ||
        bus_register_io(m, 0x4d0, 2, pic_elcr_read, pic_elcr_write, p, "elcr") < 0)
        return -1;
    m->intr_ack = i8259_intr_ack;
    m->intr_opaque = p;
    return 0;
}

size_t i8259_save(const I8259 *p, uint8_t *buf, size_t cap)
{
    return dev_save_blob(DEV_TAG('P', 'I', 'C', '2'), &p->s, sizeof(p->s), buf, cap);
}

int i8259_load(I8259 *p, const uint8_t *buf, size_t len)
{
    if (dev_load_blob(DEV_TAG('P', 'I', 'C', '2'), &p->s, sizeof(p->s), buf, len) < 0)
        return -1;
    pic_update(p);
    return 0;
}
