/* xlat_table.c — the dispatch table X86Op → instruction handler (xlat_<MNEMONIC>), built from x86_ops.def.
 * Every handler is declared weak, so a handler may live in any translator file (xlat_alu.c, xlat_ctl.c,
 * xlat_string.c, xlat_sys.c, ...) without anyone editing this table; a mnemonic nobody implements yet resolves to
 * NULL and xlat_block then calls xlat_unimplemented (logged once, #UD).
 * Invariant: one row per X86Op, indexed by the enum, so the table is exactly X86_OP_COUNT long.
 * Left out: operand-form dispatch (each handler looks at insn->ops itself). */
#include <stdio.h>
#include "xlat.h"

#define X(n) extern void xlat_##n(Xlat *x) __attribute__((weak));
#include "x86_ops.def"
#undef X

const XlatFn xlat_table[X86_OP_COUNT] = {
#define X(n) [X86_OP_##n] = xlat_##n,
#include "x86_ops.def"
#undef X
};
