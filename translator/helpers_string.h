/* helpers_string.h — the descriptor word that xlat_string.c passes to the string-instruction helpers
 * (helpers_string.c): element size, address size, source segment and REP kind of one MOVS/CMPS/STOS/LODS/SCAS/
 * INS/OUTS, all fixed at translation time. Everything that can change at run time (DF, CPL, ECX, the segment
 * caches) the helpers read from CpuState.
 * Left out: the helpers' prototypes (helpers.h generates them from helpers.def). */
#ifndef PCJIT_HELPERS_STRING_H
#define PCJIT_HELPERS_STRING_H

enum {
    STR_SIZE_MASK = 7,          /* element size in bytes: 1, 2 or 4 */
    STR_A32 = 1 << 3,           /* 32-bit addressing: ESI/EDI/ECX (else SI/DI/CX, wrapping at 64 KiB) */
    STR_SEG_SHIFT = 4,          /* bits 4..6: segment of the source operand (DS or the override); dest is ES */
    STR_SEG_MASK = 7 << 4,
    STR_REP = 1 << 7,           /* F3 or F2 prefix: repeat ECX times */
    STR_REPNE = 1 << 8,         /* CMPS/SCAS: F2 (stop when ZF=1); without it a REP CMPS/SCAS is REPE */
};

#endif
