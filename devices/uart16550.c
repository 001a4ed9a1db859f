/* uart16550.c — 16550A UART (TI/NS PC16550D datasheet).
 * Model: transmission is instantaneous (THR and the shift register are empty again right after a write, so THRE
 * and TEMT stay set and a THRE interrupt becomes pending after each write); reception moves bytes from the host
 * input queue into the RX FIFO (16 bytes, or a 1-byte holding register with FIFOs off) whenever there is room.
 * Interrupt identification in priority order (datasheet table "Interrupt Control Functions"): receiver line
 * status (overrun), received data at the trigger level, character timeout (FIFO mode: data below the trigger and
 * nothing read for 4 character times), THR empty, modem status. The PC wires the IRQ through MCR.OUT2, so the
 * line is asserted only when an interrupt is pending and OUT2 is set.
 * Loopback (MCR bit 4): transmitted bytes land in the RX FIFO (overrun if full), the modem inputs follow the
 * outputs (CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2); otherwise the inputs read CTS, DSR and DCD asserted.
 * Invariants: FIFO indices are always taken modulo UART_FIFO_SIZE; the host queue never overflows (push returns
 * what it took); register offsets are masked to 3 bits.
 * Left out: parity/framing/break errors, a paced TX (XXX: a guest measuring its baud rate sees infinite speed). */
#include "uart16550.h"
#include "device.h"

enum {
    IER_ERBFI = 1, IER_ETBEI = 2, IER_ELSI = 4, IER_EDSSI = 8,
    IIR_NONE = 1, IIR_MSR = 0, IIR_THRE = 2, IIR_RDA = 4, IIR_RLS = 6, IIR_TIMEOUT = 0x0c, IIR_FIFO = 0xc0,
    FCR_ENABLE = 1, FCR_CLEAR_RX = 2, FCR_CLEAR_TX = 4,
    LCR_DLAB = 0x80,
    MCR_DTR = 1, MCR_RTS = 2, MCR_OUT1 = 4, MCR_OUT2 = 8, MCR_LOOP = 0x10,
    LSR_DR = 1, LSR_OE = 2, LSR_PE = 4, LSR_FE = 8, LSR_BI = 0x10, LSR_THRE = 0x20, LSR_TEMT = 0x40,
    LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI,
    MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80, MSR_DELTAS = 0x0f,
};

static bool uart_fifo_on(const Uart16550 *u) { return u->s.fcr & FCR_ENABLE; }

static int uart_trigger(const Uart16550 *u)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    return uart_fifo_on(u) ? levels[u->s.fcr >> 6] : 1;
}

static uint8_t uart_iir(const Uart16550 *u)
{
    const Uart16550State *s = &u->s;
    uint8_t id = IIR_NONE;
    if ((s->ier & IER_ELSI) && (s->lsr & LSR_ERRORS))
        id = IIR_RLS;
    else if ((s->ier & IER_ERBFI) && s->rx_count >= uart_trigger(u))
        id = IIR_RDA;
    else if ((s->ier & IER_ERBFI) && s->timeout_ipending && s->rx_count)
        id = IIR_TIMEOUT;
    else if ((s->ier & IER_ETBEI) && s->thr_ipending)
        id = IIR_THRE;
    else if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
        id = IIR_MSR;
    return (uint8_t)(id | (uart_fifo_on(u) ? IIR_FIFO : 0));
}

static void uart_update_irq(Uart16550 *u)
{
    bool pending = !(uart_iir(u) & IIR_NONE);
    irq_set(&u->irq, pending && (u->s.mcr & MCR_OUT2));
}

/* 4 character times (10 bits each) at the programmed baud rate (1.8432 MHz / 16 / divisor). */
static int64_t uart_timeout_ns(const Uart16550 *u)
{
    uint32_t div = (uint32_t)u->s.dlm << 8 | u->s.dll;
    if (!div)
        div = 0x10000;
    return (int64_t)div * 16 * 10 * 4 * 1000000000 / 1843200;
}

static void uart_arm_timeout(Uart16550 *u)
{
    if (uart_fifo_on(u) && u->s.rx_count)
        timer_mod(&u->timeout_timer, clock_now(u->clock) + uart_timeout_ns(u));
    else
        timer_del(&u->timeout_timer);
}

static void uart_timeout_cb(void *opaque)
{
    Uart16550 *u = opaque;
    if (u->s.rx_count) {
        u->s.timeout_ipending = 1;
        uart_update_irq(u);
    }
}

/* One byte into the receive FIFO; false (overrun) if it is full. */
static bool uart_rx_put(Uart16550 *u, uint8_t b)
{
    Uart16550State *s = &u->s;
    int cap = uart_fifo_on(u) ? UART_FIFO_SIZE : 1;
    if (s->rx_count >= cap) {
        s->lsr |= LSR_OE;
        return false;
    }
    s->rx[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = b;
    s->rx_count++;
    s->lsr |= LSR_DR;
    u->rx_bytes++;
    return true;
}

/* Move queued host input into the FIFO while it has room (none in loopback: the line is disconnected). */
static void uart_fill_rx(Uart16550 *u)
{
    int cap = uart_fifo_on(u) ? UART_FIFO_SIZE : 1;
    bool moved = false;
    while (!(u->s.mcr & MCR_LOOP) && u->inq_count && u->s.rx_count < cap) {
        uart_rx_put(u, u->inq[u->inq_head]);
        u->inq_head = (u->inq_head + 1) % UART_INPUT_QUEUE;
        u->inq_count--;
        moved = true;
    }
    if (moved)
        uart_arm_timeout(u);
}

size_t uart16550_push_input(Uart16550 *u, const uint8_t *buf, size_t n)
{
    size_t i;
    for (i = 0; i < n && u->inq_count < UART_INPUT_QUEUE; i++) {
        u->inq[(u->inq_head + u->inq_count) % UART_INPUT_QUEUE] = buf[i];
        u->inq_count++;
    }
    uart_fill_rx(u);
    uart_update_irq(u);
    return i;
}

static uint8_t uart_modem_inputs(const Uart16550 *u)
{
    uint8_t mcr = u->s.mcr;
    if (!(mcr & MCR_LOOP))
        return MSR_CTS | MSR_DSR | MSR_DCD;
    return (uint8_t)(((mcr & MCR_RTS) ? MSR_CTS : 0) | ((mcr & MCR_DTR) ? MSR_DSR : 0) |
                     ((mcr & MCR_OUT1) ? MSR_RI : 0) | ((mcr & MCR_OUT2) ? MSR_DCD : 0));
}

static void uart_set_modem_inputs(Uart16550 *u)
{
    uint8_t old = u->s.msr, now = uart_modem_inputs(u), delta = 0;
    if ((old ^ now) & MSR_CTS) delta |= 1;
    if ((old ^ now) & MSR_DSR) delta |= 2;
    if ((old & MSR_RI) && !(now & MSR_RI)) delta |= 4;   /* TERI: trailing edge of RI */
    if ((old ^ now) & MSR_DCD) delta |= 8;
    u->s.msr = (uint8_t)(now | (old & MSR_DELTAS) | delta);
}

static void uart_write_thr(Uart16550 *u, uint8_t b)
{
    u->tx_bytes++;
    if (u->s.mcr & MCR_LOOP) {
        uart_rx_put(u, b);
        uart_arm_timeout(u);
    } else if (u->out) {
        fputc(b, u->out);
        fflush(u->out);
    }
    u->s.lsr |= LSR_THRE | LSR_TEMT;
    u->s.thr_ipending = 1;      /* the byte left at once: THR is empty again */
}

static void uart_write_fcr(Uart16550 *u, uint8_t val)
{
    Uart16550State *s = &u->s;
    if ((val ^ s->fcr) & FCR_ENABLE)
        val |= FCR_CLEAR_RX | FCR_CLEAR_TX;     /* switching FIFO mode resets both FIFOs */
    if (val & FCR_CLEAR_RX) {
        s->rx_count = 0;
        s->rx_head = 0;
        s->lsr &= (uint8_t)~LSR_DR;
        s->timeout_ipending = 0;
        timer_del(&u->timeout_timer);
    }
    s->fcr = (val & FCR_ENABLE) ? (val & 0xc9) : 0;
    uart_fill_rx(u);
}

static void uart_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    Uart16550 *u = opaque;
    Uart16550State *s = &u->s;
    uint8_t v = (uint8_t)val;
    bool dlab = s->lcr & LCR_DLAB;
    switch (addr & 7) {
    case 0: if (dlab) s->dll = v; else uart_write_thr(u, v); break;
    case 1:
        if (dlab) {
            s->dlm = v;
        } else {
            if ((v & IER_ETBEI) && !(s->ier & IER_ETBEI) && (s->lsr & LSR_THRE))
                s->thr_ipending = 1;    /* enabling the THRE interrupt with THR empty raises it */
            s->ier = v & 0x0f;
        }
        break;
    case 2: uart_write_fcr(u, v); break;
    case 3: s->lcr = v; break;
    case 4:
        s->mcr = v & 0x1f;
        uart_set_modem_inputs(u);
        uart_fill_rx(u);
        break;
    case 5: break;      /* LSR: writes are for factory test */
    case 6: break;
    default: s->scr = v; break;
    }
    uart_update_irq(u);
}

static uint8_t uart_read_rbr(Uart16550 *u)
{
    Uart16550State *s = &u->s;
    uint8_t b = 0;
    if (s->rx_count) {
        b = s->rx[s->rx_head];
        s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
        s->rx_count--;
    }
    s->timeout_ipending = 0;
    uart_fill_rx(u);
    if (!s->rx_count)
        s->lsr &= (uint8_t)~LSR_DR;
    uart_arm_timeout(u);
    return b;
}

static uint32_t uart_read(void *opaque, uint32_t addr, int size)
{
    Uart16550 *u = opaque;
    Uart16550State *s = &u->s;
    bool dlab = s->lcr & LCR_DLAB;
    uint8_t v;
    switch (addr & 7) {
    case 0: v = dlab ? s->dll : uart_read_rbr(u); break;
    case 1: v = dlab ? s->dlm : s->ier; break;
    case 2:
        v = uart_iir(u);
        if ((v & 0x0f) == IIR_THRE)
            s->thr_ipending = 0;    /* reading IIR while it reports THRE clears it */
        break;
    case 3: v = s->lcr; break;
    case 4: v = s->mcr; break;
    case 5:
        v = s->lsr;
        s->lsr &= (uint8_t)~LSR_ERRORS;
        break;
    case 6:
        v = s->msr;
        s->msr &= (uint8_t)~MSR_DELTAS;
        break;
    default: v = s->scr; break;
    }
    uart_update_irq(u);
    return v;
}

void uart16550_reset(Uart16550 *u)
{
    timer_del(&u->timeout_timer);
    memset(&u->s, 0, sizeof(u->s));
    u->s.lsr = LSR_THRE | LSR_TEMT;
    u->s.dll = 12;      /* 9600 baud until the guest programs it */
    u->s.msr = uart_modem_inputs(u);
    uart_update_irq(u);
}

void uart16550_init(Uart16550 *u, Clock *clock, IrqLine irq, FILE *out)
{
    memset(u, 0, sizeof(*u));
    u->clock = clock;
    u->irq = irq;
    u->out = out;
    timer_init(&u->timeout_timer, clock, uart_timeout_cb, u);
    uart16550_reset(u);
}

int uart16550_attach(Uart16550 *u, Machine *m, uint32_t base)
{
    return bus_register_io(m, base, 8, uart_read, uart_write, u, "uart16550");
}

size_t uart16550_save(const Uart16550 *u, uint8_t *buf, size_t cap)
{
    return dev_save_blob(DEV_TAG('U', 'A', 'R', 'T'), &u->s, sizeof(u->s), buf, cap);
}

int uart16550_load(Uart16550 *u, const uint8_t *buf, size_t len)
{
    if (dev_load_blob(DEV_TAG('U', 'A', 'R', 'T'), &u->s, sizeof(u->s), buf, len) < 0)
        return -1;
    u->s.rx_head %= UART_FIFO_SIZE;
    if (u->s.rx_count > UART_FIFO_SIZE)
        u->s.rx_count = UART_FIFO_SIZE;
    uart_arm_timeout(u);
    uart_update_irq(u);
    return 0;
}
