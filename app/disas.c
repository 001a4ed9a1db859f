/* disas.c — guest code listings for -d in_asm, through Capstone (kept in app/ so the translator never includes
 * Capstone's headers, whose X86_OP_* names collide with the decoder's).
 * Left out: host code listings (out_asm belongs to the JIT backends). */
#include <inttypes.h>
#include <stdio.h>
#include <capstone/capstone.h>
#include "disas.h"

void disas_guest(FILE *f, const uint8_t *code, int len, uint32_t eip, bool code32)
{
    csh cs;
    cs_insn *insn;
    if (len <= 0 || cs_open(CS_ARCH_X86, code32 ? CS_MODE_32 : CS_MODE_16, &cs) != CS_ERR_OK)
        return;
    size_t count = cs_disasm(cs, code, (size_t)len, eip, 0, &insn);
    for (size_t i = 0; i < count; i++)
        fprintf(f, "0x%08" PRIx64 ":  %-8s %s\n", insn[i].address, insn[i].mnemonic, insn[i].op_str);
    if (count)
        cs_free(insn, count);
    cs_close(&cs);
}
