/* i8042.c — PS/2 controller (8042-compatible: IBM PC/AT Technical Reference, "Keyboard Controller"), a set-2
 * keyboard and a PS/2 mouse behind it.
 * Model: one output buffer (port 0x60) fed from three queues in priority order: controller replies, keyboard
 * bytes (unless the keyboard interface is disabled, command byte bit 4), aux bytes (unless bit 5). Status bit 0
 * (OBF) says the buffer is full, bit 5 (AUXB) that it came from the aux port; IRQ1 / IRQ12 are asserted while a
 * keyboard / aux byte waits and command-byte bit 0 / bit 1 enables them; reading port 0x60 empties the buffer,
 * lowers the IRQ and refills it (a new byte = a new edge). With command-byte bit 6 (XLATE) the controller turns
 * the keyboard's set-2 scancodes into set 1 (0xF0 prefix → bit 7 of the next code); replies to keyboard commands
 * (ACK 0xFA, BAT 0xAA, ID bytes) are not translated, as the controller passes non-scancodes through.
 * Output port: bit 1 is the A20 gate (a20 line), bit 0 low or a 0xFE-style pulse command resets the CPU (reset
 * line pulsed). Commands that take a data byte (0x60, 0xD1-0xD4) wait for the next write to port 0x60.
 * Invariants: queues are bounded (a full queue drops the byte, as a keyboard's buffer overflows); every guest byte
 * is handled in O(1); the controller is never "busy" (IBF always reads 0).
 * Left out: controller RAM beyond byte 0 (reads 0), password/test-input commands, mouse extensions (IntelliMouse
 * ID 3/4: the mouse always reports ID 0), typematic repeat, the translation of bytes >= 0x80 other than 0x83. */
#include "i8042.h"
#include "device.h"

enum {
    ST_OBF = 0x01, ST_SYS = 0x04, ST_A2 = 0x08, ST_INH = 0x10, ST_AUXB = 0x20,
    CB_INT = 0x01, CB_INT2 = 0x02, CB_SYS = 0x04, CB_DIS_KBD = 0x10, CB_DIS_AUX = 0x20, CB_XLATE = 0x40,
    OP_RESET = 0x01, OP_A20 = 0x02,
    PS2_ACK = 0xfa, PS2_RESEND = 0xfe, PS2_BAT_OK = 0xaa,
};

/* Set-1 code → set-2 code for the first 128 set-1 codes: the inverse is the 8042's set-2 → set-1 translation. */
static const uint8_t set1_to_set2[128] = {
      0, 118,  22,  30,  38,  37,  46,  54,  61,  62,  70,  69,  78,  85, 102,  13,
     21,  29,  36,  45,  44,  53,  60,  67,  68,  77,  84,  91,  90,  20,  28,  27,
     35,  43,  52,  51,  59,  66,  75,  76,  82,  14,  18,  93,  26,  34,  33,  42,
     50,  49,  58,  65,  73,  74,  89, 124,  17,  41,  88,   5,   6,   4,  12,   3,
     11,   2,  10,   1,   9, 119, 126, 108, 117, 125, 123, 107, 115, 116, 121, 105,
    114, 122, 112, 113, 127,  96,  97, 120,   7,  15,  23,  31,  39,  47,  55,  63,
     71,  79,  86,  94,   8,  16,  24,  32,  40,  48,  56,  64,  72,  80,  87, 111,
     19,  25,  57,  81,  83,  92,  95,  98,  99, 100, 101, 103, 104, 106, 109, 110,
};

static uint8_t kbd_translate(uint8_t code)
{
    if (code == 0x83)
        return 0x41;    /* F7: the one set-2 code above 0x7F */
    for (int i = 0; i < 128; i++)
        if (set1_to_set2[i] == code && i)
            return (uint8_t)i;
    return code;        /* prefixes (0xE0, 0xE1) and unknown codes pass through */
}

static void q_put(Ps2Queue *q, uint8_t b)
{
    if (q->count >= I8042_QUEUE)
        return;
    q->data[(q->head + q->count) % I8042_QUEUE] = b;
    q->count++;
}

static int q_get(Ps2Queue *q)
{
    if (!q->count)
        return -1;
    uint8_t b = q->data[q->head];
    q->head = (uint8_t)((q->head + 1) % I8042_QUEUE);
    q->count--;
    return b;
}

static void kbc_update_irq(I8042 *k)
{
    I8042State *s = &k->s;
    irq_set(&k->irq_kbd, s->obf && !s->out_aux && (s->cmd_byte & CB_INT));
    irq_set(&k->irq_aux, s->obf && s->out_aux && (s->cmd_byte & CB_INT2));
}

/* Fill an empty output buffer from the queues. */
static void kbc_refill(I8042 *k)
{
    I8042State *s = &k->s;
    if (!s->obf) {
        int b = q_get(&s->ctrl);
        uint8_t aux = 0;
        if (b < 0 && !(s->cmd_byte & CB_DIS_KBD))
            b = q_get(&s->kbd);
        if (b < 0 && !(s->cmd_byte & CB_DIS_AUX)) {
            b = q_get(&s->aux);
            aux = 1;
        }
        if (b >= 0) {
            s->out = (uint8_t)b;
            s->out_aux = aux;
            s->obf = 1;
        }
    }
    kbc_update_irq(k);
}

void i8042_kbd_put(I8042 *k, const uint8_t *codes, size_t n)
{
    I8042State *s = &k->s;
    for (size_t i = 0; i < n; i++) {
        if (!s->kbd_scanning)
            continue;
        uint8_t c = codes[i];
        if (s->cmd_byte & CB_XLATE) {
            if (c == 0xf0) {
                s->xlate_break = 1;
                continue;
            }
            c = (uint8_t)(kbd_translate(c) | (s->xlate_break ? 0x80 : 0));
            s->xlate_break = 0;
        }
        q_put(&s->kbd, c);
    }
    kbc_refill(k);
}

void i8042_aux_move(I8042 *k, int dx, int dy, int buttons)
{
    I8042State *s = &k->s;
    if (!s->aux_enabled)
        return;
    dx = dx < -255 ? -255 : dx > 255 ? 255 : dx;
    dy = dy < -255 ? -255 : dy > 255 ? 255 : dy;
    q_put(&s->aux, (uint8_t)(0x08 | (buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0)));
    q_put(&s->aux, (uint8_t)dx);
    q_put(&s->aux, (uint8_t)dy);
    kbc_refill(k);
}

static void kbd_defaults(I8042State *s)
{
    s->kbd_leds = 0;
    s->kbd_set = 2;
    s->kbd_rate = 0x2b;
}

/* A byte the host sent to the keyboard (port 0x60 with no controller command pending). */
static void kbd_write(I8042 *k, uint8_t b)
{
    I8042State *s = &k->s;
    if (s->kbd_pending) {
        uint8_t cmd = s->kbd_pending;
        s->kbd_pending = 0;
        if (cmd == 0xed)
            s->kbd_leds = b & 7;
        else if (cmd == 0xf3)
            s->kbd_rate = b & 0x7f;
        else if (b >= 1 && b <= 3)
            s->kbd_set = b;     /* 0xF0: select set (XXX: only set 2 is generated) */
        q_put(&s->kbd, PS2_ACK);
        if (cmd == 0xf0 && b == 0)
            q_put(&s->kbd, s->kbd_set);
        return;
    }
    s->kbd.count = 0;   /* a command flushes the keyboard's own buffer */
    switch (b) {
    case 0xed: case 0xf3: case 0xf0: q_put(&s->kbd, PS2_ACK); s->kbd_pending = b; break;
    case 0xee: q_put(&s->kbd, 0xee); break;                 /* echo */
    case 0xf2:                                              /* identify: MF2 keyboard */
        q_put(&s->kbd, PS2_ACK);
        q_put(&s->kbd, 0xab);
        q_put(&s->kbd, (s->cmd_byte & CB_XLATE) ? 0x41 : 0x83);
        break;
    case 0xf4: s->kbd_scanning = 1; q_put(&s->kbd, PS2_ACK); break;
    case 0xf5: s->kbd_scanning = 0; kbd_defaults(s); q_put(&s->kbd, PS2_ACK); break;
    case 0xf6: kbd_defaults(s); q_put(&s->kbd, PS2_ACK); break;
    case 0xff:                                              /* reset + basic assurance test */
        kbd_defaults(s);
        s->kbd_scanning = 1;
        q_put(&s->kbd, PS2_ACK);
        q_put(&s->kbd, PS2_BAT_OK);
        break;
    default:
        q_put(&s->kbd, b >= 0xf7 ? PS2_ACK : PS2_RESEND);   /* F7-FE: set-3 key modes, resend: acknowledged */
        break;
    }
}

static void aux_defaults(I8042State *s)
{
    s->aux_enabled = 0;
    s->aux_rate = 100;
    s->aux_res = 2;
    s->aux_scale = 0;
}

/* A byte sent to the mouse (controller command 0xD4). */
static void aux_write(I8042 *k, uint8_t b)
{
    I8042State *s = &k->s;
    Ps2Queue *q = &s->aux;
    if (s->aux_wrap && b != 0xec && b != 0xff) {
        q_put(q, b);    /* wrap mode echoes */
        return;
    }
    if (s->aux_pending) {
        if (s->aux_pending == 0xe8)
            s->aux_res = b & 3;
        else
            s->aux_rate = b;
        s->aux_pending = 0;
        q_put(q, PS2_ACK);
        return;
    }
    switch (b) {
    case 0xe6: s->aux_scale = 0; q_put(q, PS2_ACK); break;
    case 0xe7: s->aux_scale = 1; q_put(q, PS2_ACK); break;
    case 0xe8: case 0xf3: s->aux_pending = b; q_put(q, PS2_ACK); break;
    case 0xe9:
        q_put(q, PS2_ACK);
        q_put(q, (uint8_t)(s->aux_enabled << 5 | s->aux_scale << 4));
        q_put(q, s->aux_res);
        q_put(q, s->aux_rate);
        break;
    case 0xea: case 0xf0: q_put(q, PS2_ACK); break;
    case 0xeb: q_put(q, PS2_ACK); q_put(q, 0x08); q_put(q, 0); q_put(q, 0); break;
    case 0xec: s->aux_wrap = 0; q_put(q, PS2_ACK); break;
    case 0xee: s->aux_wrap = 1; q_put(q, PS2_ACK); break;
    case 0xf2: q_put(q, PS2_ACK); q_put(q, 0x00); break;
    case 0xf4: s->aux_enabled = 1; q_put(q, PS2_ACK); break;
    case 0xf5: s->aux_enabled = 0; q_put(q, PS2_ACK); break;
    case 0xf6: aux_defaults(s); q_put(q, PS2_ACK); break;
    case 0xff: aux_defaults(s); q->count = 0; q_put(q, PS2_ACK); q_put(q, PS2_BAT_OK); q_put(q, 0x00); break;
    default: q_put(q, PS2_RESEND); break;
    }
}

static void kbc_write_outport(I8042 *k, uint8_t val)
{
    uint8_t old = k->s.outport;
    k->s.outport = val | OP_RESET;
    if ((old ^ val) & OP_A20)
        irq_set(&k->a20, (val & OP_A20) != 0);
    if (!(val & OP_RESET)) {
        irq_raise(&k->reset);
        irq_lower(&k->reset);
    }
}

static void kbc_command(I8042 *k, uint8_t cmd)
{
    I8042State *s = &k->s;
    s->status |= ST_A2;
    if (cmd >= 0xf0) {              /* pulse output port bits 0-3 low: bit 0 is the CPU reset */
        if (!(cmd & 1)) {
            irq_raise(&k->reset);
            irq_lower(&k->reset);
        }
        return;
    }
    switch (cmd) {
    case 0x20: q_put(&s->ctrl, s->cmd_byte); break;
    case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: s->pending_cmd = cmd; break;
    case 0xa7: s->cmd_byte |= CB_DIS_AUX; break;
    case 0xa8: s->cmd_byte &= (uint8_t)~CB_DIS_AUX; break;
    case 0xa9: case 0xab: q_put(&s->ctrl, 0x00); break;     /* interface tests pass */
    case 0xaa: q_put(&s->ctrl, 0x55); break;                /* controller self-test passes */
    case 0xad: s->cmd_byte |= CB_DIS_KBD; break;
    case 0xae: s->cmd_byte &= (uint8_t)~CB_DIS_KBD; break;
    case 0xc0: q_put(&s->ctrl, 0x80); break;                /* input port: keyboard not inhibited */
    case 0xd0:
        q_put(&s->ctrl, (uint8_t)(s->outport | (s->obf && !s->out_aux ? 0x10 : 0) | (s->obf && s->out_aux ? 0x20 : 0)));
        break;
    case 0xdd: kbc_write_outport(k, s->outport & (uint8_t)~OP_A20); break;
    case 0xdf: kbc_write_outport(k, s->outport | OP_A20); break;
    case 0xe0: q_put(&s->ctrl, 0x00); break;
    default:
        if (cmd >= 0x21 && cmd <= 0x3f)
            q_put(&s->ctrl, 0x00);          /* controller RAM bytes 1-31: not kept */
        else if (cmd >= 0x61 && cmd <= 0x7f)
            s->pending_cmd = cmd;           /* their writes are swallowed */
        break;
    }
}

static void kbc_data_write(I8042 *k, uint8_t val)
{
    I8042State *s = &k->s;
    uint8_t cmd = s->pending_cmd;
    s->pending_cmd = 0;
    s->status &= (uint8_t)~ST_A2;
    switch (cmd) {
    case 0x60:
        s->cmd_byte = val;
        s->status = (uint8_t)((s->status & ~ST_SYS) | (val & CB_SYS));
        break;
    case 0xd1: kbc_write_outport(k, val); break;
    case 0xd2: q_put(&s->kbd, val); break;
    case 0xd3: q_put(&s->aux, val); break;
    case 0xd4: aux_write(k, val); break;
    case 0: kbd_write(k, val); break;
    default: break;
    }
}

static uint32_t kbc_status_read(void *opaque, uint32_t addr, int size)
{
    I8042State *s = &((I8042 *)opaque)->s;
    return (uint32_t)(s->status | (s->obf ? ST_OBF : 0) | (s->obf && s->out_aux ? ST_AUXB : 0));
}

static uint32_t kbc_data_read(void *opaque, uint32_t addr, int size)
{
    I8042 *k = opaque;
    uint8_t v = k->s.out;
    k->s.obf = 0;
    kbc_update_irq(k);  /* the IRQ drops, and rises again (a new edge) if another byte is waiting */
    kbc_refill(k);
    return v;
}

static void kbc_command_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    kbc_command(opaque, (uint8_t)val);
    kbc_refill(opaque);
}

static void kbc_data_port_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    kbc_data_write(opaque, (uint8_t)val);
    kbc_refill(opaque);
}

void i8042_reset(I8042 *k)
{
    memset(&k->s, 0, sizeof(k->s));
    k->s.cmd_byte = CB_INT | CB_INT2;
    k->s.outport = OP_RESET | OP_A20;
    k->s.status = ST_A2 | ST_INH;
    k->s.kbd_scanning = 1;
    kbd_defaults(&k->s);
    aux_defaults(&k->s);
    irq_set(&k->a20, 1);
    kbc_update_irq(k);
}

void i8042_init(I8042 *k, IrqLine irq_kbd, IrqLine irq_aux, IrqLine a20, IrqLine reset)
{
    memset(k, 0, sizeof(*k));
    k->irq_kbd = irq_kbd;
    k->irq_aux = irq_aux;
    k->a20 = a20;
    k->reset = reset;
    i8042_reset(k);
}

int i8042_attach(I8042 *k, Machine *m)
{
    /* ports 0x60 and 0x64 (0x61 belongs to the PIT's port B) */
    if (bus_register_io(m, 0x60, 1, kbc_data_read, kbc_data_port_write, k, "i8042-data") < 0)
        return -1;
    return bus_register_io(m, 0x64, 1, kbc_status_read, kbc_command_write, k, "i8042-cmd");
}

size_t i8042_save(const I8042 *k, uint8_t *buf, size_t cap)
{
    return dev_save_blob(DEV_TAG('K', 'B', 'C', '1'), &k->s, sizeof(k->s), buf, cap);
}

int i8042_load(I8042 *k, const uint8_t *buf, size_t len)
{
    if (dev_load_blob(DEV_TAG('K', 'B', 'C', '1'), &k->s, sizeof(k->s), buf, len) < 0)
        return -1;
    Ps2Queue *qs[3] = { &k->s.ctrl, &k->s.kbd, &k->s.aux };
    for (int i = 0; i < 3; i++) {
        qs[i]->head %= I8042_QUEUE;
        if (qs[i]->count > I8042_QUEUE)
            qs[i]->count = I8042_QUEUE;
    }
    irq_set(&k->a20, (k->s.outport & OP_A20) != 0);
    kbc_update_irq(k);
    return 0;
}
