/* ir_opt.c — the IR optimiser: constant propagation/folding, then liveness-driven dead-code elimination.
 * XXX: first cut, does nothing yet (the block is left as built, which is always correct). */
#include "ir.h"

void ir_optimize(IrBlock *b)
{
    (void)b;
}
