/* bus.c — the board as the CPU sees it: guest RAM, the firmware ROM, port I/O and MMIO dispatch, the INTR line.
 * Invariants: RAM is one host buffer [0, ram_size); the ROM is mapped read-only at 4 GiB - rom_size (writes are
 * ignored); MMIO regions take precedence over RAM (a device window such as VGA's 0xA0000 hides the RAM under it);
 * anything unclaimed reads as all ones and ignores writes, logged once per port / per address; a device callback
 * only ever sees offsets inside its own region (addr passed to BusReadFn/BusWriteFn is relative to the region base).
 * Shadow RAM (Machine.pam_attr, the i440FX PAM registers on the PC board): in 0xC0000-0xFFFFF a read goes to RAM
 * or to the ROM's low alias (0xE0000-0xFFFFF; nothing below) and a write to RAM or nowhere, per 16 KiB segment
 * (64 KiB for 0xF0000), for the CPU (bus_phys_ptr, bus_phys_read/write) and DMA alike. Without the hook (bare
 * machine) the window is RAM holding the copy bus_reset made.
 * Left out: the devices themselves (one file each), PCI. */
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "cpu.h"
#include "mmu.h"
#include "exec.h"

enum { BIOS_LOW_BASE = 0xE0000, BIOS_LOW_SIZE = 0x20000, UNASSIGNED_LOG_SLOTS = 64, PAM_BASE = 0xC0000,
       PAM_END = 0x100000 };

/* The PAM attribute of pa (bit 0 read RAM, bit 1 write RAM), or -1 outside the window / without the hook. */
static int bus_pam(const Machine *m, uint32_t pa)
{
    if (!m->pam_attr || pa < PAM_BASE || pa >= PAM_END)
        return -1;
    return m->pam_attr(m->pam_opaque, pa);
}

/* The ROM byte a read of pa in 0xE0000-0xFFFFF sees when it does not go to RAM, or NULL (no ROM there). */
static const uint8_t *bus_rom_low(const Machine *m, uint32_t pa)
{
    uint32_t n = m->rom_size < BIOS_LOW_SIZE ? m->rom_size : BIOS_LOW_SIZE;
    if (!m->rom || pa < PAM_END - n || pa >= PAM_END)
        return NULL;
    return m->rom + m->rom_size - (PAM_END - pa);
}

/* Once-per-key logging of unassigned accesses: a bitmap for ports, a small set for physical addresses. */
static uint8_t logged_ports[65536 / 8];
static uint32_t logged_addrs[UNASSIGNED_LOG_SLOTS];
static int nlogged_addrs;

static void bus_log_unassigned_port(uint32_t port, bool write, int size)
{
    port &= 0xffff;
    if (logged_ports[port >> 3] & (1u << (port & 7)))
        return;
    logged_ports[port >> 3] |= (uint8_t)(1u << (port & 7));
    fprintf(stderr, "pcjit: bus: unassigned port %s 0x%04x (size %d)\n", write ? "write" : "read", port, size);
}

static void bus_log_unassigned_addr(uint32_t pa, bool write, int size)
{
    if (nlogged_addrs == UNASSIGNED_LOG_SLOTS)
        return;     /* the log is full: unassigned accesses must stay cheap (guests may scan gigabytes of them) */
    for (int i = 0; i < nlogged_addrs; i++)
        if (logged_addrs[i] == pa)
            return;
    logged_addrs[nlogged_addrs++] = pa;
    fprintf(stderr, "pcjit: bus: unassigned memory %s 0x%08x (size %d)%s\n", write ? "write" : "read", pa, size,
            nlogged_addrs == UNASSIGNED_LOG_SLOTS ? " (further addresses not logged)" : "");
}

static uint32_t size_mask(int size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

void bus_init(Machine *m, uint32_t ram_size)
{
    memset(m, 0, sizeof(*m));
    m->ram_size = ram_size;
    m->ram = calloc(1, ram_size ? ram_size : 1);
    if (!m->ram) {
        fprintf(stderr, "pcjit: cannot allocate %u bytes of guest RAM\n", ram_size);
        exit(1);
    }
    m->reset_on_triple_fault = true;
}

void bus_free(Machine *m)
{
    free(m->ram);
    m->ram = NULL;
    m->ram_size = 0;
}

void bus_reset(Machine *m)
{
    /* The CPU starts at F000:FFF0 in real mode; the firmware's real-mode code addresses its image through the
     * 0xE0000-0xFFFFF window. Copy the ROM's last 128 KiB (or all of a smaller ROM, ending at 0xFFFFF). */
    if (!m->rom || !m->rom_size || m->ram_size < BIOS_LOW_BASE + BIOS_LOW_SIZE)
        return;
    uint32_t n = m->rom_size < BIOS_LOW_SIZE ? m->rom_size : BIOS_LOW_SIZE;
    memcpy(m->ram + BIOS_LOW_BASE + BIOS_LOW_SIZE - n, m->rom + m->rom_size - n, n);
}

int bus_register_io(Machine *m, uint32_t port, uint32_t count, BusReadFn rd, BusWriteFn wr, void *opaque,
                    const char *name)
{
    if (count == 0 || port > 0xffff || count > 0x10000 - port)
        return -1;
    for (uint32_t p = port; p < port + count; p++)
        if (m->port_map[p])
            return -1;
    int slot = 0;
    while (slot < m->nports && m->ports[slot].size)   /* a slot freed by bus_unregister_io has size 0 */
        slot++;
    if (slot == BUS_MAX_PORT_REGIONS)
        return -1;
    if (slot == m->nports)
        m->nports++;
    BusRegion *r = &m->ports[slot];
    *r = (BusRegion){ .base = port, .size = count, .read = rd, .write = wr, .opaque = opaque, .name = name };
    for (uint32_t p = port; p < port + count; p++)
        m->port_map[p] = (uint8_t)(slot + 1);
    return 0;
}

int bus_unregister_io(Machine *m, uint32_t port, uint32_t count)
{
    if (port > 0xffff || !m->port_map[port])
        return -1;
    BusRegion *r = &m->ports[m->port_map[port] - 1];
    if (r->base != port || r->size != count)
        return -1;
    for (uint32_t p = port; p < port + count; p++)
        m->port_map[p] = 0;
    *r = (BusRegion){ 0 };
    return 0;
}

int bus_unregister_mmio(Machine *m, uint32_t base, uint32_t size)
{
    for (int i = 0; i < m->nmmio; i++) {
        if (m->mmio[i].base != base || m->mmio[i].size != size)
            continue;
        memmove(&m->mmio[i], &m->mmio[i + 1], (size_t)(m->nmmio - i - 1) * sizeof(m->mmio[0]));
        m->nmmio--;
        if (m->cpu)
            tlb_flush_all(m->cpu);  /* pages the region hid may now be RAM again, mapped directly */
        return 0;
    }
    return -1;
}

int bus_register_mmio(Machine *m, uint32_t base, uint32_t size, BusReadFn rd, BusWriteFn wr, void *opaque,
                      const char *name)
{
    if (size == 0 || (uint64_t)base + size > 0x100000000ull || m->nmmio >= BUS_MAX_MMIO)
        return -1;
    for (int i = 0; i < m->nmmio; i++) {
        const BusRegion *o = &m->mmio[i];
        if (base < o->base + o->size && o->base < base + size)
            return -1;
    }
    m->mmio[m->nmmio++] = (BusRegion){ .base = base, .size = size, .read = rd, .write = wr, .opaque = opaque,
                                       .name = name };
    /* The CPU's TLB may hold a direct RAM mapping of the pages this region now covers. */
    if (m->cpu)
        tlb_flush_all(m->cpu);
    return 0;
}

/* The port region covering all of [port, port+size), or NULL. */
static BusRegion *bus_port_region(Machine *m, uint32_t port, int size)
{
    int idx = m->port_map[port & 0xffff];
    if (!idx)
        return NULL;
    BusRegion *r = &m->ports[idx - 1];
    if (port + (uint32_t)size > r->base + r->size)
        return NULL;
    return r;
}

uint32_t bus_io_read(Machine *m, uint32_t port, int size)
{
    port &= 0xffff;
    m->io_accesses++;
    BusRegion *r = bus_port_region(m, port, size);
    if (r && r->read)
        return r->read(r->opaque, port - r->base, size) & size_mask(size);
    if (!r && size > 1 && m->port_map[port]) {
        /* A wide access that runs past its region: assemble it byte by byte (each byte to its owner). */
        uint32_t v = 0;
        for (int i = 0; i < size; i++)
            v |= (bus_io_read(m, (port + i) & 0xffff, 1) & 0xff) << (8 * i);
        m->io_accesses -= size;
        return v;
    }
    if (!r)
        bus_log_unassigned_port(port, false, size);
    return size_mask(size);
}

void bus_io_write(Machine *m, uint32_t port, uint32_t val, int size)
{
    port &= 0xffff;
    m->io_accesses++;
    BusRegion *r = bus_port_region(m, port, size);
    if (r) {
        if (r->write)
            r->write(r->opaque, port - r->base, val & size_mask(size), size);
        return;
    }
    if (size > 1 && m->port_map[port]) {
        for (int i = 0; i < size; i++)
            bus_io_write(m, (port + i) & 0xffff, (val >> (8 * i)) & 0xff, 1);
        m->io_accesses -= size;
        return;
    }
    bus_log_unassigned_port(port, true, size);
}

static BusRegion *bus_mmio_region(Machine *m, uint32_t pa)
{
    for (int i = 0; i < m->nmmio; i++)
        if (pa - m->mmio[i].base < m->mmio[i].size)
            return &m->mmio[i];
    return NULL;
}

static bool bus_in_rom(const Machine *m, uint32_t pa)
{
    return m->rom_size && pa >= (uint32_t)(0x100000000ull - m->rom_size);
}

static uint32_t host_read(const uint8_t *p, int size)
{
    switch (size) {
    case 1: return p[0];
    case 2: return p[0] | (uint32_t)p[1] << 8;
    default: return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
}

uint32_t bus_phys_read(Machine *m, uint32_t pa, int size)
{
    BusRegion *r = m->nmmio ? bus_mmio_region(m, pa) : NULL;
    if (r) {
        m->mmio_accesses++;
        return r->read ? r->read(r->opaque, pa - r->base, size) & size_mask(size) : size_mask(size);
    }
    int pam = bus_pam(m, pa);
    if (pam >= 0 && !(pam & 1)) {
        const uint8_t *rom = bus_rom_low(m, pa);
        return rom && bus_rom_low(m, pa + (uint32_t)size - 1) ? host_read(rom, size) : size_mask(size);
    }
    if (pa < m->ram_size && size <= (int)(m->ram_size - pa))
        return host_read(m->ram + pa, size);
    if (bus_in_rom(m, pa) && size <= (int)(0x100000000ull - pa))
        return host_read(m->rom + (pa - (uint32_t)(0x100000000ull - m->rom_size)), size);
    bus_log_unassigned_addr(pa, false, size);
    return size_mask(size);
}

void bus_phys_write(Machine *m, uint32_t pa, uint32_t val, int size)
{
    BusRegion *r = m->nmmio ? bus_mmio_region(m, pa) : NULL;
    if (r) {
        m->mmio_accesses++;
        if (r->write)
            r->write(r->opaque, pa - r->base, val & size_mask(size), size);
        return;
    }
    int pam = bus_pam(m, pa);
    if (pam >= 0 && !(pam & 2))
        return;     /* shadow RAM write-protected: the write goes to the ROM, which ignores it */
    if (pa < m->ram_size && size <= (int)(m->ram_size - pa)) {
        /* device DMA and page-table updates must not leave stale translations (the CPU's stores to RAM do not
         * come here: the softmmu writes RAM directly after its own check) */
        if (m->cpu && tb_page_has_code(m->cpu, pa))
            tb_invalidate_phys(m->cpu, pa, (uint32_t)size);
        for (int i = 0; i < size; i++)
            m->ram[pa + i] = (uint8_t)(val >> (8 * i));
        return;
    }
    if (bus_in_rom(m, pa))
        return; /* ROM: writes are ignored */
    bus_log_unassigned_addr(pa, true, size);
}

uint8_t *bus_phys_ptr(Machine *m, uint32_t pa, bool *writable)
{
    uint32_t page = pa & ~0xfffu;
    for (int i = 0; i < m->nmmio; i++) {
        const BusRegion *r = &m->mmio[i];
        if (page < r->base + r->size && r->base < page + 0x1000)
            return NULL;   /* any part of the page is MMIO: no direct access */
    }
    int pam = bus_pam(m, page);
    if (pam >= 0 && !(pam & 1)) {           /* reads from the ROM's low alias (or nothing); writes: slow path */
        *writable = false;
        return bus_rom_low(m, page) ? (uint8_t *)bus_rom_low(m, pa) : NULL;
    }
    if (m->ram_size >= 0x1000 && page <= m->ram_size - 0x1000) {
        *writable = pam < 0 || (pam & 2);
        return m->ram + pa;
    }
    if (bus_in_rom(m, page) && m->rom_size >= 0x1000) {
        *writable = false;
        return (uint8_t *)m->rom + (pa - (uint32_t)(0x100000000ull - m->rom_size));
    }
    return NULL;
}

void bus_set_intr(Machine *m, bool level)
{
    if (!m->cpu)
        return;
    m->cpu->pending_irq = level;
    if (level)
        m->cpu->exit_request = 1;
}

/* ---- device DMA ---- */

/* How many bytes from pa (at most len) lie in one kind of target: RAM not hidden by MMIO, one MMIO region, ROM,
 * or unassigned space; kind 0 RAM, 1 MMIO, 2 ROM, 3 unassigned. */
static uint32_t bus_dma_span(Machine *m, uint32_t pa, uint32_t len, int *kind)
{
    uint64_t end = (uint64_t)pa + len;
    BusRegion *r = m->nmmio ? bus_mmio_region(m, pa) : NULL;
    if (r) {
        *kind = 1;
        uint64_t rend = (uint64_t)r->base + r->size;
        return (uint32_t)((end < rend ? end : rend) - pa);
    }
    uint64_t lim;
    if (bus_pam(m, pa) >= 0) {              /* shadow window: byte by byte through the PAM-aware accessors */
        *kind = 1;
        return (uint32_t)((end < PAM_END ? end : PAM_END) - pa);
    }
    if (pa < m->ram_size) {
        *kind = 0;
        lim = m->ram_size;
    } else if (bus_in_rom(m, pa)) {
        *kind = 2;
        lim = 0x100000000ull;
    } else {
        *kind = 3;
        lim = m->rom_size ? 0x100000000ull - m->rom_size : 0x100000000ull;
    }
    for (int i = 0; i < m->nmmio; i++)      /* stop where the next MMIO region starts */
        if (m->mmio[i].base > pa && m->mmio[i].base < lim)
            lim = m->mmio[i].base;
    if (m->pam_attr && pa < PAM_BASE && lim > PAM_BASE)
        lim = PAM_BASE;
    return (uint32_t)((end < lim ? end : lim) - pa);
}

static int bus_dma(Machine *m, uint32_t pa, uint8_t *rbuf, const uint8_t *wbuf, uint32_t len)
{
    int rc = 0;
    m->dma_bytes += len;
    while (len) {
        int kind;
        uint32_t n = bus_dma_span(m, pa, len, &kind);
        if (n == 0)             /* pa + len wrapped past 4 GiB: continue at 0 */
            n = (uint32_t)(0x100000000ull - pa) < len ? (uint32_t)(0x100000000ull - pa) : len;
        uint32_t off = bus_in_rom(m, pa) ? pa - (uint32_t)(0x100000000ull - m->rom_size) : 0;
        switch (kind) {
        case 0:
            if (rbuf) {
                memcpy(rbuf, m->ram + pa, n);
            } else {
                memcpy(m->ram + pa, wbuf, n);
                if (m->dma_ram_written)
                    m->dma_ram_written(m->dma_opaque, pa, n);
            }
            break;
        case 1:
            for (uint32_t i = 0; i < n; i++) {
                if (rbuf)
                    rbuf[i] = (uint8_t)bus_phys_read(m, pa + i, 1);
                else
                    bus_phys_write(m, pa + i, wbuf[i], 1);
            }
            break;
        case 2:
            if (rbuf)
                memcpy(rbuf, m->rom + off, n);
            break;
        default:
            if (rbuf)
                memset(rbuf, 0xff, n);
            bus_log_unassigned_addr(pa, wbuf != NULL, 1);
            rc = -1;
        }
        pa += n, len -= n;
        if (rbuf)
            rbuf += n;
        else
            wbuf += n;
    }
    return rc;
}

int bus_dma_read(Machine *m, uint32_t pa, void *buf, uint32_t len)
{
    return bus_dma(m, pa, buf, NULL, len);
}

int bus_dma_write(Machine *m, uint32_t pa, const void *buf, uint32_t len)
{
    return bus_dma(m, pa, NULL, buf, len);
}
