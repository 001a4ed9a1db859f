/* helpers_ctl.c — runtime helpers for xlat_ctl.c (near control flow and the stack): today only POPF's EFLAGS
 * write, which must recompute hflags (TF, IOPL, IF change what may run and how blocks are keyed).
 * Invariants: the translator computes which bits POPF may change from the block's mode (CPL, IOPL_OK, VM are part
 * of the TB key) and does the v8086 #GP(0) check itself, so the helper cannot fault.
 * Left out: everything that needs descriptors or privilege changes (far transfers: far.c, sys_helpers.c). */
#include "helpers.h"

/* POPF/POPFD (SDM vol 2 POPF): bits in mask take value's bits; RF is cleared; VM, VIP, VIF and reserved bits are
 * never in mask. cpu_set_eflags resets the lazy flags to CC_OP_EFLAGS. */
void helper_popf(CpuState *env, uint32_t value, uint32_t mask)
{
    cpu_set_eflags(env, value & ~(uint32_t)F_RF, (mask | F_RF) & ~(uint32_t)(F_VM | F_VIP | F_VIF));
    cpu_update_hflags(env);
}
